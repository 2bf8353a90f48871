// Regex screening: every pattern in a policy is compiled with the JavaScript engine the
// evaluators use, refused if it uses a feature Palisade leaves out, and refused if a
// backtracking engine may take exponential (or high-degree polynomial) time on some input.
//
// The analysis works on a position automaton (Glushkov) built from the regex tree, with one
// refinement: transitions are counted with multiplicity, because a backtracking engine explores
// every syntactic way of moving from one character to the next. `(a+)+` has a single position
// `a` but two ways to go from `a` to `a` (the inner `+` and the outer one); that doubled edge is
// exactly the ambiguity that makes it explode.
//
// - Exponential (EDA): some position can loop back to itself in two different ways on the same
//   text. Found in the product of the automaton with itself: a strongly connected component that
//   contains a diagonal pair (p, p) and a step where the two copies diverge.
// - Polynomial (IDA): loops p and q with a text w such that p -w-> p, p -w-> q and q -w-> q. A
//   chain of k such loops costs O(n^k); chains of 3 or more are refused (`.*a.*a.*a`,
//   `(.*a){3}`), pairs are accepted (`.*=.*` is quadratic at worst, as any unanchored search).
//
// Zero-width assertions are ignored (they only remove paths) and large counted repetitions are
// treated as loops, so the analysis errs on the side of refusing.
import { intersects, type CharSet } from "./regex-parse.ts";
import { parseRegex, type RegexNode } from "./regex-syntax.ts";
import { stronglyConnected } from "./graph.ts";

/** A problem with one regex; offsets point into its pattern or its flags. */
export interface RegexIssue {
  readonly code: "E500" | "E501" | "E502" | "E503" | "E504";
  readonly message: string;
  readonly help?: string;
  readonly part: "pattern" | "flags";
  readonly start: number;
  readonly end: number;
}

/** The flags a Palisade regex may carry. */
export const REGEX_FLAGS = "imsu";

/** Counted repetitions up to this bound are expanded exactly; beyond it they count as loops. */
const EXPAND_LIMIT = 8;
/** Positions beyond which a pattern is refused as too large to analyse. */
const POSITION_LIMIT = 3000;
/** Work (product states visited) beyond which a pattern is refused as too large to analyse. */
const WORK_LIMIT = 2_000_000;

class TooComplex extends Error {}

interface Frag {
  readonly first: Map<number, number>;
  readonly last: Map<number, number>;
  /** In how many ways (capped at 2) the fragment matches the empty string. */
  readonly nul: number;
}

const cap = (n: number): number => Math.min(2, n);

function addScaled(target: Map<number, number>, src: ReadonlyMap<number, number>, factor: number): void {
  if (factor === 0) return;
  for (const [k, v] of src) target.set(k, cap((target.get(k) ?? 0) + v * factor));
}

/** The position automaton: positions (0 is the start), their character sets and source ranges, weighted edges. */
class Automaton {
  readonly sets: CharSet[] = [[]];
  readonly ranges: [number, number][] = [[0, 0]];
  readonly follow: Map<number, number>[] = [new Map()];
  /** Source ranges of the repetitions that close a loop, for choosing what to show. */
  readonly loops: [number, number][] = [];
  /** Source ranges of every repetition, bounded ones included. */
  readonly repeats: [number, number][] = [];

  position(set: CharSet, start: number, end: number): number {
    if (this.sets.length >= POSITION_LIMIT) throw new TooComplex();
    this.sets.push(set);
    this.ranges.push([start, end]);
    this.follow.push(new Map());
    return this.sets.length - 1;
  }

  link(last: ReadonlyMap<number, number>, first: ReadonlyMap<number, number>): void {
    for (const [p, cp] of last) addScaled(this.follow[p], first, cp);
  }

  concat(f: Frag, g: Frag): Frag {
    this.link(f.last, g.first);
    const first = new Map(f.first);
    addScaled(first, g.first, f.nul);
    const last = new Map(g.last);
    addScaled(last, f.last, g.nul);
    return { first, last, nul: cap(f.nul * g.nul) };
  }

  build(node: RegexNode): Frag {
    switch (node.k) {
      case "empty":
        return { first: new Map(), last: new Map(), nul: 1 };
      case "char": {
        const p = this.position(node.set, node.start, node.end);
        return { first: new Map([[p, 1]]), last: new Map([[p, 1]]), nul: 0 };
      }
      case "seq":
        return node.items.reduce((f: Frag, item) => this.concat(f, this.build(item)), { first: new Map(), last: new Map(), nul: 1 });
      case "alt": {
        const first = new Map<number, number>();
        const last = new Map<number, number>();
        let nul = 0;
        for (const a of node.alts) {
          const f = this.build(a);
          addScaled(first, f.first, 1);
          addScaled(last, f.last, 1);
          nul = cap(nul + f.nul);
        }
        return { first, last, nul };
      }
      case "repeat": {
        this.repeats.push([node.start, node.end]);
        let { min, max } = node;
        if (max === Infinity) min = Math.min(min, EXPAND_LIMIT);
        else if (max > EXPAND_LIMIT) {
          min = Math.min(min, EXPAND_LIMIT);
          max = Infinity;
        }
        let f: Frag = { first: new Map(), last: new Map(), nul: 1 };
        for (let k = 0; k < min; k++) f = this.concat(f, this.build(node.body));
        if (max === Infinity) {
          const b = this.build(node.body);
          this.link(b.last, b.first);
          this.loops.push([node.start, node.end]);
          // JavaScript refuses an iteration that matches nothing, so a star matches "" one way.
          f = this.concat(f, { first: b.first, last: b.last, nul: 1 });
        } else {
          // `X{0,3}` is `(X(X(X)?)?)?`: the engine's own nesting, without spurious ambiguity.
          const optional = (k: number): Frag => {
            if (k === 0) return { first: new Map(), last: new Map(), nul: 1 };
            const inner = this.concat(this.build(node.body), optional(k - 1));
            return { first: inner.first, last: inner.last, nul: cap(inner.nul + 1) };
          };
          f = this.concat(f, optional(max - min));
        }
        return f;
      }
    }
  }

  successors(p: number): number[] {
    return [...this.follow[p].keys()];
  }
}

const covers = (r: readonly [number, number], start: number, end: number): boolean => r[0] <= start && r[1] >= end;
const smallest = (rs: readonly [number, number][]): [number, number] | undefined => rs.reduce<[number, number] | undefined>((b, r) => (b === undefined || r[1] - r[0] < b[1] - b[0] ? r : b), undefined);

function extent(a: Automaton, positions: Iterable<number>): [number, number] {
  let start = Infinity;
  let end = -Infinity;
  for (const p of positions) {
    if (p === 0) continue;
    // A position inside a loop is shown with its loop (`.*`, not `.`).
    const r = smallest(a.loops.filter((l) => covers(l, a.ranges[p][0], a.ranges[p][1]))) ?? a.ranges[p];
    start = Math.min(start, r[0]);
    end = Math.max(end, r[1]);
  }
  return [start, end];
}

/**
 * What to show for an exponential loop: the smallest repetition covering the positions involved
 * that has another covering repetition nested inside it (`(a+)+`, not just `a+`), else the
 * smallest covering one.
 */
function blameLoop(a: Automaton, positions: Iterable<number>): [number, number] {
  const ps = [...positions].filter((p) => p !== 0);
  const start = Math.min(...ps.map((p) => a.ranges[p][0]));
  const end = Math.max(...ps.map((p) => a.ranges[p][1]));
  const covering = a.loops.filter((l) => covers(l, start, end));
  const nesting = covering.filter((l) => covering.some((m) => m !== l && covers(l, m[0], m[1]) && m[1] - m[0] < l[1] - l[0]));
  return smallest(nesting) ?? smallest(covering) ?? [start, end];
}

/** What to show for a polynomial chain: its loops, or the counted repetition that copied one loop. */
function blameChain(a: Automaton, positions: readonly number[], degree: number): [number, number] {
  const distinct = new Set(positions.map((p) => a.ranges[p].join(":")));
  const [start, end] = extent(a, positions);
  if (distinct.size >= degree) return [start, end];
  return smallest(a.repeats.filter((r) => covers(r, start, end) && (r[0] !== start || r[1] !== end))) ?? [start, end];
}

/** Positions of a loop that can go around in two different ways on the same text, or null. */
function exponential(a: Automaton, comp: readonly number[]): number[] | null {
  const members = new Map<number, number[]>();
  comp.forEach((c, p) => members.set(c, [...(members.get(c) ?? []), p]));
  let work = 0;
  for (const group of members.values()) {
    const inGroup = new Set(group);
    const local = (p: number): number[] => a.successors(p).filter((q) => inGroup.has(q));
    if (!group.some((p) => local(p).length > 0)) continue;
    const size = group.length;
    const index = new Map(group.map((p, i) => [p, i]));
    // Product states (x, y) numbered x * size + y, explored from the diagonal.
    const ids = new Map<number, number>();
    const states: [number, number][] = [];
    const edges: { to: number; divergent: boolean }[][] = [];
    const id = (x: number, y: number): number => {
      const key = (index.get(x) as number) * size + (index.get(y) as number);
      let v = ids.get(key);
      if (v === undefined) {
        v = states.length;
        ids.set(key, v);
        states.push([x, y]);
        edges.push([]);
      }
      return v;
    };
    for (const p of group) id(p, p);
    for (let v = 0; v < states.length; v++) {
      const [x, y] = states[v];
      for (const x2 of local(x)) {
        for (const y2 of local(y)) {
          if (++work > WORK_LIMIT) throw new TooComplex();
          if (!intersects(a.sets[x2], a.sets[y2])) continue;
          const divergent = x !== y || x2 !== y2 || (a.follow[x].get(x2) ?? 0) >= 2;
          edges[v].push({ to: id(x2, y2), divergent });
        }
      }
    }
    const pcomp = stronglyConnected(states.length, (v) => edges[v].map((e) => e.to));
    for (let v = 0; v < states.length; v++) {
      for (const e of edges[v]) {
        if (!e.divergent || pcomp[e.to] !== pcomp[v]) continue;
        // A divergent step inside a component: it is part of a cycle of pairs; it is exponential
        // when that component also holds a diagonal pair (both copies back at one position).
        const c = pcomp[v];
        if (!states.some(([x, y], w) => x === y && pcomp[w] === c)) continue;
        const involved = new Set<number>();
        states.forEach(([x, y], w) => {
          if (pcomp[w] === c) involved.add(x).add(y);
        });
        return [...involved];
      }
    }
  }
  return null;
}

/** The longest chain of loops that each split text with the next (polynomial degree), with its positions. */
function polynomial(a: Automaton, comp: readonly number[]): { degree: number; positions: number[] } {
  const groups = new Map<number, number[]>();
  comp.forEach((c, p) => groups.set(c, [...(groups.get(c) ?? []), p]));
  const loops = [...groups.entries()].filter(([, g]) => g.some((p) => a.successors(p).some((q) => comp[q] === comp[p]))).map(([c, g]) => ({ c, g }));
  if (loops.length < 3) return { degree: loops.length > 0 ? 1 : 0, positions: [] };
  // Reachability between positions, for pruning the middle copy.
  const n = a.sets.length;
  let work = 0;
  const splits = (s1: number[], s2: number[]): boolean => {
    const c1 = comp[s1[0]];
    const c2 = comp[s2[0]];
    for (const p of s1) {
      for (const q of s2) {
        // Triples (x, y, z): x loops in s1, y travels from p to q, z loops in s2; all read one text.
        const seen = new Set<number>();
        const key = (x: number, y: number, z: number): number => (x * n + y) * n + z;
        const queue: [number, number, number][] = [[p, p, q]];
        seen.add(key(p, p, q));
        while (queue.length > 0) {
          const [x, y, z] = queue.pop() as [number, number, number];
          for (const x2 of a.successors(x)) {
            if (comp[x2] !== c1) continue;
            for (const y2 of a.successors(y)) {
              if (!intersects(a.sets[x2], a.sets[y2])) continue;
              for (const z2 of a.successors(z)) {
                if (++work > WORK_LIMIT) throw new TooComplex();
                if (comp[z2] !== c2 || !intersects(a.sets[y2], a.sets[z2]) || !intersects(a.sets[x2], a.sets[z2])) continue;
                if (x2 === p && y2 === q && z2 === q) return true;
                const k = key(x2, y2, z2);
                if (!seen.has(k)) {
                  seen.add(k);
                  queue.push([x2, y2, z2]);
                }
              }
            }
          }
        }
      }
    }
    return false;
  };
  // Component ids are in reverse topological order: a loop can only reach loops with smaller ids.
  loops.sort((x, y) => y.c - x.c);
  const chain = new Map<number, number[]>();
  let best: number[] = [];
  for (let i = loops.length - 1; i >= 0; i--) {
    let longest: number[] = [];
    for (let j = i + 1; j < loops.length; j++) {
      const tail = chain.get(j) as number[];
      if (tail.length + 1 > longest.length + 1 && splits(loops[i].g, loops[j].g)) longest = tail;
    }
    const mine = [i, ...longest];
    chain.set(i, mine);
    if (mine.length > best.length) best = mine;
  }
  return { degree: best.length, positions: best.flatMap((i) => loops[i].g) };
}

function compileMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // V8: "Invalid regular expression: /(/: Unterminated group" -> "unterminated group"
  const tail = m.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
  return tail.charAt(0).toLowerCase() + tail.slice(1);
}

/**
 * Screens one regex. Returns no issues when the pattern compiles with `new RegExp(pattern,
 * flags)`, uses only supported features and cannot backtrack catastrophically.
 */
/**
 * The first escape that only the u flag gives a
 * meaning (`\p{L}`, `\P{...}`, `\u{1F600}`): without the flag JavaScript reads it as plain
 * letters, so `/\p{L}/` silently matches "p{L}". Null when there is none.
 */
function unicodeOnlyEscape(pattern: string): { start: number; end: number } | null {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== "\\") continue;
    const next = pattern[i + 1];
    if ((next === "p" || next === "P" || next === "u") && pattern[i + 2] === "{") {
      const close = pattern.indexOf("}", i + 3);
      return { start: i, end: close < 0 ? i + 3 : close + 1 };
    }
    i++;
  }
  return null;
}

export function screenRegex(pattern: string, flags: string): RegexIssue[] {
  const issues: RegexIssue[] = [];
  const seen = new Set<string>();
  [...flags].forEach((f, i) => {
    if (!REGEX_FLAGS.includes(f)) issues.push({ code: "E503", message: `unknown regex flag '${f}'`, help: "regex flags are 'i' (ignore case), 'm' (multi-line), 's' (dot matches newlines) and 'u' (unicode)", part: "flags", start: i, end: i + 1 });
    else if (seen.has(f)) issues.push({ code: "E503", message: `regex flag '${f}' is repeated`, help: `remove the second '${f}'`, part: "flags", start: i, end: i + 1 });
    seen.add(f);
  });
  const usable = [...seen].filter((f) => REGEX_FLAGS.includes(f)).join("");
  if (!usable.includes("u")) {
    const at = unicodeOnlyEscape(pattern);
    if (at !== null) {
      const esc = pattern.slice(at.start, at.end);
      issues.push({ code: "E504", message: `'${esc}' means something only with the u flag: without it, it matches the letters '${esc.slice(1)}'`, help: "add the u flag (e.g. /\\p{L}+/u), or escape the backslash to match it literally", part: "pattern", start: at.start, end: at.end });
      return issues;
    }
  }
  try {
    new RegExp(pattern, usable);
  } catch (e) {
    issues.push({ code: "E500", message: `invalid regex: ${compileMessage(e)}`, part: "pattern", start: 0, end: pattern.length });
    return issues;
  }
  const parsed = parseRegex(pattern, usable);
  for (const u of parsed.unsupported) {
    issues.push(
      u.what === "backreference"
        ? { code: "E502", message: `backreferences are not supported: '${pattern.slice(u.start, u.end)}'`, help: "match the text again explicitly, or check equality in the rule instead", part: "pattern", start: u.start, end: u.end }
        : { code: "E502", message: `lookbehind is not supported: '${pattern.slice(u.start, u.end)}'`, help: "match the preceding text as part of the pattern, or test it with a second condition", part: "pattern", start: u.start, end: u.end },
    );
  }
  if (issues.length > 0) return issues;
  try {
    const a = new Automaton();
    const whole = a.build(parsed.node);
    a.link(new Map([[0, 1]]), whole.first);
    const comp = stronglyConnected(a.sets.length, (p) => a.successors(p));
    const eda = exponential(a, comp);
    if (eda !== null) {
      const [start, end] = blameLoop(a, eda);
      const part = pattern.slice(start, end);
      issues.push({
        code: "E501",
        message: `regex may backtrack catastrophically: '${part}' can match the same text in more than one way`,
        help: "make each character match in only one way, e.g. write '(a+)+' as 'a+' and '(a|a)*' as 'a*'",
        part: "pattern",
        start,
        end,
      });
      return issues;
    }
    const ida = polynomial(a, comp);
    if (ida.degree >= 3) {
      const [start, end] = blameChain(a, ida.positions, ida.degree);
      issues.push({
        code: "E501",
        message: `regex may backtrack catastrophically: ${ida.degree} repetitions in '${pattern.slice(start, end)}' can split the same text in many ways`,
        help: "make the repeated parts exclusive, e.g. write '.*a' as '[^a]*a'",
        part: "pattern",
        start,
        end,
      });
    }
  } catch (e) {
    if (!(e instanceof TooComplex)) throw e;
    issues.push({ code: "E501", message: "regex is too large to check for catastrophic backtracking", help: "split it into several smaller patterns", part: "pattern", start: 0, end: pattern.length });
  }
  return issues;
}
