// The runtime meaning of values and operators, shared by the compiled evaluator and the
// reference interpreter so that they cannot disagree on semantics (only on speed).
//
// Values are JSON values plus `Duration`. Instants stay ISO-8601 strings; arithmetic turns
// them into epoch milliseconds where LANGUAGE.md says an instant minus an instant is a
// duration. Null rules (LANGUAGE.md): an absent path reads as null; ordering, `contains`,
// `matches` and the like with null are false; arithmetic on null is null. A type clash the
// checker could not rule out throws `PolicyRuntimeError`: the rule is errored.
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { parseInstant, formatInstant } from "../runtime/stdlib/time.ts";

/** A length of time in milliseconds (duration literals, instant minus instant). */
export class Duration {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  toJSON(): string {
    return formatDuration(this.ms);
  }
}

/** Something that finds matches in text: a detector or a compiled regex. */
export interface Matcher {
  test(text: string): boolean;
  find(text: string): readonly (readonly [number, number])[];
}

/**
 * A pattern as a value (a regex literal, a detector, a const holding one, an element of a list
 * of them): usable wherever a pattern is expected (`matches`, `contains`, `redact`), and kept
 * in lists and consts like any value (spec/soundness.md). Two patterns are equal when written
 * alike.
 */
export class PatternValue {
  readonly matcher: Matcher;
  /** As written: `/^a/i` or `pii.email`. */
  readonly source: string;
  constructor(matcher: Matcher, source: string) {
    this.matcher = matcher;
    this.source = source;
  }
  toJSON(): string {
    return this.source;
  }
}

/** A value a policy expression can produce. */
export type Value = null | boolean | number | string | Duration | PatternValue | readonly Value[] | { readonly [k: string]: Value };

/** `90000` -> `"1m30s"`: the canonical text of a duration (used in messages and JSON). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return sign + parts.join("");
}

/** The name of a value's type, as messages show it. */
/** The type name of a value with its article, for messages ("an object", "a list"). */
export function aTypeName(v: unknown): string {
  const n = typeName(v);
  return `${n === "object" ? "an" : "a"} ${n}`;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof Duration) return "duration";
  if (v instanceof PatternValue) return "pattern";
  if (Array.isArray(v)) return "list";
  const t = typeof v;
  if (t === "boolean") return "bool";
  if (t === "object") return "object";
  return t;
}

function clash(op: string, a: unknown, b?: unknown): never {
  throw new PolicyRuntimeError(
    b === undefined ? `cannot apply '${op}' to ${aTypeName(a)}` : `cannot apply '${op}' to ${aTypeName(a)} and ${aTypeName(b)}`,
  );
}

/** Structural equality: numbers by value, lists and objects deeply, durations by length; never an error. */
export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof Duration) return b instanceof Duration && a.ms === b.ms;
  if (a instanceof PatternValue) return b instanceof PatternValue && a.source === b.source;
  if (typeof a !== "object" || typeof b !== "object") return false;
  return equalsDeep(a, b);
}

/**
 * Most values an input holds (objects, lists and scalars, counted as a tree: a value shared by
 * several parents counts once for each). `PolicySet.decide` copies no more than this, so every
 * walk over a copied input ends within it; `equals` stops there too, for an input that was not
 * copied (its caller vouched for JSON) and holds a cycle after all.
 */
export const MAX_INPUT_VALUES = 5_000_000;

/**
 * Lists and objects compared with an explicit stack rather than recursion, so that inputs
 * nested 10,000 levels deep compare in linear time instead of overflowing the call stack.
 */
function equalsDeep(a0: object, b0: object): boolean {
  const stack: unknown[] = [a0, b0];
  let steps = 0;
  while (stack.length > 0) {
    if (++steps > MAX_INPUT_VALUES) throw new PolicyRuntimeError(`values of more than ${MAX_INPUT_VALUES} parts (or with a cycle) cannot be compared`, "runtime/input-too-large");
    const b = stack.pop();
    const a = stack.pop();
    if (a === b) continue;
    if (a === null || b === null || a === undefined || b === undefined) {
      if ((a ?? null) !== (b ?? null)) return false;
      continue;
    }
    if (a instanceof Duration) {
      if (!(b instanceof Duration && a.ms === b.ms)) return false;
      continue;
    }
    if (a instanceof PatternValue || b instanceof PatternValue) {
      if (!(a instanceof PatternValue && b instanceof PatternValue && a.source === b.source)) return false;
      continue;
    }
    if (typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let i = a.length - 1; i >= 0; i--) stack.push(a[i], b[i]);
      continue;
    }
    if (Array.isArray(b) || b instanceof Duration) return false;
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao);
    if (ak.length !== Object.keys(bo).length) return false;
    for (let i = ak.length - 1; i >= 0; i--) {
      const k = ak[i];
      if (!Object.hasOwn(bo, k)) return false;
      stack.push(ao[k], bo[k]);
    }
  }
  return true;
}

/** `<`, `<=`, `>`, `>=`: false when either side is null; numbers, strings and durations order among themselves. */
export function compare(op: "<" | "<=" | ">" | ">=", a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return false;
  let x: number | string;
  let y: number | string;
  if (typeof a === "number" && typeof b === "number") [x, y] = [a, b];
  else if (typeof a === "string" && typeof b === "string") [x, y] = [a, b];
  else if (a instanceof Duration && b instanceof Duration) [x, y] = [a.ms, b.ms];
  else clash(op, a, b);
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
  }
}

/** The truth of a condition: booleans as they are, null as false (an absent flag does not fire a rule); anything else is a type clash. */
export function truth(v: unknown, where: string): boolean {
  if (v === true) return true;
  if (v === false || v === null || v === undefined) return false;
  throw new PolicyRuntimeError(`${where} must be a bool, got ${aTypeName(v)}`);
}

function asInstantMs(s: string): number | null {
  return parseInstant(s);
}

/** `+ - * / %` with the null and instant rules of LANGUAGE.md. */
export function arithmetic(op: "+" | "-" | "*" | "/" | "%", a: unknown, b: unknown): Value {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "+":
        return a + b;
      case "-":
        return a - b;
      case "*":
        return a * b;
      case "/":
        if (b === 0) throw new PolicyRuntimeError("division by zero");
        return a / b;
      case "%":
        if (b === 0) throw new PolicyRuntimeError("division by zero");
        return a % b;
    }
  }
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  if (a instanceof Duration && b instanceof Duration && (op === "+" || op === "-")) return new Duration(op === "+" ? a.ms + b.ms : a.ms - b.ms);
  if (a instanceof Duration && typeof b === "number" && (op === "*" || op === "/")) {
    if (op === "/" && b === 0) throw new PolicyRuntimeError("division by zero");
    return new Duration(op === "*" ? a.ms * b : a.ms / b);
  }
  if (typeof a === "number" && b instanceof Duration && op === "*") return new Duration(a * b.ms);
  if (typeof a === "string" && (op === "-" || op === "+")) {
    const ta = asInstantMs(a);
    if (ta !== null) {
      if (op === "-" && typeof b === "string") {
        const tb = asInstantMs(b);
        if (tb !== null) return new Duration(ta - tb);
      }
      if (b instanceof Duration) return formatInstant(op === "+" ? ta + b.ms : ta - b.ms);
    }
  }
  if (a instanceof Duration && op === "+" && typeof b === "string") {
    const tb = asInstantMs(b);
    if (tb !== null) return formatInstant(tb + a.ms);
  }
  return clash(op, a, b);
}

/** Unary minus. */
export function negate(a: unknown): Value {
  if (a === null || a === undefined) return null;
  if (typeof a === "number") return -a;
  if (a instanceof Duration) return new Duration(-a.ms);
  return clash("-", a);
}

/** `x in xs`: list membership (structural), substring, or object key; false when either side is null. */
export function member(x: unknown, xs: unknown): boolean {
  if (x === null || x === undefined || xs === null || xs === undefined) return false;
  if (Array.isArray(xs)) {
    for (const e of xs) if (equals(x, e)) return true;
    return false;
  }
  if (typeof xs === "string") {
    if (typeof x !== "string") clash("in", x, xs);
    return xs.includes(x);
  }
  if (typeof xs === "object" && !(xs instanceof Duration) && !(xs instanceof PatternValue)) {
    if (typeof x !== "string") clash("in", x, xs);
    return Object.hasOwn(xs, x);
  }
  return clash("in", x, xs);
}

/** Reads `obj.key`: null when `obj` is not an object or has no such key (absent paths read as null). */
export function getField(obj: unknown, key: string): Value {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || obj instanceof Duration || obj instanceof PatternValue) return null;
  return Object.hasOwn(obj, key) ? ((obj as Record<string, Value>)[key] ?? null) : null;
}

/** Reads `obj[i]`: list positions (integers, in range) and object keys; null when absent. */
export function getIndex(obj: unknown, index: unknown): Value {
  if (obj === null || obj === undefined || index === null || index === undefined) return null;
  if (Array.isArray(obj)) {
    if (typeof index !== "number") clash("[]", obj, index);
    return Number.isInteger(index) && index >= 0 && index < obj.length ? ((obj[index] as Value) ?? null) : null;
  }
  if (typeof obj === "object" && !(obj instanceof Duration) && !(obj instanceof PatternValue)) {
    if (typeof index !== "string") clash("[]", obj, index);
    return getField(obj, index);
  }
  return null;
}

/** The elements a quantifier ranges over: a list, or none for null; anything else is a type clash. */
export function elements(xs: unknown, quantifier: string): readonly Value[] {
  if (xs === null || xs === undefined) return [];
  if (Array.isArray(xs)) {
    // Only a list nobody copied can be longer (a caller's `options.json` broken by a sparse list): never walked.
    if (xs.length > MAX_INPUT_VALUES) throw new PolicyRuntimeError(`'${quantifier}' over a list of ${xs.length} items, more than the ${MAX_INPUT_VALUES} values an input may hold`, "runtime/input-too-large");
    return xs as readonly Value[];
  }
  throw new PolicyRuntimeError(`'${quantifier}' needs a list, got ${aTypeName(xs)}`);
}

/**
 * The deepest a list or object may nest to be written out (in a message, by `to_string`). The
 * writers recurse, and the call stack would run out at a depth that depends on how deep the
 * evaluator already is (the reference deeper than the compiled), so both refuse at this depth
 * instead, alike.
 */
export const MAX_WRITTEN_DEPTH = 1000;

/** Whether `v` nests lists and objects more than `max` levels deep (iteratively: it is asked of values too deep to recurse over). */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  if (typeof v !== "object" || v === null) return false;
  const values: unknown[] = [v];
  const depths: number[] = [1];
  while (values.length > 0) {
    const x = values.pop();
    const d = depths.pop() as number;
    if (typeof x !== "object" || x === null || x instanceof Duration || x instanceof PatternValue) continue;
    if (d > max) return true;
    const items = Array.isArray(x) ? x : Object.values(x);
    for (let i = 0; i < items.length; i++) {
      const y: unknown = items[i];
      if (typeof y === "object" && y !== null) {
        values.push(y);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

/** The error of a value nested past MAX_WRITTEN_DEPTH where it is written out. */
export function tooDeep(what: string): PolicyRuntimeError {
  return new PolicyRuntimeError(`a value nested too deeply (more than ${MAX_WRITTEN_DEPTH} levels) to ${what}`, "runtime/input-too-large");
}

/** The text a value shows as inside a message: strings bare, everything else as JSON. */
export function displayValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return v;
  if (v instanceof Duration) return formatDuration(v.ms);
  if (v instanceof PatternValue) return v.source;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (nestedDeeperThan(v, MAX_WRITTEN_DEPTH)) throw tooDeep("show in a message");
  // Only JSON data and the engine's own values reach here (a copied input, or one its caller vouched for).
  return JSON.stringify(v) ?? "null";
}
