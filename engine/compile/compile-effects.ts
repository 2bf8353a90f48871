// Effects and messages to closures. A message becomes a string builder over its parts; an
// effect whose message, path and pattern are all fixed becomes one shared outcome object,
// built at compile time (outcomes are read by `combine`, never handed to callers, so sharing
// them is invisible), so that a firing rule allocates nothing for it.
import type { Effect, Expr, Template } from "../../language/ast.ts";
import type { EffectOutcome, PathKey, Replaced } from "../runtime/combine.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import type { ExprCompiler, Fn, Scope } from "./compile-expr.ts";
import { DEFAULT_REDACTION, replaceMatches, type Matcher } from "./reference.ts";
import { displayValue, aTypeName, type Value } from "./values.ts";

/** A compiled effect: a fixed outcome, or a closure that evaluates one. */
export type CompiledEffect = { readonly fixed: EffectOutcome } | { readonly run: (input: Value) => EffectOutcome };

type Text = { readonly fixed: string | undefined } | { readonly run: (input: Value) => string };

// Effects are compiled at rule level: no quantifier or def parameter is in scope.
const noScope: Scope = new Map();

/** Compiles a message template into a string builder (or its text, when it interpolates nothing that varies). */
function message(c: ExprCompiler, t: Template | null): Text {
  if (t === null) return { fixed: undefined };
  const parts = t.parts.map((p) => {
    if (typeof p === "string") return p;
    const x = c.compile(p, noScope);
    return x.folded ? displayValue(x.value) : x.fn;
  });
  // Adjacent fixed parts merge, so the builder concatenates only around the varying ones.
  const merged: (string | Fn)[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (typeof p === "string" && typeof last === "string") merged[merged.length - 1] = last + p;
    else merged.push(p);
  }
  if (merged.length === 0) return { fixed: "" };
  if (merged.length === 1 && typeof merged[0] === "string") return { fixed: merged[0] };
  const n = merged.length;
  return {
    run: (input) => {
      let s = "";
      for (let i = 0; i < n; i++) {
        const p = merged[i];
        s += typeof p === "string" ? p : displayValue(p(input));
      }
      return s;
    },
  };
}

/** The target of `redact`/`set` as path steps: field names fixed, index expressions compiled. */
function targetPath(c: ExprCompiler, e: Expr): (PathKey | Fn)[] {
  switch (e.kind) {
    case "Name":
      return [e.name];
    case "Paren":
      return targetPath(c, e.expr);
    case "Member":
      return [...targetPath(c, e.object), e.property.name];
    case "Index": {
      const object = targetPath(c, e.object);
      const k = c.compile(e.index, noScope);
      return [...object, k.folded && (typeof k.value === "string" || typeof k.value === "number") ? k.value : k.fn];
    }
    default:
      throw new Error(`internal: effect target of kind ${e.kind}`);
  }
}

type Path = { readonly fixed: readonly PathKey[] } | { readonly run: (input: Value) => PathKey[] };

function path(c: ExprCompiler, e: Expr): Path {
  const steps = targetPath(c, e);
  if (steps.every((s) => typeof s !== "function")) return { fixed: steps as PathKey[] };
  return {
    run: (input) =>
      steps.map((s) => {
        if (typeof s !== "function") return s;
        const k = s(input);
        if (typeof k !== "string" && typeof k !== "number") throw new PolicyRuntimeError(`an effect path index must be a string or a number, got ${aTypeName(k)}`);
        return k;
      }),
  };
}

function withMessage(kind: "deny" | "warn", m: string | undefined): EffectOutcome {
  return m === undefined ? { kind } : { kind, message: m };
}

/** Compiles one effect of a rule. */
export function compileEffect(c: ExprCompiler, e: Effect): CompiledEffect {
  switch (e.kind) {
    case "Allow":
      return { fixed: { kind: "allow" } };
    case "Deny":
    case "Warn": {
      const kind = e.kind === "Deny" ? "deny" : "warn";
      const m = message(c, e.message);
      if ("fixed" in m) return { fixed: withMessage(kind, m.fixed) };
      const run = m.run;
      return { run: (input) => ({ kind, message: run(input) }) };
    }
    case "RequireApproval": {
      const m = message(c, e.message);
      const from = e.from ? e.from.value : undefined;
      const build = (text: string | undefined): EffectOutcome => ({ kind: "require_approval", ...(text !== undefined ? { message: text } : {}), ...(from !== undefined ? { from } : {}) });
      if ("fixed" in m) return { fixed: build(m.fixed) };
      const run = m.run;
      return { run: (input) => build(run(input)) };
    }
    case "Redact": {
      const src = c.redactPattern(e.pattern);
      const replacement = e.replacement?.value ?? DEFAULT_REDACTION;
      const p = path(c, e.target);
      if ("fixed" in src) {
        const m: Matcher = src.fixed;
        const replace = (text: string): Replaced => replaceMatches(text, m, replacement);
        if ("fixed" in p) return { fixed: { kind: "redact", path: p.fixed, replace } };
        const run = p.run;
        return { run: (input) => ({ kind: "redact", path: run(input), replace }) };
      }
      // The pattern could not be built: the reference fails when it evaluates the effect, before the path.
      const fail = src.dynamic;
      return {
        run: (input) => {
          fail(input);
          throw new Error("internal: a failed pattern did not throw");
        },
      };
    }
    case "Set": {
      const p = path(c, e.target);
      const v = c.compile(e.value, noScope).fn;
      if ("fixed" in p) {
        const keys = p.fixed;
        return { run: (input) => ({ kind: "set", path: keys, value: v(input) }) };
      }
      const run = p.run;
      // The path first, then the value: the order the reference evaluates them in.
      return {
        run: (input) => {
          const keys = run(input);
          return { kind: "set", path: keys, value: v(input) };
        },
      };
    }
  }
}

