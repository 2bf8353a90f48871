// RFC 8785 (JSON Canonicalization Scheme) in one pass that also insists the value is plain
// JSON. The audit log encodes every decision with it, so it sits on the append path: one walk,
// no intermediate copies. JCS is ECMAScript's JSON.stringify with object keys sorted by UTF-16
// code units, which is what Array.prototype.sort does to strings by default; strings and
// numbers therefore serialise exactly as JSON.stringify writes them (well-formed strings only).
import { AuditError } from "./errors.ts";

function bad(message: string, hint?: string): AuditError {
  return new AuditError("audit/invalid-record", message, hint);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// The path to the value being written, as keys and positions, turned into text only for an
// error message: building it for every value would cost more than the serialisation itself.
function pathText(name: string, keys: readonly (string | number)[]): string {
  let out = name;
  for (const k of keys) out += typeof k === "number" ? `[${k}]` : `.${k}`;
  return out;
}

function write(value: unknown, name: string, keys: (string | number)[], ancestors: object[]): string {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw bad(`${pathText(name, keys)} holds a lone surrogate, which has no UTF-8 form`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw bad(`${pathText(name, keys)} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (ancestors.includes(value)) throw bad(`${pathText(name, keys)} refers back to itself`);
      ancestors.push(value);
      let out: string;
      if (Array.isArray(value)) {
        out = "[";
        for (let i = 0; i < value.length; i++) {
          keys.push(i);
          if (!(i in value) || value[i] === undefined) throw bad(`${pathText(name, keys)} is undefined`, "use null for an absent array element");
          out += (i === 0 ? "" : ",") + write(value[i], name, keys, ancestors);
          keys.pop();
        }
        out += "]";
      } else {
        if (!isPlainObject(value)) throw bad(`${pathText(name, keys)} is a ${value.constructor?.name ?? "non-plain object"}, not a plain JSON object`, "convert it to JSON data (e.g. a Date to an ISO string) first");
        const obj = value as Record<string, unknown>;
        const sorted = Object.keys(obj).sort();
        out = "{";
        let first = true;
        for (const k of sorted) {
          const v = obj[k];
          if (v === undefined) continue;
          if (!k.isWellFormed()) throw bad(`${pathText(name, keys)} has a key with a lone surrogate`);
          keys.push(k);
          out += `${first ? "" : ","}${JSON.stringify(k)}:${write(v, name, keys, ancestors)}`;
          keys.pop();
          first = false;
        }
        out += "}";
      }
      ancestors.pop();
      return out;
    }
    default:
      throw bad(`${pathText(name, keys)} is a ${typeof value}, which JSON cannot hold`);
  }
}

// The fast path: V8's own JSON.stringify writes exactly JCS's strings and numbers, and objects'
// keys in their own order; a walk first checks the value is plain JSON and puts the keys of any
// object that is not already sorted in order (a sorted copy, so the caller's value is left as
// it was). Whatever the walk will not vouch for (a bad value, nesting deeper than the bound, a
// copy with array-index keys, which V8 always enumerates first) makes it give up, and the
// careful writer above runs instead, to name the bad value or to write what is merely unusual.
const GIVE_UP: unique symbol = Symbol("give up");
const FAST_DEPTH = 64;

/** An array index key ("0", "17"): V8 enumerates these first whatever the insertion order. */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(0|[1-9][0-9]*)$/.test(k);
}

/** Throws GIVE_UP unless `v` is a JSON primitive JCS can write (undefined: a member to leave out). */
function checkPrimitive(v: unknown): void {
  if (typeof v === "string") {
    if (!v.isWellFormed()) throw GIVE_UP;
  } else if (typeof v === "number") {
    if (!Number.isFinite(v)) throw GIVE_UP;
  } else if (typeof v !== "boolean" && v !== undefined) throw GIVE_UP;
}

/** `value` itself when it is plain JSON with sorted keys; a sorted copy when only the order differs. */
function sorted(value: object, depth: number): object {
  if (depth > FAST_DEPTH) throw GIVE_UP;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw GIVE_UP;
      const v: unknown = value[i];
      if (typeof v === "object" && v !== null) {
        const s = sorted(v, depth + 1);
        if (s !== v) (out ??= value.slice())[i] = s;
      } else if (v === undefined) throw GIVE_UP;
      else checkPrimitive(v);
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) throw GIVE_UP;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let inOrder = true;
  let changed: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (i > 0 && keys[i - 1] > k) inOrder = false;
    if (!k.isWellFormed()) throw GIVE_UP;
    const v = obj[k];
    if (typeof v === "object" && v !== null) {
      const s = sorted(v, depth + 1);
      if (s !== v) {
        // The copy would take "__proto__" for its prototype: the careful writer handles that key.
        if (k === "__proto__") throw GIVE_UP;
        (changed ??= {})[k] = s;
      }
    } else checkPrimitive(v);
  }
  if (inOrder && changed === undefined) return value;
  if (!inOrder) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // An index key would be enumerated first, and "__proto__" would set the copy's prototype.
    if ((!inOrder && isIndexKey(k)) || k === "__proto__") throw GIVE_UP;
    out[k] = changed !== undefined && Object.hasOwn(changed, k) ? changed[k] : obj[k];
  }
  return out;
}

/**
 * The RFC 8785 canonical JSON text of `value`. Throws AuditError "audit/invalid-record" when the
 * value is not plain JSON (a Date, NaN, a function, a hole, a cycle, a lone surrogate), naming
 * the path under `name`, because silently converting would record something the caller did not hand over.
 */
export function canonicalJson(value: unknown, name = "value"): string {
  try {
    if (typeof value === "object" && value !== null) return JSON.stringify(sorted(value, 0));
    checkPrimitive(value);
    if (value !== undefined) return JSON.stringify(value);
  } catch (err) {
    if (err !== GIVE_UP) throw err;
  }
  return write(value, name, [], []);
}
