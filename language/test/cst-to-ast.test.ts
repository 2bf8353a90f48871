import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type * as A from "../ast.ts";
import { stripSpans, walk } from "../ast-util.ts";
import { durationMs } from "../cst-to-ast.ts";
import { parse } from "../parse.ts";
import { isValidSpan } from "../span.ts";
import { exprArb, policySourceArb, stripParens } from "./arbitrary.ts";
import { printExpr, printExprMinimal } from "./reference-printer.ts";
import { sexpr, shape } from "./sexpr.ts";

function ok(text: string): A.PolicyFile {
  const r = parse(text, "t.policy");
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col} ${d.message}`), []);
  return r.file!;
}
function message(text: string): A.Template {
  const r = ok(`rule r on x { then deny ${text} }`).decls[0] as A.RuleDecl;
  return (r.effects[0] as A.DenyEffect).message!;
}
const slice = (text: string, s: { span: { start: { offset: number }; end: { offset: number } } }) => text.slice(s.span.start.offset, s.span.end.offset);

test("message templates: text and {expr} parts, escaped braces, spans into the file", () => {
  const src = 'rule r on x { then deny "Refund of {tool.args.amount} exceeds {MAX + 1}\\{literal\\} \\"q\\"" }';
  const t = (ok(src).decls[0] as A.RuleDecl).effects[0] as A.DenyEffect;
  const parts = t.message!.parts;
  assert.deepEqual(parts.map((p) => (typeof p === "string" ? p : sexpr(p))), ["Refund of ", "(. (. tool args) amount)", " exceeds ", "(+ MAX 1)", '{literal} "q"']);
  assert.equal(slice(src, parts[1] as A.Expr), "tool.args.amount");
  assert.equal(slice(src, parts[3] as A.Expr), "MAX + 1");
  assert.equal(t.message!.raw, src.slice(src.indexOf('"'), src.lastIndexOf('"') + 1));
  assert.equal(slice(src, t.message!), t.message!.raw);
  assert.deepEqual(message('"{a}{b}"').parts.map((p) => (typeof p === "string" ? p : sexpr(p))), ["a", "b"]);
  assert.deepEqual(message('""').parts, []);
  assert.deepEqual(message('"{ {k: 1}.k }"').parts.map((p) => (typeof p === "string" ? p : sexpr(p))), ["(. {k: 1} k)"]);
});

test("only messages interpolate: other strings keep their braces", () => {
  const f = ok('const A = "{not interpolated}"\nrule r on x { owner "{x}" then redact /a/ in output.text with "{y}" }');
  assert.equal(((f.decls[0] as A.ConstDecl).value as A.StringLit).value, "{not interpolated}");
});

test("invalid interpolations are E110, pointing into the message", () => {
  for (const [text, col] of [
    ['"a {} b"', 28],
    ['"a {x"', 28],
    ['"a {x +}"', 28],
    ['"a {x y}"', 28],
    ['"a {#}"', 28],
  ] as const) {
    const r = parse(`rule r on x { then deny ${text} }`, "t");
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.span.start.col]), [["E110", col]], text);
  }
});

test("doc comments attach to the declaration directly below", () => {
  const f = ok(`/// The package.
package p

/// Line one.
///   Indented two.
///
rule a on x { then deny }

/// Not attached: a blank line follows.

rule b on x { then deny }

/// Not attached either: a plain comment is in between.
// plain
const C = 1
//// four slashes are not a doc comment
def f() = 1
/// on import
import a.b
`);
  assert.equal(f.package!.doc, "The package.");
  const [a, b, c, d, i] = f.decls as [A.RuleDecl, A.RuleDecl, A.ConstDecl, A.DefDecl, A.ImportDecl];
  assert.equal(a.doc, "Line one.\n  Indented two.\n");
  assert.equal(b.doc, null);
  assert.equal(c.doc, null);
  assert.equal(d.doc, null);
  assert.equal(i.doc, "on import");
  assert.deepEqual(f.comments.map((x) => [x.doc, x.text]), [
    [true, "/// The package."],
    [true, "/// Line one."],
    [true, "///   Indented two."],
    [true, "///"],
    [true, "/// Not attached: a blank line follows."],
    [true, "/// Not attached either: a plain comment is in between."],
    [false, "// plain"],
    [false, "//// four slashes are not a doc comment"],
    [true, "/// on import"],
  ]);
});

test("durations are held in milliseconds, exactly", () => {
  assert.deepEqual(["250ms", "30s", "15m", "1h", "7d", "1.5h", "1.1s", "0.5ms", "2.25m"].map(durationMs), [250, 30_000, 900_000, 3_600_000, 604_800_000, 5_400_000, 1100, 0.5, 135_000]);
  const d = (ok("const A = 1.1s").decls[0] as A.ConstDecl).value as A.DurationLit;
  assert.deepEqual([d.kind, d.ms, d.raw], ["Duration", 1100, "1.1s"]);
});

test("regex literals keep their pattern as written and their flags", () => {
  const v = (ok("const A = [/^\\/etc\\//i, /[/]x/msu, /a/]").decls[0] as A.ConstDecl).value as A.ListLit;
  assert.deepEqual(v.items.map((r) => (r.kind === "Regex" ? [r.pattern, r.flags] : null)), [["^\\/etc\\/", "i"], ["[/]x", "msu"], ["a", ""]]);
});

test("object keys: names, keywords and strings, with their spans", () => {
  const src = 'const A = {a: 1, "x y": 2, from: 3}';
  const o = (ok(src).decls[0] as A.ConstDecl).value as A.ObjectLit;
  assert.deepEqual(o.entries.map((e) => [e.key, e.quoted, src.slice(e.keySpan.start.offset, e.keySpan.end.offset)]), [["a", false, "a"], ["x y", true, '"x y"'], ["from", false, "from"]]);
});

test("binary nodes carry the operator's own span", () => {
  const src = "const A = x not in xs and a starts with b";
  const v = (ok(src).decls[0] as A.ConstDecl).value as A.Binary;
  assert.equal(src.slice(v.opSpan.start.offset, v.opSpan.end.offset), "and");
  assert.equal(src.slice((v.left as A.Binary).opSpan.start.offset, (v.left as A.Binary).opSpan.end.offset), "not in");
  assert.equal(src.slice((v.right as A.Binary).opSpan.start.offset, (v.right as A.Binary).opSpan.end.offset), "starts with");
});

test("'not' after a comparison or arithmetic operator needs parentheses", () => {
  for (const text of ["a == not b", "a + not b", "-not a", "any x in not xs: x"]) {
    const r = parse(`const A = ${text}`, "t");
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["E100"], text);
  }
  assert.equal(shape("a == (not b)"), "(== a (paren (not b)))");
});

test("comparisons do not chain, whatever the operators", () => {
  for (const text of ["a < b < c", "a == b != c", "a in b contains c", "a < b + 1 > c", "not a == b == c"]) {
    assert.deepEqual(parse(`const A = ${text}`, "t").diagnostics.map((d) => d.code), ["E109"], text);
  }
  assert.equal(shape("(a < b) == c"), "(== (paren (< a b)) c)");
});

test("effect targets must be member/index chains rooted at a name (E112)", () => {
  for (const t of ["output.text", "tool.args[0].x", "a"]) ok(`rule r on x { then { redact pii.email in ${t}, set ${t} = 1 } }`);
  for (const t of ["(output.text)", "f(x).y", "1", "a + b", '"s"']) {
    assert.deepEqual(parse(`rule r on x { then set ${t} = 1 }`, "t").diagnostics.map((d) => d.code), ["E112"], t);
  }
});

test("every node of a parsed file has a valid span", () => {
  fc.assert(
    fc.property(policySourceArb, ({ source }) => {
      const f = parse(source, "g.policy").file;
      assert.ok(f);
      walk(f, (n) => {
        assert.ok(isValidSpan(n.span, source.length), n.kind);
      });
    }),
    { numRuns: 200 },
  );
});

test("property: generated valid sources parse with no diagnostics, to the generated AST", () => {
  fc.assert(
    fc.property(policySourceArb, ({ ast, source }) => {
      const r = parse(source, "generated.policy");
      assert.deepEqual(r.diagnostics, [], source);
      assert.deepEqual(stripParens(stripSpans(r.file)), stripParens(stripSpans(ast)), source);
    }),
    { numRuns: 1500 },
  );
});

test("property: expressions print and parse back to themselves", () => {
  fc.assert(
    fc.property(exprArb({ maxDepth: 6 }), (e) => {
      const src = `const X = ${printExpr(e)}`;
      const r = parse(src, "e.policy");
      assert.deepEqual(r.diagnostics, [], src);
      const got = (r.file!.decls[0] as A.ConstDecl).value;
      assert.deepEqual(stripParens(stripSpans(got)), stripParens(stripSpans(e)), src);
    }),
    { numRuns: 1500 },
  );
});

test("property: expressions printed with only the parentheses precedence needs parse back to themselves", () => {
  fc.assert(
    fc.property(exprArb({ maxDepth: 6 }), (e) => {
      const src = `const X = ${printExprMinimal(e)}`;
      const r = parse(src, "e.policy");
      assert.deepEqual(r.diagnostics, [], src);
      const got = (r.file!.decls[0] as A.ConstDecl).value;
      assert.deepEqual(stripParens(stripSpans(got)), stripParens(stripSpans(e)), src);
    }),
    { numRuns: 3000 },
  );
});
