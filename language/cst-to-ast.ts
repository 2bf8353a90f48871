// CST -> AST. Stateless: every function takes the CST node and a context holding the file's
// text, its line index and the list diagnostics are added to; nothing survives a call.
//
// The CST comes from a recovering parser, so any child may be missing: every accessor
// tolerates that and stands in a placeholder. Placeholders never reach a caller: a missing
// child implies a parse error, and `parse` returns no file when there is one.
//
// Expressions arrive as flat `operand (op operand)*` lists (see parser.ts) and are folded
// here by precedence: or < and < not < comparison (non-associative) < + - < * / % < unary -.
import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";
import { diagnostic, type Diagnostic } from "./diagnostics.ts";
import type { DiagnosticCode } from "./codes.ts";
import { lex, tokenEnd } from "./lexer.ts";
import type { LineIndex } from "./line-index.ts";
import { parser, runParser } from "./parser.ts";
import type { Span } from "./span.ts";
import { decodeEscape, decodeString } from "./string-escapes.ts";
import * as T from "./tokens.ts";

/** What the conversion of one file reads and where it reports. */
export interface Ctx {
  readonly text: string;
  readonly file: string;
  readonly lines: LineIndex;
  readonly diagnostics: Diagnostic[];
}

type Child = CstNode | IToken;

function isToken(c: Child): c is IToken {
  return (c as IToken).tokenType !== undefined;
}

// Chevrotain keeps tokens under token names and nodes under rule names, so each child list
// holds one sort only and can be returned as it is.
const NO_TOKENS: IToken[] = [];
const NO_NODES: CstNode[] = [];

function toks(node: CstNode | undefined, name: string): IToken[] {
  const c = node?.children[name];
  return c !== undefined && c.length > 0 && isToken(c[0]) ? (c as IToken[]) : NO_TOKENS;
}

function tok(node: CstNode | undefined, name: string, i = 0): IToken | undefined {
  return toks(node, name)[i];
}

function subs(node: CstNode | undefined, name: string): CstNode[] {
  const c = node?.children[name];
  return c !== undefined && c.length > 0 && !isToken(c[0]) ? (c as CstNode[]) : NO_NODES;
}

function sub(node: CstNode | undefined, name: string, i = 0): CstNode | undefined {
  return subs(node, name)[i];
}

/** The first child of a node whose grammar rule is a choice of one item (atom, effect, topDecl...). */
function only(node: CstNode | undefined): Child | undefined {
  if (node === undefined) return undefined;
  for (const k in node.children) {
    const c = node.children[k];
    if (c.length > 0) return c[0];
  }
  return undefined;
}

/** A token's offsets, or null for tokens the parser invented while recovering. */
function range(t: IToken | undefined): [number, number] | null {
  if (t === undefined || !Number.isFinite(t.startOffset) || t.isInsertedInRecovery) return null;
  return [t.startOffset, tokenEnd(t)];
}

/**
 * The first real token of a CST subtree. Keyword-led rules hold their first token directly,
 * so the search only descends when a node has no token of its own.
 */
function firstToken(node: CstNode | undefined): IToken | undefined {
  if (node === undefined) return undefined;
  let best: IToken | undefined;
  let hasSubs = false;
  for (const k in node.children) {
    for (const c of node.children[k]) {
      if (!isToken(c)) {
        hasSubs = true;
        break;
      }
      if (range(c)) {
        if (best === undefined || c.startOffset < best.startOffset) best = c;
        break;
      }
    }
  }
  if (best !== undefined || !hasSubs) return best;
  for (const k in node.children) {
    for (const c of node.children[k]) {
      if (isToken(c)) continue;
      const t = firstToken(c);
      if (t !== undefined && (best === undefined || t.startOffset < best.startOffset)) best = t;
      if (t !== undefined) break;
    }
  }
  return best;
}

function spanOf(ctx: Ctx, start: number, end: number): Span {
  return ctx.lines.span(start, end);
}

function tokSpan(ctx: Ctx, t: IToken | undefined, fallback: Span): Span {
  const r = range(t);
  return r ? spanOf(ctx, r[0], r[1]) : fallback;
}

function join(a: Span, b: Span): Span {
  return a.start.offset <= b.end.offset ? { start: a.start, end: b.end.offset >= a.end.offset ? b.end : a.end } : a;
}

function report(ctx: Ctx, code: DiagnosticCode, span: Span, message: string, help?: string): void {
  ctx.diagnostics.push(diagnostic(code, ctx.file, span, message, help));
}

/** A zero-width span at the start of `t` (or of `fallback`), where something was missing. */
function at(ctx: Ctx, t: IToken | undefined, fallback: Span): Span {
  const r = range(t);
  return r ? spanOf(ctx, r[0], r[0]) : { start: fallback.end, end: fallback.end };
}

function ident(ctx: Ctx, t: IToken | undefined, fallback: Span): A.Ident {
  return { kind: "Ident", name: t && range(t) ? t.image : "", span: tokSpan(ctx, t, at(ctx, undefined, fallback)) };
}

function placeholder(span: Span): A.Expr {
  return { kind: "Null", span };
}

// ---------------------------------------------------------------------------------------------
// Literals

/** The value of a duration literal in milliseconds, exact for up to three decimals. */
export function durationMs(raw: string): number {
  const m = /^(\d+)(?:\.(\d+))?(ms|s|m|h|d)$/.exec(raw);
  if (!m) return Number.NaN;
  const [, whole, frac = "", unit] = m;
  const perUnit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as "ms" | "s" | "m" | "h" | "d"];
  // Scale by powers of ten on the digits, not by floating multiplication: 1.1s is 1100ms, not 1100.0000000000002.
  const n = Number(`${whole}${frac}`) * perUnit;
  return frac.length === 0 ? n : Number(`${n}e-${frac.length}`);
}

function stringValue(t: IToken): string {
  const body = t.tokenType === T.GoodString ? t.image.slice(1, -1) : t.image.slice(1).replace(/\\$/, "");
  return decodeString(body).value;
}

function stringLit(ctx: Ctx, t: IToken | undefined, fallback: Span): A.StringLit {
  return { kind: "String", value: t && range(t) ? stringValue(t) : "", span: tokSpan(ctx, t, at(ctx, undefined, fallback)) };
}

function regexLit(ctx: Ctx, t: IToken, fallback: Span): A.RegexLit {
  const span = tokSpan(ctx, t, fallback);
  if (t.tokenType === T.GoodRegex) {
    const close = t.image.lastIndexOf("/");
    return { kind: "Regex", pattern: t.image.slice(1, close), flags: t.image.slice(close + 1), span };
  }
  return { kind: "Regex", pattern: t.image.slice(1), flags: "", span };
}

/** A message string: literal text and `{expr}` interpolations, each parsed with the file's parser. */
function template(ctx: Ctx, t: IToken | undefined): A.Template | null {
  const r = range(t);
  if (t === undefined || r === null) return null;
  const span = spanOf(ctx, r[0], r[1]);
  const body = t.tokenType === T.GoodString ? t.image.slice(1, -1) : t.image.slice(1).replace(/\\$/, "");
  const bodyStart = r[0] + 1;
  const parts: (string | A.Expr)[] = [];
  let lit = "";
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === "\\") {
      const e = decodeEscape(body, i);
      // Invalid escapes were reported by the lexer (E104); keep them as written.
      lit += "text" in e ? e.text : body.slice(i, i + e.length);
      i += "text" in e ? e.length : e.length;
      continue;
    }
    if (c !== "{") {
      lit += c;
      i++;
      continue;
    }
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      if (body[j] === "{") depth++;
      else if (body[j] === "}" && --depth === 0) break;
    }
    if (j >= body.length) {
      report(ctx, "E110", spanOf(ctx, bodyStart + i, bodyStart + i + 1), "unclosed '{' in message", "close the interpolation with '}', or write '\\{' for a literal brace");
      lit += body.slice(i);
      break;
    }
    const inner = body.slice(i + 1, j);
    const innerSpan = spanOf(ctx, bodyStart + i, bodyStart + j + 1);
    if (inner.trim() === "") {
      report(ctx, "E110", innerSpan, "empty interpolation '{}' in message", "put an expression between the braces, or write '\\{' for a literal brace");
    } else {
      const e = interpolation(ctx, inner, bodyStart + i + 1, innerSpan);
      if (e !== null) {
        if (lit !== "") parts.push(lit);
        lit = "";
        parts.push(e);
      }
    }
    i = j + 1;
  }
  if (lit !== "") parts.push(lit);
  return { kind: "Template", parts, raw: t.image, span };
}

const KEYWORD_WORDS = new Set(T.KEYWORDS.map((k) => (k.PATTERN instanceof RegExp ? k.PATTERN.source : String(k.PATTERN))));
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Most interpolations are a plain path (`{tool.args.amount}`): those are built directly, the
 * same nodes the parser would give, since starting the lexer and parser costs more than the
 * rest of a rule. Anything else goes through them.
 */
function dottedPath(ctx: Ctx, inner: string, base: number): A.Expr | null {
  const lead = inner.length - inner.trimStart().length;
  const text = inner.trim();
  if (!DOTTED.test(text)) return null;
  const names = text.split(".");
  if (KEYWORD_WORDS.has(names[0])) return null;
  let at = base + lead;
  let e: A.Expr = { kind: "Name", name: names[0], span: spanOf(ctx, at, at + names[0].length) };
  const start = at;
  at += names[0].length;
  for (const name of names.slice(1)) {
    const property: A.Ident = { kind: "Ident", name, span: spanOf(ctx, at + 1, at + 1 + name.length) };
    at += 1 + name.length;
    e = { kind: "Member", object: e, property, span: spanOf(ctx, start, at) };
  }
  return e;
}

/** Parses the text of one interpolation (at file offset `base`) with the same lexer and parser. */
function interpolation(ctx: Ctx, inner: string, base: number, span: Span): A.Expr | null {
  const simple = dottedPath(ctx, inner, base);
  if (simple !== null) return simple;
  const lexed = lex(inner, ctx.file, ctx.lines, base);
  const help = "an interpolation holds one expression without string literals, e.g. {tool.args.amount}; write '\\{' for a literal brace";
  if (lexed.diagnostics.length > 0) {
    report(ctx, "E110", span, `invalid interpolation in message: ${lexed.diagnostics[0].message}`, help);
    return null;
  }
  if (lexed.tokens.some((t) => t.tokenType === T.GoodString || t.tokenType === T.UnterminatedString)) {
    report(ctx, "E110", span, "invalid interpolation in message: string literals cannot appear inside '{...}'", "move the expression into a const or def and interpolate that");
    return null;
  }
  const cst = runParser(lexed.tokens, "templateExpression");
  if (parser.errors.length > 0) {
    report(ctx, "E110", span, `invalid interpolation in message: ${parser.errors[0].message}`, help);
    return null;
  }
  const before = ctx.diagnostics.length;
  const e = expression(ctx, sub(cst, "expression"), span);
  return ctx.diagnostics.length > before ? null : e;
}

// ---------------------------------------------------------------------------------------------
// Expressions

const PREC_OR = 1;
const PREC_AND = 2;
const PREC_NOT = 3;
const PREC_COMPARE = 4;
const PREC_ADD = 5;
const PREC_MUL = 6;
const PREC_NEG = 7;

function precedence(op: A.BinaryOp): number {
  switch (op) {
    case "or":
      return PREC_OR;
    case "and":
      return PREC_AND;
    case "+":
    case "-":
      return PREC_ADD;
    case "*":
    case "/":
    case "%":
      return PREC_MUL;
    default:
      return PREC_COMPARE;
  }
}

const OP_TOKENS: readonly [string, A.BinaryOp][] = [
  ["Or", "or"],
  ["And", "and"],
  ["EqEq", "=="],
  ["NotEq", "!="],
  ["LtEq", "<="],
  ["GtEq", ">="],
  ["Lt", "<"],
  ["Gt", ">"],
  ["Contains", "contains"],
  ["Has", "has"],
  ["Matches", "matches"],
  ["Like", "like"],
  ["Plus", "+"],
  ["Minus", "-"],
  ["Star", "*"],
  ["Slash", "/"],
  ["Percent", "%"],
];

interface OpTok {
  readonly op: A.BinaryOp;
  readonly span: Span;
}

function binaryOp(ctx: Ctx, node: CstNode | undefined, fallback: Span): OpTok | null {
  if (node === undefined) return null;
  const nested = sub(node, "arithOp");
  if (nested) return binaryOp(ctx, nested, fallback);
  // One token, or two for `not in`, `starts with`, `ends with`.
  let first: IToken | undefined;
  let last: IToken | undefined;
  for (const k in node.children) {
    for (const c of node.children[k]) {
      if (!isToken(c) || !range(c)) continue;
      if (first === undefined || c.startOffset < first.startOffset) first = c;
      if (last === undefined || c.startOffset > last.startOffset) last = c;
    }
  }
  const span = first && last ? spanOf(ctx, first.startOffset, tokenEnd(last)) : fallback;
  if (tok(node, "Not")) return { op: "not in", span };
  if (tok(node, "In")) return { op: "in", span };
  if (tok(node, "Starts")) return { op: "starts with", span };
  if (tok(node, "Ends")) return { op: "ends with", span };
  for (const [name, op] of OP_TOKENS) if (tok(node, name)) return { op, span };
  return null;
}

interface OperandParts {
  readonly prefixes: IToken[];
  readonly core: A.Expr;
}

/** Folds `operand (op operand)*` by precedence; `minPrec` is PREC_ADD for the additive-only lists. */
function fold(ctx: Ctx, node: CstNode | undefined, opName: "binaryOp" | "arithOp", fallback: Span, minPrec: number): A.Expr {
  const operandNodes = subs(node, "operand");
  if (operandNodes.length === 0) return placeholder(at(ctx, firstToken(node), fallback));
  const operands: OperandParts[] = operandNodes.map((o) => operand(ctx, o, fallback));
  const ops = subs(node, opName).map((o) => binaryOp(ctx, o, fallback));
  let cur = 0; // the operand being read
  let pre = 0; // how many of its prefixes are consumed

  const unary = (min: number): A.Expr => {
    const o = operands[cur];
    const p = o.prefixes[pre];
    if (p === undefined) {
      cur++;
      pre = 0;
      return o.core;
    }
    pre++;
    const pSpan = tokSpan(ctx, p, fallback);
    if (p.tokenType === T.Not) {
      if (min > PREC_NOT) {
        const prev = min === PREC_NEG ? "'-'" : "an operator";
        report(ctx, "E100", pSpan, `'not' cannot follow ${prev} without parentheses`, "parenthesise the negation, e.g. a == (not b)");
      }
      const inner = expr(PREC_NOT);
      return { kind: "Unary", op: "not", operand: inner, span: join(pSpan, inner.span) };
    }
    const inner = unary(PREC_NEG);
    return { kind: "Unary", op: "-", operand: inner, span: join(pSpan, inner.span) };
  };

  const expr = (min: number): A.Expr => {
    let left = unary(min);
    let comparison: A.Binary | null = null;
    while (cur < operands.length && pre === 0) {
      const o = ops[cur - 1];
      if (o === null || o === undefined) break;
      const prec = precedence(o.op);
      if (prec < min) break;
      const right = expr(prec + 1);
      if (o.op === "has" && !isFieldPath(right)) report(ctx, "E100", right.span, `after 'has', name a field, not '${sourceOf(ctx, right).slice(0, 40)}'`, "write e.g. 'tool.args has amount' or 'tool.args has customer.id'");
      const b: A.Binary = { kind: "Binary", op: o.op, left, right, opSpan: o.span, span: join(left.span, right.span) };
      if (prec === PREC_COMPARE) {
        if (comparison !== null) chained(ctx, comparison, b);
        comparison = b;
      } else comparison = null;
      left = b;
    }
    return left;
  };

  let result = expr(minPrec);
  // Only reachable after a parse error left operands without operators between them.
  while (cur < operands.length) {
    pre = 0;
    result = expr(minPrec);
  }
  return result;
}

/** Whether `e` is a plain field path (`a`, `a.b.c`): what may follow `has`. */
function isFieldPath(e: A.Expr): boolean {
  if (e.kind === "Name") return true;
  return e.kind === "Member" && isFieldPath(e.object);
}

function sourceOf(ctx: Ctx, e: A.Expr): string {
  return ctx.text.slice(e.span.start.offset, e.span.end.offset);
}

function chained(ctx: Ctx, first: A.Binary, second: A.Binary): void {
  const a = sourceOf(ctx, first.left);
  const b = sourceOf(ctx, first.right);
  const c = sourceOf(ctx, second.right);
  const short = a.length + b.length + c.length < 60 && !/\n/.test(a + b + c);
  const example = short ? `(${a} ${first.op} ${b}) and (${b} ${second.op} ${c})` : `(a ${first.op} b) and (b ${second.op} c)`;
  report(ctx, "E109", second.opSpan, `comparisons do not chain: '${first.op}' is followed by '${second.op}'`, `parenthesise one side: ${example}`);
}

function operand(ctx: Ctx, node: CstNode, fallback: Span): OperandParts {
  const not = toks(node, "Not");
  const minus = toks(node, "Minus");
  const prefixes = not.length + minus.length === 0 ? NO_TOKENS : [...not, ...minus].filter((t) => range(t)).sort((a, b) => a.startOffset - b.startOffset);
  let core = atom(ctx, sub(node, "atom"), fallback);
  for (const p of subs(node, "postfixOp")) core = postfix(ctx, core, p);
  return { prefixes, core };
}

function lastSpan(ctx: Ctx, t: IToken | undefined, inner: Span): Span {
  const r = range(t);
  return r ? spanOf(ctx, r[0], r[1]) : inner;
}

function postfix(ctx: Ctx, object: A.Expr, node: CstNode): A.Expr {
  const dot = tok(node, "Dot");
  if (dot) {
    const property = ident(ctx, tok(node, "IdentifierName"), object.span);
    return { kind: "Member", object, property, span: join(object.span, property.span) };
  }
  if (tok(node, "LBracket")) {
    const index = expression(ctx, sub(node, "expression"), object.span);
    return { kind: "Index", object, index, span: join(object.span, lastSpan(ctx, tok(node, "RBracket"), index.span)) };
  }
  const args = exprList(ctx, sub(node, "exprList"), object.span);
  const end = lastSpan(ctx, tok(node, "RParen"), args.length > 0 ? args[args.length - 1].span : object.span);
  return { kind: "Call", callee: object, args, span: join(object.span, end) };
}

function exprList(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.Expr[] {
  return subs(node, "expression").map((e) => expression(ctx, e, fallback));
}

/** A full expression. */
export function expression(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.Expr {
  return fold(ctx, node, "binaryOp", fallback, 0);
}

/** An additive-level expression (quantifier collections, effect targets). */
function arith(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.Expr {
  return fold(ctx, node, "arithOp", fallback, PREC_ADD);
}

function atom(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.Expr {
  if (node === undefined) return placeholder(fallback);
  const first = only(node);
  const t = first !== undefined && isToken(first) ? first : undefined;
  if (t !== undefined) {
    const span = tokSpan(ctx, t, fallback);
    switch (t.tokenType) {
      case T.GoodNumber:
      case T.BadNumber:
        return { kind: "Number", value: Number(t.image), raw: t.image, span };
      case T.Duration:
        return { kind: "Duration", ms: durationMs(t.image), raw: t.image, span };
      case T.GoodString:
      case T.UnterminatedString:
        return stringLit(ctx, t, fallback);
      case T.GoodRegex:
      case T.UnterminatedRegex:
        return regexLit(ctx, t, fallback);
      case T.True:
        return { kind: "Bool", value: true, span };
      case T.False:
        return { kind: "Bool", value: false, span };
      case T.Null:
        return { kind: "Null", span };
      case T.Identifier:
        return range(t) ? { kind: "Name", name: t.image, span } : placeholder(span);
    }
    return placeholder(span);
  }
  const paren = sub(node, "parenExpr");
  if (paren) {
    const open = tok(paren, "LParen");
    const inner = expression(ctx, sub(paren, "expression"), at(ctx, open, fallback));
    return { kind: "Paren", expr: inner, span: join(tokSpan(ctx, open, inner.span), lastSpan(ctx, tok(paren, "RParen"), inner.span)) };
  }
  const list = sub(node, "listLit");
  if (list) {
    const open = tokSpan(ctx, tok(list, "LBracket"), fallback);
    const items = exprList(ctx, sub(list, "exprList"), open);
    return { kind: "List", items, span: join(open, lastSpan(ctx, tok(list, "RBracket"), items.length ? items[items.length - 1].span : open)) };
  }
  const obj = sub(node, "objectLit");
  if (obj) return objectLit(ctx, obj, fallback);
  const q = sub(node, "quantifier");
  if (q) return quantifier(ctx, q, fallback);
  return placeholder(fallback);
}

function objectLit(ctx: Ctx, node: CstNode, fallback: Span): A.ObjectLit {
  const open = tokSpan(ctx, tok(node, "LBrace"), fallback);
  const entries: A.ObjectEntry[] = subs(node, "objectEntry").map((e) => {
    const keyTok = tok(e, "IdentifierName") ?? tok(e, "StringLiteral");
    const keySpan = tokSpan(ctx, keyTok, at(ctx, undefined, open));
    const quoted = keyTok !== undefined && (keyTok.tokenType === T.GoodString || keyTok.tokenType === T.UnterminatedString);
    const key = keyTok === undefined || !range(keyTok) ? "" : quoted ? stringValue(keyTok) : keyTok.image;
    return { key, keySpan, quoted, value: expression(ctx, sub(e, "expression"), keySpan) };
  });
  const lastEntry = entries[entries.length - 1];
  return { kind: "Object", entries, span: join(open, lastSpan(ctx, tok(node, "RBrace"), lastEntry ? lastEntry.value.span : open)) };
}

function quantifier(ctx: Ctx, node: CstNode, fallback: Span): A.Quantifier {
  const kw = tok(node, "Any") ?? tok(node, "All") ?? tok(node, "Count");
  const kind: A.Quantifier["quantifier"] = kw?.tokenType === T.All ? "all" : kw?.tokenType === T.Count ? "count" : "any";
  const kwSpan = tokSpan(ctx, kw, fallback);
  const vars = toks(node, "Identifier").map((t) => ident(ctx, t, kwSpan));
  const thenTok = tok(node, "Then");
  if (thenTok && kind !== "any") {
    report(ctx, "E111", tokSpan(ctx, thenTok, kwSpan), `the ordered 'then' form is only for 'any', not '${kind}'`, "write 'any a then b in xs: ...' to ask whether some a comes before some b");
  }
  const collection = arith(ctx, sub(node, "arithExpr"), kwSpan);
  const colon = tok(node, "Colon");
  const where = tok(node, "Where");
  const bodyNode = sub(node, "expression");
  const body = bodyNode ? expression(ctx, bodyNode, collection.span) : null;
  if (kind === "count" && colon) {
    report(ctx, "E100", tokSpan(ctx, colon, kwSpan), "'count' takes 'where' before its condition, not ':'", "write 'count x in xs where cond'");
  } else if (kind !== "count" && where) {
    report(ctx, "E100", tokSpan(ctx, where, kwSpan), `'${kind}' takes ':' before its condition, not 'where'`, `write '${kind} x in xs: cond'`);
  } else if (kind !== "count" && body === null && !node.recoveredNode) {
    report(ctx, "E100", { start: collection.span.end, end: collection.span.end }, `expected ':' and a condition after '${kind} ${vars.map((v) => v.name).join(" then ")} in ...'`, `write '${kind} x in xs: cond'`);
  }
  const end = body ? body.span : collection.span;
  return { kind: "Quantifier", quantifier: kind, vars, collection, body: body ?? (kind === "count" ? null : placeholder(end)), span: join(kwSpan, end) };
}

// ---------------------------------------------------------------------------------------------
// Names, effects, rules, tests, declarations

function qualifiedName(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.QualifiedName {
  const parts = [...toks(node, "Identifier"), ...toks(node, "IdentifierName")]
    .filter((t) => range(t))
    .sort((a, b) => a.startOffset - b.startOffset)
    .map((t) => ident(ctx, t, fallback));
  if (parts.length === 0) parts.push(ident(ctx, undefined, fallback));
  return { kind: "QualifiedName", parts, span: join(parts[0].span, parts[parts.length - 1].span) };
}

function isPath(e: A.Expr): boolean {
  for (let x: A.Expr = e; ; ) {
    if (x.kind === "Name") return true;
    if (x.kind !== "Member" && x.kind !== "Index") return false;
    x = x.object;
  }
}

function checkTarget(ctx: Ctx, effect: string, target: A.Expr, node: CstNode): void {
  // A target the parser had to recover is already a syntax error: no second diagnostic.
  if (isPath(target) || node.recoveredNode || sub(node, "arithExpr")?.recoveredNode || target.span.start.offset === target.span.end.offset) return;
  report(ctx, "E112", target.span, `the target of '${effect}' must be a field path such as 'output.text', not '${sourceOf(ctx, target).slice(0, 40)}'`, "name a field of the input: a name followed by '.field' or '[index]' steps, e.g. tool.args.amount");
}

function effect(ctx: Ctx, node: CstNode, fallback: Span): A.Effect {
  const inner = only(node);
  if (inner === undefined || isToken(inner)) return { kind: "Allow", span: fallback };
  const kw = firstToken(inner);
  const kwSpan = tokSpan(ctx, kw, fallback);
  const spanTo = (s: Span | null | undefined) => (s ? join(kwSpan, s) : kwSpan);
  switch (inner.name) {
    case "denyEffect":
    case "warnEffect": {
      const message = template(ctx, tok(inner, "StringLiteral"));
      return { kind: inner.name === "denyEffect" ? "Deny" : "Warn", message, span: spanTo(message?.span) };
    }
    case "requireApprovalEffect": {
      const from = tok(inner, "From");
      const strings = toks(inner, "StringLiteral").filter((t) => range(t));
      const msgTok = strings.find((t) => !from || !range(from) || t.startOffset < from.startOffset);
      const fromTok = from ? strings.find((t) => range(from) && t.startOffset > from.startOffset) : undefined;
      const message = template(ctx, msgTok);
      const fromLit = from ? stringLit(ctx, fromTok, tokSpan(ctx, from, kwSpan)) : null;
      return { kind: "RequireApproval", message, from: fromLit, span: spanTo(fromLit?.span ?? message?.span) };
    }
    case "allowEffect":
      return { kind: "Allow", span: kwSpan };
    case "redactEffect": {
      const rx = tok(inner, "RegexLiteral");
      const pattern: A.Pattern = rx && range(rx) ? regexLit(ctx, rx, kwSpan) : qualifiedName(ctx, sub(inner, "qualifiedName"), kwSpan);
      const target = arith(ctx, sub(inner, "arithExpr"), pattern.span);
      checkTarget(ctx, "redact", target, inner);
      const w = tok(inner, "With");
      const replacement = w ? stringLit(ctx, tok(inner, "StringLiteral"), tokSpan(ctx, w, target.span)) : null;
      return { kind: "Redact", pattern, target, replacement, span: spanTo(replacement?.span ?? target.span) };
    }
    case "setEffect": {
      const target = arith(ctx, sub(inner, "arithExpr"), kwSpan);
      checkTarget(ctx, "set", target, inner);
      const value = expression(ctx, sub(inner, "expression"), target.span);
      return { kind: "Set", target, value, span: spanTo(value.span) };
    }
  }
  return { kind: "Allow", span: kwSpan };
}

function phases(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.Ident[] {
  return toks(node, "Identifier")
    .filter((t) => range(t))
    .map((t) => ident(ctx, t, fallback));
}

function stringList(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.StringLit[] {
  return toks(node, "StringLiteral")
    .filter((t) => range(t))
    .map((t) => stringLit(ctx, t, fallback));
}

function thenEffects(ctx: Ctx, node: CstNode, fallback: Span): { effects: A.Effect[]; braced: boolean; span: Span } {
  const kwSpan = tokSpan(ctx, tok(node, "Then"), fallback);
  const effects = subs(node, "effect").map((e) => effect(ctx, e, kwSpan));
  const braced = tok(node, "LBrace") !== undefined;
  if (braced) {
    const commas = toks(node, "Comma").filter((t) => range(t)).map((t) => t.startOffset);
    for (let i = 1; i < effects.length; i++) {
      const a = effects[i - 1].span;
      const b = effects[i].span;
      const separated = a.end.line < b.start.line || commas.some((c) => c >= a.end.offset && c < b.start.offset);
      if (!separated) report(ctx, "E100", { start: b.start, end: b.start }, "expected ',' or a new line between effects", "separate the effects with ',' or put each on its own line");
    }
  }
  const end = braced ? lastSpan(ctx, tok(node, "RBrace"), effects.length ? effects[effects.length - 1].span : kwSpan) : effects.length ? effects[0].span : kwSpan;
  return { effects, braced, span: join(kwSpan, end) };
}

function ruleDecl(ctx: Ctx, node: CstNode, doc: A.Doc, fallback: Span): A.RuleDecl {
  const kwSpan = tokSpan(ctx, tok(node, "Rule"), fallback);
  const name = ident(ctx, tok(node, "Identifier"), kwSpan);
  const meta: A.RuleMeta[] = [];
  let when: A.Expr | null = null;
  let unless: A.Expr | null = null;
  let then: ReturnType<typeof thenEffects> | null = null;
  const once = (what: string, kw: Span, seen: boolean, help: string) => {
    if (seen) report(ctx, "E100", kw, `a rule has at most one '${what}'`, help);
  };
  for (const item of subs(node, "ruleItem")) {
    const inner = only(item);
    if (inner === undefined || isToken(inner)) continue;
    const kw = tokSpan(ctx, firstToken(inner), kwSpan);
    switch (inner.name) {
      case "severityItem": {
        const level = ident(ctx, tok(inner, "Identifier"), kw);
        meta.push({ kind: "Severity", level, span: join(kw, level.span) });
        break;
      }
      case "controlsItem":
      case "tagsItem": {
        const values = stringList(ctx, sub(inner, "stringList"), kw);
        const span = values.length ? join(kw, values[values.length - 1].span) : kw;
        meta.push(inner.name === "controlsItem" ? { kind: "Controls", values, span } : { kind: "Tags", values, span });
        break;
      }
      case "ownerItem": {
        const value = stringLit(ctx, tok(inner, "StringLiteral"), kw);
        meta.push({ kind: "Owner", value, span: join(kw, value.span) });
        break;
      }
      case "whenItem":
        once("when", kw, when !== null, "combine the conditions with 'and'");
        when = expression(ctx, sub(inner, "expression"), kw);
        break;
      case "unlessItem":
        once("unless", kw, unless !== null, "combine the conditions with 'or'");
        unless = expression(ctx, sub(inner, "expression"), kw);
        break;
      case "thenItem":
        once("then", kw, then !== null, "list several effects in braces: then { deny \"...\", warn \"...\" }");
        then = thenEffects(ctx, inner, kw);
        break;
    }
  }
  const close = tok(node, "RBrace");
  if (then === null && range(close) && !node.recoveredNode) {
    report(ctx, "E100", name.span, `rule '${name.name}' has no 'then'`, "add what the rule does, e.g. then deny \"...\"");
  }
  return {
    kind: "Rule",
    name,
    phases: phases(ctx, sub(node, "phaseList"), name.span),
    meta,
    when,
    unless,
    effects: then?.effects ?? [],
    braced: then?.braced ?? false,
    doc,
    span: join(kwSpan, lastSpan(ctx, close, then?.span ?? name.span)),
  };
}

function refs(ctx: Ctx, node: CstNode | undefined, fallback: Span): A.QualifiedName[] {
  return subs(node, "qualifiedName").map((q) => qualifiedName(ctx, q, fallback));
}

function expectation(ctx: Ctx, node: CstNode, fallback: Span): A.Expectation {
  const kwSpan = tokSpan(ctx, tok(node, "Expect"), fallback);
  const payload = tok(node, "Payload");
  if (payload) {
    let path: A.Expr = (() => {
      const t = tok(node, "IdentifierName");
      const s = tokSpan(ctx, t, kwSpan);
      return t && range(t) ? { kind: "Name", name: t.image, span: s } : placeholder(s);
    })();
    for (const step of subs(node, "pathStep")) path = postfix(ctx, path, step);
    const value = expression(ctx, sub(node, "expression"), path.span);
    return { kind: "ExpectPayload", path, value, span: join(kwSpan, value.span) };
  }
  const r = sub(node, "ruleRefs");
  const by = refs(ctx, r, kwSpan);
  const end = by.length ? by[by.length - 1].span : kwSpan;
  if (tok(node, "Warn")) return { kind: "ExpectWarn", by, span: join(kwSpan, end) };
  const d = tok(node, "Deny") ?? tok(node, "RequireApproval") ?? tok(node, "Allow");
  const decision = d?.tokenType === T.Deny ? "deny" : d?.tokenType === T.RequireApproval ? "require_approval" : "allow";
  return { kind: "ExpectDecision", decision, by, span: join(kwSpan, by.length ? end : tokSpan(ctx, d, kwSpan)) };
}

function binding(ctx: Ctx, node: CstNode, fallback: Span): A.Binding {
  const name = ident(ctx, tok(node, "Identifier"), fallback);
  const value = expression(ctx, sub(node, "expression"), name.span);
  return { name, value, span: join(name.span, value.span) };
}

function testDecl(ctx: Ctx, node: CstNode, doc: A.Doc, fallback: Span): A.TestDecl {
  const kwSpan = tokSpan(ctx, tok(node, "Test"), fallback);
  const name = stringLit(ctx, tok(node, "StringLiteral"), kwSpan);
  const given = subs(node, "binding").map((b) => binding(ctx, b, name.span));
  const phase = ident(ctx, tok(node, "Identifier"), name.span);
  const input = expression(ctx, sub(node, "expression"), phase.span);
  const expects = subs(node, "expectClause").map((e) => expectation(ctx, e, input.span));
  // At most one decision expectation is the checker's rule (E407), as spec/language.md says.
  const close = tok(node, "RBrace");
  if (expects.length === 0 && range(close) && !node.recoveredNode) {
    report(ctx, "E100", name.span, "a test needs at least one 'expect'", "add e.g. expect deny by rule_name");
  }
  return { kind: "Test", name, given, phase, input, expects, doc, span: join(kwSpan, lastSpan(ctx, close, expects.length ? expects[expects.length - 1].span : input.span)) };
}

function setting(ctx: Ctx, node: CstNode, fallback: Span): { value: "allow" | "deny"; phases: A.Ident[]; span: Span } {
  const v = sub(node, "settingValue");
  const kw = tokSpan(ctx, firstToken(node), fallback);
  const valueTok = tok(v, "Deny") ?? tok(v, "Allow");
  const ps = phases(ctx, sub(v, "phaseList"), kw);
  const end = ps.length ? ps[ps.length - 1].span : tokSpan(ctx, valueTok, kw);
  return { value: valueTok?.tokenType === T.Allow ? "allow" : "deny", phases: ps, span: join(kw, end) };
}

type TopDecl = A.Decl | A.PackageDecl;

function topDecl(ctx: Ctx, node: CstNode, doc: A.Doc, fallback: Span): TopDecl | null {
  const inner = only(node);
  if (inner === undefined || isToken(inner)) return null;
  const kwSpan = tokSpan(ctx, firstToken(inner), fallback);
  switch (inner.name) {
    case "packageDecl": {
      const name = qualifiedName(ctx, sub(inner, "qualifiedName"), kwSpan);
      return { kind: "Package", name, doc, span: join(kwSpan, name.span) };
    }
    case "importDecl": {
      const path = qualifiedName(ctx, sub(inner, "qualifiedName"), kwSpan);
      const aliasTok = tok(inner, "Identifier");
      const alias = aliasTok ? ident(ctx, aliasTok, path.span) : null;
      return { kind: "Import", path, alias, doc, span: join(kwSpan, alias?.span ?? path.span) };
    }
    case "defaultDecl":
      return { kind: "Default", ...setting(ctx, inner, kwSpan), doc };
    case "onErrorDecl":
      return { kind: "OnError", ...setting(ctx, inner, kwSpan), doc };
    case "constDecl": {
      const name = ident(ctx, tok(inner, "Identifier"), kwSpan);
      const value = expression(ctx, sub(inner, "expression"), name.span);
      return { kind: "Const", name, value, param: false, type: null, doc, span: join(kwSpan, value.span) };
    }
    case "paramDecl": {
      const [nameTok, ...typeToks] = toks(inner, "Identifier").filter((t) => range(t));
      const name = ident(ctx, nameTok, kwSpan);
      const words = typeToks.map((t) => ident(ctx, t, name.span));
      const type: A.TypeRef | null = words.length === 0 ? null : { kind: "TypeRef", words, span: join(words[0].span, words[words.length - 1].span) };
      const value = expression(ctx, sub(inner, "expression"), name.span);
      return { kind: "Const", name, value, param: true, type, doc, span: join(kwSpan, value.span) };
    }
    case "configureDecl": {
      const pkg = qualifiedName(ctx, sub(inner, "qualifiedName"), kwSpan);
      const bindings = subs(inner, "binding").map((b) => binding(ctx, b, pkg.span));
      return { kind: "Configure", package: pkg, bindings, doc, span: join(kwSpan, lastSpan(ctx, tok(inner, "RBrace"), bindings.length ? bindings[bindings.length - 1].span : pkg.span)) };
    }
    case "defDecl": {
      const [nameTok, ...paramToks] = toks(inner, "Identifier");
      const name = ident(ctx, nameTok, kwSpan);
      const params = paramToks.filter((t) => range(t)).map((t) => ident(ctx, t, name.span));
      const body = expression(ctx, sub(inner, "expression"), name.span);
      return { kind: "Def", name, params, body, doc, span: join(kwSpan, body.span) };
    }
    case "ruleDecl":
      return ruleDecl(ctx, inner, doc, kwSpan);
    case "testDecl":
      return testDecl(ctx, inner, doc, kwSpan);
  }
  return null;
}

/** Comment tokens as AST comments. */
function comments(ctx: Ctx, tokens: readonly IToken[]): A.Comment[] {
  return tokens.map((t) => ({ kind: "Comment", text: t.image, doc: t.tokenType === T.DocComment, span: tokSpan(ctx, t, spanOf(ctx, 0, 0)) }));
}

/**
 * The doc comment of a declaration starting at `start`: the `///` lines directly above it,
 * on consecutive lines with nothing else in between, slashes and one following space removed.
 */
function docFor(ctx: Ctx, all: readonly A.Comment[], start: number, cursor: { i: number }): A.Doc {
  while (cursor.i < all.length && all[cursor.i].span.start.offset < start) cursor.i++;
  const lines: string[] = [];
  let line = ctx.lines.pos(start).line;
  for (let k = cursor.i - 1; k >= 0; k--) {
    const c = all[k];
    if (!c.doc || c.span.start.line !== line - 1) break;
    lines.unshift(c.text.slice(3).replace(/^ /, "").replace(/\r$/, ""));
    line = c.span.start.line;
  }
  return lines.length > 0 ? lines.join("\n") : null;
}

/** Builds the `PolicyFile` of a parsed file; structural problems the grammar lets through are added to `ctx.diagnostics`. */
export function buildFile(ctx: Ctx, cst: CstNode, commentTokens: readonly IToken[]): A.PolicyFile {
  const fileSpan = spanOf(ctx, 0, ctx.text.length);
  const allComments = comments(ctx, commentTokens);
  const cursor = { i: 0 };
  let pkg: A.PackageDecl | null = null;
  const decls: A.Decl[] = [];
  for (const node of subs(cst, "topDecl")) {
    const first = firstToken(node);
    const doc = first ? docFor(ctx, allComments, first.startOffset, cursor) : null;
    const d = topDecl(ctx, node, doc, fileSpan);
    if (d === null) continue;
    if (d.kind === "Package") {
      if (pkg === null && decls.length === 0) pkg = d;
      else report(ctx, "E603", d.span, pkg ? "a file has only one 'package' line" : "'package' must be the first declaration of the file", pkg ? "remove this line" : "move the 'package' line to the top of the file");
    } else decls.push(d);
  }
  return { kind: "File", path: ctx.file, package: pkg, decls, comments: allComments, span: fileSpan };
}
