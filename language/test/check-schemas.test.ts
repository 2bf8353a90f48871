// The phase schemas are valid JSON Schema 2020-12 and match LANGUAGE.md's table; paths into
// `tool.args` are checked against an application's tool schema when the rule pins the tool.
import { test } from "node:test";
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020.js";
import { PHASES } from "../ast.ts";
import { COMMON_ROOTS, PAYLOAD_ROOTS, PHASE_SCHEMAS, PHASE_TYPES, schemaToType } from "../check/schema.ts";
import { checkText, expectClean, expectOne } from "./check-support.ts";
import type { JSONSchemaObject } from "../check/index.ts";

test("every phase schema is valid draft 2020-12 and validates a sample input", () => {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true, validateFormats: false });
  const samples: Record<string, object> = {
    input: { input: { text: "hi", attachments: [{ name: "a.pdf", media_type: "application/pdf", size: 3 }] } },
    model_call: { model: { provider: "openai", name: "gpt", messages: [{ role: "user", content: "hi" }], tokens: 10 } },
    tool_call: { tool: { name: "refund", args: { amount: 900 } } },
    tool_result: { tool: { name: "refund", args: {}, result: [1, { a: 2 }] } },
    output: { output: { text: "done" } },
  };
  const common = { agent: { id: "a", name: "n", version: "1" }, env: "production", principal: { id: "u", roles: ["x"], attrs: { k: 1 } }, session: { id: "s", calls: [{ tool: { name: "t", args: {} }, time: "2026-01-01T00:00:00Z", decision: "allow" }] }, time: "2026-01-01T00:00:00Z", meta: { any: true } };
  for (const p of PHASES) {
    assert.ok(ajv.validateSchema(PHASE_SCHEMAS[p]), `${p}: ${JSON.stringify(ajv.errors)}`);
    const validate = ajv.compile(PHASE_SCHEMAS[p]);
    assert.ok(validate({ ...samples[p], ...common }), `${p}: ${JSON.stringify(validate.errors)}`);
    assert.ok(!validate({ ...samples[p], unknown_root: 1 }), `${p} must refuse unknown roots`);
  }
});

test("the schemas' roots are LANGUAGE.md's table", () => {
  assert.deepEqual([...COMMON_ROOTS].sort(), ["agent", "env", "meta", "principal", "session", "time"]);
  assert.deepEqual(PAYLOAD_ROOTS, { input: ["input"], model_call: ["model"], tool_call: ["tool"], tool_result: ["tool"], output: ["output"] });
  const fields = (p: (typeof PHASES)[number], root: string): string[] => {
    const t = PHASE_TYPES[p];
    const r = t.kind === "object" ? t.fields[root] : undefined;
    return r?.kind === "object" ? Object.keys(r.fields) : [];
  };
  assert.deepEqual(fields("input", "input"), ["text", "attachments"]);
  assert.deepEqual(fields("model_call", "model"), ["provider", "name", "messages", "tokens"]);
  assert.deepEqual(fields("tool_call", "tool"), ["name", "args"]);
  assert.deepEqual(fields("tool_result", "tool"), ["name", "args", "result"]);
  assert.deepEqual(fields("output", "output"), ["text"]);
  assert.equal(PHASE_TYPES.output.kind === "object" && PHASE_TYPES.output.fields.time.kind, "instant");
});

test("schemaToType follows $ref, enums, unions and stays permissive on what it does not model", () => {
  const s: JSONSchemaObject = { type: "object", properties: { a: { $ref: "#/$defs/x" }, b: { enum: ["p", "q"] }, c: { anyOf: [{ type: "string" }, { type: "null" }] }, d: { $ref: "#/$defs/loop" } }, $defs: { x: { type: "integer" }, loop: { type: "object", properties: { next: { $ref: "#/$defs/loop" } } } }, additionalProperties: false };
  const t = schemaToType(s);
  assert.ok(t.kind === "object" && !t.open);
  if (t.kind !== "object") return;
  assert.deepEqual(t.fields.a, { kind: "number" });
  assert.deepEqual(t.fields.b, { kind: "string" });
  assert.deepEqual(t.fields.c, { kind: "union", members: [{ kind: "string" }, { kind: "null" }] });
  assert.equal(t.fields.d.kind, "object");
});

const REFUND: JSONSchemaObject = { type: "object", properties: { amount: { type: "number" }, currency: { type: "string" }, items: { type: "array", items: { type: "object", properties: { sku: { type: "string" } }, additionalProperties: false } } }, required: ["amount"], additionalProperties: false };

test("paths into tool.args are checked against the tool's schema when the rule pins the tool", () => {
  const src = `package t\nrule r on tool_call {\n  when tool.name == "refund" and tool.args.amout > 500\n  then deny\n}\n`;
  const d = expectOne(src, "E201", 3, 44, "did you mean 'tool.args.amount'?", { toolSchemas: { refund: REFUND } });
  assert.equal(d.message, "unknown field 'amout' on 'tool.args'");
  // Without a schema for the tool, or without the pin, args stay open.
  expectClean(src, { toolSchemas: { other: REFUND } });
  expectClean(src.replace(`tool.name == "refund" and `, ""), { toolSchemas: { refund: REFUND } });
  expectClean(src.replace("amout", "amount"), { toolSchemas: { refund: REFUND } });
});

test("tool schemas type the args: type errors, quantifiers and set targets", () => {
  const opts = { toolSchemas: { refund: REFUND } };
  expectOne(`package t\nrule r on tool_call {\n  when tool.name == "refund" and tool.args.currency > 5\n  then deny\n}\n`, "E300", 3, 53, undefined, opts);
  expectOne(`package t\nrule r on tool_call {\n  when "refund" == tool.name and any i in tool.args.items: i.skuu == "x"\n  then deny\n}\n`, "E201", 3, 62, "did you mean 'i.sku'?", opts);
  expectOne(`package t\nrule r on tool_call {\n  when tool.name in ["refund"]\n  then set tool.args.amount = "all"\n}\n`, "E408", 4, 31, "convert it: 'to_number(...)'", opts);
  expectClean(`package t\nrule r on tool_call {\n  when tool.name == "refund" and tool.args.amount > 500\n  then set tool.args.amount = 500\n}\n`, opts);
});

test("tool schemas apply to test inputs naming that tool", () => {
  const src = `package t\nrule r on tool_call { when tool.name == "refund" and tool.args.amount > 1 then deny }\ntest "a" {\n  on tool_call { tool: { name: "refund", args: { amont: 900 } } }\n  expect deny by r\n}\n`;
  const r = checkText(src, { toolSchemas: { refund: REFUND } });
  assert.deepEqual(r.diagnostics.map((x) => `${x.code} ${x.span.start.line}:${x.span.start.col} ${x.help}`), ["E201 4:50 did you mean 'tool.args.amount'?"]);
});
