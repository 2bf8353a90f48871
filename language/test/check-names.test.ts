// Name resolution: unknown names with suggestions, duplicates, shadowing, recursion, rule
// references in tests, phase availability, and the unused-name warnings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkText, expectClean, expectNone, expectOne, ruleWhen } from "./check-support.ts";

test("E200 unknown name, with a suggestion from what is in scope", () => {
  const src = `package t\nconst MAX_REFUND = 5\nrule r on tool_call {\n  when tool.args.amount > MAX_REFUN\n  then deny "no"\n}\n`;
  const d = expectOne(src, "E200", 4, 27, "did you mean 'MAX_REFUND'?");
  assert.equal(d.message, "unknown name 'MAX_REFUN'");
  expectClean(src.replace("MAX_REFUN\n", "MAX_REFUND\n"));
});

test("E200 a bound variable is only in scope in its quantifier's body", () => {
  expectOne(ruleWhen(`(any c in session.calls: c.decision == "deny") and c.decision == "x"`), "E200", 3, 59);
  expectClean(ruleWhen(`any c in session.calls: c.decision == "deny"`));
});

test("E200 an imported package used as a value", () => {
  const files = { "a.policy": `package a\nimport b\nrule r on tool_call {\n  when b == 1\n  then deny\n}\n`, "b.policy": `package b\nconst X = 1\n` };
  expectOne(files, "E200", 4, 8, "name one of its declarations: 'b.<name>'");
});

test("E201 unknown field on a closed schema object, with the path suggested", () => {
  const d = expectOne(ruleWhen(`tool.arg.amount > 5`), "E201", 3, 13, "did you mean 'tool.args'?");
  assert.equal(d.message, "unknown field 'arg' on 'tool'");
  expectOne(ruleWhen(`principal.role contains "x"`), "E201", 3, 18, "did you mean 'principal.roles'?");
  expectOne(ruleWhen(`any c in session.calls: c.tool.nam == "x"`), "E201", 3, 39, "did you mean 'c.tool.name'?");
  expectClean(ruleWhen(`tool.args.amount > 5 and meta.anything.goes == 1 and principal.attrs.level > 2`));
});

test("E201 a field that exists only on another phase says where it exists", () => {
  expectOne(ruleWhen(`tool.result == "x"`, "tool_call"), "E201", 3, 13, "'tool.result' is only available on tool_result");
  expectClean(ruleWhen(`tool.result == "x"`, "tool_result"));
});

test("E201 a field of a list points to a quantifier", () => {
  expectOne(ruleWhen(`session.calls.tool == "x"`), "E201", 3, 22, "use a quantifier: 'any x in session.calls: x.tool ...'");
});

test("E202 unknown function, suggested from builtins and defs", () => {
  const d = expectOne(ruleWhen(`lwoer(tool.name) == "x"`), "E202", 3, 8, "did you mean 'lower'?");
  assert.equal(d.message, "unknown function 'lwoer'");
  expectClean(ruleWhen(`lower(tool.name) == "x"`));
});

test("E202 unknown def through an import alias", () => {
  const files = { "a.policy": `package a\nimport b\nrule r on tool_call {\n  when b.extrnal(tool.name)\n  then deny\n}\n`, "b.policy": `package b\ndef external(x) = x == "y"\n` };
  expectOne(files, "E202", 4, 10, "did you mean 'b.external'?");
  expectClean({ ...files, "a.policy": files["a.policy"].replace("extrnal", "external") });
});

test("E203 duplicate declarations, across the files of one package", () => {
  const files = { "a.policy": `package p\nconst X = 1\nrule r on output { when X == 1 then deny }\n`, "b.policy": `package p\nconst X = 2\n` };
  expectOne(files, "E203", 2, 7, "rename one of them; the other is at a.policy:2:7");
  expectOne(`package p\nrule r on output { then deny }\nrule r on output { then allow }\n`, "E203", 3, 6, "rename one of them; the other is at main.policy:2:6");
  expectNone(`package p\nconst X = 1\nrule X on output { when X == 1 then deny }\n`, "E203");
});

test("E204 recursion among defs, direct, mutual, and through imports", () => {
  expectOne(`package p\ndef f(x) = f(x)\nrule r on output { when f(1) then deny }\n`, "E204", 2, 5, /defs may not recurse/);
  const d = expectOne(`package p\ndef f(x) = g(x)\ndef g(x) = f(x)\nrule r on output { when f(1) then deny }\n`, "E204", 2, 5);
  assert.match(d.message, /'f' -> 'g' -> 'f'/);
  const files = { "a.policy": `package a\nimport b\ndef f(x) = b.g(x)\nrule r on output { when f(1) then deny }\n`, "b.policy": `package b\nimport a\ndef g(x) = a.f(x)\n` };
  const r = checkText(files);
  assert.ok(r.diagnostics.some((x) => x.code === "E204"));
  expectOne(`package p\nconst A = B\nconst B = A\nrule r on output { when A then deny }\n`, "E204", 2, 7, "give one of them a value that does not depend on the other");
  expectClean(`package p\ndef f(x) = g(x) + 1\ndef g(x) = x * 2\nrule r on output { when f(1) > 2 then deny }\n`);
});

test("E205 unknown package in an import", () => {
  const files = { "a.policy": `package a\nimport acme.comon\nrule r on output { then deny }\n`, "b.policy": `package acme.common\n` };
  expectOne(files, "E205", 2, 8, "did you mean 'acme.common'?");
  expectNone({ ...files, "a.policy": files["a.policy"].replace("comon", "common") }, "E205");
});

test("E206 unknown detector", () => {
  expectOne(`package t\nrule r on output {\n  when output.text matches pii.emial\n  then deny\n}\n`, "E206", 3, 28, "did you mean 'pii.email'?");
  expectOne(`package t\nrule r on output {\n  then redact secret.aws_kye in output.text\n}\n`, "E206", 3, 15, "did you mean 'secret.aws_key'?");
  expectClean(`package t\nrule r on output {\n  when output.text matches pii.email\n  then redact secret.aws_key in output.text\n}\n`);
});

test("E207 names that hide others", () => {
  expectOne(`package t\nconst tool = 1\n`, "E207", 2, 7, "rename it, e.g. 'tool_value'");
  expectOne(ruleWhen(`any tool in session.calls: tool.decision == "deny"`), "E207", 3, 12, "rename it, e.g. 'tool2'");
  expectOne(ruleWhen(`any c in session.calls: any c in session.calls: c.decision == "deny"`), "E207", 3, 36);
  expectOne(`package t\nconst N = 1\ndef f(N) = N + 1\nrule r on output { when f(N) > 1 then deny }\n`, "E207", 3, 7);
  expectClean(ruleWhen(`any c in session.calls: any d in session.calls: c.decision == d.decision`));
});

test("E208 a test names a rule that does not exist", () => {
  const src = `package t\nrule large_refund on tool_call { when tool.name == "refund" then deny }\ntest "x" {\n  on tool_call { tool: { name: "refund" } }\n  expect deny by large_refnd\n}\n`;
  expectOne(src, "E208", 5, 18, "did you mean 'large_refund'?");
  expectClean(src.replace("large_refnd", "large_refund"));
  expectClean(src.replace("large_refnd", "t.large_refund"));
});

test("E209 a rule on several phases reads only roots they all have", () => {
  const d = expectOne(ruleWhen(`tool.name == "x"`, "tool_call, output"), "E209", 3, 8, "'tool' exists on tool_call, tool_result only; split the rule by phase");
  assert.equal(d.message, "'tool' is not available on output");
  expectClean(ruleWhen(`principal.id == "x" and env == "production"`, "tool_call, output"));
  expectClean(ruleWhen(`tool.args.x == 1`, "tool_call, tool_result"));
});

test("E209 consts cannot read the input; defs carry their roots to the call site", () => {
  expectOne(`package t\nconst X = tool.name\n`, "E209", 2, 11, "consts are evaluated once, before any input; use a def, or read it in the rule");
  const src = `package t\ndef is_refund() = tool.name == "refund"\nrule r on output {\n  when is_refund()\n  then deny\n}\n`;
  expectOne(src, "E209", 4, 8, "split the rule by phase, or pass the value as an argument");
  expectClean(src.replace("on output", "on tool_call"));
});

test("W001 W002 W003 unused const, def and import", () => {
  expectOne(`package t\nconst UNUSED = 1\n`, "W001", 2, 7, "remove it, or refer to it from a rule");
  expectOne(`package t\ndef unused(x) = x\n`, "W002", 2, 5, "remove it, or call it from a rule");
  const files = { "a.policy": `package a\nimport b\nrule r on output { then deny }\n`, "b.policy": `package b\nconst _X = 1\n` };
  expectOne(files, "W003", 2, 1, "remove the import");
  const r = checkText(files);
  assert.ok(r.program !== null, "warnings do not prevent a program");
  expectClean(`package t\nconst _SPARE = 1\nconst USED = 2\nrule r on output { when len(output.text) > USED then deny }\n`);
});

test("W005 unused variable or parameter; '_' names and bare count are exempt", () => {
  expectOne(ruleWhen(`any c in session.calls: true`), "W005", 3, 12, "use it, or rename it '_c' to say it is unused on purpose");
  expectClean(ruleWhen(`any _c in session.calls: true`));
  expectClean(ruleWhen(`(count c in session.calls) > 3`));
});
