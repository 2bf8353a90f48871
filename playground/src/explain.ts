// Why each rule did or did not fire, for the playground: the rule's phase, then its `when`
// condition split at its top-level `and`s (the first part that does not hold is named, with the
// values it compared), then its `unless`. Evaluated with the reference interpreter, the engine's
// own second evaluator, on the same input the compiled engine decided.
import type { Expr } from "../../language/index.ts";
import { PolicyRuntimeError } from "../../engine/runtime/index.ts";
import type { PolicySet } from "../../engine/runtime/index.ts";
import { displayValue } from "../../engine/compile/index.ts";

/** One rule's story for one input. */
export interface RuleExplanation {
  readonly rule: string;
  readonly status: "fired" | "not fired" | "other phase" | "error";
  /** Why, in words, with the policy's own text quoted. */
  readonly why: string;
}

function conjuncts(e: Expr): Expr[] {
  if (e.kind === "Paren") return conjuncts(e.expr);
  if (e.kind === "Binary" && e.op === "and") return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}

const COMPARE = new Set(["==", "!=", "<", "<=", ">", ">=", "in", "contains", "matches"]);

/** Explains every rule of `set` for `phase` and `input`; `text` is the policy's source (one file). */
export function explain(set: PolicySet, text: string, phase: string, input: unknown): RuleExplanation[] {
  const interp = set.reference;
  const src = (e: { span: { start: { offset: number }; end: { offset: number } } }): string => text.slice(e.span.start.offset, e.span.end.offset).replace(/\s+/g, " ");
  const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : displayValue(v));
  const value = (e: Expr): unknown => interp.eval(e, input as never, null);
  const holds = (e: Expr): boolean => value(e) === true;
  const detail = (e: Expr): string => {
    if (e.kind === "Binary" && COMPARE.has(e.op)) {
      try {
        // Literals say what they are already: only the sides read from the input or a const are shown.
        const parts = [e.left, e.right].map((x) => [src(x), show(value(x))]).filter(([a, b]) => a !== b);
        return parts.length === 0 ? "" : ` (${parts.map(([a, b]) => `${a} is ${b}`).join(", ")})`;
      } catch {
        return "";
      }
    }
    return "";
  };
  return set.program.rules.map((rule): RuleExplanation => {
    const d = rule.decl;
    if (!(rule.phases as readonly string[]).includes(phase)) return { rule: rule.id, status: "other phase", why: `runs on ${rule.phases.join(", ")}, not on ${phase}` };
    try {
      if (d.when) {
        for (const c of conjuncts(d.when)) {
          if (!holds(c)) return { rule: rule.id, status: "not fired", why: `when: \`${src(c)}\` does not hold${detail(c)}` };
        }
      }
      if (d.unless && holds(d.unless)) return { rule: rule.id, status: "not fired", why: `unless: \`${src(d.unless)}\` holds${detail(d.unless)}` };
      return { rule: rule.id, status: "fired", why: d.when ? `when: \`${src(d.when)}\` holds` : "no condition: it fires on every input of this phase" };
    } catch (err) {
      if (err instanceof PolicyRuntimeError) return { rule: rule.id, status: "error", why: err.message };
      throw err;
    }
  });
}
