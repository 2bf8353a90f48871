// Reference implementations of the `jsonlogic.*` builtins: exactly what json-logic-js 2.0.5
// does, operator by operator (its coercions, its truthiness, its quirks), so that a rule
// imported with `palisade import jsonlogic` decides what the original decided. The engine
// registers these against the declarations in `builtins-jsonlogic.ts`.
//
// The arguments are already evaluated (Palisade calls are eager); this is exact because every
// function here is total on JSON values except `missing_some_in`, which throws where
// json-logic-js throws (a key list that is null).

/** JSON Logic's truthiness: `[]` is false, otherwise JavaScript's (`0`, `""`, `null`, `false` are false; `"0"` is true). */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return Boolean(value);
}

// json-logic-js's `var` walks `data[key]` with JavaScript's property access; on JSON values that
// reaches own fields, array elements, and a string's characters and `length`.
function step(data: unknown, key: string): unknown {
  if (typeof data === "string") return key === "length" ? data.length : /^(0|[1-9]\d*)$/.test(key) ? data[Number(key)] : undefined;
  if (typeof data !== "object" || data === null) return undefined;
  return Object.hasOwn(data, key) ? (data as Record<string, unknown>)[key] : undefined;
}

/** `{"var": [path, default]}` over `data`: `""`/null gives `data` itself; an absent step gives the default (or null). */
export function varOf(data: unknown, path: unknown, fallback: unknown = null): unknown {
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === "" || path === null) return data;
  let cur = data;
  for (const key of String(path).split(".")) {
    if (cur === null || cur === undefined) return notFound;
    cur = step(cur, key);
    if (cur === undefined) return notFound;
  }
  return cur;
}

function missingKeys(data: unknown, args: readonly unknown[]): unknown[] {
  const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  return keys.filter((key) => {
    const v = varOf(data, key);
    return v === null || v === "";
  });
}

/** JavaScript's `a < b` on JSON values (the language's own `<` refuses mixed types; JSON Logic coerces). */
function lt(a: unknown, b: unknown): boolean {
  return (a as number) < (b as number);
}
function le(a: unknown, b: unknown): boolean {
  return (a as number) <= (b as number);
}

/** Every `jsonlogic.*` builtin by its name without the namespace. */
export const JSONLOGIC_SEMANTICS: Record<string, (...args: unknown[]) => unknown> = {
  truthy: (x) => truthy(x),
  // biome-ignore lint: loose equality is the point
  eq: (a, b) => a == b,
  // biome-ignore lint: loose equality is the point
  ne: (a, b) => a != b,
  strict_eq: (a, b) => a === b,
  strict_ne: (a, b) => a !== b,
  lt: (...args) => (args.length > 2 ? lt(args[0], args[1]) && lt(args[1], args[2]) : lt(args[0], args[1])),
  le: (...args) => (args.length > 2 ? le(args[0], args[1]) && le(args[1], args[2]) : le(args[0], args[1])),
  gt: (a, b) => lt(b, a),
  ge: (a, b) => le(b, a),
  and: (...args) => {
    let current: unknown;
    for (const v of args) {
      current = v;
      if (!truthy(v)) return v;
    }
    return current;
  },
  or: (...args) => {
    let current: unknown;
    for (const v of args) {
      current = v;
      if (truthy(v)) return v;
    }
    return current;
  },
  if: (...args) => {
    let i = 0;
    for (; i < args.length - 1; i += 2) if (truthy(args[i])) return args[i + 1];
    return args.length === i + 1 ? args[i] : null;
  },
  in: (a, b) => {
    if (!b) return false;
    if (typeof b === "string") return b.indexOf(a as string) !== -1;
    if (Array.isArray(b)) return b.indexOf(a) !== -1;
    // json-logic-js calls any `indexOf` it finds; on a JSON object that is a field, not a function.
    if (typeof b === "object" && Object.hasOwn(b, "indexOf")) throw new TypeError("b.indexOf is not a function");
    return false;
  },
  cat: (...args) => args.join(""),
  substr: (source, start, end) => {
    const s = String(source);
    if ((end as number) < 0) {
      const temp = s.substr(start as number);
      return temp.substr(0, temp.length + (end as number));
    }
    return s.substr(start as number, end as number);
  },
  add: (...args) => args.reduce<number>((a, b) => Number.parseFloat(a as unknown as string) + Number.parseFloat(b as string), 0),
  mul: (...args) => args.reduce((a, b) => Number.parseFloat(a as string) * Number.parseFloat(b as string)),
  sub: (a, b) => (a as number) - (b as number),
  neg: (a) => -(a as number),
  div: (a, b) => (a as number) / (b as number),
  mod: (a, b) => (a as number) % (b as number),
  min: (...args) => Math.min(...(args as number[])),
  max: (...args) => Math.max(...(args as number[])),
  merge: (...args) => args.reduce<unknown[]>((a, b) => a.concat(b), []),
  var: (data, path, fallback) => varOf(data, path, fallback),
  missing: (keys, values) => (keys as unknown[]).filter((_, i) => (values as unknown[])[i] === null || (values as unknown[])[i] === ""),
  missing_in: (data, ...args) => missingKeys(data, args),
  missing_some: (need, keys, values) => {
    const missing = (keys as unknown[]).filter((_, i) => (values as unknown[])[i] === null || (values as unknown[])[i] === "");
    return (keys as unknown[]).length - missing.length >= (need as number) ? [] : missing;
  },
  missing_some_in: (data, need, options) => {
    // As json-logic-js: `missing` with the options as its one argument, then `options.length`.
    const missing = missingKeys(data, [options]);
    return (options as { length: number }).length - missing.length >= (need as number) ? [] : missing;
  },
  list: (x) => (Array.isArray(x) ? x : []),
  nonempty: (x) => Array.isArray(x) && x.length > 0,
};
