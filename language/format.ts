// The formatter: one canonical layout for a parsed file (spec/formatting.md). The tree decides
// the layout; comments, which the tree does not hold, are put back by position: each comment
// goes next to the printed line that holds the code it was written beside.
//
// Invariants the tests hold: `format` is idempotent; the output parses to the input's tree up to
// spans (metadata in canonical order, effect braces and key quoting canonical); every comment is
// printed, verbatim and in source order.
import type { Binding, Comment, Decl, Effect, Expectation, Expr, PackageDecl, PolicyFile, QualifiedName, RuleDecl, RuleMeta, Template, TestDecl } from "./ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { hasErrors } from "./diagnostics.ts";
import { parse } from "./parse.ts";
import { isOpen, needsParens, reachesPast, type Slot } from "./precedence.ts";
import { anchor, type Doc, group, hardline, ifBreak, join, line, nest, render, type RenderedLine, softline } from "./pretty.ts";
import { escapeText, isIdentifier, quoteString } from "./quote.ts";

/** The line width the formatter breaks lists, objects, calls and conditions at. */
export const WIDTH = 100;

/** Canonical order of rule metadata. */
export const META_ORDER: readonly RuleMeta["kind"][] = ["Severity", "Controls", "Tags", "Owner"];

/** Parses then formats; refuses (text null) when the file has syntax errors. */
export function formatSource(text: string, path: string): { text: string | null; diagnostics: Diagnostic[] } {
  const { file, diagnostics } = parse(text, path);
  if (file === null || hasErrors(diagnostics)) return { text: null, diagnostics: [...diagnostics] };
  return { text: format(file, text), diagnostics: [...diagnostics] };
}

/** One expression on one logical line (broken only where it exceeds the width), without comments. */
export function formatExpr(e: Expr, width = WIDTH): string {
  return render(expr(e, { at: "top" }), width)
    .map((l) => " ".repeat(l.indent) + l.text)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Expressions

/** How far continuation lines of an `and`/`or` chain are indented, so operands line up after the keyword. */
interface ChainIndent {
  readonly and: number;
  readonly or: number;
}
const PLAIN: ChainIndent = { and: 2, or: 2 };
const after = (keyword: string): ChainIndent => ({ and: keyword.length + 1 - 4, or: keyword.length + 1 - 3 });

function at(e: { span: { start: { offset: number }; end: { offset: number } } }): Doc {
  return anchor(e.span.start.offset, e.span.end.offset);
}
function closer(e: { span: { end: { offset: number } } }): Doc {
  return anchor(e.span.end.offset - 1, e.span.end.offset);
}

function expr(e: Expr, slot: Slot, chain: ChainIndent = PLAIN): Doc {
  // Trees from the parser carry their own `Paren` nodes; trees built by programs may not.
  if (needsParens(e, slot)) return ["(", exprInner(e, { at: "top" }, PLAIN), ")"];
  return exprInner(e, slot, chain);
}

function exprInner(e: Expr, slot: Slot, chain: ChainIndent): Doc {
  switch (e.kind) {
    case "Number":
    case "Duration":
      return [at(e), e.raw];
    case "String":
      return [at(e), quoteString(e.value)];
    case "Bool":
      return [at(e), e.value ? "true" : "false"];
    case "Null":
      return [at(e), "null"];
    case "Regex":
      return [at(e), regexText(e.pattern, e.flags)];
    case "Name":
      return [at(e), e.name];
    case "List":
      if (e.items.length === 0) return [at(e), "[]"];
      return [at(e), group(["[", nest(2, [softline, join([",", line], e.items.map((x) => expr(x, { at: "top" })))]), softline, closer(e), "]"])];
    case "Object":
      if (e.entries.length === 0) return [at(e), "{}"];
      return [
        at(e),
        group([
          "{",
          nest(2, [line, join([",", line], e.entries.map((en) => [anchor(en.keySpan.start.offset, en.keySpan.end.offset), objectKey(en.key), ": ", expr(en.value, { at: "top" })]))]),
          line,
          closer(e),
          "}",
        ]),
      ];
    case "Member":
      return [at(e), expr(e.object, { at: "postfix" }), ".", at(e.property), e.property.name];
    case "Index":
      return [at(e), expr(e.object, { at: "postfix" }), "[", expr(e.index, { at: "top" }), closer(e), "]"];
    case "Call":
      return [
        at(e),
        expr(e.callee, { at: "postfix" }),
        e.args.length === 0 ? ["(", closer(e), ")"] : group(["(", nest(2, [softline, join([",", line], e.args.map((x) => expr(x, { at: "top" })))]), softline, closer(e), ")"]),
      ];
    case "Unary": {
      if (e.op === "not") return [at(e), "not ", expr(e.operand, { at: "not", open: isOpen(slot) })];
      const operand = expr(e.operand, { at: "negate", open: isOpen(slot) });
      const spaced = startsWithMinus(e.operand);
      return [at(e), spaced ? "- " : "-", operand];
    }
    case "Binary": {
      if (e.op === "and" || e.op === "or") return chainDoc(e, slot, chain);
      return [at(e), expr(e.left, { at: "left", op: e.op, open: false }), " ", anchor(e.opSpan.start.offset, e.opSpan.end.offset), e.op, " ", expr(e.right, { at: "right", op: e.op, open: isOpen(slot) })];
    }
    case "Quantifier": {
      const head: Doc[] = [at(e), e.quantifier, " ", join(" then ", e.vars.map((v) => [at(v), v.name])), " in ", expr(e.collection, { at: "collection" })];
      if (e.body === null) return head;
      const sep = e.quantifier === "count" ? " where " : ": ";
      // A body that ends in `... or x` with `x` not using the variable reads as if `x` were
      // outside it (W008): the parentheses say where it ends, as it already does.
      if (reachesPast(e)) return [...head, sep, "(", expr(e.body, { at: "top" }, PLAIN), closer(e.body), ")"];
      // A chain inside a body breaks deeper than the chain around it, so it reads as the body's.
      return [...head, sep, expr(e.body, { at: "top" }, { and: 4, or: 4 })];
    }
    case "Paren":
      return [at(e), "(", expr(e.expr, { at: "top" }), closer(e), ")"];
  }
}

function startsWithMinus(e: Expr): boolean {
  if (e.kind === "Unary") return e.op === "-";
  if (e.kind === "Number" || e.kind === "Duration") return e.raw.startsWith("-");
  if (e.kind === "Binary") return startsWithMinus(e.left);
  if (e.kind === "Member" || e.kind === "Index") return startsWithMinus(e.object);
  if (e.kind === "Call") return startsWithMinus(e.callee);
  return false;
}

// `a and b and c` is printed as one group that breaks before every `and`, operands aligned.
function chainDoc(e: Expr & { kind: "Binary" }, slot: Slot, chain: ChainIndent): Doc {
  const op = e.op;
  const links: (Expr & { kind: "Binary" })[] = [];
  let left: Expr = e;
  while (left.kind === "Binary" && left.op === op) {
    links.unshift(left);
    left = left.left;
  }
  const first = expr(left, { at: "left", op, open: false });
  const rest = links.map((b, i) => {
    const last = i === links.length - 1;
    return [line, anchor(b.opSpan.start.offset, b.opSpan.end.offset), op, " ", expr(b.right, { at: "right", op, open: last && isOpen(slot) })];
  });
  return [at(e), group([first, nest(op === "and" ? chain.and : chain.or, rest)])];
}

function objectKey(key: string): string {
  return isIdentifier(key) ? key : quoteString(key);
}

function regexText(pattern: string, flags: string): string {
  // The pattern is the source between the slashes, printed as written; a slash that would end the
  // literal early (outside a class, unescaped: only in trees built by programs) gets a backslash.
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) inClass = ch !== "]";
    else if (ch === "[") inClass = true;
    else if (ch === "/") {
      out += "\\/";
      continue;
    }
    out += ch;
  }
  return `/${out}/${flags}`;
}

function templateText(t: Template): string {
  // An interpolation holding a string literal would need quotes inside the quotes: keep those as written.
  if (t.parts.some((p) => typeof p !== "string" && containsString(p))) return t.raw;
  return `"${t.parts.map((p) => (typeof p === "string" ? escapeText(p, true) : `{${formatExpr(p, Number.MAX_SAFE_INTEGER)}}`)).join("")}"`;
}

function containsString(e: Expr): boolean {
  switch (e.kind) {
    case "String":
      return true;
    case "List":
      return e.items.some(containsString);
    case "Object":
      return e.entries.some((x) => containsString(x.value));
    case "Member":
      return containsString(e.object);
    case "Index":
      return containsString(e.object) || containsString(e.index);
    case "Call":
      return containsString(e.callee) || e.args.some(containsString);
    case "Unary":
      return containsString(e.operand);
    case "Binary":
      return containsString(e.left) || containsString(e.right);
    case "Quantifier":
      return containsString(e.collection) || (e.body !== null && containsString(e.body));
    case "Paren":
      return containsString(e.expr);
    default:
      return false;
  }
}

function qname(q: QualifiedName): Doc {
  return join(".", q.parts.map((p) => [at(p), p.name]));
}

// ---------------------------------------------------------------------------------------------
// Declarations

function listAfter(keyword: string, items: readonly Doc[]): Doc {
  return group([keyword, " ", nest(keyword.length + 1, join([",", line], items))]);
}

function metaDoc(m: RuleMeta): Doc {
  switch (m.kind) {
    case "Severity":
      return [at(m), "severity ", at(m.level), m.level.name];
    case "Controls":
      return [at(m), listAfter("controls", m.values.map((v) => [at(v), quoteString(v.value)]))];
    case "Tags":
      return [at(m), listAfter("tags", m.values.map((v) => [at(v), quoteString(v.value)]))];
    case "Owner":
      return [at(m), "owner ", at(m.value), quoteString(m.value.value)];
  }
}

function message(t: Template | null): Doc {
  return t === null ? "" : [" ", at(t), templateText(t)];
}

function effectDoc(f: Effect): Doc {
  switch (f.kind) {
    case "Deny":
      return [at(f), "deny", message(f.message)];
    case "RequireApproval":
      return [at(f), "require_approval", message(f.message), f.from === null ? "" : [" from ", at(f.from), quoteString(f.from.value)]];
    case "Allow":
      return [at(f), "allow"];
    case "Warn":
      return [at(f), "warn", message(f.message)];
    case "Redact":
      return [
        at(f),
        "redact ",
        f.pattern.kind === "Regex" ? [at(f.pattern), regexText(f.pattern.pattern, f.pattern.flags)] : qname(f.pattern),
        " in ",
        expr(f.target, { at: "top" }),
        f.replacement === null ? "" : [" with ", at(f.replacement), quoteString(f.replacement.value)],
      ];
    case "Set":
      return [at(f), "set ", expr(f.target, { at: "top" }), " = ", expr(f.value, { at: "top" })];
  }
}

function ruleDoc(r: RuleDecl): Doc {
  const body: Doc[] = [];
  const metas = [...r.meta].sort((a, b) => META_ORDER.indexOf(a.kind) - META_ORDER.indexOf(b.kind));
  for (const m of metas) body.push(metaDoc(m));
  if (r.when !== null) body.push(["when ", expr(r.when, { at: "top" }, after("when"))]);
  if (r.unless !== null) body.push(["unless ", expr(r.unless, { at: "top" }, after("unless"))]);
  if (r.effects.length === 1) body.push(["then ", effectDoc(r.effects[0])]);
  else body.push(["then ", group(["{", nest(2, [line, join([ifBreak("", ","), line], r.effects.map(effectDoc))]), line, "}"])]);
  return [
    at(r.name),
    "rule ",
    r.name.name,
    " on ",
    join(", ", r.phases.map((p) => [at(p), p.name])),
    " {",
    nest(2, [hardline, join(hardline, body)]),
    hardline,
    closer(r),
    "}",
  ];
}

function expectDoc(x: Expectation): Doc {
  const by = (names: readonly QualifiedName[]): Doc => (names.length === 0 ? "" : [" by ", join(", ", names.map(qname))]);
  switch (x.kind) {
    case "ExpectDecision":
      return [at(x), "expect ", x.decision, by(x.by)];
    case "ExpectWarn":
      return [at(x), "expect warn", by(x.by)];
    case "ExpectPayload":
      // The path is read under `payload.`, which the tree leaves implicit.
      return [at(x), "expect payload.", expr(x.path, { at: "left", op: "==", open: false }), " == ", expr(x.value, { at: "right", op: "==", open: true })];
  }
}

function bindingDoc(b: Binding): Doc {
  return [at(b.name), b.name.name, " = ", expr(b.value, { at: "top" })];
}

function testDoc(t: TestDecl): Doc {
  const body: Doc[] = [...t.given.map((b) => ["with ", bindingDoc(b)]), ["on ", at(t.phase), t.phase.name, " ", expr(t.input, { at: "top" })], ...t.expects.map(expectDoc)];
  return [at(t.name), "test ", quoteString(t.name.value), " {", nest(2, [hardline, join(hardline, body)]), hardline, closer(t), "}"];
}

function declDoc(d: Decl | PackageDecl): Doc {
  return [at(d), declBody(d)];
}

function declBody(d: Decl | PackageDecl): Doc {
  switch (d.kind) {
    case "Package":
      return ["package ", qname(d.name)];
    case "Import":
      return ["import ", qname(d.path), d.alias === null ? "" : [" as ", at(d.alias), d.alias.name]];
    case "Default":
    case "OnError":
      return [d.kind === "Default" ? "default " : "on_error ", d.value, d.phases.length === 0 ? "" : [" on ", join(", ", d.phases.map((p) => [at(p), p.name]))]];
    case "Const":
      return [d.param ? "param " : "const ", at(d.name), d.name.name, d.type === null ? "" : [": ", join(" ", d.type.words.map((w) => [at(w), w.name]))], " = ", expr(d.value, { at: "top" })];
    case "Configure":
      return ["configure ", qname(d.package), " {", nest(2, d.bindings.map((b) => [hardline, bindingDoc(b)])), hardline, closer(d), "}"];
    case "Def":
      return ["def ", at(d.name), d.name.name, "(", join(", ", d.params.map((p) => [at(p), p.name])), ") = ", expr(d.body, { at: "top" })];
    case "Rule":
      return ruleDoc(d);
    case "Test":
      return testDoc(d);
  }
}

// ---------------------------------------------------------------------------------------------
// The file, and comments put back

interface Block {
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  readonly lines: RenderedLine[];
  readonly documented: boolean;
}

interface Slotted {
  before: Comment[];
  trailing: Comment | null;
}

/** Formats a parsed file; `source` is the text it was parsed from (comments are placed by its offsets). */
export function format(file: PolicyFile, source: string): string {
  const decls: (Decl | PackageDecl)[] = file.package === null ? [...file.decls] : [file.package, ...file.decls];
  const blocks: Block[] = decls.map((d) => ({
    kind: d.kind === "OnError" ? "Default" : d.kind,
    start: d.span.start.offset,
    end: d.span.end.offset,
    lines: render(declDoc(d), WIDTH),
    documented: d.doc !== null,
  }));
  const flat: { block: number; line: RenderedLine; slot: Slotted }[] = [];
  blocks.forEach((b, i) => b.lines.forEach((l) => flat.push({ block: i, line: l, slot: { before: [], trailing: null } })));
  // Anchors sorted both ways, so each comment finds its neighbours by binary search.
  const anchors = flat.flatMap((f, idx) => f.line.anchors.map((a) => ({ ...a, idx })));
  const byEnd = [...anchors].sort((a, b) => a.end - b.end || a.start - b.start || a.idx - b.idx);
  const byStart = [...anchors].sort((a, b) => a.start - b.start || a.end - b.end || a.idx - b.idx);
  const eof: Comment[] = [];

  for (const c of file.comments) {
    const s = c.span.start.offset;
    const e = c.span.end.offset;
    // The token printed last before the comment (greatest end, innermost) and first after it.
    const pred = byEnd[lowerBound(byEnd, (a) => a.end > s) - 1];
    const succ = byStart[lowerBound(byStart, (a) => a.start >= e)];
    if (pred && !source.slice(pred.end, s).includes("\n")) {
      const slot = flat[pred.idx].slot;
      if (slot.trailing) slot.before.push(slot.trailing);
      slot.trailing = c;
    } else if (succ) {
      const slot = flat[succ.idx].slot;
      // A comment placed before a line must also precede that line's earlier trailing comment.
      if (slot.trailing) {
        slot.before.push(slot.trailing);
        slot.trailing = null;
      }
      slot.before.push(c);
    } else eof.push(c);
  }

  const out: string[] = [];
  const blankBetween = (a: number, b: number) => /\n[ \t\r]*\n/.test(source.slice(a, b));
  let prev: { end: number; block: Block | null } | null = null;
  // A `///` comment ending the previous line documents what follows it directly: no blank line may come between.
  let lastDoc: Comment | null = null;
  const gap = (next: number, b: Block | null): boolean => {
    if (prev === null) return false;
    if (lastDoc !== null && !blankBetween(lastDoc.span.end.offset, next)) return false;
    return (prev.block !== null && b !== null && forcedBlank(prev.block, b)) || blankBetween(prev.end, next);
  };
  let lineNo = 0;
  for (const b of blocks) {
    b.lines.forEach((l, li) => {
      const { slot } = flat[lineNo++];
      const indent = " ".repeat(l.indent + (li > 0 && /^[}\]]/.test(l.text) ? 2 : 0));
      // Comments from inside a declaration that land above its first line must not become, or
      // come between, its doc comment: they go first, and a `///` among them is set apart.
      const inner = li === 0 ? slot.before.filter((c) => c.span.start.offset > b.start) : [];
      const outer = slot.before.filter((c) => !inner.includes(c));
      const before = b.documented ? [...inner, ...outer] : [...outer, ...inner];
      let apart = false;
      for (const c of before) {
        if (li === 0 && (apart || gap(c.span.start.offset, b))) out.push("");
        out.push(indent + c.text);
        lastDoc = c.doc ? c : null;
        apart = c.doc && c === inner[inner.length - 1];
        if (li === 0) prev = { end: c.span.end.offset, block: null };
      }
      if (li === 0 && (apart || gap(b.start, b))) out.push("");
      out.push(" ".repeat(l.indent) + l.text + (slot.trailing ? ` ${slot.trailing.text}` : ""));
      lastDoc = slot.trailing?.doc ? slot.trailing : null;
    });
    prev = { end: b.end, block: b };
  }
  for (const c of eof) {
    if (gap(c.span.start.offset, null)) out.push("");
    out.push(c.text);
    lastDoc = c.doc ? c : null;
    prev = { end: c.span.end.offset, block: null };
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** The first index of a sorted array where `after` holds (it holds from there on), or the length. */
function lowerBound<T>(xs: readonly T[], after: (x: T) => boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(xs[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Rules, tests and anything on several lines stand apart; a run of one-line declarations of one
// kind (imports, consts, settings) keeps the author's grouping.
function forcedBlank(a: Block, b: Block): boolean {
  return a.kind !== b.kind || a.kind === "Rule" || a.kind === "Test" || a.kind === "Package" || a.lines.length > 1 || b.lines.length > 1;
}

