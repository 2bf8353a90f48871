// Generic helpers over the AST: a child walker for the checker and the formatter, and
// `stripSpans` to compare trees "up to spans" (formatter round trips, parser tests).
import type { Expr, Node } from "./ast.ts";

/** The direct child nodes of `node`, in source order. Object entries yield their values (keys are not nodes). */
export function children(node: Node): Node[] {
  switch (node.kind) {
    case "File":
      return [...(node.package ? [node.package] : []), ...node.decls];
    case "Package":
      return [node.name];
    case "Import":
      return node.alias ? [node.path, node.alias] : [node.path];
    case "Default":
    case "OnError":
      return [...node.phases];
    case "Const":
      return [node.name, ...(node.type ? [node.type] : []), node.value];
    case "TypeRef":
      return [...node.words];
    case "Configure":
      return [node.package, ...node.bindings.flatMap((b) => [b.name, b.value])];
    case "Def":
      return [node.name, ...node.params, node.body];
    case "Rule":
      return [node.name, ...node.phases, ...node.meta, ...(node.when ? [node.when] : []), ...(node.unless ? [node.unless] : []), ...node.effects];
    case "Test":
      return [node.name, ...node.given.flatMap((b) => [b.name, b.value]), node.phase, node.input, ...node.expects];
    case "ExpectDecision":
    case "ExpectWarn":
      return [...node.by];
    case "ExpectPayload":
      return [node.path, node.value];
    case "Severity":
      return [node.level];
    case "Controls":
    case "Tags":
      return [...node.values];
    case "Owner":
      return [node.value];
    case "Deny":
    case "Warn":
      return node.message ? [node.message] : [];
    case "RequireApproval":
      return [...(node.message ? [node.message] : []), ...(node.from ? [node.from] : [])];
    case "Allow":
      return [];
    case "Redact":
      return [node.pattern, node.target, ...(node.replacement ? [node.replacement] : [])];
    case "Set":
      return [node.target, node.value];
    case "Template":
      return node.parts.filter((p): p is Expr => typeof p !== "string");
    case "QualifiedName":
      return [...node.parts];
    case "Ident":
    case "Comment":
    case "Number":
    case "String":
    case "Bool":
    case "Null":
    case "Duration":
    case "Regex":
    case "Name":
      return [];
    case "List":
      return [...node.items];
    case "Object":
      return node.entries.map((e) => e.value);
    case "Member":
      return [node.object, node.property];
    case "Index":
      return [node.object, node.index];
    case "Call":
      return [node.callee, ...node.args];
    case "Unary":
      return [node.operand];
    case "Binary":
      return [node.left, node.right];
    case "Quantifier":
      return [...node.vars, node.collection, ...(node.body ? [node.body] : [])];
    case "Paren":
      return [node.expr];
  }
}

/**
 * Visits `root` and its descendants depth-first in source order; `visit` returning false
 * skips that node's children. Iterative, so deep trees cannot overflow the stack.
 */
export function walk(root: Node, visit: (node: Node, parent: Node | null) => boolean | void): void {
  const stack: [Node, Node | null][] = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    if (visit(node, parent) === false) continue;
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], node]);
  }
}

const SPAN_KEYS = new Set(["span", "opSpan", "keySpan"]);

/** A deep copy of `value` without its spans (`span`, `opSpan`, `keySpan`), for comparing trees up to positions. */
export function stripSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSpans);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SPAN_KEYS.has(k)) out[k] = stripSpans(v);
  return out;
}

/** The depth of the deepest expression nesting below `root` (a leaf expression counts 1; 0 when there are none). */
export function exprDepth(root: Node): number {
  let max = 0;
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    const depth = isExpr(node) ? d + 1 : d;
    if (depth > max) max = depth;
    for (const k of children(node)) stack.push([k, depth]);
  }
  return max;
}

const EXPR_KINDS = new Set(["Number", "String", "Bool", "Null", "Duration", "Regex", "List", "Object", "Name", "Member", "Index", "Call", "Unary", "Binary", "Quantifier", "Paren"]);

/** Whether a node is an expression. */
export function isExpr(node: Node): node is Expr {
  return EXPR_KINDS.has(node.kind);
}
