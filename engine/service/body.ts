// Request bodies: JSON the audit log can hold exactly as the decision saw it, or a 400 naming
// the field. The log's entries are RFC 8785 canonical JSON, which has no lone surrogates and no
// numbers beyond a double's range; a body holding either would be decided on, answered, and then
// refused by the log, so the answer and the record would part. Depth is bounded too: the engine,
// the canonical encoder and JSON.stringify all recurse, and a body nested 10,000 deep must be a
// client's mistake (400), never the service's (500).
import { ServiceError, invalid } from "./errors.ts";

/** Deepest nesting of objects and arrays accepted in a body. */
export const MAX_DEPTH = 64;

function pointer(path: readonly (string | number)[]): string {
  if (path.length === 0) return "/";
  let out = "";
  for (const p of path) out += `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`;
  return out;
}

function loneSurrogate(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      return c.toString(16);
    }
    if (c >= 0xdc00 && c <= 0xdfff) return c.toString(16);
  }
  return "?";
}

function surrogateError(path: readonly (string | number)[], s: string, what: string): ServiceError {
  return invalid(pointer(path), `${what} holds a lone surrogate (\\u${loneSurrogate(s)}), which the audit log's canonical JSON cannot record: send well-formed UTF-16 (replace it with \\ufffd)`);
}

/**
 * Throws a 400 unless `v` is JSON the audit log can record as is: nesting at most MAX_DEPTH, every
 * string and key well-formed UTF-16, every number finite, no `__proto__` key. One walk, no copies.
 */
export function checkRecordable(v: unknown, path: (string | number)[] = []): void {
  if (typeof v === "string") {
    if (!v.isWellFormed()) throw surrogateError(path, v, "the string");
    return;
  }
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw invalid(pointer(path), "the number is beyond the range of a 64-bit float: send it as a string");
    return;
  }
  if (typeof v !== "object" || v === null) return;
  if (path.length >= MAX_DEPTH) throw invalid(pointer(path), `the JSON is nested more than ${MAX_DEPTH} deep: flatten it`);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      checkRecordable(v[i], path);
      path.pop();
    }
    return;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    path.push(k);
    if (k === "__proto__") throw invalid(pointer(path), "a key named '__proto__' is not accepted: rename it");
    if (!k.isWellFormed()) throw surrogateError(path, k, "the key");
    checkRecordable((v as Record<string, unknown>)[k], path);
    path.pop();
  }
}

/** Parses a JSON request body and checks it (checkRecordable); throws request/invalid with the path. */
export function parseBody(text: string): unknown {
  if (text.length === 0) throw invalid("/", "the body is empty: send a JSON object");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw invalid("/", `the body is not valid JSON: ${err instanceof Error ? err.message.replace(/^./, (c) => c.toLowerCase()) : String(err)}`);
  }
  checkRecordable(v);
  return v;
}
