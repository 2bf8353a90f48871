// Request bodies: JSON the audit log can hold exactly as the decision saw it, or a 400 naming
// the field. The log's entries are RFC 8785 canonical JSON; what a client sends is refused where
// that encoding would record something else than what was decided on, or where another reader
// of the same bytes could see something else than the policy saw (I-JSON, RFC 7493):
// - bytes that are not UTF-8 (a decoder would put U+FFFD where the client's byte was);
// - a lone surrogate (canonical JSON has none);
// - a number whose value a double does not hold exactly as written (1e400, 1e-400,
//   12345678901234567891, 2^53 + 1): the log writes the double's shortest decimal, so the entry
//   would show another number than the client sent; -0 is the number 0 (RFC 8785 writes 0) and is
//   decided on as 0;
// - a key twice in one object (JSON.parse keeps the last; a proxy, a WAF or another parser in
//   front may have judged the first);
// - a `__proto__` key, and nesting deeper than MAX_DEPTH: the engine, the canonical encoder and
//   JSON.stringify all recurse, and a body nested 10,000 deep must be a client's mistake (400),
//   never the service's (500).
import { isUtf8 } from "node:buffer";
import { ServiceError, invalid } from "./errors.ts";

/** Deepest nesting of objects and arrays accepted in a body. */
export const MAX_DEPTH = 64;

type Path = (string | number)[];

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

function surrogateError(path: Path, s: string, what: string): ServiceError {
  return invalid(pointer(path), `${what} holds a lone surrogate (\\u${loneSurrogate(s)}), which the audit log's canonical JSON cannot record: send well-formed UTF-16 (replace it with \\ufffd)`);
}

function depthError(path: Path): ServiceError {
  return invalid(pointer(path), `the JSON is nested more than ${MAX_DEPTH} deep: flatten it`);
}

/**
 * A decimal number literal's value as `[sign]digits@exponent` with no leading or trailing zeros
 * ("0" for zero), so that two literals compare equal exactly when they name the same number.
 */
function decimalValue(lit: string): string {
  let s = lit;
  let sign = "";
  if (s[0] === "-") {
    sign = "-";
    s = s.slice(1);
  }
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e >= 0) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf(".");
  let digits = dot < 0 ? s : s.slice(0, dot) + s.slice(dot + 1);
  let point = (dot < 0 ? s.length : dot) + exp;
  let lead = 0;
  while (lead < digits.length && digits[lead] === "0") lead++;
  digits = digits.slice(lead).replace(/0+$/, "");
  point -= lead;
  return digits === "" ? "0" : `${sign}${digits}@${point}`;
}

/**
 * Whether the double a JSON number literal parses to holds it exactly: the log records the double
 * as its shortest round-trip decimal (RFC 8785 = ECMAScript Number::toString), which must name
 * the same number as the literal.
 */
export function exactNumber(lit: string): boolean {
  const v = Number(lit);
  return Number.isFinite(v) && decimalValue(lit) === decimalValue(String(v));
}

function numberError(path: Path, lit: string): ServiceError {
  const v = Number(lit);
  const got = Number.isFinite(v) ? `would be recorded as ${String(v === 0 ? 0 : v)}` : "is beyond the range of a 64-bit float";
  const shown = lit.length > 40 ? `${lit.slice(0, 40)}…` : lit;
  return invalid(pointer(path), `the number ${shown} ${got}: the audit log records numbers as 64-bit floats (I-JSON, RFC 7493); send it as a string, or round it to at most 15 significant digits`);
}

function duplicateError(path: Path): ServiceError {
  return invalid(pointer(path), "the key appears twice in one object (I-JSON, RFC 7493): send each key once");
}

/** Objects with more keys than this look keys up in a Set (fewer: a list is cheaper). */
const SET_FROM = 16;

/** A `\u` escape of a surrogate (D800-DFFF), the only way a lone one can be in UTF-8 JSON text. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/g;

/** Where SURROGATE_ESCAPE next matches in `text` from `from`; the text's length when nowhere. */
function nextSurrogateEscape(text: string, from: number): number {
  SURROGATE_ESCAPE.lastIndex = from;
  return SURROGATE_ESCAPE.exec(text)?.index ?? text.length;
}

/**
 * What JSON.parse does not say about a text it accepted, in one pass over the text after
 * JSON.parse (so the text is known to be JSON), the path kept only to name the field in an error:
 * number literals a double does not hold exactly, keys given twice in one object, a `__proto__`
 * key, nesting deeper than MAX_DEPTH, and lone surrogates written as `\u` escapes (the text
 * itself is well-formed: the caller made sure). Returns whether a literal reads as -0.
 */
function checkText(text: string): boolean {
  let negativeZero = false;
  // Escapes of surrogates are rare: strings are unescaped and looked at only where one is.
  let surrogate = nextSurrogateEscape(text, 0);
  const path: Path = [];
  // Per open container: its keys so far (objects), or null (arrays).
  const keys: (string[] | Set<string> | null)[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let b = 0;
        while (text.charCodeAt(j - 1 - b) === 0x5c /* \ */) b++;
        if (b % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        // "a" and "\u0061" are one key.
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        path[path.length - 1] = key;
        const seen = keys[keys.length - 1]!;
        if (Array.isArray(seen)) {
          if (seen.includes(key)) throw duplicateError(path);
          seen.push(key);
          if (seen.length > SET_FROM) keys[keys.length - 1] = new Set(seen);
        } else if (seen !== null) {
          if (seen.has(key)) throw duplicateError(path);
          seen.add(key);
        }
        if (key === "__proto__") throw invalid(pointer(path), "a key named '__proto__' is not accepted: rename it");
        if (surrogate < j && !key.isWellFormed()) throw surrogateError(path, key, "the key");
        expectKey = false;
      } else if (surrogate < j) {
        const value = JSON.parse(text.slice(i, j + 1)) as string;
        if (!value.isWellFormed()) throw surrogateError(path, value, "the string");
      }
      if (surrogate < j) surrogate = nextSurrogateEscape(text, j + 1);
      i = j + 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      let exponent = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x2b || d === 0x2d) continue;
        if (d === 0x65 || d === 0x45) {
          exponent = true;
          continue;
        }
        break;
      }
      // Fifteen significant digits or fewer, no exponent: a double holds every such decimal.
      if ((exponent || j - i > 15) && !exactNumber(text.slice(i, j))) throw numberError(path, text.slice(i, j));
      if (c === 0x2d && text.charCodeAt(i + 1) === 0x30 && Number(text.slice(i, j)) === 0) negativeZero = true;
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (keys.length >= MAX_DEPTH) throw depthError(path);
      const object = c === 0x7b;
      keys.push(object ? [] : null);
      path.push(object ? "" : 0);
      expectKey = object;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      keys.pop();
      path.pop();
      // `{}` leaves no key to read: the next string (`[{},"s"]`) is a value.
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      if (keys[keys.length - 1] === null) (path[path.length - 1] as number)++;
      else expectKey = true;
      i++;
    } else i++;
  }
  return negativeZero;
}

/**
 * Throws a 400 unless `v` is JSON the audit log can record as is: nesting at most MAX_DEPTH, every
 * string and key well-formed UTF-16, every number finite, no `__proto__` key. A -0 becomes 0 in
 * place (the number the log records). One walk, no copies.
 */
export function checkRecordable(v: unknown, path: Path = []): void {
  if (typeof v === "string") {
    if (!v.isWellFormed()) throw surrogateError(path, v, "the string");
    return;
  }
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw invalid(pointer(path), "the number is beyond the range of a 64-bit float: send it as a string");
    return;
  }
  if (typeof v !== "object" || v === null) return;
  if (path.length >= MAX_DEPTH) throw depthError(path);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      if (v[i] === 0) v[i] = 0;
      checkRecordable(v[i], path);
      path.pop();
    }
    return;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    path.push(k);
    if (k === "__proto__") throw invalid(pointer(path), "a key named '__proto__' is not accepted: rename it");
    if (!k.isWellFormed()) throw surrogateError(path, k, "the key");
    if (o[k] === 0) o[k] = 0;
    checkRecordable(o[k], path);
    path.pop();
  }
}

/**
 * Parses a JSON request body (UTF-8 bytes, or text already decoded) and checks it as
 * checkRecordable would, in one pass over the text (checkText) rather than a walk of the value
 * too: valid UTF-8 decodes to well-formed text, and JSON.parse gives a non-finite number only for
 * a literal checkText refuses. Throws request/invalid with the field's JSON Pointer.
 */
export function parseBody(body: string | Buffer): unknown {
  let text: string;
  if (typeof body === "string") text = body;
  else {
    if (!isUtf8(body)) throw invalid("/", "the body is not UTF-8: send JSON encoded as UTF-8 (RFC 8259)");
    text = body.toString("utf8");
  }
  if (text.length === 0) throw invalid("/", "the body is empty: send a JSON object");
  if (text.charCodeAt(0) === 0xfeff) throw invalid("/", "the body starts with a byte order mark: send UTF-8 JSON without one (RFC 8259)");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw invalid("/", `the body is not valid JSON: ${err instanceof Error ? err.message.replace(/^./, (c) => c.toLowerCase()) : String(err)}`);
  }
  const negativeZero = checkText(text);
  // Text given as a string may hold a lone surrogate itself; -0 is rare: both take the walk.
  if (negativeZero || (typeof body === "string" && !text.isWellFormed())) checkRecordable(v);
  return v;
}
