// Applies the regex screen to the places regexes occur (regex literals, string literals on the
// right of `matches`) and points each finding inside the literal, at the offending part.
import type { RegexLit, StringLit } from "../ast.ts";
import type { Span } from "../span.ts";
import { screenRegex } from "./regex-safety.ts";
import type { Context, Env } from "./context.ts";

/** The part of a one-line literal from `from` to `to` (offsets from the literal's start). */
function inside(span: Span, from: number, to: number): Span {
  return {
    start: { offset: span.start.offset + from, line: span.start.line, col: span.start.col + from },
    end: { offset: span.start.offset + to, line: span.start.line, col: span.start.col + to },
  };
}

function report(ctx: Context, env: Env, span: Span, pattern: string, flags: string, patternAt: number | undefined, flagsAt: number | undefined): void {
  for (const issue of screenRegex(pattern, flags)) {
    const base = issue.part === "pattern" ? patternAt : flagsAt;
    // When the literal's text differs from its value (escapes), offsets cannot be mapped: show it whole.
    const at = base === undefined ? span : inside(span, base + issue.start, base + Math.max(issue.end, issue.start + 1));
    ctx.report(env.scope.file, issue.code, at, issue.message, issue.help);
  }
}

/** Screens a regex literal `/pattern/flags` and records it for the engine. */
export function checkRegexLiteral(ctx: Context, env: Env, e: RegexLit): void {
  ctx.regexes.set(e, { pattern: e.pattern, flags: e.flags });
  const verbatim = e.span.start.line === e.span.end.line && e.span.end.offset - e.span.start.offset === e.pattern.length + e.flags.length + 2;
  report(ctx, env, e.span, e.pattern, e.flags, verbatim ? 1 : undefined, verbatim ? e.pattern.length + 2 : undefined);
}

/** Screens a string literal used as a regex (`x matches "^a+$"`) and records it for the engine. */
export function checkRegexString(ctx: Context, env: Env, e: StringLit): void {
  ctx.regexes.set(e, { pattern: e.value, flags: "" });
  const verbatim = e.span.start.line === e.span.end.line && e.span.end.offset - e.span.start.offset === e.value.length + 2;
  report(ctx, env, e.span, e.value, "", verbatim ? 1 : undefined, undefined);
}
