// Diagnostics are data: a stable code, a severity, a span, a message and an optional one-line
// fix. How they are shown (human text with a caret, JSON) is decided at the edge; the renderer
// for the human form lives here because the CLI, the service and the playground all share it.
//
// Message rules (after Cedar's): lowercase, no final period, user input quoted with '...',
// advice in `help`, never the implementation's type names.
import type { Span } from "./span.ts";
import { CODES, type DiagnosticCode } from "./codes.ts";

/** How bad a diagnostic is: errors stop a file from running, warnings do not. */
export type Severity = "error" | "warning";

/** One finding about one file. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** The file the span points into, as the user named it. */
  readonly file: string;
  readonly span: Span;
  /** A one-line fix, e.g. "did you mean 'tool.args'?". */
  readonly help?: string;
}

/** Builds a diagnostic with the code's registered severity. */
export function diagnostic(code: DiagnosticCode, file: string, span: Span, message: string, help?: string): Diagnostic {
  const d: Diagnostic = { code, severity: CODES[code].severity, message, file, span };
  return help === undefined ? d : { ...d, help };
}

/** Whether any diagnostic in the list is an error. */
export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Orders diagnostics by file, then position, then code: the order they are printed in. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.span.start.offset - b.span.start.offset || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/**
 * The human form: `file:line:col: error[CODE]: message`, the source line, a caret line under the
 * span (clipped to that line), and `help: ...` when there is a fix. `source` is the file's text.
 */
export function renderDiagnostic(d: Diagnostic, source: string | undefined): string {
  const head = visibleText(`${d.file}:${d.span.start.line}:${d.span.start.col}: ${d.severity}[${d.code}]: ${d.message}`);
  const lines = [head];
  if (source !== undefined) {
    const lineStart = d.span.start.offset - (d.span.start.col - 1);
    let lineEnd = source.indexOf("\n", d.span.start.offset);
    if (lineEnd < 0) lineEnd = source.length;
    let text = source.slice(Math.max(0, lineStart), lineEnd).replace(/\r$/, "");
    let caretCol = d.span.start.col - 1;
    // Very long lines (minified input, a 10 MB one-liner) are cut around the span.
    if (text.length > 200) {
      const from = Math.max(0, caretCol - 80);
      text = (from > 0 ? "..." : "") + text.slice(from, from + 160) + (from + 160 < text.length ? "..." : "");
      caretCol = caretCol - from + (from > 0 ? 3 : 0);
    }
    const width = d.span.end.line === d.span.start.line ? Math.max(1, d.span.end.col - d.span.start.col) : Math.max(1, text.length - caretCol);
    const gutter = String(d.span.start.line).length;
    const pad = " ".repeat(gutter);
    const visible = visibleText(text.replace(/\t/g, " "));
    lines.push(`${pad} |`, `${d.span.start.line} | ${visible}`, `${pad} | ${" ".repeat(Math.max(0, caretCol))}${"^".repeat(Math.min(width, Math.max(1, visible.length - caretCol + 1)))}`);
  }
  if (d.help) lines.push(`  = help: ${visibleText(d.help)}`);
  return lines.join("\n");
}

/**
 * Text safe to print to a terminal, one character for one (so carets still line up): C0
 * controls and DEL become their Unicode control pictures (U+2400...), C1 controls and the
 * bidirectional overrides become U+FFFD. A binary file named as a policy must not write raw
 * control bytes to the user's terminal.
 */
export function visibleText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    if (n < 0x20) return String.fromCharCode(0x2400 + n);
    if (n === 0x7f) return "\u2421";
    return "\ufffd";
  });
}

/** The JSON form, for `--error-format json` and the service. */
export function diagnosticToJSON(d: Diagnostic): Record<string, unknown> {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    line: d.span.start.line,
    col: d.span.start.col,
    endLine: d.span.end.line,
    endCol: d.span.end.col,
    ...(d.help ? { help: d.help } : {}),
  };
}
