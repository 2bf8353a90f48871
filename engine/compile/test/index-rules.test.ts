// The rule index: which pins are safe to index on, that a decision visits only the rules that
// can match, and that skipping rules never changes a decision (errors included).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompiledProgram } from "../compile.ts";
import { findPin, findPins } from "../index-rules.ts";
import { assertSameDecision, pair, program } from "./support.ts";

function pinOf(when: string, prelude = ""): { path: readonly string[]; values: readonly string[]; leading: boolean } | null {
  const p = program(`package t\n${prelude}\nrule r on tool_call { when ${when} then deny }`);
  const c = new CompiledProgram(p);
  const pin = findPin(p, (id) => c.constValue(id), p.rules[0].decl.when);
  return pin && { path: pin.path, values: pin.values, leading: pin.leading };
}

test("a leading `path == literal` or `path in [literals]` pins the rule", () => {
  assert.deepEqual(pinOf(`tool.name == "refund" and tool.args.amount > 3`), { path: ["tool", "name"], values: ["refund"], leading: true });
  assert.deepEqual(pinOf(`"refund" == tool.name`), { path: ["tool", "name"], values: ["refund"], leading: true });
  assert.deepEqual(pinOf(`(tool.name in ["a", "b", "a"]) and true`), { path: ["tool", "name"], values: ["a", "b"], leading: true });
  assert.deepEqual(pinOf(`tool.name in NAMES`, `const NAMES = ["x", "y"]`), { path: ["tool", "name"], values: ["x", "y"], leading: true });
  assert.deepEqual(pinOf(`env == ENV`, `const ENV = "production"`), { path: ["env"], values: ["production"], leading: true });
});

function pinsOf(when: string): string[] {
  const p = program(`package t\nrule r on tool_call { when ${when} then deny }`);
  return findPins(p, () => null, p.rules[0].decl.when).map((pin) => `${pin.path.join(".")}=${pin.values.join("|")}${pin.leading ? " leading" : ""}`);
}

test("a later pin counts only when nothing before it can fail", () => {
  assert.deepEqual(pinsOf(`env == "production" and tool.name == "a" and tool.name == "b"`), ["env=production leading", "tool.name=a"]);
  assert.deepEqual(pinsOf(`not (env in ["x"]) and tool.name == "a"`), ["tool.name=a"]);
  assert.deepEqual(pinsOf(`tool.name == "a" and tool.args.n > 1 and env == "production"`), ["tool.name=a leading"]);
  // `>` fails on a string amount, `and` on a non-bool flag: the rule must be evaluated for every tool.
  assert.equal(pinOf(`tool.args.amount > 1 and tool.name == "a"`), null);
  assert.equal(pinOf(`tool.args.flag and tool.name == "a"`), null);
  assert.equal(pinOf(`tool.name == "a" or tool.name == "b"`), null);
  assert.equal(pinOf(`tool.name != "a"`), null);
  assert.equal(pinOf(`tool.name == tool.args.name`), null);
});

const MANY = Array.from({ length: 300 }, (_, i) => {
  const t = `t${i % 100}`;
  if (i % 50 === 7) return `rule u${i} on tool_call { when tool.args.n > ${i} then warn "unpinned ${i}" }`;
  if (i % 40 === 3) return `rule e${i} on tool_call { when env == "production" and tool.name == "${t}" then deny "prod ${i}" }`;
  return `rule r${i} on tool_call { when tool.name == "${t}" and tool.args.n > ${i % 7} then deny "r${i}" }`;
}).join("\n");

test("a decision visits the rules pinned to its tool and the unpinned ones, in rule order", () => {
  const p = program(`package t\n${MANY}`);
  const c = new CompiledProgram(p);
  const ids = c.candidates("tool_call", { tool: { name: "t7" } }).map((r) => r.id);
  const expected = p.rules.filter((r) => r.id.startsWith("t.u") || r.decl.when?.kind === "Binary" && /"t7"/.test(JSON.stringify(r.decl.when))).map((r) => r.id);
  assert.deepEqual(ids, expected);
  assert.ok(ids.length < 15, `${ids.length} candidates of ${p.rules.length}`);
  assert.deepEqual(c.candidates("tool_call", { tool: { name: 7 } }).map((r) => r.id), p.rules.filter((r) => r.id.startsWith("t.u")).map((r) => r.id));
  assert.deepEqual(c.candidates("tool_call", {}).map((r) => r.id), p.rules.filter((r) => r.id.startsWith("t.u")).map((r) => r.id));
});

test("skipping rules never changes a decision: many rules, many tools, bad values", () => {
  const e = pair(program(`package t\n${MANY}`));
  for (let i = 0; i < 120; i++) {
    for (const n of [0, 5, 100, "x", null]) {
      assertSameDecision(e, "tool_call", { tool: { name: `t${i}`, args: { n } }, env: i % 2 ? "production" : "dev" }, () => "MANY");
    }
  }
});

test("an unsafe pin keeps its rule a candidate for every tool, so its error is reported", () => {
  const e = pair(program(`package t\nrule r on tool_call { when tool.args.amount > 1 and tool.name == "refund" then deny }`));
  assert.equal(e.compiled.candidates("tool_call", { tool: { name: "search" } }).length, 1);
  assertSameDecision(e, "tool_call", { tool: { name: "search", args: { amount: "lots" } } }, () => "unsafe pin");
  const d = e.compiled.decide("tool_call", { tool: { name: "search", args: { amount: "lots" } } }, { defaultDecision: "allow", onError: "deny" }, { digest: "d" });
  assert.equal(d.decision, "deny");
  assert.equal(d.errors.length, 1);
});

test("the index uses the path most rules pin in each phase: model.provider on model_call", () => {
  const p = program(`package t
rule a on model_call { when model.provider == "openai" and model.tokens > 10 then deny "a" }
rule b on model_call { when model.provider == "anthropic" then warn "b" }
rule c on model_call { when model.name == "x" then warn "c" }
rule d on model_call { when model.provider in ["openai", "local"] then warn "d" }`);
  const c = new CompiledProgram(p);
  assert.deepEqual(c.candidates("model_call", { model: { provider: "openai", name: "x" } }).map((r) => r.id), ["t.a", "t.c", "t.d"]);
  assert.deepEqual(c.candidates("model_call", { model: { provider: "local" } }).map((r) => r.id), ["t.c", "t.d"]);
  const e = pair(p);
  for (const provider of ["openai", "anthropic", "local", null, 3]) {
    for (const tokens of [5, 50, "many"]) assertSameDecision(e, "model_call", { model: { provider, name: "x", tokens } }, () => "model_call");
  }
});
