// What the service reads of a body is what its sender wrote and what the log records: numbers a
// double does not hold as written, keys given twice, bytes that are not UTF-8, a charset or an
// encoding the service does not read are refused before anything is decided (I-JSON, RFC 7493).
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { checkRecordable, exactNumber, parseBody } from "../body.ts";
import { ServiceError } from "../errors.ts";
import { startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const refund = (args: string): string => `{"phase":"tool_call","input":{"agent":{"id":"shop-bot"},"env":"production","tool":{"name":"refund","args":${args}},"principal":{"id":"u1","roles":[]}}}`;

/** POSTs raw bytes with the given headers (fetch would set its own Content-Type and encoding). */
function post(path: string, body: string | Buffer, headers: Record<string, string | string[]> = {}): Promise<{ status: number; body: any }> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "POST", headers: { authorization: "Bearer k-agent", "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function logSize(): Promise<number> {
  await h.service.context.writer.flush();
  return h.service.context.audit.size();
}

/** The input args the last entry recorded. */
async function lastArgs(): Promise<Record<string, unknown>> {
  const log = h.service.context.audit;
  const entry = await log.read((await logSize()) - 1);
  return (entry.record as { input: { tool: { args: Record<string, unknown> } } }).input.tool.args;
}

describe("numbers the log would record otherwise than sent are refused", () => {
  // The amount decides (a refund over 500 needs approval): 2^53 + 1 was decided and recorded as 2^53.
  const refused: [string, string][] = [
    ["12345678901234567891", "12345678901234567000"],
    ["9007199254740993", "9007199254740992"],
    ["-9007199254740993", "-9007199254740992"],
    ["1152921504606846976", "1152921504606847000"],
    ["3.141592653589793238", "3.141592653589793"],
    ["1e-400", "0"],
    ["4.9e-324", "5e-324"],
    ["1e400", "beyond the range"],
    ["-1E+400", "beyond the range"],
  ];
  for (const [lit, shown] of refused) {
    it(`refuses ${lit} with 400 at its path, deciding and recording nothing`, async () => {
      const size = await logSize();
      const r = await post("/v1/decide", refund(`{"note":"x","amount":[1,${lit}]}`));
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "request/invalid");
      assert.equal(r.body.error.path, "/input/tool/args/amount/1");
      assert.ok(r.body.error.message.includes(shown), r.body.error.message);
      assert.equal(await logSize(), size);
    });
  }

  const accepted: [string, number][] = [
    ["9007199254740992", 2 ** 53],
    ["100000000000000000000000", 1e23],
    ["0.1", 0.1],
    ["1.50", 1.5],
    ["12.5e2", 1250],
    ["5e-324", 5e-324],
    ["1.7976931348623157e308", Number.MAX_VALUE],
    ["-0", 0],
    ["-0.0e7", 0],
  ];
  for (const [lit, value] of accepted) {
    it(`decides and records ${lit} as the number sent`, async () => {
      const r = await post("/v1/decide", refund(`{"amount":${lit}}`));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const recorded = (await lastArgs()).amount;
      // Object.is: -0 is decided on as the 0 the log writes, never as -0.
      assert.ok(Object.is(recorded, value), `${lit} recorded as ${String(recorded)}`);
      assert.ok(Object.is(r.body.payload.tool.args.amount, value));
    });
  }

  it("accepts a number exactly when the double's shortest decimal names the literal's value (property, against BigInt arithmetic)", () => {
    // The literal's value and the double's shortest decimal as exact rationals m * 10^e.
    const rational = (s: string): [bigint, number] => {
      const [mant, exp = "0"] = s.toLowerCase().split("e");
      const [i, f = ""] = mant!.split(".");
      return [BigInt(i! + f), Number(exp) - f.length];
    };
    const same = (a: string, b: string): boolean => {
      const [ma, ea] = rational(a);
      const [mb, eb] = rational(b);
      const e = Math.min(ea, eb);
      return ma * 10n ** BigInt(ea - e) === mb * 10n ** BigInt(eb - e);
    };
    const literal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,24})$/), fc.option(fc.stringMatching(/^[0-9]{1,20}$/)), fc.option(fc.integer({ min: -330, max: 330 })))
      .map(([neg, i, f, e]) => `${neg ? "-" : ""}${i}${f === null ? "" : `.${f}`}${e === null ? "" : `e${e}`}`);
    fc.assert(
      fc.property(literal, (lit) => {
        const v = Number(lit);
        assert.equal(exactNumber(lit), Number.isFinite(v) && same(lit, String(v)), lit);
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => exactNumber(String(d)) && exactNumber(JSON.stringify(d))));
  });
});

describe("a key given twice in one object is refused", () => {
  it("refuses the second 'name' of a tool at its path (JSON.parse would have decided on the last)", async () => {
    const size = await logSize();
    const r = await post("/v1/decide", '{"phase":"tool_call","input":{"agent":{"id":"shop-bot"},"env":"production","tool":{"name":"shell","name":"lookup","args":{}}}}');
    assert.deepEqual([r.status, r.body.error.code, r.body.error.path], [400, "request/invalid", "/input/tool/name"]);
    assert.equal(await logSize(), size);
  });

  it("counts an escaped spelling as the same key", async () => {
    const r = await post("/v1/decide", refund('{"amount":1000,"\\u0061mount":1}'));
    assert.deepEqual([r.status, r.body.error.path], [400, "/input/tool/args/amount"]);
  });

  it("is not fooled by keys and punctuation inside strings, or by the same key in sibling objects", async () => {
    const r = await post("/v1/decide", refund('{"a":{"b":1},"b":[{"b":1},{"b":2}],"s":"\\"b\\":1,{\\"a\\":[","t":"\\\\","u":"\\\\\\""}'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(await lastArgs(), { a: { b: 1 }, b: [{ b: 1 }, { b: 2 }], s: '"b":1,{"a":[', t: "\\", u: '\\"' });
  });

  it("holds for any object, at any depth (property): accepted exactly when its keys are distinct", () => {
    const key = fc.constantFrom("a", "b", "ab", "a\"b", "a\\", "é");
    // Each key written plainly or with its first character escaped.
    const spelled = fc.tuple(key, fc.boolean()).map(([k, esc]) => [k, esc ? `"\\u${k.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(k).slice(2)}` : JSON.stringify(k)] as const);
    fc.assert(
      fc.property(fc.array(spelled, { maxLength: 6 }), fc.nat(3), (members, depth) => {
        const inner = `{${members.map(([, s], i) => `${s}:${i}`).join(",")}}`;
        const text = `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
        const firstRepeat = members.findIndex(([k], i) => members.slice(0, i).some(([k2]) => k2 === k));
        try {
          parseBody(text);
          assert.equal(firstRepeat, -1, text);
        } catch (err) {
          assert.ok(err instanceof ServiceError, String(err));
          assert.notEqual(firstRepeat, -1, text);
          const k = members[firstRepeat]![0].replaceAll("~", "~0").replaceAll("/", "~1");
          assert.equal(err.path, `${"/0".repeat(depth)}/${k}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("the one pass over the text refuses exactly what a walk of the parsed value refuses", () => {
  // parseBody checks lone surrogates, `__proto__` keys and -0 on the text (escapes are looked at
  // only where one may hide a surrogate); checkRecordable walks the value. Same verdict, same path.
  it("names the field after an empty object right (`[{},\"x\",1e400]` was refused at /NaN)", () => {
    assert.throws(() => parseBody('[{},"x",1e400]'), (err: unknown) => err instanceof ServiceError && err.path === "/2");
    assert.throws(() => parseBody('{"a":[{},"\\udc00"]}'), (err: unknown) => err instanceof ServiceError && err.path === "/a/1");
  });

  it("agrees with checkRecordable on strings, keys and numbers of any shape (property)", () => {
    const piece = fc.constantFrom("a", "é", "😀", "\\ud800", "\\udc00", "\\uD83D\\uDE00", "\\ud83d", "\\\\ud800", "\\\\", "\\\"", "\\u0041", "__proto__");
    const str = fc.array(piece, { maxLength: 4 }).map((p) => `"${p.join("")}"`);
    const num = fc.constantFrom("0", "-0", "-0.0", "-0e3", "-0.5", "1", "2.5e1");
    const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        str,
        num,
        fc.array(tie("v"), { maxLength: 3 }).map((vs) => `[${vs.join(",")}]`),
        // Keys numbered so that none is given twice (duplicates are the text's alone), never
        // integer-like (JavaScript lists those first, so a walk would meet them first).
        fc.array(fc.tuple(str, tie("v")), { maxLength: 3 }).map((ms) => `{${ms.map(([k, v], i) => `${k.slice(0, -1)}~${i}":${v}`).join(",")}}`),
        fc.array(tie("v"), { maxLength: 2 }).map((vs) => `{${vs.map((v, i) => `"__proto__${i === 0 ? "" : i}":${v}`).join(",")}}`),
      ),
    })).v;
    fc.assert(
      fc.property(value, (text) => {
        let expected: string | undefined;
        const walked: unknown = JSON.parse(text);
        try {
          checkRecordable(walked);
        } catch (err) {
          expected = err instanceof ServiceError ? `${err.path} ${err.message}` : String(err);
        }
        let got: string | undefined;
        let parsed: unknown;
        try {
          parsed = parseBody(Buffer.from(text));
        } catch (err) {
          got = err instanceof ServiceError ? `${err.path} ${err.message}` : String(err);
        }
        assert.equal(got, expected, text);
        // -0 is read as 0 either way.
        if (got === undefined) assert.deepStrictEqual(parsed, walked, text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("every route that takes a body refuses what the log would not record as sent", () => {
  it("the same 400 from every POST route the server registered (the check is the body parser's)", async () => {
    const routes = h.service.routes.filter((r) => r.method === "POST" || r.method === "PUT" || r.method === "PATCH");
    assert.ok(routes.length >= 5, routes.map((r) => r.url).join(" "));
    for (const r of routes) {
      const url = r.url.replace(/:\w+/g, "x");
      for (const [body, path] of [['{"a":1,"a":2}', "/a"], ['{"n":[9007199254740993]}', "/n/0"], ['{"s":"\\udc00"}', "/s"]] as const) {
        const res = await post(url, body, { authorization: "Bearer k-admin" });
        assert.deepEqual([res.status, res.body.error.code, res.body.error.path], [400, "request/invalid", path], `${r.method} ${r.url} ${body}`);
      }
    }
  });
});

describe("bytes the service would read otherwise than sent are refused", () => {
  const cases: [string, string | Buffer, Record<string, string>, number, RegExp][] = [
    ["Latin-1 bytes (decoded as UTF-8 they became U+FFFD and were decided on)", Buffer.from(refund('{"x":"é"}'), "latin1"), {}, 400, /not UTF-8/],
    ["a charset other than UTF-8", Buffer.from(refund('{"x":"é"}'), "latin1"), { "content-type": "application/json; charset=iso-8859-1" }, 415, /charset 'iso-8859-1'/],
    ["UTF-16", Buffer.from(refund("{}"), "utf16le"), { "content-type": "application/json; charset=utf-16le" }, 415, /charset/],
    ["a byte order mark", `\ufeff${refund("{}")}`, {}, 400, /byte order mark/],
    ["a gzip body", gzipSync(refund("{}")), { "content-encoding": "gzip" }, 415, /Content-Encoding 'gzip'/],
    ["JSON sent as text/plain", refund("{}"), { "content-type": "text/plain" }, 415, /application\/json/],
  ];
  for (const [what, body, headers, status, message] of cases) {
    it(`refuses ${what}`, async () => {
      const size = await logSize();
      const r = await post("/v1/decide", body, headers);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.error.message, message);
      assert.equal(await logSize(), size);
    });
  }

  it("reads UTF-8 however its charset is spelled", async () => {
    for (const ct of ["application/json; charset=utf-8", 'application/json;charset="UTF-8"', "application/json; charset=utf8"]) {
      const r = await post("/v1/decide", refund('{"x":"é"}'), { "content-type": ct });
      assert.equal(r.status, 200, ct);
      assert.equal((await lastArgs()).x, "é");
    }
  });
});

describe("a request whose key a proxy could read otherwise is refused", () => {
  it("refuses two Authorization headers, whichever comes first (Node kept the first: agent then admin decided as the agent)", async () => {
    const size = await logSize();
    for (const pair of [["Bearer k-agent", "Bearer k-admin"], ["Bearer k-admin", "Bearer k-agent"], ["Bearer k-agent", "Bearer k-agent"]]) {
      const r = await post("/v1/decide", refund("{}"), { authorization: pair });
      assert.deepEqual([r.status, r.body.error.code], [401, "auth/invalid-key"], pair.join(" + "));
      assert.match(r.body.error.message, /twice/);
    }
    const twoApiKeys = await post("/v1/decide", refund("{}"), { authorization: "Basic eDp5", "x-api-key": ["k-agent", "k-admin"] });
    assert.deepEqual([twoApiKeys.status, twoApiKeys.body.error.code], [401, "auth/invalid-key"]);
    assert.equal(await logSize(), size);
    assert.equal((await post("/v1/decide", refund("{}"), { authorization: "Basic eDp5", "x-api-key": "k-agent" })).status, 200, "a proxy's Basic credentials beside X-Api-Key still pass");
  });
});

describe("the same fact given twice must agree", () => {
  it("refuses an input.env or input.session.id that differs from the request's environment or session (the input's was silently replaced)", async () => {
    const size = await logSize();
    const env = await post("/v1/decide", JSON.stringify({ phase: "tool_call", environment: "production", input: { agent: { id: "shop-bot" }, env: "staging", tool: { name: "lookup", args: {} } } }));
    assert.deepEqual([env.status, env.body.error.path], [400, "/input/env"]);
    const session = await post("/v1/decide", JSON.stringify({ phase: "tool_call", session: "a", input: { agent: { id: "shop-bot" }, env: "production", session: { id: "b" }, tool: { name: "lookup", args: {} } } }));
    assert.deepEqual([session.status, session.body.error.path], [400, "/input/session/id"]);
    assert.equal(await logSize(), size);
    // Given twice alike, as an SDK resending an answer's payload does: decided.
    const same = await post("/v1/decide", JSON.stringify({ phase: "tool_call", environment: "production", session: "a", input: { agent: { id: "shop-bot" }, env: "production", session: { id: "a", calls_before: 0 }, tool: { name: "lookup", args: {} } } }));
    assert.equal(same.status, 200, JSON.stringify(same.body));
  });
});
