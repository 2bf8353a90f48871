// List and object builtins. `unique` compares as `==` does (deeply) in linear time through
// equality keys; `sort` orders numbers, strings (by code unit) and durations among their own
// kind; `keys` and `values` follow the sorted keys so results never depend on input order.
import { equalityKey } from "./conversions.ts";
import { Duration, asList, asObject, typeError, type BuiltinImpl, type Value } from "./values.ts";

function sortKind(v: Value): "number" | "string" | "duration" | null {
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (v instanceof Duration) return "duration";
  return null;
}

/** The list and object builtins, by name. */
export const LIST_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  first: (xs) => (xs === null ? null : (asList("first", 1, xs)[0] ?? null)),
  last(xs) {
    if (xs === null) return null;
    const list = asList("last", 1, xs);
    return list.length === 0 ? null : list[list.length - 1];
  },
  unique(xs) {
    if (xs === null) return null;
    const list = asList("unique", 1, xs);
    const out: Value[] = [];
    // Primitives go in a Set directly (it tells 1 from "1"); lists, objects and durations by key.
    const seen = new Set<Value>();
    let keys: Set<string> | undefined;
    for (const v of list) {
      if (v === null || typeof v !== "object") {
        if (seen.has(v)) continue;
        seen.add(v);
      } else {
        keys ??= new Set();
        const k = equalityKey(v);
        if (keys.has(k)) continue;
        keys.add(k);
      }
      out.push(v);
    }
    return out;
  },
  sort(xs) {
    if (xs === null) return null;
    const list = asList("sort", 1, xs);
    if (list.length === 0) return [];
    const kind = sortKind(list[0]);
    for (let i = 0; i < list.length; i++) {
      if (kind === null || sortKind(list[i]) !== kind) {
        throw typeError("sort", 1, "a list of numbers, of strings or of durations", list[kind === null ? 0 : i]);
      }
    }
    const copy = list.slice();
    if (kind === "number") return (copy as number[]).sort((a, b) => a - b);
    if (kind === "duration") return (copy as Duration[]).sort((a, b) => a.ms - b.ms);
    return (copy as string[]).sort();
  },
  reverse: (xs) => (xs === null ? null : asList("reverse", 1, xs).slice().reverse()),
  keys: (o) => (o === null ? null : Object.keys(asObject("keys", 1, o)).sort()),
  values(o) {
    if (o === null) return null;
    const obj = asObject("values", 1, o);
    return Object.keys(obj).sort().map((k) => obj[k]);
  },
};
