// The lints (issue 16, cases 2, 4 and 6): W006 an absent field that keeps a deny or an approval
// from firing, W007 transforms whose result depends on their order, W008 a quantifier whose
// condition reaches past its variable (and the formatter's parentheses for it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { check } from "../check/index.ts";
import { formatSource } from "../format.ts";
import { parseAll } from "./check-support.ts";

function lints(sources: string | Record<string, string>, code: string): string[] {
  return check(parseAll(sources))
    .diagnostics.filter((d) => d.code === code)
    .map((d) => `${d.file}:${d.span.start.line}:${d.span.start.col} ${d.message} | ${d.help ?? ""}`);
}

test("W006 (case 2): a deny or an approval that an absent optional field switches off", () => {
  const got = lints(`package t
rule big on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then require_approval "big refund"
}
`, "W006");
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /^main\.policy:3:34 when 'tool\.args\.amount' is absent this rule does not fire/);
  assert.match(got[0], /not \(tool\.args has amount\) or \.\.\.' to ask when it is missing, or 'tool\.args has amount and \.\.\.' to accept it/);
  // The class: other comparisons that are false on null, through `not`, in a list.
  for (const cond of [`tool.args.path starts with "/etc"`, `tool.args.path matches /^\\/etc/`, `"admin" in principal.roles`, `principal.attrs.tier < 2`, `tool.name == "x" and tool.args.size >= 3`]) {
    assert.equal(lints(`package t\nrule r on tool_call {\n  when ${cond}\n  then deny\n}\n`, "W006").length, 1, cond);
  }
});

test("W006 stays quiet where absence is handled, required, harmless or fails closed", () => {
  for (const cond of [
    `tool.args has amount and tool.args.amount > 500`,
    `not (tool.args has amount) or tool.args.amount > 500`,
    `tool.args.amount == null or tool.args.amount > 500`,
    `tool.name == "x"`,
    `tool.name starts with "x"`,
    `tool.args.x not in ["a"]`,
    `env == "production"`,
    `tool.args.amount > 500 or tool.args.override == true`,
  ]) {
    assert.deepEqual(lints(`package t\nrule r on tool_call {\n  when ${cond}\n  then deny\n}\n`, "W006"), [], cond);
  }
  // Warnings and transforms are not gates.
  assert.deepEqual(lints(`package t\nrule r on tool_call {\n  when tool.args.amount > 500\n  then warn "big"\n}\n`, "W006"), []);
  // An `unless` that is false when the field is absent makes the rule fire: fail closed, no warning.
  assert.deepEqual(lints(`package t\nrule r on tool_call {\n  when tool.name == "x"\n  unless principal.roles contains "admin"\n  then deny\n}\n`, "W006"), []);
});

test("W007 (case 4): two rules redacting the same pattern with different replacements, or setting one field, depend on their order", () => {
  const files = {
    "x.policy": `package p\nrule a on output { then redact pii.email in output.text with "[ZZ]" }\n`,
    "y.policy": `package p\nrule b on output { then redact pii.email in output.text with "[AA]" }\n`,
  };
  const got = lints(files, "W007");
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /rules 'p\.a' and 'p\.b' redact the same pattern in 'output\.text' with different replacements/);
  assert.equal(lints({ ...files, "y.policy": `package p\nrule b on output { then redact pii.email in output.text with "[ZZ]" }\n` }, "W007").length, 0, "the same replacement commutes");
  assert.equal(lints({ ...files, "y.policy": `package p\nrule b on output { then redact pii.phone in output.text with "[AA]" }\n` }, "W007").length, 0, "other patterns are taken to commute");
  const sets = lints(`package p\nrule a on tool_call { then set tool.args.limit = 10 }\nrule b on tool_call { then set tool.args.limit = 20 }\nrule c on output { then set output.text = "x" }\n`, "W007");
  assert.equal(sets.length, 1);
  assert.match(sets[0], /both set 'tool\.args\.limit'/);
});

test("W008 (case 6): a quantifier's condition whose last operand does not use the variable", () => {
  const got = lints(`package t
rule r on tool_call {
  when any c in session.calls: c.tool.name == "read" or tool.name == "nuke"
  then deny
}
`, "W008");
  assert.equal(got.length, 1, got.join("\n"));
  assert.match(got[0], /^main\.policy:3:57 'tool\.name == "nuke"' does not use 'c'/);
  assert.match(got[0], /write '\(any c in session\.calls: c\.tool\.name == "read"\) or tool\.name == "nuke"'/);
  // Written either way on purpose, no warning.
  for (const cond of [`(any c in session.calls: c.tool.name == "read") or tool.name == "nuke"`, `any c in session.calls: (c.tool.name == "read" or tool.name == "nuke")`, `any c in session.calls: c.tool.name == "read" and c.decision != "deny"`]) {
    assert.deepEqual(lints(`package t\nrule r on tool_call {\n  when ${cond}\n  then deny\n}\n`, "W008"), [], cond);
  }
  // In defs too, and for count.
  assert.equal(lints(`package t\ndef f(xs, n) = count x in xs where x > 1 and n > 2\nrule r on tool_call { when f(session.calls, 1) > 0 then deny }\n`, "W008").length, 1);
});

test("fmt prints the parentheses a quantifier's condition already has (case 6), and formatting twice changes nothing", () => {
  const text = `package t\n\nrule r on tool_call {\n  when any c in session.calls: c.tool.name == "read" or tool.name == "nuke"\n  then deny\n}\n`;
  const once = formatSource(text, "t.policy").text ?? "";
  assert.match(once, /when any c in session\.calls: \(c\.tool\.name == "read" or tool\.name == "nuke"\)/);
  assert.equal(formatSource(once, "t.policy").text, once);
  // The meaning is unchanged: the formatted text checks without W008 and with the same tree.
  assert.deepEqual(lints({ "main.policy": once }, "W008"), []);
});
