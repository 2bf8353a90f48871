// Operator precedence as the printer sees it: where an expression needs parentheses to read
// back as the same tree. The formatter keeps the parentheses an author wrote (they are `Paren`
// nodes); this module answers only for trees built by programs (the JSON Logic importer), which
// call `withParens` so that their text parses back to exactly their tree.
import type { BinaryOp, Expr } from "./ast.ts";
import { COMPARISON_OPS } from "./ast.ts";

/** Binding strength, loosest first (LANGUAGE.md): or, and, not, comparison, + -, * / %, unary -, postfix, atoms. */
export const PREC = { quantifier: 0, or: 1, and: 2, not: 3, comparison: 4, additive: 5, multiplicative: 6, negate: 7, postfix: 8, atom: 9 } as const;

/** The precedence of a binary operator. */
export function binaryPrec(op: BinaryOp): number {
  if (op === "or") return PREC.or;
  if (op === "and") return PREC.and;
  if (COMPARISON_OPS.includes(op)) return PREC.comparison;
  if (op === "+" || op === "-") return PREC.additive;
  return PREC.multiplicative;
}

/** The precedence of an expression's outermost form. */
export function exprPrec(e: Expr): number {
  switch (e.kind) {
    case "Binary":
      return binaryPrec(e.op);
    case "Unary":
      return e.op === "not" ? PREC.not : PREC.negate;
    case "Quantifier":
      return PREC.quantifier;
    case "Member":
    case "Index":
    case "Call":
      return PREC.postfix;
    default:
      return PREC.atom;
  }
}

/**
 * Where a child sits, for deciding its parentheses. `open` says whether the text after the child
 * ends the enclosing expression (a closing bracket, a comma, `:`, the end of a line): only there
 * may a quantifier stand bare, since its body extends as far right as it can (a quantifier is an
 * operand like any other in the grammar, so `a == any x in xs: b` is `a == (any x in xs: b)`).
 */
export type Slot =
  | { readonly at: "top" }
  | { readonly at: "left" | "right"; readonly op: BinaryOp; readonly open: boolean }
  | { readonly at: "not" | "negate"; readonly open: boolean }
  /** A quantifier's collection: the additive level, ended by `:` or `where`. */
  | { readonly at: "collection" }
  | { readonly at: "postfix" };

/** Whether `child` must be parenthesised in `slot` to parse back as the same tree. */
export function needsParens(child: Expr, slot: Slot): boolean {
  if (child.kind === "Paren") return false;
  const p = exprPrec(child);
  switch (slot.at) {
    case "top":
      return false;
    case "postfix":
      return p < PREC.postfix;
    case "collection":
      // A quantifier here is followed by `:` or `where`, which a `count` without `where` at the
      // right end of it (itself, or the tail of its body) would take as its own: always bracket.
      if (child.kind === "Quantifier") return true;
      return (child.kind === "Binary" && p < PREC.additive) || (child.kind === "Unary" && child.op === "not");
    case "negate":
      return child.kind === "Quantifier" ? !slot.open : p < PREC.negate;
    case "not":
      return child.kind === "Quantifier" ? !slot.open : p < PREC.not;
    case "left":
    case "right": {
      if (child.kind === "Quantifier") return slot.at === "left" || !slot.open;
      const op = binaryPrec(slot.op);
      if (slot.at === "left") return op === PREC.comparison ? p <= op : p < op;
      return p <= op;
    }
  }
}

/** A copy of `e` with `Paren` nodes (spanned like their content) wherever the printer needs them. */
export function withParens(e: Expr, slot: Slot = { at: "top" }): Expr {
  const inner = withParensInside(e, slot);
  return needsParens(inner, slot) ? { kind: "Paren", expr: withParensInside(e, { at: "top" }), span: e.span } : inner;
}

/** Whether nothing may follow an expression in `slot` within its enclosing expression. */
export function isOpen(slot: Slot): boolean {
  return slot.at === "top" || ((slot.at === "right" || slot.at === "not" || slot.at === "negate") && slot.open);
}

function withParensInside(e: Expr, slot: Slot): Expr {
  const open = isOpen(slot);
  switch (e.kind) {
    case "Binary":
      return {
        ...e,
        left: withParens(e.left, { at: "left", op: e.op, open: false }),
        right: withParens(e.right, { at: "right", op: e.op, open }),
      };
    case "Unary":
      return { ...e, operand: withParens(e.operand, { at: e.op === "not" ? "not" : "negate", open }) };
    case "Member":
      return { ...e, object: withParens(e.object, { at: "postfix" }) };
    case "Index":
      return { ...e, object: withParens(e.object, { at: "postfix" }), index: withParens(e.index) };
    case "Call":
      return { ...e, callee: withParens(e.callee, { at: "postfix" }), args: e.args.map((a) => withParens(a)) };
    case "List":
      return { ...e, items: e.items.map((a) => withParens(a)) };
    case "Object":
      return { ...e, entries: e.entries.map((en) => ({ ...en, value: withParens(en.value) })) };
    case "Quantifier": {
      // A body ending in an operand that does not use the variable is bracketed, as the formatter prints it (W008).
      const body = e.body === null ? null : withParens(e.body, { at: "top" });
      return { ...e, collection: withParens(e.collection, { at: "collection" }), body: body !== null && reachesPast(e) ? { kind: "Paren", expr: body, span: body.span } : body };
    }
    case "Paren":
      return { ...e, expr: withParens(e.expr) };
    default:
      return e;
  }
}

/** Whether a quantifier's body is an `and`/`or` chain whose last operand does not name its variables (W008's shape). */
export function reachesPast(q: Expr & { kind: "Quantifier" }): boolean {
  const b = q.body;
  if (b === null || b.kind !== "Binary" || (b.op !== "and" && b.op !== "or")) return false;
  const names = new Set(q.vars.map((v) => v.name));
  return !mentions(b.right, names);
}

function mentions(e: Expr, names: ReadonlySet<string>): boolean {
  switch (e.kind) {
    case "Name":
      return names.has(e.name);
    case "List":
      return e.items.some((x) => mentions(x, names));
    case "Object":
      return e.entries.some((x) => mentions(x.value, names));
    case "Member":
      return mentions(e.object, names);
    case "Index":
      return mentions(e.object, names) || mentions(e.index, names);
    case "Call":
      return mentions(e.callee, names) || e.args.some((x) => mentions(x, names));
    case "Unary":
      return mentions(e.operand, names);
    case "Binary":
      return mentions(e.left, names) || (e.op !== "has" && mentions(e.right, names));
    case "Quantifier":
      return mentions(e.collection, names) || (e.body !== null && mentions(e.body, names));
    case "Paren":
      return mentions(e.expr, names);
    default:
      return false;
  }
}

