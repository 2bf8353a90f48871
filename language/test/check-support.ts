// Helpers for the checker's tests: parse source text (what users write), check it, and pick
// diagnostics out by code. Parse errors fail the test loudly: a checker test must start from
// text the parser accepts.
import assert from "node:assert/strict";
import { parse } from "../parse.ts";
import { LINT_CODES } from "../codes.ts";
import { check, type CheckOptions, type CheckResult } from "../check/index.ts";
import { renderDiagnostic, type Diagnostic } from "../diagnostics.ts";
import type { PolicyFile } from "../ast.ts";

/** Parses each source (`{ path: text }`, or one text as `main.policy`), failing on syntax errors. */
export function parseAll(sources: string | Readonly<Record<string, string>>): PolicyFile[] {
  const entries = typeof sources === "string" ? [["main.policy", sources] as const] : Object.entries(sources);
  return entries.map(([path, text]) => {
    const r = parse(text, path);
    assert.ok(r.file !== null && !r.diagnostics.some((d) => d.severity === "error"), `parse failed:\n${r.diagnostics.map((d) => renderDiagnostic(d, text)).join("\n")}`);
    return r.file;
  });
}

/** Parses and checks; the lints (W006-W008, tested in check-lints.test.ts) are left out. */
export function checkText(sources: string | Readonly<Record<string, string>>, options?: CheckOptions): CheckResult {
  const r = check(parseAll(sources), options);
  return { ...r, diagnostics: r.diagnostics.filter((d) => !LINT_CODES.has(d.code)) };
}

/** `CODE line:col` of every diagnostic, for readable assertions. */
export function summary(r: CheckResult): string[] {
  return r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col}`);
}

/**
 * Asserts that checking `sources` gives exactly one diagnostic with `code`, at `line:col`, with
 * `help` when given (a string must match exactly, a RegExp must match), and returns it.
 */
export function expectOne(sources: string | Readonly<Record<string, string>>, code: string, line: number, col: number, help?: string | RegExp, options?: CheckOptions): Diagnostic {
  const r = checkText(sources, options);
  const hits = r.diagnostics.filter((d) => d.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got: ${JSON.stringify(r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.message}`))}`);
  const d = hits[0];
  assert.equal(`${d.span.start.line}:${d.span.start.col}`, `${line}:${col}`, `${code} at the wrong place: ${d.message}`);
  if (typeof help === "string") assert.equal(d.help, help);
  else if (help instanceof RegExp) assert.match(d.help ?? "", help);
  if (d.severity === "error") assert.equal(r.program, null, "a program must not be returned when there are errors");
  return d;
}

/** Asserts that checking gives no diagnostic at all (no warnings either) and a program. */
export function expectClean(sources: string | Readonly<Record<string, string>>, options?: CheckOptions): CheckResult {
  const r = checkText(sources, options);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.message}`), []);
  assert.ok(r.program !== null);
  return r;
}

/** Asserts that no diagnostic has `code`. */
export function expectNone(sources: string | Readonly<Record<string, string>>, code: string, options?: CheckOptions): CheckResult {
  const r = checkText(sources, options);
  assert.deepEqual(r.diagnostics.filter((d) => d.code === code).map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.message}`), []);
  return r;
}

/** A one-rule policy around a `when` condition, for expression tests (the condition is on line 3). */
export function ruleWhen(cond: string, phase = "tool_call"): string {
  return `package t\nrule r on ${phase} {\n  when ${cond}\n  then deny "no"\n}\n`;
}

/** The column of `part` (its `nth` occurrence) inside the condition written by `ruleWhen`. */
export function colIn(cond: string, part: string, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = cond.indexOf(part, i + 1);
  assert.ok(i >= 0, `'${part}' is not in '${cond}'`);
  return "  when ".length + i + 1;
}
