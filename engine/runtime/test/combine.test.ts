import { test } from "node:test";
import assert from "node:assert/strict";
import { combine, updateIn, type Firing } from "../combine.ts";

const policy = { digest: "sha256:x" };
const allowAll = { defaultDecision: "allow", onError: "deny" } as const;
const r = (id: string) => ({ id, severity: "high", controls: ["soc2:CC6.1"] });
const setAmount = (v: number): Firing => ({ rule: r("p.clamp"), effects: [{ kind: "set", path: ["tool", "args", "amount"], value: v }] });

test("any deny wins over approvals and allows, and transforms are not applied", () => {
  const input = { tool: { name: "pay", args: { amount: 900 } } };
  const d = combine(input, [setAmount(10), { rule: r("p.ask"), effects: [{ kind: "require_approval", message: "ask", from: "lead" }] }, { rule: r("p.no"), effects: [{ kind: "deny", message: "no" }] }], allowAll, policy);
  assert.equal(d.decision, "deny");
  assert.deepEqual(d.reasons, [{ rule: "p.no", effect: "deny", message: "no", severity: "high", controls: ["soc2:CC6.1"] }]);
  assert.equal(d.payload, input);
});

test("require_approval beats allow; transforms apply in rule order; the input is not mutated", () => {
  const input = { tool: { name: "pay", args: { amount: 900, note: "a b" } } };
  const frozen = structuredClone(input);
  const d = combine(
    input,
    [
      setAmount(10),
      { rule: r("p.ask"), effects: [{ kind: "require_approval", message: "ask", from: "lead" }] },
      setAmount(20),
      { rule: r("p.mask"), effects: [{ kind: "redact", path: ["tool", "args", "note"], replace: (s) => ({ text: s.replace(/b/g, "[B]"), count: (s.match(/b/g) ?? []).length }) }] },
    ],
    allowAll,
    policy,
  );
  assert.equal(d.decision, "require_approval");
  assert.deepEqual(d.payload, { tool: { name: "pay", args: { amount: 20, note: "a [B]" } } });
  assert.deepEqual(input, frozen);
  assert.deepEqual(d.reasons.map((x) => `${x.rule}:${x.effect}`), ["p.clamp:set", "p.ask:require_approval", "p.clamp:set", "p.mask:redact"]);
  assert.equal(d.reasons[1].approver_role, "lead");
});

test("default deny decides when no rule allows; an allow rule opens it", () => {
  const strict = { defaultDecision: "deny", onError: "deny" } as const;
  assert.equal(combine({}, [], strict, policy).decision, "deny");
  assert.equal(combine({}, [{ rule: r("p.ok"), effects: [{ kind: "allow" }] }], strict, policy).decision, "allow");
  assert.equal(combine({}, [{ rule: r("p.w"), effects: [{ kind: "warn", message: "hm" }] }], strict, policy).decision, "deny");
});

test("warnings never change the decision", () => {
  const d = combine({}, [{ rule: r("p.w"), effects: [{ kind: "warn", message: "careful" }] }], allowAll, policy);
  assert.equal(d.decision, "allow");
  assert.deepEqual(d.warnings.map((w) => w.message), ["careful"]);
  assert.deepEqual(d.reasons, []);
});

test("an errored rule fails closed under on_error deny and is only reported under on_error allow", () => {
  const errored: Firing = { rule: r("p.bad"), error: "cannot apply '+' to a string and a number" };
  const closed = combine({}, [errored], allowAll, policy);
  assert.equal(closed.decision, "deny");
  assert.deepEqual(closed.errors, [{ rule: "p.bad", message: "cannot apply '+' to a string and a number" }]);
  const open = combine({}, [errored], { defaultDecision: "allow", onError: "allow" }, policy);
  assert.equal(open.decision, "allow");
  assert.equal(open.errors.length, 1);
});

test("a transform that fails at run time errors its rule", () => {
  const bad: Firing = { rule: r("p.red"), effects: [{ kind: "redact", path: ["output", "text"], replace: (s) => ({ text: s, count: 0 }) }] };
  const d = combine({ output: { text: 42 } }, [bad], allowAll, policy);
  assert.equal(d.decision, "deny");
  assert.equal(d.errors[0].rule, "p.red");
});

test("updateIn copies only the path it writes and creates missing objects for set", () => {
  const root = { a: { b: 1 }, c: { d: 2 } };
  const out = updateIn(root, ["a", "x", "y"], () => 5, true) as typeof root & { a: { x: { y: number } } };
  assert.equal(out.c, root.c);
  assert.deepEqual(out.a, { b: 1, x: { y: 5 } });
  assert.equal(updateIn(root, ["zz", "q"], () => 1, false), root);
  assert.deepEqual(updateIn({ l: [1, 2] }, ["l", 1], () => 9, true), { l: [1, 9] });
  assert.throws(() => updateIn({ a: 3 }, ["a", "b"], () => 1, true), /cannot write field 'b' of a number/);
});

test("only real transforms are reasons: a redact that replaced nothing and a set that changed nothing leave none", () => {
  const mask: Firing = { rule: r("p.mask"), effects: [{ kind: "redact", path: ["output", "text"], replace: (s) => ({ text: s.replace(/x/g, "#"), count: (s.match(/x/g) ?? []).length }) }] };
  const clean = { output: { text: "nothing here" } };
  const d = combine(clean, [mask], allowAll, policy);
  assert.deepEqual(d.reasons, []);
  assert.equal(d.payload, clean, "an untouched payload is the input itself");
  const dirty = combine({ output: { text: "x and x and x" } }, [mask], allowAll, policy);
  assert.deepEqual(dirty.reasons, [{ rule: "p.mask", effect: "redact", severity: "high", controls: ["soc2:CC6.1"], replacements: 3 }]);
  assert.deepEqual(dirty.payload, { output: { text: "# and # and #" } });
  const same = { tool: { name: "pay", args: { amount: 10 } } };
  const unchanged = combine(same, [setAmount(10)], allowAll, policy);
  assert.deepEqual(unchanged.reasons, []);
  assert.equal(unchanged.payload, same);
  assert.deepEqual(combine(same, [setAmount(11)], allowAll, policy).reasons.map((x) => x.effect), ["set"]);
  // A set that creates a field that was absent is a change, even to null.
  const created = combine({ tool: { name: "pay", args: {} } }, [{ rule: r("p.n"), effects: [{ kind: "set", path: ["tool", "args", "note"], value: null }] }], allowAll, policy);
  assert.deepEqual(created.payload, { tool: { name: "pay", args: { note: null } } });
  assert.equal(created.reasons.length, 1);
});
