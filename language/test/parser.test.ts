import { test } from "node:test";
import assert from "node:assert/strict";
import type * as A from "../ast.ts";
import { CODES } from "../codes.ts";
import { parse } from "../parse.ts";
import { sexpr, shape } from "./sexpr.ts";

const EXAMPLE = `package acme.payments

import acme.common as common

const MAX_REFUND = 500
const TRUSTED = ["acme.com", "acme.io"]

def external(addr) = not (domain(addr) in TRUSTED)

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
   and external(tool.args.to)
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

function ok(text: string): A.PolicyFile {
  const r = parse(text, "t.policy");
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  assert.ok(r.file);
  return r.file;
}
function errs(text: string): string[] {
  const r = parse(text, "t.policy");
  assert.equal(r.file, null);
  return r.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col}`);
}
function rule(text: string): A.RuleDecl {
  const d = ok(text).decls[0];
  assert.equal(d.kind, "Rule");
  return d as A.RuleDecl;
}
const q = (n: A.QualifiedName) => n.parts.map((p) => p.name).join(".");

test("the example of LANGUAGE.md parses to the expected structure", () => {
  const f = ok(EXAMPLE);
  assert.equal(q(f.package!.name), "acme.payments");
  assert.deepEqual(f.decls.map((d) => d.kind), ["Import", "Const", "Const", "Def", "Rule", "Rule", "Rule", "Test"]);
  const [imp, max, trusted, def, large, exfil, mask, t] = f.decls as [A.ImportDecl, A.ConstDecl, A.ConstDecl, A.DefDecl, A.RuleDecl, A.RuleDecl, A.RuleDecl, A.TestDecl];
  assert.equal(q(imp.path), "acme.common");
  assert.equal(imp.alias?.name, "common");
  assert.equal(sexpr(max.value), "500");
  assert.equal(sexpr(trusted.value), '["acme.com" "acme.io"]');
  assert.deepEqual([def.name.name, def.params.map((p) => p.name)], ["external", ["addr"]]);
  assert.equal(sexpr(def.body), "(not (paren (in (call domain addr) TRUSTED)))");

  assert.equal(large.name.name, "large_refund");
  assert.equal(large.doc, "Refunds over the limit need a supervisor.");
  assert.deepEqual(large.phases.map((p) => p.name), ["tool_call"]);
  assert.deepEqual(large.meta.map((m) => m.kind), ["Severity", "Controls"]);
  assert.deepEqual((large.meta[1] as A.ControlsMeta).values.map((v) => v.value), ["pci-dss-4.0:7.2.1", "soc2:CC6.1"]);
  assert.equal(sexpr(large.when!), '(and (== (. tool name) "refund") (> (. (. tool args) amount) MAX_REFUND))');
  assert.equal(sexpr(large.unless!), '(contains (. principal roles) "supervisor")');
  const ra = large.effects[0] as A.RequireApprovalEffect;
  assert.equal(ra.kind, "RequireApproval");
  assert.deepEqual(ra.message!.parts.map((p) => (typeof p === "string" ? p : sexpr(p))), ["Refund of ", "(. (. tool args) amount)", " exceeds ", "MAX_REFUND"]);
  assert.equal(large.braced, false);

  assert.equal(exfil.doc, null);
  assert.equal(
    sexpr(exfil.when!),
    '(and (and (== (. tool name) "send_email") (call external (. (. tool args) to))) (any r (. session calls) (== (. (. r tool) name) "read_medical_record")))',
  );
  assert.deepEqual((exfil.effects[0] as A.DenyEffect).message!.parts, ["patient data may not leave the clinic"]);

  const red = mask.effects[0] as A.RedactEffect;
  assert.equal(red.pattern.kind, "QualifiedName");
  assert.equal(q(red.pattern as A.QualifiedName), "pii.credit_card");
  assert.equal(sexpr(red.target), "(. output text)");
  assert.equal(red.replacement?.value, "[CARD]");

  assert.equal(t.name.value, "refund over the limit needs approval");
  assert.equal(t.phase.name, "tool_call");
  assert.equal(sexpr(t.input), "{tool: {name: \"refund\", args: {amount: 900}}, principal: {roles: []}}");
  assert.deepEqual(t.expects.map((x) => [x.kind, x.kind === "ExpectDecision" ? x.decision : "", x.kind !== "ExpectPayload" ? x.by.map(q) : []]), [
    ["ExpectDecision", "require_approval", ["large_refund"]],
  ]);
  assert.equal(f.comments.length, 1);
});

test("the example file in spec form also has its spans on the right lines", () => {
  const f = ok(EXAMPLE);
  const large = f.decls[4] as A.RuleDecl;
  assert.deepEqual([large.span.start.line, large.span.start.col, large.span.end.line, large.span.end.col], [11, 1, 17, 2]);
  assert.deepEqual([large.name.span.start.line, large.name.span.start.col], [11, 6]);
  const amount = (large.effects[0] as A.RequireApprovalEffect).message!.parts[1] as A.Expr;
  assert.equal(EXAMPLE.slice(amount.span.start.offset, amount.span.end.offset), "tool.args.amount");
});

test("precedence: or < and < not < comparison < + - < * / % < unary - < postfix", () => {
  assert.equal(shape("a or b and c"), "(or a (and b c))");
  assert.equal(shape("a and b or c"), "(or (and a b) c)");
  assert.equal(shape("not a and b"), "(and (not a) b)");
  assert.equal(shape("not a == b"), "(not (== a b))");
  assert.equal(shape("not not a"), "(not (not a))");
  assert.equal(shape("a and not b or c"), "(or (and a (not b)) c)");
  assert.equal(shape("a == b + c"), "(== a (+ b c))");
  assert.equal(shape("a + b * c - d"), "(- (+ a (* b c)) d)");
  assert.equal(shape("a - b - c"), "(- (- a b) c)");
  assert.equal(shape("a / b % c * d"), "(* (% (/ a b) c) d)");
  assert.equal(shape("-a * b"), "(* (- a) b)");
  assert.equal(shape("- -a.b[c](d)"), "(- (- (call ([] (. a b) c) d)))");
  assert.equal(shape("-f(x).y"), "(- (. (call f x) y))");
  assert.equal(shape("(a or b) and c"), "(and (paren (or a b)) c)");
});

test("every comparison operator, including the two-word ones", () => {
  for (const op of ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches", "like", "starts with", "ends with"]) {
    assert.equal(shape(`a + 1 ${op} b * 2`), `(${op} (+ a 1) (* b 2))`);
  }
  assert.equal(shape("x not in xs and y"), "(and (not in x xs) y)");
  assert.equal(shape("not x in xs"), "(not (in x xs))");
  assert.equal(shape('p matches /^\\/etc\\//i'), "(matches p /^\\/etc\\//i)");
  assert.equal(shape("t matches pii.email"), "(matches t (. pii email))");
});

test("literals: numbers, strings, booleans, null, durations, regexes, lists, objects", () => {
  assert.equal(shape("[12, 3.5, 1e3, 2.5E-3, true, false, null]"), "[12 3.5 1e3 2.5E-3 true false null]");
  assert.equal(shape('["a\\"b", "\\u{1F600}"]'), `[${JSON.stringify('a"b')} ${JSON.stringify("\u{1F600}")}]`);
  assert.equal(shape("[250ms, 30s, 15m, 1h, 7d, 1.5h]"), "[250ms 30s 15m 1h 7d 1.5h]");
  assert.equal(shape('{a: 1, "x-y": 2, from: 3, in: [],}'), '{a: 1, "x-y": 2, from: 3, in: []}');
  assert.equal(shape("[1, 2,]"), "[1 2]");
  assert.equal(shape("{}"), "{}");
  assert.equal(shape("f()"), "(call f)");
});

test("keywords are accepted after '.' and as object keys", () => {
  assert.equal(shape("tool.args.from == x.in.not.then.payload"), "(== (. (. tool args) from) (. (. (. (. x in) not) then) payload))");
  assert.equal(shape("a.not in b"), "(in (. a not) b)");
  assert.equal(shape("a.from / 2"), "(/ (. a from) 2)");
  assert.equal(shape("{with: 1, set: 2}"), "{with: 1, set: 2}");
});

test("quantifiers: body extends right; collection at the additive level; ordered 'then'", () => {
  assert.equal(shape("x and any c in xs: a or b"), "(and x (any c xs (or a b)))");
  assert.equal(shape("all a in tool.args.recipients: domain(a) in TRUSTED"), "(all a (. (. tool args) recipients) (in (call domain a) TRUSTED))");
  assert.equal(shape("count c in session.calls where c.tool.name == \"s\" and time - c.time < 1m"), '(count c (. session calls) (and (== (. (. c tool) name) "s") (< (- time (. c time)) 1m)))');
  assert.equal(shape("(count c in xs) > 3"), "(> (paren (count c xs)) 3)");
  assert.equal(shape("count c in xs + ys"), "(count c (+ xs ys))");
  assert.equal(shape("any a then b in xs: a.x and b.y"), "(any a then b xs (and (. a x) (. b y)))");
  assert.equal(shape("any a then b then c in xs: true"), "(any a then b then c xs true)");
  assert.equal(shape("any x in xs: any y in x: y"), "(any x xs (any y x y))");
  assert.equal(shape("[any x in xs: x, 2]"), "[(any x xs x) 2]");
});

test("rules: phases, every metadata item, when/unless, braced effects separated by commas or newlines", () => {
  const r = rule(`rule r on input, output {
  severity low
  controls "soc2:CC6.1"
  tags "pii", "export"
  owner "payments-team"
  when a
  unless b
  then {
    warn "bulk export", redact pii.email in tool.result with "[EMAIL]"
    deny
    require_approval "why" from "supervisor"
    require_approval from "lead"
    allow
    set tool.args.amount = 500
    redact /\\d{16}/ in output.text
  }
}`);
  assert.deepEqual(r.phases.map((p) => p.name), ["input", "output"]);
  assert.deepEqual(r.meta.map((m) => m.kind), ["Severity", "Controls", "Tags", "Owner"]);
  assert.equal((r.meta[3] as A.OwnerMeta).value.value, "payments-team");
  assert.equal(r.braced, true);
  assert.deepEqual(r.effects.map((e) => e.kind), ["Warn", "Redact", "Deny", "RequireApproval", "RequireApproval", "Allow", "Set", "Redact"]);
  const [, , deny, ra1, ra2, , set, red] = r.effects as [A.Effect, A.Effect, A.DenyEffect, A.RequireApprovalEffect, A.RequireApprovalEffect, A.Effect, A.SetEffect, A.RedactEffect];
  assert.equal(deny.message, null);
  assert.deepEqual([ra1.message?.parts, ra1.from?.value], [["why"], "supervisor"]);
  assert.deepEqual([ra2.message, ra2.from?.value], [null, "lead"]);
  assert.deepEqual([sexpr(set.target), sexpr(set.value)], ["(. (. tool args) amount)", "500"]);
  assert.deepEqual(red.pattern.kind === "Regex" && [red.pattern.pattern, red.pattern.flags], ["\\d{16}", ""]);
  assert.equal(red.replacement, null);
  const plain = rule("rule r on tool_call { then allow }");
  assert.deepEqual([plain.when, plain.unless, plain.braced, plain.effects.length], [null, null, false, 1]);
});

test("settings, imports without alias, def without parameters", () => {
  const f = ok("package p\nimport a.b.c\nimport a.b as x\ndefault deny\ndefault allow on tool_call, output\non_error allow on input\ndef f() = 1");
  const [i1, i2, d1, d2, e1, def] = f.decls as [A.ImportDecl, A.ImportDecl, A.DefaultDecl, A.DefaultDecl, A.OnErrorDecl, A.DefDecl];
  assert.deepEqual([q(i1.path), i1.alias], ["a.b.c", null]);
  assert.equal(i2.alias?.name, "x");
  assert.deepEqual([d1.kind, d1.value, d1.phases], ["Default", "deny", []]);
  assert.deepEqual([d2.value, d2.phases.map((p) => p.name)], ["allow", ["tool_call", "output"]]);
  assert.deepEqual([e1.kind, e1.value, e1.phases.map((p) => p.name)], ["OnError", "allow", ["input"]]);
  assert.deepEqual(def.params, []);
});

test("test blocks: every kind of expectation", () => {
  const f = ok(`test "name" {
  on tool_call { tool: { name: "refund", args: { amount: 900 } } }
  expect require_approval by large_refund, other.rule
  expect warn by bulk_export
  expect payload.tool.args["amount"] == 500
}
test "plain" { on input {} expect deny }
test "plain" { on input {} expect allow }`);
  const t = f.decls[0] as A.TestDecl;
  assert.deepEqual(t.expects.map((x) => x.kind), ["ExpectDecision", "ExpectWarn", "ExpectPayload"]);
  assert.deepEqual(f.decls.slice(1).map((d) => ((d as A.TestDecl).expects[0] as { decision: string }).decision), ["deny", "allow"]);
  assert.deepEqual((t.expects[0] as Extract<A.Expectation, { kind: "ExpectDecision" }>).by.map(q), ["large_refund", "other.rule"]);
  const p = t.expects[2] as Extract<A.Expectation, { kind: "ExpectPayload" }>;
  // The path is what follows `payload.`: rooted at the first field of the payload.
  assert.deepEqual([sexpr(p.path), sexpr(p.value)], ['([] (. tool args) "amount")', "500"]);
});

function one(text: string): { code: string; line: number; col: number; message: string; help?: string } {
  const r = parse(text, "t.policy");
  assert.equal(r.file, null, text);
  assert.equal(r.diagnostics.length, 1, `${text}\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  const d = r.diagnostics[0];
  return { code: d.code, line: d.span.start.line, col: d.span.start.col, message: d.message, help: d.help };
}

test("every E1xx code is produced by some input, at the right place", () => {
  const cases: [string, string, number, number][] = [
    ["E100", "rule r on x {\n  when a and )\n  then deny\n}", 2, 14],
    ["E101", 'const A = "abc', 1, 11],
    ["E102", "const A = 1\n/* no end", 2, 1],
    ["E103", "const A = 1 ~ 2", 1, 13],
    ["E104", 'const A = "a\\qb"', 1, 13],
    ["E105", "const A = 10x", 1, 11],
    ["E106", "const A = x matches /abc", 1, 21],
    ["E107", `const A = ${"(".repeat(300)}1${")".repeat(300)}`, 1, 267],
    ["E108", "#".repeat(4 * 1024 * 1024 + 1), 1, 1],
    ["E109", "const A = a < b < c", 1, 17],
    ["E110", 'rule r on x { then deny "a {} b" }', 1, 28],
    ["E111", "const A = all a then b in xs: a", 1, 17],
    ["E112", "rule r on x { then set f(x) = 1 }", 1, 24],
  ];
  const codes = Object.keys(CODES).filter((c) => /^E1\d\d$/.test(c));
  assert.deepEqual(cases.map((c) => c[0]).sort(), codes.sort(), "a case for every registered E1xx code");
  for (const [code, text, line, col] of cases) {
    const d = one(text);
    assert.deepEqual([d.code, d.line, d.col], [code, line, col], `${code}: ${d.message}`);
  }
});

test("syntax messages are human and come with help where there is a fix", () => {
  assert.deepEqual(one("rule r on x { when a and ) then deny }").message, "expected an expression after 'and', found ')'");
  const chain = one("rule r on x { when a < b < c then deny }");
  assert.equal(chain.help, "parenthesise one side: (a < b) and (b < c)");
  const eq = one("rule r on x { when a = b then deny }");
  assert.deepEqual([eq.message, eq.col], ["unexpected '=' after 'b'", 22]);
  assert.match(eq.help ?? "", /use '=='/);
  assert.match(one("rule r on x { then set a == 1 }").help ?? "", /single '='/);
  assert.equal(one("const A = [1 2]").help, "separate the items with ','");
  assert.equal(one("rule r tool_call { then deny }").message, "expected 'on' after 'r', found 'tool_call'");
  assert.equal(one("rule r on x { then }").message, "expected an effect (deny, require_approval, allow, warn, redact or set) after 'then', found '}'");
  assert.match(one("const from = 1").help ?? "", /'from' is a keyword/);
  assert.match(one("rule r on x { when a == not b then deny }").help ?? "", /parenthesise/);
  assert.match(one("rule r on x { when a then { deny \"a\" warn \"b\" } }").message, /expected ',' or a new line between effects/);
  assert.match(one("rule r on x { when a }").message, /rule 'r' has no 'then'/);
  assert.match(one("rule r on x { when a when b then deny }").message, /at most one 'when'/);
  assert.match(one('test "t" { on x {} }').message, /at least one 'expect'/);
  // Two decision expectations parse: the checker reports them (E407).
  assert.equal(parse('test "t" { on x {} expect deny expect allow by r }', "t").file?.decls.length, 1);
  // A string is no redact pattern: one diagnostic at the string, no cascade on the target.
  const red = one('rule r on output {\n  then redact "secret" in output.text\n}');
  assert.deepEqual([red.code, red.line, red.col], ["E100", 2, 15]);
  assert.match(one("const A = any x in xs").message, /expected ':'/);
  assert.match(one("const A = any x in xs where x").message, /'any' takes ':'/);
  assert.match(one("const A = count x in xs: x").message, /'count' takes 'where'/);
  assert.match(one("const A = 1\npackage p").message, /'package' must be the first/);
  assert.match(one("junk").message, /^expected a declaration/);
  assert.match(one("rule r on x { then deny").help ?? "", /not closed/);
  assert.equal(one('rule r on x { then warn "{x +}" }').code, "E110");
  assert.equal(one("rule r on x { then redact pii.email in a + b }").code, "E112");
});

test("one run reports every syntax error of a file", () => {
  const text = `package p

rule a on x {
  when a and )
  then deny
}

rule b on x {
  when (
  then deny
}

const C = [1, 2

rule c on x {
  then deny "ok"
}
`;
  assert.deepEqual(errs(text), ["E100@4:14", "E100@10:3", "E100@15:1"]);
  // Errors of different kinds in one file, each its own diagnostic.
  assert.deepEqual(errs('const A = "x\nconst B = 1 < 2 < 3\nconst C = 10x\nrule r on x { then set 1 = 2 }\nconst D = ('), [
    "E101@1:11", "E109@2:17", "E105@3:11", "E112@4:24", "E100@5:12",
  ]);
});

test("garbage between declarations does not hide later errors", () => {
  assert.deepEqual(errs("garbage here\nrule r on x { then deny }\nconst A = a < b < c"), ["E100@1:1", "E109@3:17"]);
});
