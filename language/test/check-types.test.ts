// Type errors the checker can rule out, and the many expressions it must accept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkText, colIn, expectClean, expectOne, ruleWhen } from "./check-support.ts";

function one(cond: string, code: string, part: string, help?: string | RegExp, phase?: string): void {
  expectOne(ruleWhen(cond, phase), code, 3, colIn(cond, part), help);
}

test("E300 ordering a string against a number", () => {
  const c = `tool.name < 5`;
  one(c, "E300", "<", "convert the string first, e.g. 'to_number(x)'");
  expectClean(ruleWhen(`tool.args.amount < 5 and tool.name < "m" and time - principal.attrs.since < 1h`));
});

test("E300 arithmetic on strings", () => {
  one(`tool.name * 2 > 1`, "E300", "*", "arithmetic needs numbers; convert with 'to_number(x)'");
  one(`"a" - 1 == 0`, "E300", "-", "arithmetic needs numbers; convert with 'to_number(x)'");
  expectClean(ruleWhen(`tool.name + "x" == "y" and 1 + 2 * 3 % 2 == 3 and 2h / 2 == 1h and 2h / 1h == 2`));
});

test("E300 instants and durations combine as time does", () => {
  expectClean(ruleWhen(`any c in session.calls: time - c.time < 15m and c.time + 1d > time`));
  one(`time + time > time`, "E300", "+", "both sides must have matching types (numbers, durations, or a time and a duration)");
});

test("E300 equality between values that are never equal", () => {
  one(`tool.name == 5`, "E300", "==", "compare values of the same type; convert with to_number or to_string if needed");
  expectClean(ruleWhen(`tool.name == null and tool.args.x == "y" and principal.roles == ["a"]`));
});

test("E300 membership of the wrong type", () => {
  one(`5 in principal.roles`, "E300", "in", "compare values of the same type");
  one(`"a" in 5`, "E300", "in", `write the right side as a list, e.g. 'x in ["a", "b"]'`);
  expectClean(ruleWhen(`"admin" in principal.roles and "x" in tool.name and "k" in principal.attrs and tool.name not in ["a", "b"]`));
});

test("E301 calling something that is not a function", () => {
  const src = `package t\nconst LIMIT = 5\nrule r on tool_call {\n  when LIMIT(3) > 1\n  then deny\n}\n`;
  expectOne(src, "E301", 4, 8);
  one(`tool.name(1) == 1`, "E301", "tool.name", "only defs and builtin functions can be called");
  one(`pii.email(tool.name)`, "E301", "pii.email", "use it as a pattern: 'x matches pii.email'");
  expectClean(ruleWhen(`upper(tool.name) == "A"`));
});

test("E302 wrong number of arguments, for builtins and defs", () => {
  one(`lower(tool.name, 1) == "a"`, "E302", "lower(", "call it as 'lower(s)'");
  const src = `package t\ndef twice(x) = x * 2\nrule r on tool_call {\n  when twice(1, 2) > 1\n  then deny\n}\n`;
  expectOne(src, "E302", 4, 8, "call it as 'twice(x)'");
  one(`concat() == ""`, "E302", "concat(", "call it as 'concat(first, more, ...)'");
  expectClean(ruleWhen(`concat("a", "b", tool.name) == "x" and max(1, 2, 3) == 3 and min([1, 2]) == 1 and twice_ok`).replace("and twice_ok", ""));
});

test("E303 argument type mismatch", () => {
  one(`lower(5) == "5"`, "E303", "5", `for example: lower("ACME") == "acme"`);
  one(`hours(tool.name) > 1`, "E303", "tool.name", "for example: hours(90m) == 1.5");
  expectClean(ruleWhen(`hours(time - time) > 1 and len(principal.roles) > 0 and len(tool.name) > 3 and sum([1, 2]) > 1`));
});

test("E304 conditions that are certainly not booleans", () => {
  one(`len(tool.name) + 1`, "E304", "len(tool.name) + 1", undefined);
  one(`principal.roles and true`, "E304", "principal.roles", "test the list, e.g. 'len(principal.roles) > 0' or 'any x in principal.roles: ...'");
  one(`not tool.name`, "E304", "tool.name", `compare it, e.g. 'tool.name == "..."'`);
  expectClean(ruleWhen(`tool.args.flag and not tool.args.other`));
});

test("E305 quantifier over a certain non-list", () => {
  one(`any x in tool.name: x == "a"`, "E305", "tool.name");
  one(`all k in principal.attrs: k == "a"`, "E305", "principal.attrs", "iterate over 'keys(principal.attrs)' or 'values(principal.attrs)'");
  expectClean(ruleWhen(`all k in keys(principal.attrs): k != "" and any r in principal.roles: r == "x"`));
});

test("E306 indexing a value that cannot be indexed", () => {
  one(`tool.name[0] == "a"`, "E306", "tool.name[0]", "use substring(s, start, end) for part of a string");
  expectClean(ruleWhen(`principal.roles[0] == "admin" and tool.args["x-y"] == 1 and session.calls[0].tool.name == "a"`));
});

test("E307 the right side of matches must be a pattern or a string", () => {
  one(`tool.name matches 5`, "E307", "5", "write a regex literal such as '/^[a-z]+$/' or a detector such as 'pii.email'");
  expectClean(ruleWhen(`tool.name matches /^[a-z]+$/ and tool.name matches "^x" and tool.args.body matches pii.email and tool.args.body contains secret.jwt`));
});

test("E307 a pattern cannot be interpolated into a message", () => {
  const src = `package t\nrule r on output {\n  when output.text matches pii.email\n  then deny "found {pii.email}"\n}\n`;
  expectOne(src, "E307", 4, 21, "interpolate the text it is matched against instead");
});

test("messages interpolate expressions checked like any other", () => {
  const src = `package t\nrule r on tool_call {\n  when tool.name == "refund"\n  then deny "refund of {tool.args.amonut} by {principal.idd}"\n}\n`;
  const r = checkText(src);
  // tool.args is open (no tool schema given), principal is closed.
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.help}`), ["E201 4:57 did you mean 'principal.id'?"]);
  const r2 = checkText(src.replace("tool.args.amonut", "tool.nmae").replace("principal.idd", "principal.id"));
  assert.deepEqual(r2.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.help}`), ["E201 4:30 did you mean 'tool.name'?"]);
});

test("consts and def results carry their types", () => {
  const src = `package t\nconst NAMES = ["a", "b"]\ndef n(x) = len(x)\nrule r on tool_call {\n  when NAMES > 1 or n("a") < "b"\n  then deny\n}\n`;
  const r = checkText(src);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col}`), ["E300 5:14", "E300 5:28"]);
});

test("first() and unique() keep element types", () => {
  one(`first(principal.roles) > 3`, "E300", ">", "convert the string first, e.g. 'to_number(x)'");
  expectClean(ruleWhen(`first(session.calls).tool.name == "x" and len(unique(principal.roles)) > 1`));
});
