// The reference documents every diagnostic code, and the builtin and detector tables are
// complete and well formed (the checker, the evaluators and the docs all read them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CODES } from "../codes.ts";
import { BUILTINS, CORE_BUILTINS } from "../builtins.ts";
import { DETECTORS, DETECTOR_LIST } from "../detectors.ts";
import { checkText } from "./check-support.ts";

const doc = readFileSync(new URL("../../spec/diagnostics.md", import.meta.url), "utf8");

test("spec/diagnostics.md has a section for every registered code", () => {
  for (const code of Object.keys(CODES)) assert.match(doc, new RegExp(`^### ${code} — `, "m"), `${code} is not documented`);
  const documented = [...doc.matchAll(/^### ([EW]\d{3}) — /gm)].map((m) => m[1]);
  for (const code of documented) assert.ok(code in CODES, `${code} is documented but not registered`);
});

test("the builtin table has the standard library a policy author expects, each with a doc and an example", () => {
  for (const name of ["lower", "upper", "len", "trim", "domain", "split", "join", "replace", "starts_with", "ends_with", "abs", "min", "max", "round", "floor", "ceil", "sum", "keys", "values", "to_number", "to_string", "parse_time", "hours", "minutes", "unique", "first", "last"]) {
    assert.ok(BUILTINS.has(name), name);
  }
  assert.equal(new Set(CORE_BUILTINS.map((b) => b.name)).size, CORE_BUILTINS.length, "names are unique");
  assert.ok(!BUILTINS.has("now"), "no clock: time is an input");
  for (const b of BUILTINS.values()) {
    assert.ok(b.doc.length > 10, `${b.name} needs a doc`);
    assert.ok(b.params.every((p) => p.name.length > 0), b.name);
  }
});

test("every builtin's example checks clean in a rule", () => {
  for (const b of CORE_BUILTINS) {
    const example = b.example ?? "";
    const r = checkText(`package t\nrule r on tool_call {\n  when ${example} or true\n  then deny\n}\n`);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`), [], `${b.name}: ${example}`);
  }
});

test("the detector table names LANGUAGE.md's detectors and more", () => {
  for (const name of ["pii.email", "pii.phone", "pii.ssn", "pii.credit_card", "pii.iban", "pii.ip", "secret.aws_key", "secret.github_token", "secret.jwt", "secret.private_key", "secret.slack_token", "secret.generic_api_key"]) assert.ok(DETECTORS.has(name), name);
  assert.equal(DETECTORS.size, DETECTOR_LIST.length, "names are unique");
  for (const d of DETECTOR_LIST) assert.match(d.name, /^(pii|secret)\.[a-z_]+$/);
});
