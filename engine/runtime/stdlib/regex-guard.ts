// User regexes at run time. The checker screens every regex literal (language/check/
// regex-safety.ts: no backreferences or lookbehind, no exponential or cubic backtracking);
// patterns that arrive as strings (`x matches tool.args.pattern`) are screened here the same
// way before they are compiled.
//
// Screening still lets through patterns a backtracking engine runs in quadratic time on an
// unanchored search (`\s*a\s*b`, `[a-z]+@` on a run of letters, `.*=.*`), since it restarts
// at every position. So a pattern runs on V8's engine only when one attempt is bounded by a
// constant of the pattern: every quantifier bounded and at most BACKTRACK_BUDGET steps per
// start position (`backtrackingIsLinear`); every other pattern runs on the linear-time
// matcher (linear-regex.ts). Both give JavaScript's answers. Inputs longer than a cap (1 MiB
// by default) are still refused with a PolicyRuntimeError: linear is not free, the cost is the
// input's length times the program's size, and a decision must not stall the agent it guards.
import type { Node } from "../../../language/check/regex-parse.ts";
import { screenRegex } from "../../../language/check/regex-safety.ts";
import type { Match } from "./detector.ts";
import { PolicyRuntimeError } from "./errors.ts";
import { compileLinearRegex, type LinearRegex } from "./linear-regex.ts";
import { parsePattern, UnsupportedRegex } from "./regex-parse.ts";
import { maxExtent, pathCount, ProgramTooLarge } from "./regex-program.ts";

/** The default cap on the length (UTF-16 code units) of text a user regex is run on: 1 MiB. */
export const DEFAULT_MAX_REGEX_INPUT = 1 << 20;

/**
 * The most backtracking steps (search-tree leaves times depth) one attempt of a pattern run on
 * V8 may take; above it, or with an unbounded quantifier, the linear matcher runs it.
 */
export const BACKTRACK_BUDGET = 4096;

/** Options of `compilePolicyRegex`. */
export interface PolicyRegexOptions {
  /** Longest input the regex will scan, in UTF-16 code units; longer inputs throw. */
  readonly maxInput?: number;
}

/** A screened, compiled user regex with an input cap; usable wherever a detector is. */
export interface PolicyRegex {
  readonly source: string;
  readonly flags: string;
  /** Which engine runs it: V8's backtracking one (bounded work per start) or the linear matcher. */
  readonly engine: "backtracking" | "linear";
  /** Whether the regex matches somewhere in `text` (as `matches` does: unanchored). */
  test(text: string): boolean;
  /** Every non-empty match, in order and non-overlapping, as `[start, end)` ranges. */
  find(text: string): Match[];
}

/**
 * Whether V8 runs `root` in linear time: each attempt walks a search tree whose leaves are at
 * most `pathCount` and whose depth is at most the characters it reads plus one, so an attempt
 * costs at most their product, a constant of the pattern, and a search n of them.
 */
export function backtrackingIsLinear(root: Node): boolean {
  const extent = maxExtent(root);
  return extent !== Infinity && pathCount(root) * (extent + 1) <= BACKTRACK_BUDGET;
}

function quoted(pattern: string): string {
  return JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}...` : pattern);
}

/**
 * Screens and compiles a user regex. Throws a PolicyRuntimeError (`runtime/invalid-regex`)
 * when it does not compile, uses a flag outside `imsu`, a backreference or lookbehind, or may
 * backtrack catastrophically, or is too large for the linear matcher once its counted
 * repetitions are unrolled. The result's `test` and `find` throw `runtime/input-too-large`
 * on inputs longer than `options.maxInput` (default 1 MiB).
 */
export function compilePolicyRegex(pattern: string, flags = "", options: PolicyRegexOptions = {}): PolicyRegex {
  const max = options.maxInput ?? DEFAULT_MAX_REGEX_INPUT;
  const guard = (text: string): void => {
    if (text.length > max) {
      throw new PolicyRuntimeError(`regex ${quoted(pattern)} refused an input of ${text.length} characters: the limit is ${max}`, "runtime/input-too-large");
    }
  };
  let matcher: LinearRegex;
  try {
    const issues = screenRegex(pattern, flags);
    if (issues.length > 0) {
      throw new PolicyRuntimeError(`regex ${quoted(pattern)} is not allowed: ${issues.map((i) => i.message).join("; ")}`, "runtime/invalid-regex");
    }
    const parsed = parsePattern(pattern, flags);
    if (backtrackingIsLinear(parsed.root)) return backtracking(pattern, flags, guard);
    matcher = compileLinearRegex(pattern, flags, parsed);
  } catch (e) {
    // The parsers recurse on groups: a pattern from the input nested thousands deep overflows the
    // stack (a RangeError), which must be this refusal, not an exception out of `decide`.
    if (e instanceof UnsupportedRegex || e instanceof ProgramTooLarge || e instanceof RangeError) {
      const why = e instanceof UnsupportedRegex ? e.message : e instanceof ProgramTooLarge ? "its counted repetitions are too large" : "it is nested too deeply";
      throw new PolicyRuntimeError(`regex ${quoted(pattern)} is not allowed: ${why}`, "runtime/invalid-regex");
    }
    throw e;
  }
  return {
    source: pattern,
    flags,
    engine: "linear",
    test(text) {
      guard(text);
      return matcher.test(text);
    },
    find(text) {
      guard(text);
      return matcher.find(text);
    },
  };
}

function backtracking(pattern: string, flags: string, guard: (text: string) => void): PolicyRegex {
  const once = new RegExp(pattern, flags);
  const all = new RegExp(pattern, `${flags}g`);
  const unicode = flags.includes("u");
  return {
    source: pattern,
    flags,
    engine: "backtracking",
    test(text) {
      guard(text);
      return once.test(text);
    },
    find(text) {
      guard(text);
      const found: Match[] = [];
      all.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = all.exec(text)) !== null) {
        const end = m.index + m[0].length;
        if (end > m.index) {
          found.push([m.index, end]);
        } else {
          // An empty match: step over one character (a code point under `u`) to make progress.
          const pair = unicode && (text.codePointAt(end) ?? 0) > 0xffff;
          all.lastIndex = end + (pair ? 2 : 1);
        }
      }
      all.lastIndex = 0;
      return found;
    },
  };
}

// Patterns given as strings at run time are compiled on first use and kept; bounded so that
// inputs cannot grow the cache without limit.
const CACHE_LIMIT = 256;
const cache = new Map<string, PolicyRegex>();

/** `compilePolicyRegex` with the default cap, cached by pattern and flags. */
export function cachedPolicyRegex(pattern: string, flags = ""): PolicyRegex {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    re = compilePolicyRegex(pattern, flags);
    cache.set(key, re);
  }
  return re;
}
