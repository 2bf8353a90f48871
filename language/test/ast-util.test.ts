import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type * as A from "../ast.ts";
import { children, exprDepth, isExpr, stripSpans, walk } from "../ast-util.ts";
import { parse } from "../parse.ts";
import { policyFileArb } from "./arbitrary.ts";

const SRC = `package p
rule r on tool_call {
  severity high
  when any c in xs: c.a[0] == f(1, -2) and not ok
  then { deny "x {y}", redact pii.email in output.text with "z", set a.b = [1, {k: 2}] }
}
test "t" { on tool_call {a: 1} expect deny by r expect payload.a == 1 }
`;

test("walk visits every node once, in source order", () => {
  const f = parse(SRC, "t").file!;
  const seen: A.Node[] = [];
  walk(f, (n) => {
    seen.push(n);
  });
  assert.equal(new Set(seen).size, seen.length);
  const names = seen.filter((n): n is A.NameRef => n.kind === "Name").map((n) => n.name);
  assert.deepEqual(names, ["xs", "c", "f", "ok", "y", "output", "a", "a"]);
  // Source order: each node starts no earlier than the previous one that is not its ancestor's sibling.
  const starts = seen.filter((n) => n.kind !== "File").map((n) => n.span.start.offset);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i] >= starts[i - 1] || seen[i + 1].kind === "Ident", `${i}`);
});

test("walk can skip a subtree", () => {
  const f = parse(SRC, "t").file!;
  const rule = f.decls[0];
  const seen: A.Node[] = [];
  walk(f, (n) => {
    seen.push(n);
    return n.kind !== "Rule";
  });
  assert.ok(seen.includes(rule));
  const inside = seen.filter((n) => n !== rule && n.span.start.offset >= rule.span.start.offset && n.span.end.offset <= rule.span.end.offset);
  assert.deepEqual(inside, []);
  assert.equal(seen.filter((n) => n.kind === "Test").length, 1);
});

test("children reach every expression of a generated file (no node kind is forgotten)", () => {
  fc.assert(
    fc.property(policyFileArb, (f) => {
      // Every object in the tree that has a `kind` must be reachable through `children`.
      const reachable = new Set<unknown>();
      walk(f, (n) => {
        reachable.add(n);
      });
      const all: unknown[] = [];
      const collect = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(collect);
        else if (v !== null && typeof v === "object") {
          if ("kind" in v && "span" in v) all.push(v);
          for (const [k, x] of Object.entries(v)) if (k !== "span" && k !== "opSpan" && k !== "keySpan") collect(x);
        }
      };
      collect(f);
      for (const n of all) if ((n as A.Node).kind !== "Comment") assert.ok(reachable.has(n), (n as A.Node).kind);
    }),
    { numRuns: 300 },
  );
});

test("stripSpans removes span, opSpan and keySpan and nothing else", () => {
  const f = parse("const A = {k: a + 1}", "t").file!;
  const s = JSON.stringify(stripSpans(f));
  assert.doesNotMatch(s, /"(span|opSpan|keySpan)"/);
  assert.match(s, /"key":"k"/);
  assert.deepEqual(stripSpans(parse("const A = 1", "a").file!.decls), stripSpans(parse("\n\n  const   A =\n 1", "b").file!.decls));
});

test("exprDepth counts nested expressions", () => {
  const d = (t: string) => exprDepth(parse(`const A = ${t}`, "t").file!.decls[0]);
  assert.deepEqual([d("1"), d("a.b"), d("(1)"), d("-(a + b)")], [1, 2, 2, 4]);
  assert.ok(isExpr({ kind: "Null", span: parse("", "t").file!.span }));
  assert.equal(children({ kind: "Allow", span: parse("", "t").file!.span }).length, 0);
});
