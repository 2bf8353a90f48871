// A deliberately small evaluator over the AST, for the importer's differential tests only: the
// forms the importer emits, with the engine's own value semantics (engine/compile/values.ts:
// absent reads are null, structural `==`, comparisons and arithmetic refusing mixed types), and
// `jsonlogic.*` calls going to the reference implementations. A type clash throws
// PolicyRuntimeError, as it makes a rule errored.
import { isDeepStrictEqual } from "node:util";
import { arithmetic, compare, elements, equals, getField, getIndex, member, negate, truth } from "../../engine/compile/values.ts";
import type { Expr } from "../ast.ts";
import { JSONLOGIC_SEMANTICS } from "../jsonlogic-semantics.ts";

export { PolicyRuntimeError as RuntimeError } from "../../engine/runtime/stdlib/errors.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Evaluates `e` with the names in `env` bound (a missing name reads as null). */
export function evaluate(e: Expr, env: ReadonlyMap<string, unknown>): unknown {
  const ev = (x: Expr) => evaluate(x, env);
  switch (e.kind) {
    case "Number":
      return e.value;
    case "String":
      return e.value;
    case "Bool":
      return e.value;
    case "Null":
      return null;
    case "List":
      return e.items.map(ev);
    case "Object":
      return Object.fromEntries(e.entries.map((en) => [en.key, ev(en.value)]));
    case "Name":
      return env.has(e.name) ? env.get(e.name) : null;
    case "Member":
      return getField(ev(e.object), e.property.name);
    case "Index":
      return getIndex(ev(e.object), ev(e.index));
    case "Call": {
      const c = e.callee;
      if (c.kind !== "Member" || c.object.kind !== "Name" || c.object.name !== "jsonlogic") throw new Error("only jsonlogic.* calls are evaluated here");
      const f = JSONLOGIC_SEMANTICS[c.property.name];
      if (f === undefined) throw new Error(`no implementation of jsonlogic.${c.property.name}`);
      return f(...e.args.map(ev));
    }
    case "Unary":
      return e.op === "not" ? !truth(ev(e.operand), "'not'") : negate(ev(e.operand));
    case "Binary": {
      if (e.op === "and") return truth(ev(e.left), "'and'") ? truth(ev(e.right), "'and'") : false;
      if (e.op === "or") return truth(ev(e.left), "'or'") ? true : truth(ev(e.right), "'or'");
      const [a, b] = [ev(e.left), ev(e.right)];
      switch (e.op) {
        case "==":
          return equals(a, b);
        case "!=":
          return !equals(a, b);
        case "in":
          return member(a, b);
        case "<":
        case "<=":
        case ">":
        case ">=":
          return compare(e.op, a, b);
        case "+":
        case "-":
        case "*":
        case "/":
        case "%":
          return arithmetic(e.op, a, b);
        default:
          throw new Error(`operator '${e.op}' is not evaluated here`);
      }
    }
    case "Quantifier": {
      const xs = elements(ev(e.collection), e.quantifier);
      const holds = (x: unknown) => (e.body === null ? true : truth(evaluate(e.body, new Map([...env, [e.vars[0].name, x]])), "a quantifier's condition"));
      if (e.quantifier === "any") return xs.some(holds);
      if (e.quantifier === "all") return xs.every(holds);
      return xs.filter(holds).length;
    }
    case "Paren":
      return ev(e.expr);
    default:
      throw new Error(`'${e.kind}' is not evaluated here`);
  }
}

/** Equality of results: the language's values are JSON values, where -0 is 0. */
export function sameResult(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameResult(x, b[i]));
  if (isObject(a) && isObject(b)) return isDeepStrictEqual(Object.keys(a).sort(), Object.keys(b).sort()) && Object.keys(a).every((k) => sameResult(a[k], b[k]));
  return a === b;
}
