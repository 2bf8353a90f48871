// The service's edges, tried as an attacker would: slow clients, malformed URLs and HTTP, wrong
// methods, key guessing, and what every answer carries (one error shape, security headers).
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { ensurePlayground } from "../../../playground/build.ts";
import { hashKey } from "../keys.ts";
import { keyConfigs, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ pagesDir: await ensurePlayground(), timeouts: { requestMs: 1000, headersMs: 1000 }, authFailureLimit: { perSecond: 1, burst: 5 } });
});
after(async () => h.close());

/** Sends raw bytes on a fresh connection; resolves with everything the server sent until it closed. */
function raw(parts: readonly string[], gapMs = 0, limitMs = 8000): Promise<{ text: string; ms: number }> {
  const url = new URL(h.url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname);
    let text = "";
    const stop = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms; got: ${text}`));
    }, limitMs);
    s.on("data", (d) => (text += d.toString()));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(stop);
      resolve({ text, ms: Date.now() - started });
    });
    let i = 0;
    const next = (): void => {
      if (i >= parts.length || s.destroyed) return;
      s.write(parts[i++]);
      setTimeout(next, gapMs);
    };
    s.on("connect", next);
  });
}

function isErrorShape(body: unknown): boolean {
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
  return typeof e?.code === "string" && typeof e.message === "string" && Object.keys(body as object).length === 1;
}

describe("slow and malformed clients", () => {
  it("times out a body sent a byte at a time, in the error shape", async () => {
    const head = `POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const r = await raw([head, "{", '"', "p", "h", "a", "s", "e"], 400);
    assert.ok(r.ms < 4000, `closed after ${r.ms} ms`);
    assert.match(r.text, /^HTTP\/1\.1 408 /);
    assert.ok(isErrorShape(JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4))), r.text);
  });

  it("times out headers that never end", async () => {
    const r = await raw(["GET /healthz HTTP/1.1\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n", "X-D: 4\r\n", "X-E: 5\r\n"], 400);
    assert.ok(r.ms < 4000, `closed after ${r.ms} ms`);
  });

  it("answers malformed HTTP in the error shape", async () => {
    const r = await raw(["GARBAGE\r\n\r\n"]);
    assert.match(r.text, /^HTTP\/1\.1 400 /);
    assert.equal(JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4)).error.code, "request/invalid");
  });

  it("answers Fastify's own errors in the error shape", async () => {
    for (const [method, path, body, type] of [
      ["GET", "/v1/sessions/%ff%fe", undefined, undefined],
      ["GET", "/v1/approvals/%", undefined, undefined],
      ["POST", "/v1/decide", "{}", "text/plain"],
      ["POST", "/v1/decide", "", "application/json"],
      ["POST", "/v1/decide", "{\"a\":", "application/json"],
      ["POST", "/v1/decide", "null", "application/json"],
    ] as const) {
      const res = await fetch(h.url + path, { method, headers: { authorization: "Bearer k-admin", ...(type ? { "content-type": type } : {}) }, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${text}`);
      assert.ok(isErrorShape(JSON.parse(text)), `${method} ${path} ${type}: ${text}`);
    }
  });

  it("answers a request without Host, and an Expect it cannot meet, in the error shape (Node's own answers had empty bodies)", async () => {
    const noHost = await raw(["GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"]);
    assert.match(noHost.text, /^HTTP\/1\.1 400 /);
    assert.match(JSON.parse(noHost.text.slice(noHost.text.indexOf("\r\n\r\n") + 4)).error.message, /no Host header/);
    const expect = await raw(["POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 200-ok\r\n\r\n"]);
    assert.match(expect.text, /^HTTP\/1\.1 417 /);
    assert.ok(isErrorShape(JSON.parse(expect.text.slice(expect.text.indexOf("\r\n\r\n") + 4))), expect.text);
    // HTTP/1.0 has no Host requirement.
    assert.match((await raw(["GET /healthz HTTP/1.0\r\n\r\n"])).text, /^HTTP\/1\.1 200 /);
  });

  it("refuses a transfer coding other than chunked: 'gzip, chunked' was read as if plain, so the service decided on other bytes than were meant", async () => {
    const body = JSON.stringify(toolCall("lookup"));
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const head = "POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nConnection: close\r\n";
    for (const coding of ["gzip, chunked", "deflate,chunked", "identity, chunked", "x-custom, chunked"]) {
      const r = await raw([`${head}Transfer-Encoding: ${coding}\r\n\r\n${chunked}`]);
      assert.match(r.text, /^HTTP\/1\.1 415 /, coding);
      assert.equal(JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4)).error.code, "request/unsupported-media-type");
    }
    assert.match((await raw([`${head}Transfer-Encoding: Chunked \r\n\r\n${chunked}`])).text, /^HTTP\/1\.1 200 /);
  });

  it("answers Expect: 100-continue without a valid key with 401 before inviting the body (Node sent 100 to anyone)", async () => {
    const ask = (auth: string): Promise<{ text: string }> => raw([`POST /v1/decide HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n`], 0, 3000).catch((err: Error) => ({ text: err.message }));
    for (const auth of ["", "Authorization: Bearer k-guess\r\n"]) {
      const r = await ask(auth);
      assert.match(r.text, /^HTTP\/1\.1 401 /, r.text.slice(0, 200));
      assert.doesNotMatch(r.text, /100 Continue/);
      assert.ok(isErrorShape(JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4))));
    }
    // With a valid key, the body is invited and decided.
    const body = JSON.stringify(toolCall("lookup"));
    const ok = await raw([`POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`, body], 100);
    assert.match(ok.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it("refuses a body-bearing request without a valid key before reading its body (a keyless client could make it read and parse up to the body limit)", async () => {
    // 1 MB announced, 6 bytes sent: the old service waited for the rest until the request deadline (408).
    const r = await raw([`POST /v1/decide/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-guess\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"a":[`], 0, 3000);
    assert.match(r.text, /^HTTP\/1\.1 401 /, r.text.slice(0, 200));
    assert.match(r.text, /\r\nconnection: close\r\n/i);
    assert.ok(isErrorShape(JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4))));
  });
});

describe("routes", () => {
  it("answers a wrong method with 405 and Allow", async () => {
    for (const [method, path, allow] of [
      ["GET", "/v1/decide", "POST"],
      ["DELETE", "/v1/approvals", "GET, HEAD, POST"],
      ["PUT", "/v1/approvals/abc", "GET, HEAD"],
      ["POST", "/metrics", "GET, HEAD"],
      ["PATCH", "/tlog/tile/0/000", "GET, HEAD"],
    ] as const) {
      const r = await h.call(method, path, "admin");
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get("allow"), allow);
      assert.equal(r.body.error.code, "request/method-not-allowed");
    }
    assert.equal((await h.call("GET", "/v1/nothing-here", "admin")).status, 404);
  });

  it("answers 405 or 404 before reading any body: a JSON Content-Type on OPTIONS was 'the body is empty'", async () => {
    for (const [method, path, body, status] of [
      ["OPTIONS", "/v1/decide", undefined, 405],
      ["DELETE", "/v1/approvals", "", 405],
      ["PUT", "/v1/decide", '{"a":1,"a":2}', 405],
      ["POST", "/v1/nothing-here", "not json", 404],
    ] as const) {
      const res = await fetch(h.url + path, { method, headers: { authorization: "Bearer k-admin", "content-type": "application/json" }, ...(body !== undefined ? { body } : {}) });
      assert.equal(res.status, status, `${method} ${path}: ${await res.clone().text()}`);
      assert.ok(isErrorShape(await res.json()));
    }
  });

  it("reads back a session whose id is as long as the service accepts (ids past 100 characters were decided in, then 400 to read)", async () => {
    for (const id of ["s".repeat(150), "é".repeat(200), "😀".repeat(100)]) {
      const d = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup"), session: id });
      assert.equal(d.status, 200, JSON.stringify(d.body));
      const r = await h.call("GET", `/v1/sessions/${encodeURIComponent(id)}`, "admin");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.session, r.body.steps.length], [id, 1]);
    }
    const long = await h.call("GET", `/v1/sessions/${"s".repeat(201)}`, "admin");
    assert.deepEqual([long.status, long.body.error.path], [400, "/id"]);
  });
});

describe("authentication", () => {
  it("takes the bearer scheme in any case", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const res = await fetch(`${h.url}/v1/policies`, { headers: { authorization: `${scheme} k-admin` } });
      assert.equal(res.status, 200, scheme);
    }
  });

  it("limits failed authentications per address, then refuses that address whatever key it sends", async () => {
    const s = await startHarness({ authFailureLimit: { perSecond: 1, burst: 5 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 8; i++) codes.push((await s.call("POST", "/v1/decide", `guess-${i}`, toolCall("lookup"))).status);
      assert.deepEqual(codes, [401, 401, 401, 401, 401, 429, 429, 429]);
      const blocked = await s.call("POST", "/v1/decide", "agent", toolCall("lookup"));
      assert.deepEqual([blocked.status, blocked.body.error.code, blocked.headers.get("retry-after")], [429, "rate/limited", "1"]);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await s.call("POST", "/v1/decide", "agent", toolCall("lookup"))).status, 200);
    } finally {
      await s.close();
    }
  });

  it("refuses an expired key", async () => {
    const s = await startHarness({}, [{ id: "old", sha256: hashKey("k-old"), agents: ["*"], environments: ["*"], expires: "2020-01-01T00:00:00Z" }]);
    try {
      const r = await s.call("POST", "/v1/decide", "k-old", toolCall("lookup"));
      assert.deepEqual([r.status, r.body.error.code], [401, "auth/expired-key"]);
    } finally {
      await s.close();
    }
  });

  it("ends a long-poll and an event stream when their key expires (they ran to the wait's end and the approval's)", async () => {
    // Long enough for the poll to start before it on a loaded machine; the old code waited 20 s past it.
    const expires = Date.now() + 5000;
    const s = await startHarness({}, [...keyConfigs, { id: "short", sha256: hashKey("k-short"), agents: ["shop-bot"], environments: ["production"], expires: new Date(expires).toISOString() }]);
    try {
      const asked = await s.call("POST", "/v1/decide", "k-short", toolCall("export"));
      const id = asked.body.approval.id as string;
      const stream = fetch(`${s.url}/v1/approvals/${id}/events`, { headers: { authorization: "Bearer k-short" } }).then(async (res) => {
        await res.text();
        return Date.now();
      });
      const poll = await s.call("GET", `/v1/approvals/${id}?wait=20`, "k-short");
      const polled = Date.now();
      assert.equal(poll.body.status, "pending");
      // Ended at the expiry, not 20 s later (10 s of slack for a loaded machine).
      assert.ok(polled >= expires - 50 && polled < expires + 10_000, `the poll ended ${polled - expires} ms after the key expired`);
      const ended = await stream;
      assert.ok(ended < expires + 10_000, `the stream ended ${ended - expires} ms after the key expired`);
      assert.equal((await s.call("GET", `/v1/approvals/${id}?wait=20`, "k-short")).body.error.code, "auth/expired-key");
    } finally {
      await s.close();
    }
  });
});

describe("headers", () => {
  it("puts security headers on every page, and a CSP that loads nothing on API answers", async () => {
    for (const path of ["/playground", "/console"]) {
      const res = await fetch(h.url + path);
      assert.equal(res.status, 200);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/);
      // The playground compiles policies to JavaScript in the page; the console, holding a key, may not eval.
      assert.match(csp, path === "/playground" ? /script-src 'self' 'unsafe-eval';/ : /script-src 'self';/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    }
    const report = await fetch(`${h.url}/v1/reports/soc2?format=html`, { headers: { authorization: "Bearer k-admin" } });
    assert.match(report.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(report.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    for (const r of [await h.call("GET", "/healthz", undefined), await h.call("POST", "/v1/decide", undefined, {}), await h.call("GET", "/nope", undefined)]) {
      assert.equal(r.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    }
  });
});

describe("headers sent twice", () => {
  it("refuses a request naming its Host or its body's Content-Type twice (Node keeps the first, a proxy in front may have judged the other)", async () => {
    const body = JSON.stringify(toolCall("lookup"));
    const twice = [
      `POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      `POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\ncontent-type: application/json\r\nCONTENT-TYPE: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      "GET /v1/status HTTP/1.1\r\nHost: x\r\nHost: y\r\nAuthorization: Bearer k-admin\r\nConnection: close\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nhost: x\r\nConnection: close\r\n\r\n",
    ];
    for (const request of twice) {
      const { text } = await raw([request]);
      assert.match(text, /^HTTP\/1\.1 400 /, `${request.split("\r\n").slice(0, 5).join(" | ")}: ${text}`);
      const error = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)).error;
      assert.equal(error.code, "request/invalid");
      assert.match(error.message, /twice/);
    }
    // Once each, the same requests are answered.
    assert.match((await raw([`POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-agent\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`])).text, /^HTTP\/1\.1 200 /);
  });
});

describe("public routes' refusals", () => {
  it("refuse in the error shape, as documented: private entry bundles (403) and a file the built pages do not have (404)", async () => {
    const entries = await fetch(`${h.url}/tlog/tile/entries/000`);
    const text = await entries.text();
    assert.equal(entries.status, 403);
    assert.match(entries.headers.get("content-type") ?? "", /^application\/json/);
    assert.ok(isErrorShape(JSON.parse(text)), text);
    assert.equal(JSON.parse(text).error.code, "auth/forbidden");
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, { get: { responses: Record<string, unknown> } }> };
    assert.ok(doc.paths["/tlog/tile/{path}"]?.get.responses["403"], "the document lists the 403");
    // The pages are built here: a name they do not hold is no file, not a build to run.
    const missing = await fetch(`${h.url}/assets/nope.js`);
    const body = (await missing.json()) as { error: { code: string; message: string } };
    assert.equal(missing.status, 404);
    assert.doesNotMatch(body.error.message, /not built|build:playground/);
    assert.match(body.error.message, /nope\.js/);
  });
});

describe("metrics", () => {
  it("types counters as counters, and has request durations, pending approvals, the audit queue and checkpoint age", async () => {
    await h.call("POST", "/v1/decide", "agent", toolCall("export"));
    await h.service.checkpoint();
    const text = (await h.call("GET", "/metrics", "metrics")).body as string;
    const types = new Map<string, string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1], m[2]);
    for (const [name, type] of types) {
      if (type === "counter") assert.match(name, /_total$/, name);
      if (name.endsWith("_total")) assert.equal(type, "counter", name);
    }
    // Every sample belongs to a declared family.
    for (const line of text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? "";
      assert.ok(types.has(name) || types.has(name.replace(/_(bucket|sum|count)$/, "")), line);
    }
    assert.equal(types.get("palisade_http_request_duration_seconds"), "histogram");
    assert.match(text, /^palisade_http_request_duration_seconds_bucket\{route="\/v1\/decide",method="POST",le="\+Inf"\} [1-9]/m);
    assert.equal(types.get("palisade_audit_failures_total"), "counter");
    assert.match(text, /^palisade_approvals_pending [1-9]\d*$/m);
    assert.match(text, /^palisade_audit_queue \d+$/m);
    assert.match(text, /^palisade_checkpoint_age_seconds \d+(\.\d+)?(e-\d+)?$/m);
  });
});
