// Text -> tokens. One lexer instance, built once. Lexing never stops at a mistake: each one
// becomes a diagnostic (E101-E106) and lexing goes on, so that the parser still sees the rest.
import { Lexer, type IToken } from "chevrotain";
import type { Diagnostic } from "./diagnostics.ts";
import { diagnostic } from "./diagnostics.ts";
import type { LineIndex } from "./line-index.ts";
import { decodeString } from "./string-escapes.ts";
import {
  ALL_TOKENS,
  BadNumber,
  COMMENTS,
  Duration,
  GoodNumber,
  GoodString,
  UnterminatedBlockComment,
  UnterminatedRegex,
  UnterminatedString,
} from "./tokens.ts";

const lexer = new Lexer([...ALL_TOKENS], {
  positionTracking: "onlyOffset",
  ensureOptimizations: false,
  skipValidations: true,
});

/** The tokens of a text, its comments (doc comments included) in source order, and the lexical diagnostics. */
export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: IToken[];
  readonly diagnostics: Diagnostic[];
}

/** Where a token ends (exclusive); tokens carry only their start offset. */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

const friendly: Readonly<Record<string, string>> = {
  "!": "use 'not' for negation, or '!=' for inequality",
  "&": "use 'and'",
  "|": "use 'or'",
  "'": 'strings are written in double quotes: "..."',
  "`": 'strings are written in double quotes: "..."',
  ";": "statements need no ';': remove it",
  "#": "comments start with '//'",
};

function describeChars(s: string): string {
  const shown = s.length > 20 ? `${s.slice(0, 20)}...` : s;
  const printable = shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff) ? `unexpected character '${printable}'` : `unexpected characters '${printable}'`;
}

/** Number literals that lex but do not denote a finite number, with the problem, or null. */
export function numberProblem(image: string): string | null {
  return Number.isFinite(Number(image)) ? null : `number '${image.length > 30 ? `${image.slice(0, 30)}...` : image}' is too large`;
}

/**
 * Lexes `text`. `base` shifts every token's offset (the text of an interpolation inside a
 * message is lexed on its own but reported against the file); `lines` indexes the file.
 */
export function lex(text: string, file: string, lines: LineIndex, base = 0): LexResult {
  const diagnostics: Diagnostic[] = [];
  const span = (start: number, end: number) => lines.span(base + start, base + end);
  let result;
  try {
    result = lexer.tokenize(text);
  } catch (e) {
    // Not expected from a validated lexer; a diagnostic is better than a crash all the same.
    diagnostics.push(diagnostic("E103", file, span(0, 0), `the lexer failed: ${e instanceof Error ? e.message : String(e)}`));
    return { tokens: [], comments: [], diagnostics };
  }
  for (const err of result.errors) {
    const chars = text.slice(err.offset, err.offset + err.length);
    diagnostics.push(diagnostic("E103", file, span(err.offset, err.offset + err.length), describeChars(chars), friendly[chars[0]]));
  }
  const tokens = result.tokens;
  for (const t of tokens) {
    const end = tokenEnd(t);
    switch (t.tokenType) {
      case GoodString: {
        for (const p of decodeString(t.image.slice(1, -1)).problems) {
          const at = t.startOffset + 1 + p.offset;
          diagnostics.push(diagnostic("E104", file, span(at, at + p.length), p.message, p.help));
        }
        break;
      }
      case UnterminatedString:
        diagnostics.push(diagnostic("E101", file, span(t.startOffset, end), "unterminated string", 'close it with \'"\' on the same line; write \\n for a line break'));
        break;
      case UnterminatedRegex:
        diagnostics.push(diagnostic("E106", file, span(t.startOffset, end), "unterminated regex literal", "close it with '/' on the same line; write '\\/' for a slash inside it, or put a space after '/' to divide"));
        break;
      case BadNumber: {
        const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(.*)$/.exec(t.image);
        const suffix = m?.[2] ?? "";
        diagnostics.push(
          diagnostic("E105", file, span(t.startOffset, end), `invalid number '${t.image}'`, /^[eE]/.test(suffix) ? "an exponent needs digits: 1e3, 2.5E-3" : `put a space between '${m?.[1] ?? ""}' and '${suffix}'; durations end in ms, s, m, h or d`),
        );
        break;
      }
      case GoodNumber:
      case Duration: {
        const problem = numberProblem(t.tokenType === Duration ? t.image.replace(/[a-z]+$/, "") : t.image);
        if (problem !== null) diagnostics.push(diagnostic("E105", file, span(t.startOffset, end), problem));
        break;
      }
    }
    if (base !== 0) t.startOffset += base;
  }
  const comments = result.groups[COMMENTS] ?? [];
  for (const c of comments) {
    if (c.tokenType === UnterminatedBlockComment) {
      diagnostics.push(diagnostic("E102", file, span(c.startOffset, c.startOffset + 2), "unterminated block comment", "close it with '*/'"));
    }
    if (base !== 0) c.startOffset += base;
  }
  return { tokens, comments, diagnostics };
}
