// What a guard decides on is a copy taken when it decides: plain JSON data nobody else holds.
// A tool that mutates its arguments afterwards changes its own copy, never the decided input,
// the session history or the audit record; a value JSON cannot hold faithfully (a cycle, a
// BigInt, a function, a Map) is refused with the path where it sits, so that what the log says
// is what was decided.

/** A value that cannot be decided and recorded faithfully. */
export class UnrecordableError extends Error {
  /** JSON Pointer of the offending value, e.g. `/tool/args/parent`. */
  readonly path: string;

  constructor(path: string, what: string) {
    super(`${what} at ${path === "" ? "/" : path} cannot be recorded`);
    this.name = "UnrecordableError";
    this.path = path;
  }
}

// Deeper than this is refused: the evaluator and the canonical encoder recurse.
const MAX_DEPTH = 64;

/**
 * A deep copy of `value` as plain JSON data (objects with string keys, arrays, strings, finite
 * numbers, booleans, null), following JSON.stringify where it is faithful: `toJSON` is honoured,
 * undefined properties are dropped and undefined array items become null. Throws
 * UnrecordableError for a cycle, a BigInt, a function or symbol, a Map or Set, a non-finite
 * number, or nesting deeper than 64.
 */
export function snapshot(value: unknown, path = ""): unknown {
  const quick = plainCopy(value);
  return quick !== NOT_PLAIN ? quick : carefulCopy(value, path);
}

/** `snapshot` of the field `key` of an input: the path `/key` is built only when something is refused. */
export function snapshotField(value: unknown, key: string): unknown {
  const quick = plainCopy(value);
  return quick !== NOT_PLAIN ? quick : carefulCopy(value, `/${key}`);
}

/**
 * What `plainCopy` returns for a value it does not copy: anything but plain objects, arrays,
 * well-formed strings, finite numbers, booleans, null and undefined (toJSON, a class instance,
 * a cycle, which shows as nesting past the limit), or a getter or proxy trap that threw.
 * `snapshot` copies such a value the careful way, or refuses it with its path.
 */
export const NOT_PLAIN: unique symbol = Symbol("not plain");

/** The quick half of `snapshot`: the copy, or NOT_PLAIN when the value needs the careful copy (which may refuse it). */
export function plainCopy(value: unknown): unknown {
  // Nearly every value is plain data: copied without the bookkeeping that only a refusal needs
  // (the path, the cycle check), and copied again the careful way when the quick copy gives up.
  try {
    return quickCopy(value, 0);
  } catch {
    // A getter or a proxy trap threw: the careful copy meets it again and says where.
    return NOT_PLAIN;
  }
}

function carefulCopy(value: unknown, path: string): unknown {
  const keys: (string | number)[] = [];
  try {
    return copy(value, 0, [], keys);
  } catch (err) {
    // What a getter, a proxy trap or a toJSON throws is refused like any other unreadable value:
    // left to propagate, it would stop the call before any decision was made or recorded.
    const what = err instanceof Unrecordable ? err.what : `a value that threw when read (${err instanceof Error ? err.message : String(err)})`;
    // The path is built only when something is refused: building it on every key is most of a copy's cost.
    throw new UnrecordableError(recordable(path + keys.map((k) => `/${String(k).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")), recordable(what));
  }
}

// A refusal's text is recorded: a lone surrogate from the refused key or message is written as
// its escape, so that the refusal itself can be recorded.
function recordable(text: string): string {
  return text.isWellFormed() ? text : text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * The copy `copy` makes, of plain objects, arrays, strings, finite numbers, booleans, null and
 * undefined only; NOT_PLAIN for anything else (toJSON, a class instance, a cycle, which shows as
 * nesting past the limit), which `copy` then copies or refuses with its path.
 */
function quickCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? value : NOT_PLAIN;
    case "boolean":
    case "undefined":
      return value;
    case "number":
      return Number.isFinite(value) ? value : NOT_PLAIN;
    case "object":
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const arr: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = quickCopy(value[i], depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      arr[i] = v === undefined ? null : v;
    }
    return arr;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const rec: Record<string, unknown> = {};
  const own = Object.keys(value);
  for (let i = 0; i < own.length; i++) {
    const k = own[i];
    if (k === "__proto__" || !k.isWellFormed()) return NOT_PLAIN;
    const v = quickCopy((value as Record<string, unknown>)[k], depth + 1);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) rec[k] = v;
  }
  return rec;
}

class Unrecordable {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
}

// `keys` holds the path to the value being copied; it is left as it was on a throw.
function copy(value: unknown, depth: number, stack: object[], keys: (string | number)[]): unknown {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new Unrecordable("a string with a lone surrogate (no UTF-8 form)");
      return value;
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new Unrecordable(`the number ${String(value)}`);
      return value;
    case "undefined":
      return undefined;
    case "bigint":
      throw new Unrecordable("a BigInt");
    case "function":
      throw new Unrecordable("a function");
    case "symbol":
      throw new Unrecordable("a symbol");
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth >= MAX_DEPTH) throw new Unrecordable(`nesting deeper than ${MAX_DEPTH}`);
  if (stack.includes(obj)) throw new Unrecordable("a cycle");
  const proto: unknown = Object.getPrototypeOf(obj);
  // Plain objects and arrays (nearly everything a framework passes) take the short way.
  if (proto !== Object.prototype && proto !== null && !Array.isArray(obj)) {
    const withJson = obj as { toJSON?: unknown };
    if (typeof withJson.toJSON === "function") {
      stack.push(obj);
      const out = copy((withJson.toJSON as () => unknown).call(obj), depth + 1, stack, keys);
      stack.pop();
      return out;
    }
    if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) throw new Unrecordable(`a ${obj.constructor.name}`);
    if (obj instanceof Promise) throw new Unrecordable("a Promise");
    // Objects whose content JSON does not show (it is read later, or elsewhere): copied by their
    // keys they were `{}`, so a tool answering with a Response had its body pass undecided.
    const unread = unreadable(obj);
    if (unread !== undefined) throw new Unrecordable(`${unread} (its content is not plain data: read it first)`);
  }
  stack.push(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const arr: unknown[] = new Array(obj.length);
    for (let i = 0; i < obj.length; i++) {
      keys.push(i);
      const v = copy(obj[i], depth + 1, stack, keys);
      keys.pop();
      arr[i] = v === undefined ? null : v;
    }
    out = arr;
  } else {
    const rec: Record<string, unknown> = {};
    const own = Object.keys(obj);
    for (let i = 0; i < own.length; i++) {
      const k = own[i];
      keys.push(k);
      // Assigned, "__proto__" would set the copy's prototype and vanish from what is decided and recorded.
      if (k === "__proto__") throw new Unrecordable("a key named '__proto__'");
      if (!k.isWellFormed()) throw new Unrecordable("a key with a lone surrogate (no UTF-8 form)");
      const v = copy((obj as Record<string, unknown>)[k], depth + 1, stack, keys);
      keys.pop();
      if (v !== undefined) rec[k] = v;
    }
    out = rec;
  }
  stack.pop();
  return out;
}

function unreadable(obj: object): string | undefined {
  if (typeof Response !== "undefined" && obj instanceof Response) return "a Response";
  if (typeof Request !== "undefined" && obj instanceof Request) return "a Request";
  if (typeof Blob !== "undefined" && obj instanceof Blob) return "a Blob";
  if (typeof ReadableStream !== "undefined" && obj instanceof ReadableStream) return "a stream";
  if (Symbol.asyncIterator in obj) return "a stream";
  if (typeof (obj as { then?: unknown }).then === "function") return "a promise";
  if (!Array.isArray(obj) && Symbol.iterator in obj && !ArrayBuffer.isView(obj)) return "an iterator";
  return undefined;
}

/** A deep copy of data `snapshot` produced (plain JSON, no cycles): what a tool may change freely. */
export function clonePlain<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = clonePlain((value as Record<string, unknown>)[k]);
  return out as T;
}
