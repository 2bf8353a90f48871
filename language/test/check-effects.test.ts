// Effects valid for their phase, rule metadata, phases, and test blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkText, expectClean, expectOne } from "./check-support.ts";

const rule = (phase: string, body: string): string => `package t\nrule r on ${phase} {\n  ${body}\n}\n`;

test("E400 a transform may only rewrite the phase's own payload", () => {
  expectOne(rule("tool_call", "then redact pii.email in output.text"), "E400", 3, 28, "on tool_call, redact can rewrite 'tool.…'");
  expectOne(rule("output", "then set principal.id = \"x\""), "E400", 3, 12, "set rewrites the phase's own payload, such as 'output.…'");
  expectClean(rule("output", "then redact pii.email in output.text with \"[EMAIL]\""));
  expectClean(rule("tool_result", "then redact pii.email in tool.result"));
});

test("E401 redact needs a string field", () => {
  expectOne(rule("model_call", "then redact pii.email in model.tokens"), "E401", 3, 28, "redact a string field");
  expectOne(rule("input", "then redact pii.email in input.attachments"), "E401", 3, 28);
  expectClean(rule("input", "then redact pii.ssn in input.text"));
});

test("E402 set needs a field of the payload", () => {
  expectOne(rule("tool_call", "then set tool = 1"), "E402", 3, 12, "name a field, e.g. 'tool.args.x'");
  expectOne(`package t\nconst C = 1\nrule r on tool_call {\n  then set C = 2\n}\n`, "E402", 4, 12, "name a field such as 'tool.…'");
  expectClean(rule("tool_call", "when tool.args.amount > 500 then set tool.args.amount = 500"));
});

test("E403 unknown phase, in rules, settings and tests", () => {
  expectOne(rule("tool_cal", "then deny"), "E403", 2, 11, "did you mean 'tool_call'?");
  expectOne(`package t\ndefault deny on ouput\n`, "E403", 2, 17, "did you mean 'output'?");
  expectClean(rule("tool_call, output", "then deny"));
});

test("E404 unknown severity", () => {
  expectOne(rule("output", "severity hihg\n  then deny"), "E404", 3, 12, "did you mean 'high'?");
  expectClean(rule("output", "severity critical\n  then deny"));
});

test("E405 duplicate metadata", () => {
  expectOne(rule("output", "severity high\n  severity low\n  then deny"), "E405", 4, 3, "keep one 'severity' line");
  expectOne(rule("output", `controls "soc2:CC6.1", "soc2:CC6.1"\n  then deny`), "E405", 3, 26, "remove the repeated control");
  expectOne(rule("output", `tags "a", "a"\n  then deny`), "E405", 3, 13, "remove the repeated tag");
  expectClean(rule("output", `severity low\n  controls "soc2:CC6.1", "hipaa:164.312(b)"\n  tags "a", "b"\n  owner "team"\n  then deny`));
});

test("E406 control ids are framework:id", () => {
  expectOne(rule("output", `controls "CC6.1"\n  then deny`), "E406", 3, 12, `write a control as 'framework:id', e.g. "soc2:CC6.1" or "pci-dss-4.0:7.2.1"`);
  expectClean(rule("output", `controls "pci-dss-4.0:7.2.1"\n  then deny`));
});

test("E407 invalid tests: input not an object, rule not on the phase, rule without that effect", () => {
  const base = `package t\nrule r on tool_call { when tool.name == "x" then deny }\n`;
  expectOne(base + `test "a" {\n  on tool_call [1]\n  expect deny\n}\n`, "E407", 4, 16, `write it like '{ tool: { name: "refund", args: { amount: 900 } } }'`);
  expectOne(base + `test "a" {\n  on output { output: { text: "x" } }\n  expect deny by r\n}\n`, "E407", 5, 18, "it runs on tool_call");
  expectOne(base + `test "a" {\n  on tool_call { tool: { name: "x" } }\n  expect require_approval by r\n}\n`, "E407", 5, 30, "its effects: deny");
  expectClean(base + `test "a" {\n  on tool_call { tool: { name: "x" } }\n  expect deny by r\n  expect payload.tool.name == "x"\n}\n`);
});

test("test inputs must fit the phase's input", () => {
  const base = `package t\nrule r on tool_call { when tool.name == "x" then deny }\n`;
  const r = checkText(base + `test "a" {\n  on tool_call { tol: { name: "x" }, tool: { name: 5 }, time: "yesterday" }\n  expect deny by r\n}\n`);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.help ?? ""}`),
    ["E201 4:18 did you mean 'tool'?", "E300 4:52 ", `E300 4:63 write it like "2026-01-31T09:30:00Z"`],
  );
  const p = checkText(base + `test "a" {\n  on tool_call { tool: { name: "x" } }\n  expect payload.tool.nme == "x"\n}\n`);
  assert.deepEqual(p.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.help ?? ""}`), ["E201 5:23 did you mean 'tool.name'?"]);
});

test("E408 a set value must fit the field", () => {
  expectOne(rule("tool_call", `then set tool.name = 5`), "E408", 3, 24, "convert it: 'to_string(...)'");
  expectOne(rule("model_call", `then set model.tokens = "many"`), "E408", 3, 27, "convert it: 'to_number(...)'");
  expectClean(rule("model_call", `then set model.tokens = min(model.tokens, 4000)`));
});

test("E409 duplicate phase", () => {
  expectOne(rule("output, output", "then deny"), "E409", 2, 19, "remove the second 'output'");
  expectClean(rule("input, output", "then deny"));
});

test("effects in braces, messages with interpolation, approval roles", () => {
  expectClean(
    `package t\nrule r on tool_result {\n  when tool.name == "export"\n  then {\n    warn "bulk export of {len(tool.args)} fields"\n    redact pii.email in tool.result with "[EMAIL]"\n    require_approval "check {tool.name}" from "dpo"\n  }\n}\n`,
  );
});
