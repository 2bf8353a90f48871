// A compact S-expression view of expressions, for asserting tree shapes in tests:
// `a or b and c` shows as `(or a (and b c))`.
import type * as A from "../ast.ts";
import { parse } from "../parse.ts";

/** The S-expression of an expression. */
export function sexpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
    case "Duration":
      return e.raw;
    case "String":
      return JSON.stringify(e.value);
    case "Bool":
      return String(e.value);
    case "Null":
      return "null";
    case "Regex":
      return `/${e.pattern}/${e.flags}`;
    case "Name":
      return e.name;
    case "List":
      return `[${e.items.map(sexpr).join(" ")}]`;
    case "Object":
      return `{${e.entries.map((x) => `${x.quoted ? JSON.stringify(x.key) : x.key}: ${sexpr(x.value)}`).join(", ")}}`;
    case "Member":
      return `(. ${sexpr(e.object)} ${e.property.name})`;
    case "Index":
      return `([] ${sexpr(e.object)} ${sexpr(e.index)})`;
    case "Call":
      return `(call ${[e.callee, ...e.args].map(sexpr).join(" ")})`;
    case "Unary":
      return `(${e.op} ${sexpr(e.operand)})`;
    case "Binary":
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case "Quantifier":
      return `(${e.quantifier} ${e.vars.map((v) => v.name).join(" then ")} ${sexpr(e.collection)}${e.body ? ` ${sexpr(e.body)}` : ""})`;
    case "Paren":
      return `(paren ${sexpr(e.expr)})`;
  }
}

/** Parses `const X = <text>` and returns the S-expression of the value; throws with the diagnostics if it does not parse. */
export function shape(text: string): string {
  const r = parse(`const X = ${text}`, "shape.policy");
  const d = r.file?.decls[0];
  if (!d || d.kind !== "Const") throw new Error(`did not parse: ${text}\n${r.diagnostics.map((x) => `${x.code} ${x.message}`).join("\n")}`);
  return sexpr(d.value);
}
