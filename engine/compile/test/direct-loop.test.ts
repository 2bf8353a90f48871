// `decide`'s generic direct loop (compile.ts `direct`), the path of a phase too large for the
// generated one (direct-code.ts): the generated path covers every small policy, so the differential
// tests never reach this loop (index-rules.test.ts's 300 rules do, with deny and warn only). Each
// policy here carries a filler rule pinned to many tool names, which puts its phase over the
// generation limit, and each decision is compared with the reference interpreter's and pinned by
// hand: every reason kind as a rule's first effect, as a later one and through the loop over
// effects (reasons the direct path cannot shape), the merge of unpinned and pinned rules in rule
// order, transforms and conditions that cannot be shaped; and that the direct path is taken at all
// (a fixed reason shared, frozen, by every decision). Also the compiled `fire`, which nothing on
// the decision path calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Phase } from "../../../language/ast.ts";
import type { Decision } from "../../runtime/decision.ts";
import type { CompiledProgram } from "../compile.ts";
import type { Value } from "../values.ts";
import { assertSameDecision, pair, program, settingsOf, POLICY, type Pair } from "./support.ts";

// 401 values pinned by one rule: over direct-code.ts's 400 generated statements, whatever the
// other rules.
const FILLER = `rule filler on tool_call { when tool.name in [${Array.from({ length: 401 }, (_, i) => `"f${i}"`).join(", ")}] then warn "filler" }`;

/** Whether `phase` of `c` decides through the generic loop: the premise of every test here. */
function generic(c: CompiledProgram, phase: Phase): boolean {
  return (c as unknown as { phases: Record<Phase, { special: unknown }> }).phases[phase].special === null;
}

function large(rules: string, fallback: "allow" | "deny" = "deny"): Pair {
  const e = pair(program(`package t\ndefault ${fallback}\n${rules}\n${FILLER}`));
  assert.ok(generic(e.compiled, "tool_call"), "the phase is small enough for the generated direct path: this test would not reach the loop");
  return e;
}

/** Decides with the compiled evaluator after checking that the reference agrees. */
function decide(e: Pair, name: string, args: Record<string, unknown>): Decision {
  const input = { tool: { name, args } } as Value;
  assertSameDecision(e, "tool_call", input, () => `tool ${name}`);
  return e.compiled.decide("tool_call", input, settingsOf(e.program, "tool_call"), POLICY);
}

const brief = (d: Decision) => ({
  decision: d.decision,
  reasons: d.reasons.map((r) => `${r.effect} ${r.rule}${r.message === undefined ? "" : `: ${r.message}`}${r.approver_role === undefined ? "" : ` from ${r.approver_role}`}`),
  warnings: d.warnings.map((r) => `${r.effect} ${r.rule}: ${r.message}`),
});

// Unpinned (a*) and pinned (p*) rules alternate, so reasons in rule order need the merge.
const KINDS = `
rule a1 on tool_call { when tool.args.n > 0 then deny "a1 {tool.args.n}" }
rule p1 on tool_call { when tool.name == "pay" and tool.args.d == true then deny "p1" }
rule a2 on tool_call { when tool.args.n > 1 then deny "a2" }
rule p2 on tool_call { when tool.name == "pay" then require_approval "p2 {tool.args.who}" from "lead" }
rule a3 on tool_call { when tool.args.ask == true then require_approval "a3" }
rule p3 on tool_call { when tool.name in ["pay", "get"] then allow }
rule a4 on tool_call { when tool.args.ok == true then allow }
rule p4 on tool_call { when tool.name == "get" then warn "p4" }
rule a5 on tool_call { when tool.args.ok == true then warn "a5 {tool.args.who}" }`;

test("the generic loop: each kind of reason from rules whose first effect gives it, unpinned and pinned rules merged in rule order", () => {
  const e = large(KINDS);
  assert.deepEqual(brief(decide(e, "pay", { n: 2, d: true, ok: true, who: "ann" })), {
    decision: "deny",
    reasons: ["deny t.a1: a1 2", "deny t.p1: p1", "deny t.a2: a2"],
    warnings: ["warn t.a5: a5 ann"],
  });
  assert.deepEqual(brief(decide(e, "pay", { n: 0, ask: true, who: "bob" })), {
    decision: "require_approval",
    reasons: ["require_approval t.p2: p2 bob from lead", "require_approval t.a3: a3"],
    warnings: [],
  });
  assert.deepEqual(brief(decide(e, "get", { n: 0, ok: true, who: "cy" })), {
    decision: "allow",
    reasons: ["allow t.p3", "allow t.a4"],
    warnings: ["warn t.p4: p4", "warn t.a5: a5 cy"],
  });
  // Nothing fires: the default decides.
  assert.deepEqual(brief(decide(e, "other", { n: 0 })), { decision: "deny", reasons: [], warnings: [] });
  // A value no rule is pinned to: the unpinned rules alone.
  assert.deepEqual(brief(decide(e, "other", { n: 1, ok: true, who: "di" })).reasons, ["deny t.a1: a1 1"]);
  for (const name of ["pay", "get", "other", "f3"]) {
    for (const args of [{ n: 2 }, { n: 1, ask: true }, { n: 0, ok: true, d: true }, { n: "x" }, {}]) decide(e, name, args);
  }
});

test("the direct path is taken: a fixed reason is one frozen object every decision shares, generated path and generic loop alike", () => {
  // What the path is for (compile.ts `emitter`): a firing rule allocates no reason, and since the
  // object is shared it is frozen, so no caller can change another decision's reason. A decision
  // that went through `combine` instead would be right but carry fresh reasons.
  const small = pair(program(`package t\n${KINDS}`));
  assert.ok(!generic(small.compiled, "tool_call"));
  for (const e of [large(KINDS), small]) {
    const d1 = decide(e, "pay", { n: 2, d: true });
    const d2 = decide(e, "pay", { n: 3, d: true });
    assert.deepEqual(d1.reasons.map((r) => r.rule), ["t.a1", "t.p1", "t.a2"]);
    assert.equal(d1.reasons[1], d2.reasons[1]);
    assert.equal(d1.reasons[2], d2.reasons[2]);
    assert.ok(Object.isFrozen(d1.reasons[1]));
    assert.throws(() => {
      (d1.reasons[1] as { message?: string }).message = "changed";
    }, TypeError);
    assert.equal(decide(e, "pay", { n: 2, d: true }).reasons[1].message, "p1");
    // Shaped reasons are built per decision.
    assert.notEqual(d1.reasons[0], d2.reasons[0]);
  }
});

test("the generic loop: a rule's later effects, each kind, fixed and shaped", () => {
  const e = large(`
rule m1 on tool_call { when tool.name == "multi" then { warn "m1", deny "m1 {tool.args.n}", require_approval "m1 ask", allow, warn "m1 {tool.args.who}" } }
rule m2 on tool_call { when tool.name == "ask" then { warn "m2", require_approval "m2 {tool.args.who}" from "ops", require_approval "m2 again" } }
rule m3 on tool_call { when tool.name == "ok" then { warn "m3", allow, allow } }
rule m4 on tool_call { when tool.name == "nowarn" then { allow, warn "m4" } }`);
  assert.deepEqual(brief(decide(e, "multi", { n: 7, who: "ann" })), { decision: "deny", reasons: ["deny t.m1: m1 7"], warnings: ["warn t.m1: m1", "warn t.m1: m1 ann"] });
  assert.deepEqual(brief(decide(e, "ask", { who: "bob" })), {
    decision: "require_approval",
    reasons: ["require_approval t.m2: m2 bob from ops", "require_approval t.m2: m2 again"],
    warnings: ["warn t.m2: m2"],
  });
  assert.deepEqual(brief(decide(e, "ok", {})), { decision: "allow", reasons: ["allow t.m3", "allow t.m3"], warnings: ["warn t.m3: m3"] });
  // A later effect's warning when no warning came before it.
  assert.deepEqual(brief(decide(e, "nowarn", {})), { decision: "allow", reasons: ["allow t.m4"], warnings: ["warn t.m4: m4"] });
});

test("the generic loop: a rule with a reason it cannot shape takes the loop over its effects, each kind", () => {
  // `{tool.args.n + 1}` is no path: the rule's reasons are built from its evaluated effects.
  const e = large(`
rule k1 on tool_call { when tool.name == "calc" then { deny "k1", warn "k1 {tool.args.n + 1}" } }
rule k2 on tool_call { when tool.name == "calc2" then { require_approval "k2 {tool.args.n + 1}" from "ops", warn "k2" } }
rule k3 on tool_call { when tool.name == "calc3" then { allow, warn "{tool.args.n * 2}" } }`);
  assert.deepEqual(brief(decide(e, "calc", { n: 1 })), { decision: "deny", reasons: ["deny t.k1: k1"], warnings: ["warn t.k1: k1 2"] });
  assert.deepEqual(brief(decide(e, "calc2", { n: 1 })), { decision: "require_approval", reasons: ["require_approval t.k2: k2 2 from ops"], warnings: ["warn t.k2: k2"] });
  assert.deepEqual(brief(decide(e, "calc3", { n: 4 })), { decision: "allow", reasons: ["allow t.k3"], warnings: ["warn t.k3: 8"] });
  // A type clash in a message errors the rule; `on_error` (deny by default) decides.
  const d = decide(e, "calc", { n: "one" });
  assert.equal(d.decision, "deny");
  assert.equal(d.errors.length, 1);
});

test("the generic loop: transforms, `unless`, rules without `when` and errors leave it for `combine`", () => {
  // Under `default allow`, so that a redaction alone decides (allow, payload redacted).
  const e = large(
    `
rule t1 on tool_call { when tool.name == "mask" then redact /\\d+/ in tool.args.body with "#" }
rule u1 on tool_call { when tool.name == "mask" unless tool.args.n > 5 then deny "u1" }
rule w1 on tool_call { unless tool.args.n != 9 then warn "nine" }
rule x1 on tool_call { when tool.name == "bad" and tool.args.n > "x" then allow }`,
    "allow",
  );
  const masked = decide(e, "mask", { body: "card 4111", n: 7 });
  assert.deepEqual(brief(masked), { decision: "allow", reasons: ["redact t.t1"], warnings: [] });
  assert.deepEqual(masked.payload, { tool: { name: "mask", args: { body: "card #", n: 7 } } });
  const nine = decide(e, "mask", { body: "card 4111", n: 9 });
  assert.deepEqual(brief(nine), { decision: "allow", reasons: ["redact t.t1"], warnings: ["warn t.w1: nine"] });
  assert.deepEqual(nine.payload, { tool: { name: "mask", args: { body: "card #", n: 9 } } });
  assert.deepEqual(brief(decide(e, "mask", { body: "x", n: 1 })), { decision: "deny", reasons: ["deny t.u1: u1"], warnings: [] });
  const bad = decide(e, "bad", { n: 1 });
  assert.equal(bad.decision, "deny");
  assert.equal(bad.errors.length, 1);
});

test("a large phase with no rule pinned decides through the generic loop without an index", () => {
  const rules = Array.from({ length: 401 }, (_, i) => `rule u${i} on tool_call { when tool.args.n > ${i} then warn "u${i}" }`).join("\n");
  const e = pair(program(`package t\n${rules}`));
  assert.ok(generic(e.compiled, "tool_call"));
  const input = { tool: { name: "x", args: { n: 2 } } };
  assertSameDecision(e, "tool_call", input, () => "401 unpinned rules");
  const d = e.compiled.decide("tool_call", input, settingsOf(e.program, "tool_call"), POLICY);
  assert.deepEqual(d.warnings.map((w) => w.rule), ["t.u0", "t.u1"]);
});

test("the compiled `fire` gives the reference's firings, and an empty list when none fires", () => {
  const e = pair(program(`package t\n${KINDS}\nrule x1 on tool_call { when tool.name == "bad" and tool.args.n > "x" then allow }`));
  for (const [name, args] of [["pay", { n: 2, d: true, ok: true, who: "ann" }], ["get", { n: 0, ok: true }], ["bad", { n: 1 }], ["other", { n: 0 }]] as const) {
    const input = { tool: { name, args } } as Value;
    assert.deepStrictEqual(e.compiled.fire("tool_call", input), e.reference.fire("tool_call", input), name);
  }
  assert.deepStrictEqual(e.compiled.fire("tool_call", { tool: { name: "other", args: { n: 0 } } }), []);
  assert.deepEqual(
    e.compiled.fire("tool_call", { tool: { name: "pay", args: { n: 2, d: true } } }).map((f) => f.rule.id),
    ["t.a1", "t.p1", "t.a2", "t.p2", "t.p3"],
  );
});
