// Input paths as generated source. A path is the commonest thing a rule does, and a closure
// that walks keys through `getField` makes every step a keyed (megamorphic) load plus a
// lookup; a function generated per path reads each step as a named property, which V8 caches
// per site. Measured on the typical policy, this is the difference that matters on the
// decision path. The semantics are `getField`'s, step for step (values.ts): only an own field
// of a non-list, non-duration object is read, and absent or undefined reads as null.
import { Duration, type Value } from "./values.ts";

/** Reads a path of field names from a value; never throws. */
export type PathReader = (v: Value) => Value;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function access(key: string): string {
  return IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

// One reader per distinct path, shared by every rule that reads it: a policy has few distinct
// paths, and a shared function gets hot and optimised where ten thousand copies each called
// now and then would stay in the interpreter. Bounded, as paths come from policy text.
const readers = new Map<string, PathReader>();
const READER_LIMIT = 4096;

/** A reader of `keys` from its argument, generated once per distinct path. */
export function pathReader(keys: readonly string[]): PathReader {
  const id = JSON.stringify(keys);
  let r = readers.get(id);
  if (r === undefined) {
    if (readers.size >= READER_LIMIT) readers.clear();
    r = generate(keys);
    readers.set(id, r);
  }
  return r;
}

function generate(keys: readonly string[]): PathReader {
  let body = "";
  for (const k of keys) {
    const q = JSON.stringify(k);
    body += `if (typeof v !== "object" || v === null || isArray(v)) return null;\n`;
    // Read first (a Duration has no getters, so reading one is harmless): absent or undefined
    // is null whatever the object. Then a plain object (prototype Object.prototype, which has
    // no value at the key) can only have read its own field, so the own-field check is moot;
    // anything else takes the full check. (`Object.hasOwn` is a call with a lookup per step;
    // after the read, V8 knows the object's maps and folds the prototype test to map checks.)
    body += `x = v${access(k)};\nif (x === undefined) return null;\n`;
    body += `if (getProto(v) !== OP || OP${access(k)} !== undefined) {\nif (v instanceof Duration || !hasOwn(v, ${q})) return null;\n}\n`;
    body += `v = x;\n`;
  }
  body += "return v;";
  const make = new Function("Duration", "isArray", "hasOwn", "getProto", "OP", `"use strict";\nreturn function readPath(v) {\nlet x;\n${body}\n};`) as (
    d: typeof Duration,
    a: typeof Array.isArray,
    h: typeof Object.hasOwn,
    g: typeof Object.getPrototypeOf,
    op: object,
  ) => PathReader;
  return make(Duration, Array.isArray, Object.hasOwn, Object.getPrototypeOf, Object.prototype);
}
