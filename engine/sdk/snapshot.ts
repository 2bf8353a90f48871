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
  return copy(value, path, 0, []);
}

function copy(value: unknown, path: string, depth: number, stack: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new UnrecordableError(path, `the number ${String(value)}`);
      return value;
    case "undefined":
      return undefined;
    case "bigint":
      throw new UnrecordableError(path, "a BigInt");
    case "function":
      throw new UnrecordableError(path, "a function");
    case "symbol":
      throw new UnrecordableError(path, "a symbol");
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth >= MAX_DEPTH) throw new UnrecordableError(path, `nesting deeper than ${MAX_DEPTH}`);
  if (stack.includes(obj)) throw new UnrecordableError(path, "a cycle");
  const withJson = obj as { toJSON?: unknown };
  if (typeof withJson.toJSON === "function") {
    stack.push(obj);
    const out = copy((withJson.toJSON as () => unknown).call(obj), path, depth + 1, stack);
    stack.pop();
    return out;
  }
  if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) throw new UnrecordableError(path, `a ${obj.constructor.name}`);
  if (obj instanceof Promise) throw new UnrecordableError(path, "a Promise");
  stack.push(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const arr: unknown[] = new Array(obj.length);
    for (let i = 0; i < obj.length; i++) {
      const v = copy(obj[i], `${path}/${i}`, depth + 1, stack);
      arr[i] = v === undefined ? null : v;
    }
    out = arr;
  } else {
    const rec: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) {
      const v = copy((obj as Record<string, unknown>)[k], `${path}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`, depth + 1, stack);
      if (v !== undefined) rec[k] = v;
    }
    out = rec;
  }
  stack.pop();
  return out;
}

/** A deep copy of data `snapshot` produced (plain JSON, no cycles): what a tool may change freely. */
export function clonePlain<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = clonePlain((value as Record<string, unknown>)[k]);
  return out as T;
}
