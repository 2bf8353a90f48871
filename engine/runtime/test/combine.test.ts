import { test } from "node:test";
import assert from "node:assert/strict";
import { combine, reasonsFor, updateIn, type Firing } from "../combine.ts";

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

test("reasons: a message defaults to the rule id for deny, approval and warn (never for allow); metadata only when given", () => {
  const bare = { id: "p.bare" };
  const d = combine({}, [{ rule: bare, effects: [{ kind: "allow" }] }, { rule: { id: "p.w", controls: [] }, effects: [{ kind: "warn" }] }], allowAll, policy);
  assert.deepEqual([d.decision, d.reasons, d.warnings], ["allow", [{ rule: "p.bare", effect: "allow" }], [{ rule: "p.w", effect: "warn", message: "p.w" }]]);
  const a = combine({}, [{ rule: bare, effects: [{ kind: "require_approval" }] }], allowAll, policy);
  assert.deepEqual(a.reasons, [{ rule: "p.bare", effect: "require_approval", message: "p.bare" }]);
  const n = combine({}, [{ rule: bare, effects: [{ kind: "deny" }] }], allowAll, policy);
  assert.deepEqual(n.reasons, [{ rule: "p.bare", effect: "deny", message: "p.bare" }]);
  // An allow beside a warning: the allow is the reason, the warning stays a warning.
  const both = combine({}, [{ rule: { id: "p.ok" }, effects: [{ kind: "allow", message: "fine" }, { kind: "warn", message: "careful" }] }], { defaultDecision: "deny", onError: "deny" }, policy);
  assert.deepEqual([both.decision, both.reasons.map((x) => x.effect), both.warnings.map((x) => x.message)], ["allow", ["allow"], ["careful"]]);
});

test("rule errors keep their code and path; an errored rule's transforms are skipped and it is reported once", () => {
  const errored: Firing = { rule: { id: "p.bad" }, error: "boom", code: "runtime/type", path: "/tool/args" };
  const d = combine({ x: 1 }, [errored, { rule: { id: "p.set" }, effects: [{ kind: "set", path: ["x"], value: 2 }] }], { defaultDecision: "allow", onError: "allow" }, policy);
  assert.deepEqual(d.errors, [{ rule: "p.bad", message: "boom", code: "runtime/type", path: "/tool/args" }]);
  assert.deepEqual(d.payload, { x: 2 });
  assert.deepEqual(d.reasons, [{ rule: "p.set", effect: "set" }], "a set reason has no replacements");
  const plain = combine({}, [{ rule: { id: "p.bad" }, error: "boom" }], allowAll, policy);
  assert.deepEqual(plain.errors, [{ rule: "p.bad", message: "boom" }]);
});

test("a transform failing under on_error allow errors its rule and the decision stands; a set to the same value is no reason", () => {
  const redactList: Firing = { rule: { id: "p.mask" }, effects: [{ kind: "redact", path: ["items"], replace: (t) => ({ text: t, count: 1 }) }] };
  const d = combine({ items: [1] }, [redactList, setAmount(5)], { defaultDecision: "allow", onError: "allow" }, policy);
  assert.equal(d.decision, "allow");
  assert.deepEqual(d.errors, [{ rule: "p.mask", message: "redact needs a string field, got a list" }]);
  assert.deepEqual(d.payload, { items: [1], tool: { args: { amount: 5 } } });
  const same = combine({ tool: { args: { amount: 5 } } }, [setAmount(5)], allowAll, policy);
  assert.deepEqual([same.reasons, same.errors], [[], []]);
  // A redact at a list position past the end skips it (a set there is an error).
  const past: Firing = { rule: { id: "p.mask" }, effects: [{ kind: "redact", path: ["items", 5], replace: () => ({ text: "X", count: 1 }) }] };
  const p5 = combine({ items: ["a"] }, [past], allowAll, policy);
  assert.deepEqual([p5.payload, p5.errors], [{ items: ["a"] }, []]);
  // A redact of an absent or null field changes nothing and creates nothing.
  const absent: Firing = { rule: { id: "p.mask" }, effects: [{ kind: "redact", path: ["a", "b"], replace: () => ({ text: "X", count: 1 }) }] };
  for (const input of [{}, { a: null }, { a: { b: null } }, { a: { b: undefined } }]) {
    const x = combine(input, [absent], allowAll, policy);
    assert.deepEqual([x.payload, x.reasons, x.errors], [input, [], []], JSON.stringify(input));
  }
});

test("updateIn on lists: positions inside are written on a copy, positions outside are skipped for redact and refused for set", () => {
  const list = [{ t: "a" }, { t: "b" }];
  const root = { items: list };
  const out = updateIn(root, ["items", 1, "t"], () => "B", false) as { items: { t: string }[] };
  assert.deepEqual(out, { items: [{ t: "a" }, { t: "B" }] });
  assert.deepEqual(list, [{ t: "a" }, { t: "b" }], "the input list is not changed");
  assert.equal(out.items[0], list[0], "untouched elements are shared");
  assert.equal(updateIn(root, ["items", 1, "t"], (v) => v, false), root, "no change: the same root");
  assert.equal(updateIn(root, ["items", 0], (v) => v, true), root);
  for (const k of [2, -1]) {
    assert.equal(updateIn(root, ["items", k, "t"], () => "X", false), root, `redact skips position ${k}`);
    assert.throws(() => updateIn(root, ["items", k, "t"], () => "X", true), { message: "cannot write position " + k + " of a list of 2" });
  }
  assert.equal(updateIn(null, [0], () => 1, false), null);
  assert.throws(() => updateIn(null, [0], () => 1, true), { message: "cannot write position 0 of a null" });
  assert.throws(() => updateIn(undefined, [0], () => 1, true), { message: "cannot write position 0 of a undefined" });
  assert.throws(() => updateIn({ a: 1 }, [0], () => 1, false), { message: "cannot write position 0 of a object" });
  assert.throws(() => updateIn("s", ["a"], () => 1, true), { message: "cannot write field 'a' of a string" });
  assert.throws(() => updateIn([1], ["a"], () => 1, true), { message: "cannot write field 'a' of a list" });
  assert.equal(updateIn(null, ["a"], () => 1, false), null, "redact creates nothing");
  assert.equal(updateIn(undefined, ["a"], () => 1, false), undefined);
  assert.equal(updateIn(undefined, [0], () => 1, false), undefined, "redact skips a position of nothing");
  assert.deepEqual(updateIn(null, ["a", "b"], () => 1, true), { a: { b: 1 } }, "set creates the path");
  const obj = { a: { b: 1 }, c: 2 };
  assert.equal(updateIn(obj, ["a", "b"], () => 1, true), obj, "an equal value written: the same root");
});

test("reasonsFor picks the reasons of the decision", () => {
  const [d, a, l] = [["deny"], ["approval"], ["allow"]];
  assert.deepEqual([reasonsFor("deny", d, a, l), reasonsFor("require_approval", d, a, l), reasonsFor("allow", d, a, l)], [d, a, l]);
});
