// Issue 16, case 1 and its class: the meaning of a rule never changes with the shape of the
// input. A value of another type than the checker inferred errors the rule (on_error decides,
// deny by default); `contains`/`in` follow the static type of their container; the input's
// envelope and a tool's arguments are checked at the decision boundary, with a code and path.
// Every case runs on both evaluators.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadPolicySet, type PolicySet } from "../index.ts";
import type { Decision } from "../decision.ts";
import type { JSONSchemaObject } from "../../../language/index.ts";

function sets(text: string, toolSchemas?: Record<string, JSONSchemaObject>): PolicySet[] {
  return (["compiled", "reference"] as const).map((evaluator) => {
    const { policySet, diagnostics } = loadPolicySet([{ path: "t.policy", text }], { evaluator, ...(toolSchemas ? { toolSchemas } : {}) });
    assert.ok(policySet, diagnostics.map((d) => d.message).join("\n"));
    return policySet;
  });
}

function decideBoth(text: string, phase: string, input: unknown, toolSchemas?: Record<string, JSONSchemaObject>): Decision {
  const [a, b] = sets(text, toolSchemas).map((s) => s.decide(phase, input));
  assert.deepStrictEqual(a, b, "both evaluators decide alike");
  return a;
}

const REFUND = `package t
rule large_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  unless principal.roles contains "supervisor"
  then require_approval "needs a supervisor"
}
`;

test("case 1: a string where the checker typed a list of roles errors the rule instead of matching a substring", () => {
  const ok = decideBoth(REFUND, "tool_call", { tool: { name: "refund", args: { amount: 900 } }, principal: { roles: ["supervisor"] } });
  assert.equal(ok.decision, "allow");
  const asked = decideBoth(REFUND, "tool_call", { tool: { name: "refund", args: { amount: 900 } }, principal: { roles: ["clerk"] } });
  assert.equal(asked.decision, "require_approval");
  const d = decideBoth(REFUND, "tool_call", { tool: { name: "refund", args: { amount: 900 } }, principal: { roles: "not-a-supervisor" } });
  assert.equal(d.decision, "deny");
  // The boundary reports the field (it is read by the set, so it is checked once there), and the rule that reads it errs too.
  assert.deepEqual(d.errors, [
    { rule: "palisade.input", message: "'principal.roles' must be a list, got a string", code: "input/invalid", path: "principal.roles" },
    { rule: "t.large_refund", message: "'contains' on principal.roles: expected a list, got a string", code: "runtime/unexpected-type" },
  ]);
});

test("case 1: 'labels contains' on a container of unknown type is list membership, with or without the tool's schema", () => {
  const text = `package t
rule review on tool_call {
  when tool.name == "publish"
  unless tool.args.labels contains "reviewed"
  then require_approval "needs review"
}
`;
  for (const schemas of [undefined, { publish: { type: "object", properties: { labels: { type: "array", items: { type: "string" } } } } as JSONSchemaObject }]) {
    assert.equal(decideBoth(text, "tool_call", { tool: { name: "publish", args: { labels: ["reviewed"] } } }, schemas).decision, "allow");
    const d = decideBoth(text, "tool_call", { tool: { name: "publish", args: { labels: "unreviewed" } } }, schemas);
    assert.notEqual(d.decision, "allow", JSON.stringify(d));
    assert.ok(d.errors.length >= 1);
  }
});

test("the class: 'in' on a list, a string posing as a list, an object posing as one, a number where a string was typed", () => {
  const text = `package t
rule admin on tool_call {
  when tool.name == "grant"
  unless "admin" in principal.roles
  then deny "admins only"
}
rule named on tool_call {
  when tool.name == "grant" and principal.id == "root"
  then deny "not root"
}
`;
  assert.equal(decideBoth(text, "tool_call", { tool: { name: "grant" }, principal: { id: "u", roles: ["admin"] } }).decision, "allow");
  for (const roles of ["admin-wannabe", { admin: true }, 7, true]) {
    const d = decideBoth(text, "tool_call", { tool: { name: "grant" }, principal: { id: "u", roles } });
    assert.equal(d.decision, "deny", JSON.stringify(roles));
    assert.ok(d.errors.some((e) => e.path === "principal.roles"), JSON.stringify(d.errors));
  }
  const n = decideBoth(text, "tool_call", { tool: { name: "grant" }, principal: { id: 5, roles: ["admin"] } });
  assert.equal(n.decision, "deny");
  assert.equal(n.errors[0]?.code, "input/invalid");
  assert.equal(n.errors[0]?.path, "principal.id");
  // Deeper than a root's field, the read itself is checked.
  const deep = decideBoth(`package t
rule r on tool_call { when tool.name == "g" and principal.attrs.level > 3 then deny }
`, "tool_call", { tool: { name: "g" }, principal: { attrs: "high" } });
  assert.equal(deep.errors[0]?.path, "principal.attrs");
});

test("a session call of the wrong shape errors a quantifier that reads it (the fused scan and the general loop)", () => {
  const text = `package t
rule after_read on tool_call {
  when tool.name == "send" and any c in session.calls: c.tool.name == "read_record"
  then deny "no"
}
rule counted on tool_call {
  when tool.name == "send" and (count c in session.calls where c.decision != "deny") > 2
  then deny "too many"
}
`;
  assert.equal(decideBoth(text, "tool_call", { tool: { name: "send" }, session: { calls: [{ tool: { name: "x" } }] } }).decision, "allow");
  for (const calls of [[{ tool: "read_record" }], [{ tool: { name: 5 } }], ["read_record"], [{ tool: { name: "x" }, decision: 3 }]]) {
    const d = decideBoth(text, "tool_call", { tool: { name: "send" }, session: { calls } });
    assert.equal(d.decision, "deny", JSON.stringify(calls));
    assert.ok(d.errors.length > 0);
  }
});

test("the boundary: a root the set reads or a required field of the wrong kind is input/invalid with its path, and on_error decides", () => {
  const text = `package t
rule r on tool_call { when tool.name == "x" then warn "x" }
rule s on tool_call { when tool.name == "y" and env == "production" and principal.id == "u" and session.id == "s" then warn "y" }
`;
  const cases: [unknown, string][] = [
    [{ tool: { name: 5 } }, "tool.name"],
    [{ tool: {} }, "tool.name"],
    [{}, "tool"],
    [{ tool: "refund" }, "tool"],
    [{ tool: { name: "x" }, principal: "bob" }, "principal"],
    [{ tool: { name: "x" }, env: ["production"] }, "env"],
    [{ tool: { name: "x" }, session: [] }, "session"],
  ];
  for (const [input, path] of cases) {
    const d = decideBoth(text, "tool_call", input);
    assert.equal(d.decision, "deny", JSON.stringify(input));
    assert.equal(d.errors[0]?.rule, "palisade.input");
    assert.equal(d.errors[0]?.code, "input/invalid");
    assert.equal(d.errors[0]?.path, path);
    assert.deepEqual(d.reasons, []);
  }
  // A root no rule reads cannot change the decision: it is not checked.
  assert.equal(decideBoth(`package t\nrule r on tool_call { when tool.name == "x" then warn "x" }\n`, "tool_call", { tool: { name: "x" }, principal: "bob" }).errors.length, 0);
  const open = decideBoth(`package t\non_error allow\nrule r on tool_call { when tool.name == "x" and principal.id != "z" then warn "x" }\n`, "tool_call", { tool: { name: "x" }, principal: "bob" });
  assert.equal(open.decision, "allow");
  assert.equal(open.errors[0]?.path, "principal");
  assert.deepEqual(open.warnings.map((w) => w.rule), ["t.r"]);
  const output = decideBoth(`package t\nrule r on output { then redact pii.email in output.text }\n`, "output", { output: { text: 42 } });
  assert.equal(output.decision, "deny");
  assert.equal(output.errors[0]?.path, "output.text");
});

test("the boundary: a tool's arguments are checked against the schema the set was given", () => {
  const schemas: Record<string, JSONSchemaObject> = { refund: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] } };
  const text = `package t
rule big on tool_call { when tool.name == "refund" and tool.args.amount > 500 then deny "big" }
`;
  assert.equal(decideBoth(text, "tool_call", { tool: { name: "refund", args: { amount: 10 } } }, schemas).decision, "allow");
  for (const args of [{ amount: "9000" }, {}, undefined]) {
    const d = decideBoth(text, "tool_call", { tool: { name: "refund", ...(args === undefined ? {} : { args }) } }, schemas);
    assert.equal(d.decision, "deny", JSON.stringify(args));
    assert.equal(d.errors[0]?.rule, "palisade.input");
    assert.match(d.errors[0]?.path ?? "", /^tool\.args/);
  }
  // Another tool is not held to refund's schema.
  assert.equal(decideBoth(text, "tool_call", { tool: { name: "other", args: { amount: "x" } } }, schemas).decision, "allow");
});

test("property: whatever JSON stands where roles are typed, a refund over the limit is never allowed without a supervisor", () => {
  const [compiled, reference] = sets(REFUND);
  const json = fc.jsonValue({ maxDepth: 2 });
  fc.assert(
    fc.property(json, (roles) => {
      const input = { tool: { name: "refund", args: { amount: 900 } }, principal: { roles } };
      const d = compiled.decide("tool_call", input);
      assert.deepStrictEqual(d, reference.decide("tool_call", input));
      const supervised = Array.isArray(roles) && roles.includes("supervisor");
      if (!supervised) assert.notEqual(d.decision, "allow", JSON.stringify(roles));
    }),
    { numRuns: 300 },
  );
});
