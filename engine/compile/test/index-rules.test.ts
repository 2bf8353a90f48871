// The rule index: which pins are safe to index on, that a decision visits only the rules that
// can match, and that skipping rules never changes a decision (errors included).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompiledProgram } from "../compile.ts";
import { checkSources, renderDiagnostic } from "../../../language/index.ts";
import type { CheckedProgram } from "../../../language/check/program.ts";
import { buildPhaseIndex, findPin, findPins, readPath, type Pin } from "../index-rules.ts";
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

/** The pins of rule `i` (with the program's own const values), as `path=v1|v2 [leading]`. */
function pinsIn(p: CheckedProgram, i = 0): string[] {
  const c = new CompiledProgram(p);
  return findPins(p, (id) => c.constValue(id), p.rules[i].decl.when).map((pin) => `${pin.path.join(".")}=${pin.values.join("|")}${pin.leading ? " leading" : ""}`);
}
const LIB = `package lib\nconst NAME = "refund"\nconst NAMES = ["a", "b"]`;
function pinsWith(when: string, prelude = ""): string[] {
  return pinsIn(program({ "lib.policy": LIB, "main.policy": `package t\nimport lib as lib\n${prelude}\nrule r on tool_call { when ${when} then deny }` }));
}

test("a conjunct that cannot fail lets the pins after it count: literals, root reads, ==, !=, in, not in, and, or, not", () => {
  // Each `tool.args.*` read is untyped below `tool.args` (an open object), so it cannot fail.
  for (const first of [
    `tool.args.n == 5`,
    `tool.args.b == true`,
    `tool.args.x == null`,
    `tool.args.d == 5m`,
    `tool.args.x == {k: 1, m: "v"}`,
    `tool.args.x == [1, "v"]`,
    `phase == "tool_call"`,
    `tool.args.x != 1`,
    `tool.args.x not in [1, 2]`,
    `(tool.args.x == 1) in [true]`,
    `(tool.args.x == 1 or env == "x")`,
    `not (tool.args.x == 1 and env == "x")`,
    `true`,
  ]) {
    assert.deepEqual(pinsWith(`${first} and tool.name == "a"`), ["tool.name=a"], first);
  }
});

test("a conjunct that can fail (or is not surely a bool) stops the pins: a rule after it is evaluated for every input", () => {
  for (const [first, prelude = ""] of [
    // A const read errors the rule when the const's evaluation failed (reference.ts), typed or not.
    [`X == "a"`, `const X = "q"`],
    [`Y == "a"`, `const Y = first([])`],
    [`lib.NAME == "q"`],
    // A typed read of a field of anything but a root fails on a value of another type.
    [`first(session.calls).tool.name == "q"`],
    [`{k: "x"}.k == "x"`],
    // An operand that can fail, at any depth.
    [`tool.args.x == [1, tool.args.n > 1]`],
    [`tool.args.x == {k: 1, m: tool.args.n > 1}`],
    [`(tool.args.n > 1) == true`],
    [`(tool.args.n > 1) != true`],
    [`(tool.args.n > 1) in [true]`],
    [`tool.args.x in [1, tool.args.n > 1]`],
    [`tool.args.x not in [1, tool.args.n > 1]`],
    // `in` a value that is not a literal list can fail (a number on the right).
    [`tool.args.x in tool.args.list`],
    [`"a" in tool.args.list`],
    [`(tool.args.n > 1 or true)`],
    [`(true or tool.args.n > 1)`],
    [`not (tool.args.n > 1 and true)`],
    [`not (tool.args.n > 1)`],
    [`-tool.args.n == 1`],
    [`len(tool.args.x) == 1`],
    // Never failing but not a bool: `truth` of it fails.
    [`tool.args.flag`],
  ]) {
    assert.deepEqual(pinsWith(`${first} and tool.name == "b"`, prelude), [], first);
  }
});

test("only `path == string` and `path in [strings]` pin, with the strings they always are", () => {
  const cases: [string, string[], string?][] = [
    [`tool.name == lib.NAME`, ["tool.name=refund leading"]],
    [`lib.NAME == tool.name`, ["tool.name=refund leading"]],
    [`tool.name in lib.NAMES`, ["tool.name=a|b leading"]],
    [`tool.args.n == N`, [], `const N = 5`],
    [`tool.args.n == NONE`, [], `const NONE = null`],
    [`tool.name in MIXED`, [], `const MIXED = ["a", 1]`],
    // `in` a string is a substring test, not a pin on its characters.
    [`tool.name in S`, [], `const S = "refund_all"`],
    [`tool.name in ["a", tool.args.x]`, []],
    [`tool.name in tool.args.names`, []],
    [`tool.name not in ["a", "b"]`, []],
    [`tool.name != "a"`, []],
  ];
  for (const [when, want, prelude] of cases) assert.deepEqual(pinsWith(when, prelude), want, when);
});

test("a substring `in` on a const string is evaluated for every tool", () => {
  const e = pair(program(`package t\nconst S = "refund_all"\nrule r on tool_call { when tool.name in S then deny "sub" }`));
  for (const name of ["refund", "all", "x", "refund_all"]) assertSameDecision(e, "tool_call", { tool: { name, args: {} } }, () => name);
  assert.equal(e.compiled.decide("tool_call", { tool: { name: "refund", args: {} } }, { defaultDecision: "allow", onError: "deny" }, { digest: "d" }).decision, "deny");
});

test("a read typed by a tool's schema can fail, so a pin after it is not taken and its rule errors for every input", () => {
  const text = `package t
rule r on tool_call { when tool.name == "refund" and tool.args.amount > 5 and env == "p" then deny "r" }
rule p on tool_call { when env == "p" then warn "p" }
rule q on tool_call { when env == "q" then warn "q" }`;
  const checked = checkSources([{ path: "main.policy", text }], { toolSchemas: { refund: { type: "object", properties: { amount: { type: "number" } } } } });
  assert.ok(checked.program, checked.diagnostics.map((d) => renderDiagnostic(d, text)).join("\n"));
  const p = checked.program;
  assert.deepEqual(pinsIn(p), ["tool.name=refund leading"]);
  const e = pair(p);
  for (const env of ["p", "q", "dev"]) {
    for (const amount of [1, 10, "lots", null]) assertSameDecision(e, "tool_call", { tool: { name: "refund", args: { amount } }, env }, () => `${env} ${amount}`);
  }
});

const pin = (path: string, ...values: string[]): Pin => ({ path: path.split("."), values, node: { kind: "Null" } as Pin["node"], leading: true });

test("the index splits on the path most rules pin, the first one pinned on a tie", () => {
  const rules = [
    { position: 0, pins: [pin("env", "x")] },
    { position: 1, pins: [pin("tool.name", "a")] },
    { position: 2, pins: [pin("tool.name", "b", "c"), pin("agent.id", "y")] },
    { position: 3, pins: [pin("principal.id", "p")] },
    { position: 4, pins: [] },
  ];
  const ix = buildPhaseIndex(rules);
  assert.deepEqual(ix.path, ["tool", "name"]);
  assert.deepEqual(ix.always.map((r) => r.position), [0, 3, 4]);
  assert.deepEqual([...ix.byValue].map(([k, v]) => [k, v.map((r) => r.position)]), [["a", [1]], ["b", [2]], ["c", [2]]]);
  assert.deepEqual(buildPhaseIndex([rules[0], rules[1]]).path, ["env"]);
  assert.deepEqual(buildPhaseIndex([rules[1], rules[0]]).path, ["tool", "name"]);
  const none = buildPhaseIndex([rules[4]]);
  assert.equal(none.path, null);
  assert.deepEqual(none.always, [rules[4]]);
  assert.equal(none.byValue.size, 0);
});

test("readPath reads as the evaluators do: absent and non-objects are null", () => {
  const input = { tool: { name: "a", args: { n: 1 } }, env: "p" };
  assert.equal(readPath(input, ["tool", "name"]), "a");
  assert.equal(readPath(input, ["tool", "args", "n"]), 1);
  assert.equal(readPath(input, ["env"]), "p");
  assert.deepEqual(readPath(input, []), input);
  assert.equal(readPath(input, ["tool", "missing", "x"]), null);
  assert.equal(readPath(input, ["env", "length"]), null);
});
