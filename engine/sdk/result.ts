// One shape for `tool.result`, whatever the framework, so that one policy works everywhere
// (spec/sdk.md): `text` is the result as text, `json` the structured value when there is one,
// `isError` whether the tool reported a failure. A rule on `tool.result.text` reads an MCP
// result's text parts, a LangChain tool's string (JSON or not), and a plain function's object
// (as its JSON text) alike.

/** What policies read as `tool.result`. */
export interface ToolResultView {
  readonly text: string;
  /** The structured value: an object or array result, a string that is JSON text, MCP `structuredContent`. */
  readonly json?: unknown;
  readonly isError: boolean;
}

function parseJson(text: string): unknown {
  const c = text.trimStart()[0];
  if (c !== "{" && c !== "[") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The view of a plain result (already a snapshot: plain JSON data). */
export function viewOf(result: unknown, isError = false): ToolResultView {
  if (typeof result === "string") {
    const json = parseJson(result);
    return json === undefined ? { isError, text: result } : { isError, json, text: result };
  }
  // Keys in canonical order, as the guard's inputs (scope.ts).
  if (result === undefined || result === null) return { isError, text: "" };
  if (typeof result === "object") return { isError, json: result, text: JSON.stringify(result) };
  return { isError, json: result, text: String(result) };
}

/**
 * What the caller gets back after transforms: `original` when the view is unchanged; else the
 * changed field carried back in the original's kind (a string result stays a string, an object
 * result an object when the rewritten text is still JSON). A rewritten `text` wins over a
 * rewritten `json`, since redactions of text are the ones that must never be lost.
 */
export function resultFrom(original: unknown, seen: ToolResultView, decided: ToolResultView): unknown {
  if (decided === seen) return original;
  if (decided.text !== seen.text) {
    if (typeof original === "string" || typeof original !== "object" || original === null) return decided.text;
    const parsed = parseJson(decided.text);
    return parsed === undefined ? decided.text : parsed;
  }
  if (decided.json !== seen.json) return typeof original === "string" ? JSON.stringify(decided.json) : decided.json;
  return original;
}

/** Whether a view was changed by transforms (compared field by field, as transforms copy what they change). */
export function viewChanged(seen: ToolResultView, decided: ToolResultView): boolean {
  return decided !== seen && (decided.text !== seen.text || decided.json !== seen.json || decided.isError !== seen.isError);
}
