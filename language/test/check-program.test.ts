// The CheckedProgram handed to the engine: ids, order, metadata, resolutions, types, tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Call, Expr, Member, NameRef, RuleDecl } from "../ast.ts";
import { expectClean } from "./check-support.ts";

const FILES = {
  "a.policy": `package shop
import shop.lib as lib
const LIMIT = lib.BASE * 2
/// Big refunds need approval.
rule big on tool_call {
  severity high
  controls "soc2:CC6.1"
  tags "refunds"
  owner "payments"
  when tool.name in ["refund", "credit"] and tool.args.amount > LIMIT and lib.trusted(tool.args.to)
  then require_approval "over {LIMIT}" from "supervisor"
}
rule mask on output, input {
  when any m in [1, 2]: m > 1
  then warn
}
test "big refund" {
  on tool_call { tool: { name: "refund", args: { amount: 1000 } } }
  expect require_approval by big
}
`,
  "b.policy": `package shop.lib
const BASE = 100
def trusted(addr) = domain(addr) == "shop.com" and env == "production"
`,
};

function find<T extends Expr>(root: unknown, pred: (e: Expr) => e is T): T[] {
  const out: T[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      const k = (v as { kind?: unknown }).kind;
      if (typeof k === "string" && pred(v as Expr)) out.push(v as T);
      for (const [key, x] of Object.entries(v)) if (key !== "span") walk(x);
    }
  };
  walk(root);
  return out;
}

test("rules carry ids, phases, metadata, doc and the tool names they pin", () => {
  const p = expectClean(FILES).program;
  assert.ok(p !== null && p !== undefined);
  const [big, mask] = p.rules;
  assert.equal(big.id, "shop.big");
  assert.deepEqual(big.phases, ["tool_call"]);
  assert.equal(big.severity, "high");
  assert.deepEqual(big.controls, ["soc2:CC6.1"]);
  assert.deepEqual(big.tags, ["refunds"]);
  assert.equal(big.owner, "payments");
  assert.equal(big.doc, "Big refunds need approval.");
  assert.deepEqual(big.toolNames, ["refund", "credit"]);
  assert.deepEqual(mask.phases, ["output", "input"]);
  assert.equal(mask.toolNames, null);
});

test("consts and defs come in dependency order, with types and the roots defs read", () => {
  const p = expectClean(FILES).program;
  assert.ok(p);
  const order = [...p.consts.keys()];
  assert.ok(order.indexOf("shop.lib.BASE") < order.indexOf("shop.LIMIT"));
  assert.deepEqual(p.consts.get("shop.LIMIT")?.type, { kind: "number" });
  assert.deepEqual(p.defs.get("shop.lib.trusted")?.roots, ["env"]);
  assert.deepEqual(p.defs.get("shop.lib.trusted")?.returns, { kind: "bool" });
  assert.deepEqual(p.packages.get("shop")?.imports, ["shop.lib"]);
});

test("every name, alias member and call is resolved", () => {
  const p = expectClean(FILES).program;
  assert.ok(p);
  const rule = p.rules[0].decl as RuleDecl;
  const names = find(rule, (e): e is NameRef => e.kind === "Name");
  const kinds = names.map((n) => `${n.name}:${p.resolutions.get(n)?.kind}`);
  assert.deepEqual(kinds, ["tool:root", "tool:root", "LIMIT:const", "lib:package", "tool:root", "LIMIT:const"]);
  const calls = find(rule, (e): e is Call => e.kind === "Call");
  const r = p.resolutions.get(calls[0]);
  assert.equal(r?.kind === "def" && r.id, "shop.lib.trusted");
  const members = find(rule, (e): e is Member => e.kind === "Member" && e.object.kind === "Name" && e.object.name === "lib");
  assert.equal(p.resolutions.get(members[0])?.kind, "def");
  const mask = p.rules[1].decl as RuleDecl;
  const m = find(mask, (e): e is NameRef => e.kind === "Name" && e.name === "m");
  const v = p.resolutions.get(m[0]);
  assert.ok(v?.kind === "variable" && v.index === 0 && v.binder.kind === "Quantifier");
  const lib = p.defs.get("shop.lib.trusted")?.decl;
  const inDef = find(lib, (e): e is NameRef => e.kind === "Name");
  assert.deepEqual(inDef.map((n) => p.resolutions.get(n)?.kind), ["builtin", "param", "root"]);
  const domainCall = find(lib, (e): e is Call => e.kind === "Call")[0];
  assert.equal(p.resolutions.get(domainCall)?.kind, "builtin");
});

test("expression types and tests with resolved rule references", () => {
  const p = expectClean(FILES).program;
  assert.ok(p);
  const rule = p.rules[0].decl as RuleDecl;
  assert.deepEqual(p.types.get(rule.when as Expr), { kind: "bool" });
  const amount = find(rule, (e): e is Member => e.kind === "Member" && e.property.name === "amount")[0];
  assert.deepEqual(p.types.get(amount), { kind: "any" });
  assert.equal(p.tests.length, 1);
  assert.equal(p.tests[0].phase, "tool_call");
  assert.deepEqual(p.tests[0].expects[0].rules, ["shop.big"]);
  assert.equal(p.regexes.size, 0);
});
