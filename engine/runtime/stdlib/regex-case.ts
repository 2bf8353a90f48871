// Case-insensitive matching as JavaScript defines it. Two characters match under `i` when
// they have the same canonical form: without `u`, the single-unit toUpperCase (refused when it
// would map a non-ASCII unit to ASCII, so `ſ` and `K` stay apart from `s` and `k`); with `u`,
// Unicode simple case folding. The matcher closes every character set under "same canonical
// form" when it compiles, so matching itself never folds.
//
// JavaScript exposes no simple case folding, so the `u` classes are built from the full
// mappings' single-code-point results (plus the few folding pairs those miss) and each pair is
// confirmed with the engine's own `/x/ui` before it is joined: the classes are V8's.
import { union, type CharSet } from "../../../language/check/regex-parse.ts";

/** Every code point whose case class has more than one member, with its class. */
type Classes = ReadonlyMap<number, readonly number[]>;

let legacy: Classes | undefined;
let unicode: Classes | undefined;

function canonicalLegacy(cu: number): number {
  const up = String.fromCharCode(cu).toUpperCase();
  if (up.length !== 1) return cu;
  const u = up.charCodeAt(0);
  return cu >= 128 && u < 128 ? cu : u;
}

function group(members: Map<number, number[]>): Classes {
  const out = new Map<number, readonly number[]>();
  for (const list of members.values()) {
    if (list.length < 2) continue;
    const sorted = [...new Set(list)].sort((a, b) => a - b);
    for (const cp of sorted) out.set(cp, sorted);
  }
  return out;
}

function legacyClasses(): Classes {
  if (legacy === undefined) {
    // Only units that change, and what they change to, are in classes of more than one.
    const byCanon = new Map<number, number[]>();
    for (let cu = 0; cu <= 0xffff; cu++) {
      const k = canonicalLegacy(cu);
      if (k === cu) continue;
      const list = byCanon.get(k);
      if (list === undefined) byCanon.set(k, canonicalLegacy(k) === k ? [k, cu] : [cu]);
      else list.push(cu);
    }
    legacy = group(byCanon);
  }
  return legacy;
}

// Simple case folding pairs that no single-code-point upper or lower case mapping reaches.
const EXTRA_FOLDS: readonly (readonly [number, number])[] = [
  [0x1fd3, 0x390],
  [0x1fe3, 0x3b0],
  [0xfb05, 0xfb06],
];

function unicodeClasses(): Classes {
  if (unicode === undefined) {
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let r = x;
      while (parent.has(r)) r = parent.get(r) ?? r;
      return r;
    };
    const join = (a: number, b: number): void => {
      if (a === b) return;
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) return;
      const probe = new RegExp(`^\\u{${a.toString(16)}}$`, "ui");
      if (probe.test(String.fromCodePoint(b))) parent.set(ra, rb);
    };
    const single = (s: string): number | undefined => {
      const cp = s.codePointAt(0);
      return cp !== undefined && s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
    };
    // Cased letters live in the first two planes.
    for (let cp = 0; cp <= 0x1ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = String.fromCodePoint(cp);
      const up = s.toUpperCase();
      const low = s.toLowerCase();
      if (up === s && low === s) continue;
      for (const t of [up, low, up.toLowerCase(), low.toUpperCase()]) {
        const other = single(t);
        if (other !== undefined) join(cp, other);
      }
    }
    for (const [a, b] of EXTRA_FOLDS) join(a, b);
    const byRoot = new Map<number, number[]>();
    for (const x of parent.keys()) {
      for (const cp of [x, find(x)]) {
        const r = find(cp);
        const list = byRoot.get(r);
        if (list === undefined) byRoot.set(r, [cp]);
        else list.push(cp);
      }
    }
    unicode = group(byRoot);
  }
  return unicode;
}

const sortedKeys = new WeakMap<Classes, Int32Array>();

/** `set` with every character added that matches one of its members under `i` (with `u` or without). */
export function caseClose(set: CharSet, unicodeMode: boolean): CharSet {
  const classes = unicodeMode ? unicodeClasses() : legacyClasses();
  let keys = sortedKeys.get(classes);
  if (keys === undefined) {
    keys = Int32Array.from(classes.keys()).sort();
    sortedKeys.set(classes, keys);
  }
  const extra: [number, number][] = [];
  for (const [a, b] of set) {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < a) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < keys.length && keys[k] <= b; k++) {
      for (const m of classes.get(keys[k]) ?? []) extra.push([m, m]);
    }
  }
  return extra.length === 0 ? set : union(set, extra);
}

