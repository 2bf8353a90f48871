// Offset -> line/column for one text, in O(log lines) per lookup. `posAt` in span.ts scans
// from the start each time, which is quadratic over the thousands of nodes of a big file.
import type { Pos, Span } from "./span.ts";

/** Positions and spans of one text, with offsets clamped into it so every span is valid. */
export interface LineIndex {
  readonly length: number;
  pos(offset: number): Pos;
  span(start: number, end: number): Span;
}

/** Builds the index of `text` (lines end at `\n`, as in `posAt`). */
export function lineIndex(text: string): LineIndex {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const length = text.length;
  const pos = (offset: number): Pos => {
    const o = Number.isFinite(offset) ? Math.max(0, Math.min(Math.trunc(offset), length)) : length;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { offset: o, line: lo + 1, col: o - starts[lo] + 1 };
  };
  return {
    length,
    pos,
    span(start: number, end: number): Span {
      const s = pos(start);
      const e = pos(end);
      return e.offset >= s.offset ? { start: s, end: e } : { start: s, end: s };
    },
  };
}
