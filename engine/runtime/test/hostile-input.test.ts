// `PolicySet.decide` is public API, and an application embedding the engine can hand it any
// JavaScript value. Each case here gave, on the old code, a throw, a hang, a silent change of
// meaning (a deny rule that passed) or two evaluators that disagreed. Now every one is a
// decision: the input is copied as JSON first, a value JSON cannot hold is an error of
// `palisade.input` with code `runtime/invalid-input` and its path, and `on_error` decides
// (spec/soundness.md, "Inputs that are not JSON").
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPolicySet } from "../index.ts";
import type { Decision, PolicySet } from "../index.ts";

const source = `package h

rule limit on tool_call {
  when tool.name == "pay" and tool.args.amount > 500
  then deny "over the limit"
}

rule double on tool_call {
  when tool.name == "pay" and tool.args.amount * 2 > 1000
  then warn "large"
}

rule shell on tool_call {
  when tool.name == "shell" and tool.args.cmd == "rm -rf /"
  then deny "no"
}

rule same on tool_call {
  when tool.name == "cmp" and tool.args.a == tool.args.b
  then deny "same"
}

rule show on tool_call {
  when tool.name == "show"
  then warn "args {tool.args.x}"
}

rule listed on tool_call {
  when tool.name == "list" and any x in tool.args.list: x == "rm"
  then deny "rm listed"
}

rule counted on tool_call {
  when tool.name == "list" and (count x in tool.args.list where x != null) > 2
  then warn "many"
}

rule text on tool_call {
  when tool.name == "text" and to_string(tool.args.x) contains "secret"
  then deny "secret"
}

rule once on tool_call {
  when tool.name == "list" and len(unique(tool.args.list)) < len(tool.args.list)
  then warn "repeated"
}

rule mail on tool_call {
  when tool.name == "mail" and tool.args.to == "eve@evil.io"
  then deny "eve"
}

rule keyed on tool_call {
  when tool.name == "keys" and "x" in tool.args
  then deny "has x"
}

rule origin on tool_call {
  when tool.name == "pay" and from_untrusted(tool.args.to, session.sources)
  then deny "payee from untrusted content"
}

rule pattern on tool_call {
  when tool.name == "grep" and tool.args.s matches tool.args.p
  then deny "matched"
}

rule matched on tool_call {
  when tool.name == "match" and tool.args.s matches "^a.b$"
  then deny "a?b"
}
`;

function sets(text = source): PolicySet[] {
  return (["compiled", "reference"] as const).map((evaluator) => {
    const { policySet, diagnostics } = loadPolicySet([{ path: "h.policy", text }], { evaluator });
    assert.ok(policySet, diagnostics.map((d) => d.message).join("\n"));
    return policySet;
  });
}

const [compiled, reference] = sets();

// Under mutation testing (scripts/mutation/parts.ts runs this file for the runtime part) the cases
// that walk millions of values, whose code no mutated file holds, are left to npm test, and depth
// is 2,000 (past MAX_WRITTEN_DEPTH, as 100,000 is) rather than 100,000.
const MUTATION = process.env.PALISADE_MUTATION === "1";
const MILLIONS = MUTATION ? "walks millions of values in input-snapshot.ts and values.ts, which the runtime part does not mutate: run by npm test" : false;
const DEEP = MUTATION ? 2_000 : 100_000;

/** Both evaluators' decisions, which must be the same (the payload too, unless `deep`: node's deep equality recurses); a throw fails the test. */
function decide(input: object, options?: { json: boolean }, deep = false): Decision {
  const a = compiled.decide("tool_call", input, options);
  const b = reference.decide("tool_call", input, options);
  if (deep) assert.deepStrictEqual({ ...a, payload: null }, { ...b, payload: null });
  else assert.deepStrictEqual(a, b);
  return a;
}

/** Asserts a failed-closed decision naming `path` as the value that is not JSON, with `what` in the message. */
function refused(d: Decision, path: string, what: RegExp): void {
  assert.equal(d.decision, "deny", JSON.stringify(d.errors));
  const e = d.errors.find((x) => x.code === "runtime/invalid-input");
  assert.ok(e, `no runtime/invalid-input error: ${JSON.stringify(d.errors)}`);
  assert.equal(e.rule, "palisade.input");
  assert.equal(e.path, path);
  assert.match(e.message, what);
  assert.match(e.message, /pass JSON data/);
}

const call = (name: string, args: unknown): { tool: { name: string; args: unknown } } => ({ tool: { name, args } });

function cycle(): unknown[] {
  const a: unknown[] = ["x"];
  a.push(a);
  return a;
}

function deepList(n: number): unknown {
  let v: unknown = "secret";
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

function deepObject(n: number): unknown {
  let v: unknown = "secret";
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

describe("hostile input: BigInt", () => {
  it("compared: over the limit is refused, never a type clash that on_error allow would pass silently", () => {
    refused(decide(call("pay", { amount: 1000n })), "tool.args.amount", /a BigInt/);
  });
  it("in a message interpolation (it threw a TypeError out of decide)", () => {
    refused(decide(call("show", { x: { n: 1n } })), "tool.args.x.n", /a BigInt/);
  });
  it("in arithmetic, in len and count, in unique", () => {
    refused(decide(call("list", { list: [1n, 2n, 3n] })), "tool.args.list[0]", /a BigInt, not JSON data \(send it as a number or a string\) at tool\.args\.list\[0\] \(and 2 more such values\)/);
  });
});

describe("hostile input: cycles", () => {
  it("two cycles compared with == (it looped for ever)", () => {
    refused(decide(call("cmp", { a: cycle(), b: cycle() })), "tool.args.a[1]", /a cycle/);
  });
  it("iterated by any and count, hashed by unique", () => {
    const d = decide(call("list", { list: cycle() }));
    refused(d, "tool.args.list[1]", /a cycle/);
  });
  it("interpolated into a message and written by to_string (they threw)", () => {
    refused(decide(call("show", { x: cycle() })), "tool.args.x[1]", /a cycle/);
    refused(decide(call("text", { x: cycle() })), "tool.args.x[1]", /a cycle/);
  });
  it("an object that is its own field, and the input itself in its own session", () => {
    const o: Record<string, unknown> = { to: "a@acme.com" };
    o.self = o;
    refused(decide(call("mail", o)), "tool.args.self", /a cycle/);
    const input: Record<string, unknown> = { ...call("mail", { to: "a@acme.com" }) };
    input.session = { id: "s", calls: [input] };
    refused(decide(input), "session.calls[0]", /a cycle/);
  });
  it("walked by the provenance builtins, and used as a pattern by matches", () => {
    const content: Record<string, unknown> = { iban: "DE89370400440532013000" };
    content.again = [content];
    const input = { ...call("pay", { to: "DE89370400440532013000" }), session: { id: "s", calls: [], sources: [{ source: "web_fetch", content }] } };
    refused(decide(input), "session.sources[0].content.again[0]", /a cycle/);
    refused(decide(call("grep", { s: "abc", p: cycle() })), "tool.args.p[1]", /a cycle/);
    refused(decide(call("grep", { s: "abc", p: 1n })), "tool.args.p", /a BigInt/);
  });
  it("a value shared by two parents is no cycle (copied twice, as JSON writes it)", () => {
    const shared = ["rm", "rm"];
    const d = decide(call("cmp", { a: shared, b: shared }));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "deny");
  });
  it("a small graph of shared values that is huge as a tree (2^40 leaves) meets the bound", { skip: MILLIONS }, () => {
    let v: unknown = "x";
    for (let i = 0; i < 40; i++) v = [v, v];
    const d = decide(call("cmp", { a: v, b: v }));
    refused(d, "input", /more than 5000000 values/);
  });
});

describe("hostile input: values JSON has not", () => {
  it("functions and symbols (a function read as a value compared false: the shell rule passed)", () => {
    refused(decide(call("shell", { cmd: () => "rm -rf /" })), "tool.args.cmd", /a function/);
    refused(decide(call("shell", { cmd: Symbol("rm -rf /") })), "tool.args.cmd", /a symbol/);
  });
  it("undefined members are absent, as in JSON (the key test said present)", () => {
    const d = decide(call("keys", { x: undefined }));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "allow");
  });
  it("sparse lists: a hole, an undefined item, a length of 4 billion (it looped through every hole)", () => {
    // biome-ignore lint: the hole is the point
    refused(decide(call("list", { list: ["a", , "rm"] })), "tool.args.list[1]", /a hole/);
    refused(decide(call("list", { list: ["a", undefined] })), "tool.args.list[1]", /undefined in a list/);
    const huge: unknown[] = ["rm"];
    huge.length = 2 ** 32 - 1;
    refused(decide(call("list", { list: huge })), "tool.args.list", /a list of 4294967295 items/);
  });
  it("NaN and the infinities (NaN > 500 is false: the limit passed)", () => {
    refused(decide(call("pay", { amount: Number.NaN })), "tool.args.amount", /the number NaN/);
    refused(decide(call("pay", { amount: Number.POSITIVE_INFINITY })), "tool.args.amount", /the number Infinity/);
    refused(decide(call("pay", { amount: Number.NEGATIVE_INFINITY })), "tool.args.amount", /the number -Infinity/);
  });
  it("-0 is JSON (JSON.parse gives it) and equals 0", () => {
    const d = decide(call("cmp", { a: -0, b: 0 }));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "deny");
  });
});

describe("hostile input: objects that are not plain data", () => {
  it("a Map where the arguments go (read as empty: the mail rule passed)", () => {
    refused(decide(call("mail", new Map([["to", "eve@evil.io"]]))), "tool.args", /a Map/);
  });
  it("Set, Date, typed arrays, Buffer, class instances", () => {
    refused(decide(call("list", { list: new Set(["rm"]) })), "tool.args.list", /a Set/);
    refused(decide(call("show", { x: new Date(0) })), "tool.args.x", /a Date/);
    refused(decide(call("list", { list: new Uint8Array([1, 2]) })), "tool.args.list", /a Uint8Array/);
    refused(decide(call("show", { x: Buffer.from("rm") })), "tool.args.x", /a Uint8Array/);
    class Args {
      to = "eve@evil.io";
    }
    refused(decide(call("mail", new Args())), "tool.args", /an instance of Args/);
  });
  it("boxed primitives (new String(\"rm -rf /\") compared unequal: the shell rule passed)", () => {
    // biome-ignore lint: the boxed string is the point
    refused(decide(call("shell", { cmd: new String("rm -rf /") })), "tool.args.cmd", /a boxed string/);
    // biome-ignore lint: the boxed number is the point
    refused(decide(call("pay", { amount: new Number(1000) })), "tool.args.amount", /a boxed number/);
  });
  it("objects with a null prototype are plain data", () => {
    const args = Object.assign(Object.create(null) as Record<string, unknown>, { to: "eve@evil.io" });
    const d = decide(call("mail", args));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "deny");
  });
  it("a __proto__ key (from JSON.parse) stays a field; constructor and toString keys are fields, never Object's", () => {
    const d = decide(JSON.parse('{"tool": {"name": "keys", "args": {"__proto__": {"x": 1}}}}') as object);
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "allow");
    assert.ok(Object.hasOwn((d.payload as { tool: { args: object } }).tool.args, "__proto__"));
    const withX = decide(JSON.parse('{"tool": {"name": "keys", "args": {"__proto__": {"x": 1}, "x": 2}}}') as object);
    assert.equal(withX.decision, "deny");
    assert.equal(decide(call("cmp", { a: {}, b: { constructor: undefined } })).decision, "deny");
  });
});

describe("hostile input: getters and proxies", () => {
  it("a getter that throws (the error escaped decide)", () => {
    const args = {
      to: "eve@evil.io",
      get cc(): never {
        throw new Error("not loaded");
      },
    };
    refused(decide(call("mail", args)), "tool.args.cc", /a value that threw when read \(not loaded\)/);
  });
  it("proxies whose traps throw: get, ownKeys, getPrototypeOf, a list's item; a revoked proxy; one as the input itself", () => {
    const boom = (): never => {
      throw new Error("trap");
    };
    refused(decide(call("mail", new Proxy({ to: "x" }, { get: boom }))), "tool.args.to", /threw when read \(trap\)/);
    refused(decide(call("mail", new Proxy({ to: "x" }, { ownKeys: boom }))), "tool.args", /threw when read/);
    refused(decide(call("mail", new Proxy({ to: "x" }, { getPrototypeOf: boom }))), "tool.args", /threw when read/);
    refused(decide(call("list", { list: new Proxy(["a", "b"], { get: (t, k) => (k === "1" ? boom() : Reflect.get(t, k)) }) })), "tool.args.list[1]", /threw when read/);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    refused(decide(call("mail", proxy)), "tool.args", /threw when read/);
    const { proxy: root, revoke: revokeRoot } = Proxy.revocable({}, {});
    revokeRoot();
    refused(decide(root), "input", /threw when read/);
  });
  it("a proxy that answers differently on each read is read once: both evaluators decide on the same value", () => {
    const decisions = [compiled, reference].map((set) => {
      let reads = 0;
      const liar = new Proxy({ name: "shell", args: { cmd: "rm -rf /" } }, {
        get(target, key, receiver) {
          if (key === "name") reads++;
          return key === "name" && reads > 1 ? "other" : Reflect.get(target, key, receiver);
        },
      });
      const d = set.decide("tool_call", { tool: liar });
      // Read by the copy, never by the boundary's check or the rules (the index, then the rule, read it before).
      assert.equal(reads, 1);
      return d;
    });
    assert.deepStrictEqual(decisions[0], decisions[1]);
    assert.equal(decisions[0].decision, "deny");
    assert.deepEqual(decisions[0].reasons.map((r) => r.rule), ["h.shell"]);
  });
  it("a proxy of plain data (a reactive store's state) is decided as the data it shows", () => {
    const d = decide(call("mail", new Proxy({ to: "eve@evil.io" }, {})));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "deny");
  });
});

describe("hostile input: size and depth", () => {
  for (const [kind, deep] of [["lists", deepList], ["objects", deepObject]] as const) {
    it(`${kind} nested ${DEEP} deep: compared, shown, written by to_string (it overflowed the stack out of decide)`, () => {
      const same = decide(call("cmp", { a: deep(DEEP), b: deep(DEEP) }), undefined, true);
      assert.equal(same.decision, "deny");
      assert.deepEqual(same.errors, []);
      const shown = decide(call("show", { x: deep(DEEP) }), undefined, true);
      assert.deepEqual(shown.errors.map((e) => [e.rule, e.code]), [["h.show", "runtime/input-too-large"]]);
      assert.match(shown.errors[0].message, /nested too deeply \(more than 1000 levels\)/);
      const text = decide(call("text", { x: deep(DEEP) }), undefined, true);
      assert.equal(text.decision, "deny");
      assert.deepEqual(text.errors.map((e) => [e.rule, e.code]), [["h.text", "runtime/input-too-large"]]);
    });
  }
});

describe("hostile input: strings", () => {
  it("lone surrogates are strings (JSON.parse gives them): compared, matched and searched as UTF-16 code units, alike in both evaluators", () => {
    const d = decide(call("match", { s: "a\ud800b" }));
    assert.deepEqual(d.errors, []);
    assert.equal(d.decision, "deny");
    assert.equal(decide(call("text", { x: "secret\udc00" })).decision, "deny");
    assert.equal(decide(call("cmp", { a: "\ud800", b: "\ud800" })).decision, "deny");
  });
});

describe("hostile input: regexes over lone surrogates", () => {
  it("match as V8's RegExp does: a lone surrogate is one character, with the u flag too (a pair is one only under u)", () => {
    const text = `package s
rule u on tool_call { when tool.args.s matches /^a.b$/u then warn "u" }
rule plain on tool_call { when tool.args.s matches /^a.b$/ then warn "plain" }
rule half on tool_call { when tool.args.s matches /[\\ud800-\\udfff]/ then warn "half" }
`;
    const [c, r] = sets(text);
    for (const s of ["a\ud800b", "a\udc00b", "a\ud83d\ude00b", "ab"]) {
      const d = c.decide("tool_call", call("x", { s }));
      assert.deepStrictEqual(d, r.decide("tool_call", call("x", { s })));
      assert.deepEqual(d.errors, []);
      const want = [/^a.b$/u.test(s) && "s.u", /^a.b$/.test(s) && "s.plain", /[\ud800-\udfff]/.test(s) && "s.half"].filter(Boolean);
      assert.deepEqual(d.warnings.map((w) => w.rule), want, JSON.stringify(s));
    }
  });
});

describe("hostile input: options.json, the caller's promise of JSON data", () => {
  it("skips the copy: the payload is the input itself", () => {
    const input = call("mail", { to: "a@acme.com" });
    assert.equal(compiled.decide("tool_call", input, { json: true }).payload, input);
    assert.notEqual(compiled.decide("tool_call", input).payload, input);
    assert.deepEqual(compiled.decide("tool_call", input).payload, input);
  });
  it("a promise broken by a throw is decided again on a copy: the same decision as without the option", () => {
    const args = {
      get to(): never {
        throw new Error("not loaded");
      },
    };
    const d = decide(call("mail", args), { json: true });
    refused(d, "tool.args.to", /not loaded/);
    assert.deepStrictEqual(d, decide(call("mail", args)));
    refused(decide(call("show", { x: { n: 1n } }), { json: true }), "tool.args.x.n", /a BigInt/);
    // A cycle reads without throwing: under the promise it is what the walks meet, and they are bounded.
    const cyclic = decide(call("show", { x: cycle() }), { json: true });
    assert.equal(cyclic.decision, "deny");
    assert.deepEqual(cyclic.errors.map((e) => [e.rule, e.code]), [["h.show", "runtime/input-too-large"]]);
  });
  it("a list of 4 billion holes under the promise is never walked by a quantifier (builtins over lists, unique and the like, would: the promise is the caller's)", () => {
    const huge: unknown[] = ["a"];
    huge.length = 2 ** 32 - 1;
    for (const set of sets(`package q\nrule listed on tool_call {\n  when any x in tool.args.list: x == "rm"\n  then deny "rm"\n}\n`)) {
      const d = set.decide("tool_call", call("list", { list: huge }), { json: true });
      assert.equal(d.decision, "deny");
      assert.deepEqual(d.errors.map((e) => [e.rule, e.code]), [["q.listed", "runtime/input-too-large"]]);
    }
  });
  it("two cycles compared under the promise stop at the bound of equality", { skip: MILLIONS }, () => {
    const compared = decide(call("cmp", { a: cycle(), b: cycle() }), { json: true });
    assert.equal(compared.decision, "deny");
    assert.deepEqual(compared.errors.map((e) => [e.rule, e.code]), [["h.same", "runtime/input-too-large"]]);
  });
});

describe("hostile input: on_error decides", () => {
  it("under on_error allow, the refused value reads as absent and the other rules decide", () => {
    for (const set of sets(`package h\non_error allow\n${source.replace("package h\n", "")}`)) {
      const d = set.decide("tool_call", call("mail", { to: "eve@evil.io", cc: 1n }));
      assert.equal(d.decision, "deny");
      assert.deepEqual(d.reasons.map((r) => r.rule), ["h.mail"]);
      assert.deepEqual(d.errors.map((e) => [e.code, e.path]), [["runtime/invalid-input", "tool.args.cc"]]);
      const ok = set.decide("tool_call", call("pay", { amount: 10n }));
      assert.equal(ok.decision, "allow");
      assert.deepEqual((ok.payload as { tool: { args: object } }).tool.args, {});
    }
  });
});

describe("hostile input: the last resort", () => {
  it("a fault of the engine's own on a copied input (here a stand-in evaluator that throws) is a deny naming it, never a throw", () => {
    const [set] = sets();
    (set as unknown as { compiled: { decide(): never } }).compiled = {
      decide(): never {
        throw new TypeError("a bug");
      },
    };
    for (const options of [undefined, { json: true }]) {
      const d = set.decide("tool_call", call("mail", { to: "a@acme.com" }), options);
      assert.equal(d.decision, "deny");
      assert.deepEqual(d.reasons, []);
      assert.deepEqual(d.errors, [{ rule: "palisade.input", message: "the policy set could not decide this input (TypeError: a bug)", code: "runtime/error" }]);
      assert.deepEqual(d.payload, call("mail", { to: "a@acme.com" }));
    }
  });
});
