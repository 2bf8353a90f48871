// Packages across files, imports, settings, and the LANGUAGE.md example split in two files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkText, expectClean, expectOne } from "./check-support.ts";

const PAYMENTS = `package acme.payments

import acme.common as common

const MAX_REFUND = 500

/// Refunds over the limit need a supervisor.
rule large_refund on tool_call {
  severity high
  controls "pci-dss-4.0:7.2.1", "soc2:CC6.1"
  when tool.name == "refund" and tool.args.amount > MAX_REFUND
  unless principal.roles contains "supervisor"
  then require_approval "Refund of {tool.args.amount} exceeds {MAX_REFUND}"
}

rule no_exfiltration on tool_call {
  severity critical
  when tool.name == "send_email"
   and common.external(tool.args.to)
   and any r in session.calls: r.tool.name == "read_medical_record"
  then deny "patient data may not leave the clinic"
}

rule mask_cards on output {
  controls "pci-dss-4.0:3.4.1"
  then redact pii.credit_card in output.text with "[CARD]"
}

test "refund over the limit needs approval" {
  on tool_call { tool: { name: "refund", args: { amount: 900 } }, principal: { roles: [] } }
  expect require_approval by large_refund
}
`;

const COMMON = `package acme.common

const TRUSTED = ["acme.com", "acme.io"]

def external(addr) = not (domain(addr) in TRUSTED)
`;

/** The LANGUAGE.md example, split in two files for the import. */
export const EXAMPLE = { "payments.policy": PAYMENTS, "common.policy": COMMON };

test("the LANGUAGE.md example checks clean", () => {
  const r = expectClean(EXAMPLE);
  assert.deepEqual(r.program?.rules.map((x) => x.id), ["acme.payments.large_refund", "acme.payments.no_exfiltration", "acme.payments.mask_cards"]);
});

test("cross-file imports: aliases, default alias, members of several packages", () => {
  const files = {
    "a.policy": `package org.app\nimport org.lib\nimport org.net as n\nrule r on tool_call {\n  when lib.LIMIT < 3 and n.internal(tool.args.to)\n  then deny\n}\n`,
    "b.policy": `package org.lib\nconst LIMIT = 2\n`,
    "c.policy": `package org.net\nimport org.lib\ndef internal(a) = domain(a) == "org.com" and lib.LIMIT > 1\n`,
  };
  const r = expectClean(files);
  assert.deepEqual([...(r.program?.packages.get("org.app")?.imports ?? [])], ["org.lib", "org.net"]);
});

test("a package may span several files; its names are shared", () => {
  expectClean({ "a.policy": `package p\nconst X = 1\n`, "b.policy": `package p\nrule r on output { when len(output.text) > X then deny }\n` });
});

test("E600 a file without a package line", () => {
  expectOne(`rule r on output { then deny }\n`, "E600", 1, 1, "start the file with a line such as 'package acme.payments'");
  expectClean(`package p\nrule r on output { then deny }\n`);
});

test("E601 import cycles", () => {
  const files = { "a.policy": `package a\nimport b\nconst X = b.Y\n`, "b.policy": `package b\nimport a\nconst Y = 1\nconst Z = a.X\n` };
  const d = expectOne(files, "E601", 2, 1, "move what both packages need into a third package that imports neither");
  assert.match(d.message, /import cycle: a -> b -> a/);
  expectOne(`package a\nimport a\nconst X = 1\nconst Y = a.X\n`, "E601", 2, 1);
});

test("E602 one file sets a phase both ways", () => {
  expectOne(`package p\ndefault deny\ndefault allow\n`, "E602", 3, 1, "keep one of them; the other is at main.policy:2:1");
  expectOne(`package p\non_error allow on output\non_error deny on output\n`, "E602", 3, 1);
  // A setting for some phases overrides the file's general one: no conflict.
  const r = expectClean(`package p\ndefault allow\ndefault deny on tool_call\n`);
  assert.equal(r.program?.settings.tool_call.default, "deny");
  assert.equal(r.program?.settings.output.default, "allow");
});

test("E603 imports come first", () => {
  const files = { "a.policy": `package a\nconst X = b.Y\nimport b\n`, "b.policy": `package b\nconst Y = 1\n` };
  expectOne(files, "W001", 2, 7);
  expectOne(files, "E603", 3, 1, "move this import up, under the 'package' line");
});

test("W004 files disagree on a setting: the stricter deny wins", () => {
  const files = { "a.policy": `package a\ndefault deny on tool_call\n`, "b.policy": `package b\ndefault allow\non_error allow\n` };
  const d = expectOne(files, "W004", 2, 1, "state the same setting in every file, or remove this one (see a.policy:2:1)");
  assert.equal(d.file, "b.policy");
  const r = checkText(files);
  assert.equal(r.program?.settings.tool_call.default, "deny");
  assert.equal(r.program?.settings.output.default, "allow");
  assert.equal(r.program?.settings.output.onError, "allow");
  const plain = expectClean(`package a\nrule r on output { then deny }\n`);
  assert.deepEqual(plain.program?.settings.input, { default: "allow", onError: "deny" });
});
