// `contains` and `in` as distinct, checked operations (spec/soundness.md): which one a rule
// performs is fixed when it is checked, from the static type of the container, never by the
// shape of the input. A list is searched for an element, a string for a substring, an object
// for a key. A container whose type the checker does not know (`tool.args.labels` without the
// tool's schema) is a list: a string there is a type clash, so `labels contains "reviewed"`
// cannot be satisfied by the text "unreviewed". A union the schema allows (a string or a list)
// is dispatched on the value, as the schema says either is fine.
import type { Type } from "../../language/types.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { Duration, equals, PatternValue, aTypeName } from "./values.ts";

/** What a container is searched as; `any`: a list, whose type the checker does not know. */
export type ContainerMode = "list" | "any" | "string" | "object" | "dynamic";

function kinds(t: Type): Set<string> | null {
  const out = new Set<string>();
  for (const m of t.kind === "union" ? t.members : [t]) {
    if (m.kind === "null") continue;
    if (m.kind === "any") return null;
    out.add(m.kind === "instant" ? "string" : m.kind);
  }
  return out;
}

/** The mode of a container of static type `t` (undefined: not typed, as for `any`). */
export function containerMode(t: Type | undefined): ContainerMode {
  if (t === undefined) return "any";
  const k = kinds(t);
  if (k === null || k.size === 0) return "any";
  if (k.size === 1) {
    const [only] = k;
    if (only === "string" || only === "object") return only;
    return "list";
  }
  return "dynamic";
}

function clash(op: string, what: string, mode: ContainerMode, v: unknown): PolicyRuntimeError {
  if (mode === "any" && typeof v === "string") {
    return new PolicyRuntimeError(
      `'${op}' on ${what}: a list was expected (its type is not known to the checker, and an unknown container is a list), got a string; to search text, write 'to_string(...)' around it or give the tool's schema`,
      "runtime/unexpected-type",
    );
  }
  return new PolicyRuntimeError(`'${op}' on ${what}: expected a ${mode === "dynamic" ? "list, string or object" : mode === "any" ? "list" : mode}, got ${aTypeName(v)}`, "runtime/unexpected-type");
}

/**
 * Whether `x` is in `xs`, searching `xs` as `mode` says: element (structural), substring, or
 * key. False when either side is null (LANGUAGE.md); any other mismatch is a type clash.
 */
export function memberAs(mode: ContainerMode, op: string, what: string, x: unknown, xs: unknown): boolean {
  if (x === null || x === undefined || xs === null || xs === undefined) return false;
  if (Array.isArray(xs)) {
    if (mode !== "list" && mode !== "any" && mode !== "dynamic") throw clash(op, what, mode, xs);
    for (const e of xs) if (equals(x, e)) return true;
    return false;
  }
  if (typeof xs === "string") {
    if (mode !== "string" && mode !== "dynamic") throw clash(op, what, mode, xs);
    if (typeof x !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to ${aTypeName(x)} and a string`);
    return xs.includes(x);
  }
  if (typeof xs === "object" && !(xs instanceof Duration) && !(xs instanceof PatternValue)) {
    if (mode !== "object" && mode !== "dynamic") throw clash(op, what, mode, xs);
    if (typeof x !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to ${aTypeName(x)} and an object`);
    return Object.hasOwn(xs, x);
  }
  throw clash(op, what, mode, xs);
}
