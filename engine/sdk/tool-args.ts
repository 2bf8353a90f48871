// Streamed tool-call arguments as a UI may see them (spec/streams.md). A model streams a call's
// arguments before the call is decided: shown as they come, a UI would show a card number or an
// exfiltration URL, even of a call the guard then denies. The adapters hold a call's argument
// deltas until its arguments are complete and show them (as one delta) only as this decides.
import { PolicyDeniedError } from "./errors.ts";
import type { Decision } from "../runtime/index.ts";
import type { GuardScope } from "./scope.ts";
import { peekInside } from "./scope.ts";
import { peekParts } from "./text.ts";

/**
 * The argument text of a complete call as a UI may be shown it: the `output` redactions applied,
 * or undefined when it must not be shown at all (the call's quiet `tool_call` decision denies it
 * or waits for a human, or its text is denied as output). Decided without recording: the call is
 * decided and recorded where it runs.
 */
export function argsPreview(scope: GuardScope, tool: string, text: string): string | undefined {
  if (scope.core.mode !== "enforce") return text;
  try {
    if (quietCall(scope, tool, text).decision !== "allow") return undefined;
    return peekParts(scope, "output", [text])[0];
  } catch (err) {
    if (err instanceof PolicyDeniedError) return undefined;
    throw err;
  }
}

/** The quiet `tool_call` decision on a call whose arguments came as `text` (JSON, else decided as the text). */
export function quietCall(scope: GuardScope, tool: string, text: string): Decision {
  return peekInside(scope, "tool_call", callInput(tool, text));
}

/** The `tool_call` input of a call whose arguments came as `text`. */
export function callInput(tool: string, text: string): { tool: { name: string; args: unknown } } {
  let args: unknown = text;
  try {
    args = JSON.parse(text) as unknown;
  } catch {
    // A call whose arguments are not JSON is decided on their text.
  }
  return { tool: { name: tool, args } };
}

/** The argument deltas of a model's streamed calls, held per call until its arguments are complete. */
export class ArgsHold {
  readonly #calls = new Map<string, { tool: string; text: string }>();

  /** A call starts (its tool known). */
  start(id: string, tool: string): void {
    if (!this.#calls.has(id)) this.#calls.set(id, { tool, text: "" });
  }

  /** A delta of call `id`'s arguments (a call not started is started under `tool`). */
  add(id: string, delta: string, tool = ""): void {
    const c = this.#calls.get(id);
    if (c === undefined) this.#calls.set(id, { tool, text: delta });
    else {
      c.text += delta;
      if (c.tool === "" && tool !== "") c.tool = tool;
    }
  }

  /** The argument text held for call `id` so far. */
  text(id: string): string {
    return this.#calls.get(id)?.text ?? "";
  }

  /** The tool a started call names. */
  tool(id: string): string | undefined {
    return this.#calls.get(id)?.tool;
  }

  /** Call `id` is complete: what a UI may be shown of its arguments (undefined: nothing), and the call forgotten. */
  take(scope: GuardScope, id: string, text?: string): string | undefined {
    const c = this.#calls.get(id);
    this.#calls.delete(id);
    const all = text ?? c?.text;
    return all === undefined ? undefined : argsPreview(scope, c?.tool ?? "", all);
  }

  /** The calls still held, in the order they started. */
  ids(): string[] {
    return [...this.#calls.keys()];
  }
}
