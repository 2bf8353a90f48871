// Source positions. Every AST node and every diagnostic carries a span, so that errors point at
// the exact text and tools (formatter, playground) can map back to the source.

/** A point in a source text: `offset` counts UTF-16 code units from 0; `line` and `col` count from 1. */
export interface Pos {
  readonly offset: number;
  readonly line: number;
  readonly col: number;
}

/** A range of source text, `end` exclusive. Spans of one file are interpreted against that file's text. */
export interface Span {
  readonly start: Pos;
  readonly end: Pos;
}

/** The position of `offset` in `text` (line and column counted from 1; columns in UTF-16 units). */
export function posAt(text: string, offset: number): Pos {
  const o = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < o; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset: o, line, col: o - lineStart + 1 };
}

/** A span from two offsets of `text`. */
export function spanAt(text: string, start: number, end: number): Span {
  return { start: posAt(text, start), end: posAt(text, Math.max(start, end)) };
}

/** The smallest span covering both. */
export function joinSpans(a: Span, b: Span): Span {
  return {
    start: a.start.offset <= b.start.offset ? a.start : b.start,
    end: a.end.offset >= b.end.offset ? a.end : b.end,
  };
}

/** A span of width zero at the start of a text; used for whole-file diagnostics. */
export const fileStart: Span = { start: { offset: 0, line: 1, col: 1 }, end: { offset: 0, line: 1, col: 1 } };

/** Whether `s` is well-formed against a text of length `length`: ordered, in range, lines and columns from 1. */
export function isValidSpan(s: Span, length: number): boolean {
  return (
    s.start.offset >= 0 &&
    s.start.offset <= s.end.offset &&
    s.end.offset <= length &&
    s.start.line >= 1 &&
    s.start.col >= 1 &&
    s.end.line >= s.start.line &&
    s.end.col >= 1
  );
}
