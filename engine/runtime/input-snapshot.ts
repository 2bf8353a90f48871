// `PolicySet.decide` is public API: an application embedding the engine may hand it anything a
// JavaScript object can hold. The evaluators are written for JSON values, and a value JSON cannot
// hold broke them in ways no policy could see: a BigInt in a message threw, two cycles compared
// looped for ever, a getter or a proxy trap that threw escaped the decision, a proxy that answered
// differently on each read let the two evaluators disagree, and a Map read as an empty object let
// a deny rule over its entries pass. So the input is first copied into plain JSON data, reading
// each property exactly once, in bounded work, and what the copy cannot hold is reported
// (spec/soundness.md, "Inputs that are not JSON"). Callers that already hand the engine a JSON
// value of their own (the SDK's snapshot, the service's parsed body) skip the copy.
import { MAX_INPUT_VALUES, type Value } from "../compile/values.ts";

/** What the copy refused: the dotted path of the first such value, what it was, and how many there were. */
export interface InputFault {
  readonly path: string;
  readonly message: string;
  readonly count: number;
}

/** The input as JSON data, and the first value that could not be copied (null when every value could). */
export interface InputSnapshot {
  readonly value: { readonly [k: string]: Value };
  readonly fault: InputFault | null;
}

// A value shared by many parents is copied once for each, as JSON would write it, so a small
// graph of shared nodes cannot make the evaluators' walks exponential: it meets MAX_INPUT_VALUES
// instead. Two million-item lists (the bad-input tests) fit.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function keyText(k: string | number): string {
  return typeof k === "number" ? `[${k}]` : IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** What a thrown value says, without trusting it (its `message` or `toString` may throw too). */
function thrownText(err: unknown): string {
  try {
    const m = err instanceof Error ? err.message : String(err);
    return m.length > 200 ? `${m.slice(0, 200)}...` : m;
  } catch {
    return "an unprintable value";
  }
}

/** The name of a non-plain object, for the message: `a Date`, `a Map`, `a String object`. */
function objectKind(o: object): string {
  try {
    const tag = Object.prototype.toString.call(o).slice(8, -1);
    if (tag === "String" || tag === "Number" || tag === "Boolean" || tag === "Symbol" || tag === "BigInt") return `a boxed ${tag.toLowerCase()}`;
    if (tag !== "Object") return `a ${tag}`;
    const name = (Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object with a prototype";
  } catch {
    return "an object with a prototype";
  }
}

/** Plain data as JSON reads it: a null prototype, or one whose own prototype is null (`Object.prototype` of any realm). */
function isPlain(o: object): boolean {
  const p: unknown = Object.getPrototypeOf(o);
  return p === null || Object.getPrototypeOf(p) === null;
}

// One container being copied: its source, the copy, the keys (null for a list) and the next position.
interface Frame {
  readonly src: object;
  readonly dst: Value[] | Record<string, Value>;
  readonly keys: readonly string[] | null;
  readonly length: number;
  i: number;
  /** Where this container sits in its parent (for paths). */
  readonly at: string | number | null;
}

class Fault {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

const GAVE_UP: unique symbol = Symbol("gave up");

// Deeper than this the quick copy hands over to the careful one (which has no depth limit): it recurses.
const QUICK_DEPTH = 256;

/**
 * The copy of plain data, as `snapshotInput` makes it, without its bookkeeping (paths, the cycle
 * set, frames): GAVE_UP at anything else (a value to refuse, a `__proto__` key, an undefined
 * item, nesting past QUICK_DEPTH, which a cycle reaches, or more values than `left` allows);
 * a throw from a getter or trap propagates. Nearly every input is plain data, copied here at a
 * few nanoseconds a value; the rest is copied again by the careful copy, which says where.
 */
function quickCopy(v: unknown, depth: number, left: { n: number }): Value | undefined | typeof GAVE_UP {
  switch (typeof v) {
    case "string":
    case "boolean":
    case "undefined":
      return v;
    case "number":
      return Number.isFinite(v) ? v : GAVE_UP;
    case "object":
      break;
    default:
      return GAVE_UP;
  }
  if (v === null) return null;
  if (depth >= QUICK_DEPTH) return GAVE_UP;
  if (Array.isArray(v)) {
    const n = v.length;
    if ((left.n -= n) < 0) return GAVE_UP;
    const out = new Array<Value>(n);
    for (let i = 0; i < n; i++) {
      const x = quickCopy(v[i], depth + 1, left);
      if (x === GAVE_UP || x === undefined) return GAVE_UP;
      out[i] = x;
    }
    return out;
  }
  const p: unknown = Object.getPrototypeOf(v);
  if (p !== Object.prototype && p !== null) return GAVE_UP;
  const keys = Object.keys(v);
  if ((left.n -= keys.length) < 0) return GAVE_UP;
  const out: Record<string, Value> = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === "__proto__") return GAVE_UP;
    const x = quickCopy((v as Record<string, unknown>)[k], depth + 1, left);
    if (x === GAVE_UP) return GAVE_UP;
    if (x !== undefined) out[k] = x;
  }
  return out;
}

/**
 * A copy of `input` (an object) as plain JSON data. A value the copy cannot hold (a BigInt, a
 * function or symbol, a non-finite number, a cycle, a non-plain object such as a Date, Map,
 * typed array or boxed primitive, a hole or `undefined` in a list, a list longer than the budget
 * left, a property whose getter or proxy trap throws) is left out (a field) or null (a list
 * item), and the first one is the fault. A property whose value is `undefined` is absent, as in
 * JSON. Past MAX_INPUT_VALUES values, the copy stops: the value is empty and the fault says why.
 * Never throws; its work is bounded by MAX_INPUT_VALUES steps (and whatever the input's own
 * getters and traps do).
 */
export function snapshotInput(input: object): InputSnapshot {
  try {
    const quick = quickCopy(input, 0, { n: MAX_INPUT_VALUES });
    if (quick !== GAVE_UP && quick !== null && typeof quick === "object" && !Array.isArray(quick)) return { value: quick as { readonly [k: string]: Value }, fault: null };
  } catch {
    // A getter or a trap threw: the careful copy meets it again and says where.
  }
  return carefulCopy(input);
}

/** `snapshotInput`'s copy, iterative and with the path of what it refuses. */
function carefulCopy(input: object): InputSnapshot {
  let budget = MAX_INPUT_VALUES;
  const seen: { first: { path: string; message: string } | null; count: number } = { first: null, count: 0 };
  const stack: Frame[] = [];
  const open = new Set<object>();
  const pathTo = (key: string | number | null): string => {
    let p = "";
    for (let f = 1; f < stack.length; f++) p += keyText(stack[f].at as string | number);
    if (key !== null) p += keyText(key);
    return p.startsWith(".") ? p.slice(1) : p;
  };
  const fault = (key: string | number | null, message: string): void => {
    seen.count++;
    seen.first ??= { path: pathTo(key), message };
  };
  // Starts copying the container `src`; returns the copy (filled as the stack unwinds) or a Fault.
  const enter = (src: object, at: string | number | null): Value | Fault => {
    if (open.has(src)) return new Fault("a cycle (a value that contains itself)");
    let list: boolean;
    try {
      list = Array.isArray(src);
      if (!list && !isPlain(src)) return new Fault(`${objectKind(src)}, not JSON data`);
      if (list) {
        const length = (src as unknown[]).length;
        if (length > budget) return new Fault(`a list of ${length} items, more than the ${MAX_INPUT_VALUES} values an input may hold`);
        const dst = new Array<Value>(length);
        stack.push({ src, dst, keys: null, length, i: 0, at });
        open.add(src);
        return dst;
      }
      const keys = Object.keys(src);
      if (keys.length > budget) return new Fault(`an object of ${keys.length} fields, more than the ${MAX_INPUT_VALUES} values an input may hold`);
      const dst: Record<string, Value> = {};
      stack.push({ src, dst, keys, length: keys.length, i: 0, at });
      open.add(src);
      return dst;
    } catch (err) {
      return new Fault(`a value that threw when read (${thrownText(err)})`);
    }
  };
  // A leaf's copy, a container's copy (pushed), undefined (a field left out) or a Fault.
  const take = (v: unknown, at: string | number | null): Value | Fault | undefined => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return Number.isFinite(v) ? v : new Fault(`the number ${String(v)}, not JSON data`);
      case "undefined":
        return undefined;
      case "bigint":
        return new Fault("a BigInt, not JSON data (send it as a number or a string)");
      case "function":
        return new Fault("a function, not JSON data");
      case "symbol":
        return new Fault("a symbol, not JSON data");
    }
    return v === null ? null : enter(v as object, at);
  };

  const root = enter(input, null);
  if (root instanceof Fault || root === null || typeof root !== "object" || Array.isArray(root)) {
    return { value: {}, fault: { path: "input", message: root instanceof Fault ? root.message : "not an object", count: 1 } };
  }
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.i >= f.length) {
      stack.pop();
      open.delete(f.src);
      continue;
    }
    if (--budget < 0) {
      // Nothing of a copy cut short is decided on: what is left out could be anything.
      return { value: {}, fault: { path: "input", message: `more than ${MAX_INPUT_VALUES} values (each shared value counted once for each place it appears)`, count: seen.count + 1 } };
    }
    const i = f.i++;
    const key: string | number = f.keys === null ? i : f.keys[i];
    let c: Value | Fault | undefined;
    try {
      if (f.keys === null && !(i in f.src)) {
        fault(i, "a hole in a list (a sparse array), not JSON data");
        (f.dst as Value[])[i] = null;
        continue;
      }
      // Never `instanceof` on what was read: on a proxy, that runs its getPrototypeOf trap.
      c = take((f.src as Record<string | number, unknown>)[key], key);
    } catch (err) {
      c = new Fault(`a value that threw when read (${thrownText(err)})`);
    }
    if (f.keys === null) {
      if (c === undefined) fault(i, "undefined in a list, not JSON data");
      else if (c instanceof Fault) fault(i, c.message);
      (f.dst as Value[])[i] = c === undefined || c instanceof Fault ? null : c;
    } else if (c instanceof Fault) fault(key, c.message);
    else if (c !== undefined) {
      // Assigned, "__proto__" would set the copy's prototype and vanish from what is decided.
      if (key === "__proto__") Object.defineProperty(f.dst, key, { value: c, enumerable: true, writable: true, configurable: true });
      else (f.dst as Record<string, Value>)[key as string] = c;
    }
  }
  const f0 = seen.first;
  return { value: root as { readonly [k: string]: Value }, fault: f0 === null ? null : { path: f0.path, message: f0.message, count: seen.count } };
}
