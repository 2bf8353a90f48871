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

/**
 * The RFC 8785 canonical JSON text of `value`. Throws AuditError "audit/invalid-record" when the
 * value is not plain JSON (a Date, NaN, a function, a hole, a cycle, a lone surrogate), naming
 * the path under `name`, because silently converting would record something the caller did not hand over.
 */
export function canonicalJson(value: unknown, name = "value"): string {
  return write(value, name, [], []);
}
