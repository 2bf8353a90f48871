// Conversions between value types: `to_number`, `to_string`, `type_of`, and the canonical
// JSON text that `to_string` and `join` give lists and objects (RFC 8785 style: keys sorted
// by UTF-16 code units, no white space, numbers in their shortest form).
import { Duration, MAX_WRITTEN_DEPTH, PatternValue, formatDuration, tooDeep, typeName } from "../../compile/values.ts";
import { typeError, type BuiltinImpl, type Value } from "./values.ts";

// The JSON number grammar, anchored; the string is trimmed first.
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The number a value spells: numbers unchanged, JSON-number strings, booleans as 1/0; null otherwise. */
export function toNumberValue(x: Value): number | null {
  if (x === null) return null;
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  if (typeof x === "string") {
    const t = x.trim();
    if (!JSON_NUMBER.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  throw typeError("to_number", 1, "a string, a number or a bool", x);
}

function canonicalJson(v: Value, depth = 0): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
  }
  if (v instanceof Duration) return JSON.stringify(formatDuration(v.ms));
  // A pattern is shown as written (`/^a/i`, `pii.email`), never as the engine's matcher.
  if (v instanceof PatternValue) return JSON.stringify(v.source);
  if (depth >= MAX_WRITTEN_DEPTH) throw tooDeep("write as text");
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(v[i] as Value, depth + 1);
    return `${out}]`;
  }
  const obj = v as { readonly [k: string]: Value };
  const keys = Object.keys(obj).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? "" : ","}${JSON.stringify(keys[i])}:${canonicalJson(obj[keys[i]], depth + 1)}`;
  return `${out}}`;
}

/** A value as text: strings unchanged, numbers in shortest form, durations as `1m30s`, the rest as canonical JSON. */
export function toStringValue(x: Value): string {
  if (typeof x === "string") return x;
  if (typeof x === "number") return String(x);
  if (x instanceof Duration) return formatDuration(x.ms);
  if (x instanceof PatternValue) return x.source;
  return canonicalJson(x);
}

/** The conversion builtins, by name. */
export const CONVERSION_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  to_number: (x) => toNumberValue(x),
  to_string: (x) => toStringValue(x),
  type_of: (x) => typeName(x),
};

/** A key equal for exactly the values `==` holds equal (numbers by value, lists and objects deeply, durations by length). */
export function equalityKey(v: Value): string {
  if (v instanceof Duration) return `d${v.ms}`;
  if (typeof v === "string") return `s${v}`;
  if (typeof v === "number") return `n${v === 0 ? 0 : v}`;
  if (v === null || typeof v === "boolean") return `${v}`;
  return `j${canonicalJsonTagged(v)}`;
}

// Canonical JSON where durations and strings cannot collide (`"1m"` vs `1m`).
function canonicalJsonTagged(v: Value, depth = 0): string {
  if (v instanceof Duration) return `{"\\u0000duration":${v.ms}}`;
  if (depth >= MAX_WRITTEN_DEPTH && v !== null && typeof v === "object") throw tooDeep("compare as a key");
  if (Array.isArray(v)) return `[${v.map((e) => canonicalJsonTagged(e as Value, depth + 1)).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const obj = v as { readonly [k: string]: Value };
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJsonTagged(obj[k], depth + 1)}`).join(",")}}`;
  }
  return canonicalJson(v);
}
