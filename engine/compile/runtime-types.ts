// Typed reads (spec/soundness.md): a value read from the input, or bound from it by a
// quantifier, must have the type the checker inferred for that place, or the rule is errored.
// Without this a rule's meaning could change with the input's shape: `roles contains "x"`
// on a string `roles` would look for a substring instead of a list element. The check is
// shallow (a list is a list; its elements are checked where they are read) and `null` always
// passes, since an absent path reads as null (LANGUAGE.md). Both evaluators call these, so
// they fail on the same reads with the same messages.
import type { Type } from "../../language/types.ts";
import { showType } from "../../language/check/types.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { Duration, PatternValue, aTypeName } from "./values.ts";

/** A JS expression over the variable `v` (never null there) that holds when `v` has type `t`; null when every value does. */
export function valueTest(t: Type | null | undefined, v = "v"): string | null {
  if (t === null || t === undefined) return null;
  switch (t.kind) {
    case "any":
      return null;
    case "pattern":
      return `${v} instanceof PatternValue`;
    case "null":
      return "false";
    case "bool":
      return `typeof ${v} === "boolean"`;
    case "number":
      return `typeof ${v} === "number"`;
    case "string":
    case "instant":
      return `typeof ${v} === "string"`;
    case "duration":
      return `${v} instanceof Duration`;
    case "list":
      return `isArray(${v})`;
    case "object":
      // Durations and patterns never come from the input, and the checker never types them as objects.
      return `(typeof ${v} === "object" && !isArray(${v}))`;
    case "union": {
      const parts: string[] = [];
      for (const m of t.members) {
        if (m.kind === "null") continue;
        const p = valueTest(m, v);
        if (p === null) return null;
        parts.push(p);
      }
      return parts.length === 0 ? "false" : `(${[...new Set(parts)].join(" || ")})`;
    }
  }
}

/** Whether `v` has type `t` (shallowly; null always does): `valueTest`'s meaning, as a function. */
export function conforms(t: Type | null | undefined, v: unknown): boolean {
  if (v === null || v === undefined || t === null || t === undefined) return true;
  switch (t.kind) {
    case "any":
      return true;
    case "pattern":
      return v instanceof PatternValue;
    case "null":
      return false;
    case "bool":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number";
    case "string":
    case "instant":
      return typeof v === "string";
    case "duration":
      return v instanceof Duration;
    case "list":
      return Array.isArray(v);
    case "object":
      return typeof v === "object" && !Array.isArray(v);
    case "union":
      return t.members.some((m) => m.kind !== "null" && conforms(m, v));
  }
}

/** Whether values of type `t` are checked on read at all (false for `any` and the like). */
export function checked(t: Type | null | undefined): t is Type {
  return valueTest(t) !== null;
}

/** How the expected type of a read is shown in its error. */
export function expectedText(t: Type): string {
  return showType(t);
}

/** The error of a read whose value is not of its static type. */
export function typeClash(text: string, expected: string, v: unknown): PolicyRuntimeError {
  return new PolicyRuntimeError(`'${text}' is ${aTypeName(v)}, but the policy reads it as ${expected}`, "runtime/unexpected-type", text);
}
