// Input paths as generated source. A path is the commonest thing a rule does, and a closure
// that walks keys through `getField` makes every step a keyed (megamorphic) load plus a
// lookup; a function generated per path reads each step as a named property, which V8 caches
// per site. Measured on the typical policy, this is the difference that matters on the
// decision path. The semantics are `getField`'s, step for step (values.ts): only an own field
// of a non-list, non-duration object is read, and absent or undefined reads as null.
import type { Type } from "../../language/types.ts";
import { expectedText, typeClash, valueTest } from "./runtime-types.ts";
import { Duration, PatternValue, type Value } from "./values.ts";

/**
 * The static types along a path, for a typed read (runtime-types.ts): the starting value's
 * (a quantifier's element; null for the input itself) and the value after each key, each with
 * its text for the error message. A null type is not checked.
 */
export interface PathTypes {
  readonly base: Type | null;
  readonly steps: readonly (Type | null)[];
  /** The text of the starting value, then of the value after each key (`c`, `c.tool`, `c.tool.name`). */
  readonly texts: readonly string[];
}

/** The checks of a typed read as source (index -1 is the base), with the texts and expectations their errors show. */
interface Checks {
  readonly tests: readonly (string | null)[];
  readonly texts: readonly string[];
  readonly expected: readonly string[];
}

function checksOf(types: PathTypes | undefined, n: number): Checks | null {
  if (types === undefined) return null;
  const all = [types.base, ...types.steps.slice(0, n)];
  const tests = all.map((t) => valueTest(t));
  if (tests.every((t) => t === null)) return null;
  return { tests, texts: types.texts, expected: all.map((t) => (t === null ? "" : expectedText(t))) };
}

/** A statement failing the read at position `i` of `c` (0 is the base) when `v` is not of its type. */
function check(c: Checks | null, i: number): string {
  const t = c?.tests[i];
  return t === null || t === undefined ? "" : `if (v !== null && !(${t})) throw clash(${i}, v);\n`;
}

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

/**
 * A reader of `keys` from its argument, generated once per distinct path (and types). With
 * `types`, each value along the way is checked against its static type, and a value of
 * another type throws a `runtime/unexpected-type` PolicyRuntimeError naming the path.
 */
export function pathReader(keys: readonly string[], types?: PathTypes): PathReader {
  const c = checksOf(types, keys.length);
  const id = JSON.stringify(c === null ? [keys] : [keys, c.tests, c.texts, c.expected]);
  let r = readers.get(id);
  if (r === undefined) {
    if (readers.size >= READER_LIMIT) readers.clear();
    r = generate(keys, c);
    readers.set(id, r);
  }
  return r;
}

/** Statements stepping `v` along `keys` (a `let x` in scope), running `missing` where the path gives null, checking types per `c`. */
function steps(keys: readonly string[], missing: string, c: Checks | null = null): string {
  let body = check(c, 0);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const q = JSON.stringify(k);
    body += `if (typeof v !== "object" || v === null) ${missing}\n`;
    // Read first (a Duration has no getters, so reading one is harmless): absent or undefined
    // is null whatever the object. A plain object (prototype Object.prototype) can then only
    // have read its own field, unless Object.prototype itself has the key (`constructor`,
    // `toString`...): those keys, and any object that is not plain (a list, a Duration, a class
    // instance), take the full own-field check. The step thus costs map checks, no call.
    // Known limit: a key added to Object.prototype after the policy was compiled (prototype
    // pollution by other code in the process) would read through; JSON inputs cannot do that.
    body += `x = v${access(k)};\nif (x === undefined) ${missing}\n`;
    body += k in Object.prototype ? `if (v instanceof Duration || v instanceof PatternValue || isArray(v) || !hasOwn(v, ${q})) ${missing}\n` : `if (getProto(v) !== OP && (v instanceof Duration || v instanceof PatternValue || isArray(v) || !hasOwn(v, ${q}))) ${missing}\n`;
    body += `v = x;\n`;
    body += check(c, i + 1);
  }
  return body;
}

// The helpers are consts of the generated factory, not its parameters: measured on V8 12.4,
// parameters (mutable bindings) left a generated loop several times slower depending on their
// order, where consts are folded into the optimised code.
const HELPERS = "const isArray = Array.isArray, hasOwn = Object.hasOwn, getProto = Object.getPrototypeOf, OP = Object.prototype;";

function make<F>(fn: string, c: Checks | null): F {
  const clash = (i: number, v: unknown): Error => typeClash(c?.texts[i] ?? "", c?.expected[i] ?? "", v);
  return (new Function("Duration", "PatternValue", "clash", `"use strict";\n${HELPERS}\nreturn ${fn};`) as (d: typeof Duration, p: typeof PatternValue, clash: unknown) => F)(Duration, PatternValue, clash);
}

function generate(keys: readonly string[], c: Checks | null): PathReader {
  return make<PathReader>(`function readPath(v) {\nlet x;\n${steps(keys, "return null;", c)}return v;\n}`, c);
}

/** What a quantifier over `x.PATH == K` (or `!=`) gives for a list: a count, or the truth of `any`/`all`. */
export type ElementScan = (xs: readonly Value[], want: Value) => number | boolean;

const scans = new Map<string, ElementScan>();

/**
 * The loop of `count`/`any`/`all` over a list whose body is `x.PATH == K` (`negate`: `!=`), as
 * generated source with the path read inline: per element, the same null-for-absent read as
 * `pathReader(keys)`, then `===` against `want`, with no call or closure per element (session
 * histories are the lists policies quantify over). Shared per (quantifier, path, negate).
 */
export function elementScan(kind: "any" | "all" | "count", keys: readonly string[], negate: boolean, types?: PathTypes): ElementScan {
  const c = checksOf(types, keys.length);
  const id = JSON.stringify(c === null ? [kind, keys, negate] : [kind, keys, negate, c.tests, c.texts, c.expected]);
  let f = scans.get(id);
  if (f === undefined) {
    if (scans.size >= READER_LIMIT) scans.clear();
    const hit = negate ? "v !== want" : "v === want";
    const onHit = kind === "count" ? "n++;" : kind === "any" ? "return true;" : "";
    const onMiss = kind === "all" ? "return false;" : "";
    const test = kind === "all" ? `if (!(${hit})) ${onMiss}` : `if (${hit}) ${onHit}`;
    const result = kind === "count" ? "n" : kind === "all" ? "true" : "false";
    const body = `let n = 0;\nfor (let i = 0; i < xs.length; i++) {\nlet v = xs[i];\nlet x;\nread: {\n${steps(keys, "{ v = null; break read; }", c)}}\n${test}\n}\nreturn ${result};`;
    f = make<ElementScan>(`function scanElements(xs, want) {\n${body}\n}`, c);
    scans.set(id, f);
  }
  return f;
}
