// One shape for `tool.result`, whatever the framework, so that one policy works everywhere
// (spec/sdk.md): `text` is the result as text, `json` the structured value when there is one,
// `isError` whether the tool reported a failure. A rule on `tool.result.text` reads an MCP
// result's text parts, a LangChain tool's string (JSON or not), and a plain function's object
// (as its JSON text) alike.
import { clonePlain } from "./snapshot.ts";

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

/** The bytes of a binary result (a Buffer, a typed array, an ArrayBuffer), or undefined. */
function bytesOf(result: unknown): Uint8Array | undefined {
  if (result instanceof ArrayBuffer) return new Uint8Array(result);
  if (ArrayBuffer.isView(result)) return new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
  return undefined;
}

/** The view of a plain result (already a snapshot: plain JSON data), or of bytes (read as UTF-8 text, which is how a model is given them). */
export function viewOf(result: unknown, isError = false): ToolResultView {
  // A file read without an encoding is bytes: its text is what policies must see (as JSON it
  // was `{"type":"Buffer","data":[...]}`, and a redaction of the text matched nothing).
  const bytes = bytesOf(result);
  if (bytes !== undefined) result = new TextDecoder().decode(bytes);
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
    if (typeof Buffer !== "undefined" && Buffer.isBuffer(original)) return Buffer.from(decided.text);
    if (original instanceof Uint8Array) return new TextEncoder().encode(decided.text);
    if (bytesOf(original) !== undefined) return decided.text;
    if (typeof original === "string" || typeof original !== "object" || original === null) return decided.text;
    const parsed = parseJson(decided.text);
    return parsed === undefined ? decided.text : parsed;
  }
  // A copy: the decided view is also what the guard records and remembers as the session's source.
  if (decided.json !== seen.json) return typeof original === "string" || bytesOf(original) !== undefined ? JSON.stringify(decided.json) : clonePlain(decided.json);
  return original;
}

/** Whether a view was changed by transforms (compared field by field, as transforms copy what they change). */
export function viewChanged(seen: ToolResultView, decided: ToolResultView): boolean {
  return decided !== seen && (decided.text !== seen.text || decided.json !== seen.json || decided.isError !== seen.isError);
}
