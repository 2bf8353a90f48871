// One rule as compile.ts and compile-effects.ts build it: the firings and decisions of each kind
// of effect and target against the reference, and the compile-time forms a rule is promised to
// take (a fixed outcome, one shared firing, a frozen reason, a shaped condition or reason), which
// the decision path's speed rests on and which no decision shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Phase } from "../../../language/ast.ts";
import type { Firing } from "../../runtime/combine.ts";
import type { CompiledRule } from "../compile.ts";
import type { Value } from "../values.ts";
import { assertSameDecision, decideCompiled, pair, POLICY, program, settingsOf, type Pair } from "./support.ts";

const SAMPLE = "(x) a1 b2 ann@acme.com";

/** Firings as data: a redact's `replace` (a closure) by what it does to a sample; a throw by its message. */
function firings(f: () => Firing[]): unknown {
  try {
    return f().map((x) => (x.effects !== undefined ? { ...x, effects: x.effects.map((o) => (o.kind === "redact" ? { ...o, replace: o.replace(SAMPLE) } : o)) } : x));
  } catch (err) {
    return { threw: String(err) };
  }
}

/** Asserts that both evaluators decide, and fire, each input identically (a firing's fields exactly: no key set to undefined). */
function agree(source: string, inputs: readonly unknown[], phase: Phase = "tool_call"): Pair {
  const e = pair(program(source));
  for (const input of inputs) {
    assertSameDecision(e, phase, input, () => source);
    const got = firings(() => e.compiled.fire(phase, input as Value));
    const want = firings(() => e.reference.fire(phase, input as Value));
    assert.deepStrictEqual(got, want, `${source}\nfire ${phase} ${JSON.stringify(input)}`);
  }
  return e;
}

/** The compiled rule `t.<id>` among the candidates for `input`. */
function ruleOf(e: Pair, id: string, input: unknown = {}, phase: Phase = "tool_call"): CompiledRule {
  const r = e.compiled.candidates(phase, input as Value).find((x) => x.id === `t.${id}`);
  assert.ok(r, `no candidate t.${id}`);
  return r;
}

const call = (args: Record<string, unknown>, name = "send"): unknown => ({ tool: { name, args } });

test("messages: fixed parts fold into one fixed outcome, a lone interpolation is shown as text", () => {
  const source = `package t
const LIMIT = 500
rule empty on tool_call { when tool.args.k == 1 then deny "" }
rule folded on tool_call { when tool.args.k == 2 then warn "over {LIMIT} and {LIMIT + 1}: stop" }
rule lone on tool_call { when tool.args.k == 3 then deny "{tool.args.who}" }
rule approval on tool_call { when tool.args.k == 4 then require_approval "{tool.args.who}" }`;
  const inputs = [1, 2, 3, 4].map((k) => call({ k, who: "ann" }));
  const e = agree(source, [...inputs, call({ k: 3, who: 7 }), call({ k: 4, who: null })]);
  assert.deepEqual(ruleOf(e, "empty").effects, [{ fixed: { kind: "deny", message: "" } }]);
  assert.deepEqual(ruleOf(e, "folded").effects, [{ fixed: { kind: "warn", message: "over 500 and 501: stop" } }]);
  const lone = decideCompiled(e, "tool_call", inputs[2]);
  assert.ok("decision" in lone && lone.decision.reasons[0].message === "ann");
});

test("effects without a message or approver carry no such key, in firings as in decisions", () => {
  agree(
    `package t
rule d on tool_call { when tool.args.k == 1 then deny }
rule w on tool_call { when tool.args.k == 1 then warn }
rule a on tool_call { when tool.args.k == 2 then require_approval }
rule m on tool_call { when tool.args.k == 2 then require_approval "ok {tool.args.k}?" }
rule f on tool_call { when tool.args.k == 3 then require_approval from "lead" }`,
    [call({ k: 1 }), call({ k: 2 }), call({ k: 3 })],
  );
});

test("effect targets: fixed steps are fixed at compile time, index expressions evaluated, a null index errors its rule", () => {
  const source = `package t
const NOTHING = null
rule fixed_index on tool_call { when tool.args.k == 1 then redact /\\d/ in tool.args.list[1] }
rule fixed_key on tool_call { when tool.args.k == 2 then redact /\\d/ in tool.args["body"] }
rule dynamic_redact on tool_call { when tool.args.k == 3 then redact /\\d/ in tool.args.list[tool.args.i] }
rule dynamic_set on tool_call { when tool.args.k == 4 then set tool.args.list[tool.args.i] = "x" }
rule null_index on tool_call { when tool.args.k == 5 then set tool.args.list[NOTHING] = "x" }
rule key_index on tool_call { when tool.args.k == 6 then set tool.args[tool.args.key] = "x" }`;
  const args = (k: number, i: unknown = 1) => call({ k, i, key: "body", body: "b4", list: ["a1", "b2", "c3"] });
  const e = agree(source, [1, 2, 3, 4, 5, 6].flatMap((k) => [args(k), args(k, 0), args(k, "x"), args(k, null), args(k, 9)]));
  // A path that is fixed (literal indexes included) makes a redact with a fixed pattern one fixed outcome.
  const fixedPath = (id: string): unknown => {
    const fx = ruleOf(e, id).effects[0];
    assert.ok("fixed" in fx, `${id} is not fixed`);
    return fx.fixed.kind === "redact" ? fx.fixed.path : null;
  };
  assert.deepEqual(fixedPath("fixed_index"), ["tool", "args", "list", 1]);
  assert.deepEqual(fixedPath("fixed_key"), ["tool", "args", "body"]);
  const d = decideCompiled(e, "tool_call", args(3));
  assert.ok("decision" in d);
  assert.deepEqual((d.decision.payload as { tool: { args: { list: string[] } } }).tool.args.list, ["a1", "b[REDACTED]", "c3"]);
});

test("a rule fires, and errs, the same way whatever its firing shares: fixed effects give one shared firing and frozen reason", () => {
  const source = `package t
rule fixed on tool_call { when tool.args.k == 1 then { deny "no", warn "careful" } }
rule varying on tool_call { when tool.args.k == 2 then deny "no {tool.args.k}" }`;
  const e = agree(source, [call({ k: 1 }), call({ k: 2 })]);
  const one = e.compiled.fire("tool_call", call({ k: 1 }) as Value);
  assert.equal(one.length, 1);
  assert.equal(e.compiled.fire("tool_call", call({ k: 1 }) as Value)[0], one[0], "a rule whose effects are fixed allocates no firing");
  const a = decideCompiled(e, "tool_call", call({ k: 1 }));
  const b = decideCompiled(e, "tool_call", call({ k: 1 }));
  assert.ok("decision" in a && "decision" in b);
  assert.equal(a.decision.reasons[0], b.decision.reasons[0], "a fixed reason is built once");
  assert.equal(a.decision.warnings[0], b.decision.warnings[0]);
  assert.ok(Object.isFrozen(a.decision.reasons[0]) && Object.isFrozen(a.decision.warnings[0]), "a shared reason is frozen");
  assert.throws(() => {
    (a.decision.reasons[0] as { message?: string }).message = "changed";
  }, TypeError);
  assert.equal(b.decision.reasons[0].message, "no");
});

test("compile-time forms: simple rules take decide's direct path with a fixed or shaped reason; others do not", () => {
  const source = `package t
rule allow_it on tool_call { when tool.args.k == 1 then allow }
rule deny_it on tool_call { when tool.args.k == 1 then deny "fixed" }
rule warn_it on tool_call { when tool.args.k == 1 then warn }
rule ask_it on tool_call { when tool.args.k == 1 then require_approval "fixed" from "lead" }
rule deny_shaped on tool_call { when tool.args.k == 1 then deny "refund of {tool.args.amount}" }
rule warn_shaped on tool_call { when tool.args.k == 1 then warn "{tool.args.amount} sent" }
rule ask_shaped on tool_call { when tool.args.k == 1 then require_approval "ok {tool.args.amount}?" from "lead" }
rule bare on tool_call { when tool.args.k == 1 then deny "{tool.args.amount}" }
rule two on tool_call { when tool.args.k == 1 then { deny "a", warn "b {tool.args.amount}" } }
rule transforms on tool_call { when tool.args.k == 1 then { deny "a", redact /x/ in tool.args.body } }
rule unshaped on tool_call { when tool.args.k == 1 unless tool.args.amount > 5 then deny }`;
  const e = agree(source, [call({ k: 1, amount: 3, body: "xx" }), call({ k: 1, amount: 7, body: "x" }), call({ k: 1, amount: "7" })]);
  for (const [id, kind] of [["allow_it", "allow"], ["deny_it", "deny"], ["warn_it", "warn"], ["ask_it", "require_approval"]] as const) {
    const r = ruleOf(e, id);
    assert.ok(r.simple && r.kind === kind && r.build === null, `${id}: ${r.kind}`);
    assert.ok(r.reason !== null && Object.isFrozen(r.reason) && r.reason.effect === kind, `${id} has no fixed reason`);
    assert.ok(r.shaped !== null, `${id}: its condition is not shaped`);
  }
  // A shaped reason's builder reads the texts around the message's paths from its emitter, "" where the message has none.
  const texts = (x: { s0: string; s1: string; s2: string; s3: string }): string[] => [x.s0, x.s1, x.s2, x.s3];
  for (const [id, kind, s] of [["deny_shaped", "deny", ["refund of ", "", "", ""]], ["warn_shaped", "warn", [" sent", "", "", ""]], ["ask_shaped", "require_approval", ["ok ", "?", "", ""]], ["bare", "deny", ["", "", "", ""]]] as const) {
    const r = ruleOf(e, id);
    assert.ok(r.simple && r.kind === kind && r.reason === null && r.build !== null, `${id}: ${r.kind}, no shaped reason`);
    assert.deepEqual(texts(r), s, id);
  }
  for (const id of ["allow_it", "deny_it", "ask_it", "transforms", "unshaped"]) assert.deepEqual(texts(ruleOf(e, id)), ["", "", "", ""], id);
  const two = ruleOf(e, "two");
  assert.ok(two.kind === "deny" && two.more.length === 1 && two.more[0].kind === "warn" && two.more[0].build !== null);
  const transforms = ruleOf(e, "transforms");
  assert.ok(!transforms.simple && transforms.kind === null && transforms.reason === null && transforms.more.length === 0);
  const unshaped = ruleOf(e, "unshaped");
  assert.equal(unshaped.shaped, null);
  assert.deepEqual([unshaped.c0, unshaped.c1, unshaped.c2, unshaped.c3], [null, null, null, null], "no constants without a shape");
});

test("a shaped condition reads each of its four constants", () => {
  const source = `package t
rule four on tool_call { when tool.args.a == 1 and tool.args.b == "two" and tool.args.c == 3 and tool.args.d == 4 then deny "four" }
rule three on tool_call { when tool.args.a == 1 and tool.args.b == "two" and tool.args.c > 2 then warn "three" }`;
  const all = { a: 1, b: "two", c: 3, d: 4 };
  const e = agree(source, [call(all), call({ ...all, c: 2 }), call({ ...all, d: 5 }), call({ ...all, b: "one" }), call({ ...all, c: "3" })]);
  const four = ruleOf(e, "four", call(all));
  assert.ok(four.shaped !== null && ruleOf(e, "three", call(all)).shaped !== null);
  assert.deepEqual([four.c0, four.c1, four.c2, four.c3], [1, "two", 3, 4]);
  const d = decideCompiled(e, "tool_call", call(all));
  assert.ok("decision" in d && d.decision.decision === "deny" && d.decision.warnings.length === 1);
});

test("a transform applies only in the phases whose payload it names; a rule with nothing to do there still fires", () => {
  const source = `package t
rule both on tool_call, output { when env == "prod" then redact /\\d/ in output.text }
rule mixed on tool_call, output { when env == "prod" then { warn "seen", set tool.args.n = 0 } }`;
  const e = agree(source, [{ env: "prod", tool: { name: "a", args: { n: 1 } } }, { env: "dev", tool: { name: "a", args: {} } }]);
  agree(source, [{ env: "prod", output: { text: "a1" } }, { env: "dev", output: { text: "a1" } }], "output");
  // On tool_call `both` has no effect: it fires with none, simple, with no reason to give.
  const both = ruleOf(e, "both", { env: "prod" });
  assert.ok(both.simple && both.effects.length === 0 && both.kind === null);
  const d = decideCompiled(e, "tool_call", { env: "prod", tool: { name: "a", args: { n: 1 } } });
  assert.ok("decision" in d);
  assert.deepEqual(d.decision.reasons.map((r) => r.rule), ["t.mixed"]);
});

test("a non-bool `when` or `unless` read from the input errors its rule, naming the clause", () => {
  const source = `package t
rule w on tool_call { when tool.args.flag then deny "w" }
rule u on tool_call { when tool.name == "u" unless tool.args.flag then deny "u" }`;
  const e = agree(source, [call({ flag: "yes" }, "w"), call({ flag: 1 }, "u"), call({ flag: true }, "u"), call({}, "u")]);
  const d = decideCompiled(e, "tool_call", call({ flag: "yes" }, "u"));
  assert.ok("decision" in d);
  assert.deepEqual(
    d.decision.errors.map((x) => x.message),
    ["'when' must be a bool, got a string", "'unless' must be a bool, got a string"],
  );
});

test("an error that is not the policy's (a getter of the caller's that throws) propagates: it is no rule error (PolicySet.decide copies the input, and the copy reports it)", () => {
  const e = pair(program(`package t\nrule r on tool_call { when tool.args.x == 1 then deny "x" }`));
  const input = {
    tool: {
      name: "a",
      args: {
        get x(): never {
          throw new TypeError("boom");
        },
      },
    },
  };
  assert.throws(() => e.reference.fire("tool_call", input as unknown as Value), /boom/);
  assert.throws(() => e.compiled.fire("tool_call", input as unknown as Value), /boom/);
});

test("a RangeError inside a rule (a stack or a length exhausted by a huge value) errors the rule in both evaluators, as runtime/input-too-large", () => {
  const e = pair(program(`package t\nrule r on tool_call { when tool.args.x == 1 then deny "x" }\nrule s on tool_call { when tool.name == "a" then warn "a" }`));
  const input = {
    tool: {
      name: "a",
      args: {
        get x(): never {
          throw new RangeError("Maximum call stack size exceeded");
        },
      },
    },
  };
  for (const fire of [e.reference.fire("tool_call", input as unknown as Value), e.compiled.fire("tool_call", input as unknown as Value)]) {
    assert.deepEqual(
      fire.map((f) => [f.rule.id, f.error === undefined ? null : f.code]),
      [
        ["t.r", "runtime/input-too-large"],
        ["t.s", null],
      ],
    );
  }
});

test("the index reads const pins, and a rule compiled under its pin is compiled once more, once, without it", () => {
  const source = `package t
const NAMES = ["refund", "transfer"]
rule pinned on tool_call { when tool.name in NAMES and tool.args.n > 1 then deny "n" }
rule open on tool_call { when tool.args.n > 1 then warn "n" }`;
  const e = agree(source, [call({ n: 2 }, "refund"), call({ n: 2 }, "other"), call({ n: "2" }, "transfer")]);
  assert.deepEqual(e.compiled.candidates("tool_call", call({}, "other") as Value).map((r) => r.id), ["t.open"]);
  assert.deepEqual(e.compiled.candidates("tool_call", call({}, "refund") as Value).map((r) => r.id), ["t.pinned", "t.open"]);
  const pinned = ruleOf(e, "pinned", call({}, "refund"));
  const open = ruleOf(e, "open");
  assert.equal(open.fireUnpinned(), open.fire, "a rule that assumed no pin is its own unpinned form");
  const unpinned = pinned.fireUnpinned();
  assert.notEqual(unpinned, pinned.fire);
  assert.equal(pinned.fireUnpinned(), unpinned, "built on first use, then kept");
  assert.equal(unpinned(call({ n: 2 }, "other") as Value), null, "the unpinned form tests the pin");
});

test("a refused firing (a value the policy set could not copy) comes first, then the schema's problem, and every rule decides, alike in both evaluators", () => {
  const source = `package t
rule big on tool_call { when tool.args.amount > 500 then deny "big" }
rule sent on tool_call { when tool.name == "send" then warn "sent" }`;
  const e = pair(program(source));
  const settings = settingsOf(program(source), "tool_call");
  const refused: Firing = { rule: { id: "palisade.input" }, error: "a BigInt, not JSON data at tool.args.n", code: "runtime/invalid-input", path: "tool.args.n" };
  for (const input of [call({ amount: 600 }), call({ amount: 1 }), { tool: { name: "send", args: { amount: "x" } } }, { tool: 5 }]) {
    for (const r of [null, refused]) {
      const got = e.compiled.decide("tool_call", input as Value, settings, POLICY, r);
      const want = e.reference.decide("tool_call", input as Value, settings, POLICY, r);
      assert.deepStrictEqual(got, want, `${JSON.stringify(input)} refused=${r !== null}`);
      if (r !== null) {
        assert.equal(got.decision, "deny");
        assert.deepEqual(got.errors[0], { rule: "palisade.input", message: refused.error, code: "runtime/invalid-input", path: "tool.args.n" });
      }
    }
  }
  const both = e.compiled.decide("tool_call", { tool: 5 } as Value, settings, POLICY, refused);
  assert.deepEqual(both.errors.map((x) => x.code), ["runtime/invalid-input", "input/invalid"]);
  const fired = e.compiled.decide("tool_call", call({ amount: 600 }) as Value, settings, POLICY, refused);
  assert.deepEqual(fired.reasons.map((x) => x.rule), ["t.big"]);
  assert.deepEqual(fired.warnings.map((x) => x.rule), ["t.sent"]);
});
