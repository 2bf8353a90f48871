// User regexes at run time. The checker screens every regex literal (language/check/
// regex-safety.ts: no backreferences or lookbehind, no exponential or cubic backtracking);
// patterns that arrive as strings (`x matches tool.args.pattern`) are screened here the same
// way before they are compiled.
//
// Screening bounds the *shape* of the work, not its size: V8's backtracking engine has no
// timeout, a linear pattern still costs time in proportion to its input, and the checker
// accepts quadratic patterns such as `.*=.*`, as any unanchored search is. So inputs longer
// than a cap (1 MiB by default) are refused with a PolicyRuntimeError, which makes the rule
// errored and lets `on_error` decide, rather than scanned: a decision must not stall the
// agent it guards. Detectors do not need the cap; they are linear by construction. The
// commonest quadratic shape, a leading `.*` (`/.*password.*/`), is run from line starts only
// (regex-lines.ts), which gives the same matches in linear time for simple tails.
import { screenRegex } from "../../../language/check/regex-safety.ts";
import type { Match } from "./detector.ts";
import { PolicyRuntimeError } from "./errors.ts";
import { lineAnchored, startsWithDotStar } from "./regex-lines.ts";

/** The default cap on the length (UTF-16 code units) of text a user regex is run on: 1 MiB. */
export const DEFAULT_MAX_REGEX_INPUT = 1 << 20;

/** Options of `compilePolicyRegex`. */
export interface PolicyRegexOptions {
  /** Longest input the regex will scan, in UTF-16 code units; longer inputs throw. */
  readonly maxInput?: number;
}

/** A screened, compiled user regex with an input cap; usable wherever a detector is. */
export interface PolicyRegex {
  readonly source: string;
  readonly flags: string;
  /** Whether the regex matches somewhere in `text` (as `matches` does: unanchored). */
  test(text: string): boolean;
  /** Every non-empty match, in order and non-overlapping, as `[start, end)` ranges. */
  find(text: string): Match[];
}

function quoted(pattern: string): string {
  return JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}...` : pattern);
}

/**
 * Screens and compiles a user regex. Throws a PolicyRuntimeError (`runtime/invalid-regex`)
 * when it does not compile, uses a flag outside `imsu`, a backreference or lookbehind, or may
 * backtrack catastrophically. The result's `test` and `find` throw `runtime/input-too-large`
 * on inputs longer than `options.maxInput` (default 1 MiB).
 */
export function compilePolicyRegex(pattern: string, flags = "", options: PolicyRegexOptions = {}): PolicyRegex {
  const issues = screenRegex(pattern, flags);
  if (issues.length > 0) {
    throw new PolicyRuntimeError(`regex ${quoted(pattern)} is not allowed: ${issues.map((i) => i.message).join("; ")}`, "runtime/invalid-regex");
  }
  const max = options.maxInput ?? DEFAULT_MAX_REGEX_INPUT;
  const once = new RegExp(pattern, flags);
  const all = new RegExp(pattern, `${flags}g`);
  const unicode = flags.includes("u");
  const guard = (text: string): void => {
    if (text.length > max) {
      throw new PolicyRuntimeError(`regex ${quoted(pattern)} refused an input of ${text.length} characters: the limit is ${max}`, "runtime/input-too-large");
    }
  };
  if (startsWithDotStar(pattern)) {
    const lines = lineAnchored(pattern, flags);
    return {
      source: pattern,
      flags,
      test(text) {
        guard(text);
        return lines.test(text);
      },
      find(text) {
        guard(text);
        return lines.find(text);
      },
    };
  }
  return {
    source: pattern,
    flags,
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
          const c = text.charCodeAt(end);
          all.lastIndex = end + (unicode && c >= 0xd800 && c <= 0xdbff ? 2 : 1);
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
