// Text rewriting shared by the model adapters: decide a text on a phase and hand back what the
// policies made of it, and a streaming splitter that decides text in whole lines.
import type { GuardScope } from "./scope.ts";

/** Decides `text` on `input` or `output` and returns the text after transforms (throws PolicyDeniedError on deny). */
export async function guardText(scope: GuardScope, phase: "input" | "output", text: string): Promise<string> {
  const g = await scope.enforceNow(phase, { [phase]: { text } });
  const out = (g.payload[phase] as { text?: unknown } | undefined)?.text;
  return typeof out === "string" ? out : text;
}

/**
 * Splits streamed text into segments that end at a line break, so that each segment can be
 * decided (and redacted) whole: a card number or an address split across two deltas is still
 * caught, at the cost of holding back at most one line (or `maxHold` characters).
 */
export class LineBuffer {
  #held = "";
  readonly #maxHold: number;

  constructor(maxHold = 2_000) {
    this.#maxHold = maxHold;
  }

  /** Adds a delta; returns the text now ready to be decided ("" when none). */
  push(delta: string): string {
    this.#held += delta;
    const cut = this.#held.lastIndexOf("\n");
    if (cut >= 0) {
      const ready = this.#held.slice(0, cut + 1);
      this.#held = this.#held.slice(cut + 1);
      return ready;
    }
    if (this.#held.length >= this.#maxHold) {
      // A very long line: cut at the last space so that words (and most identifiers) stay whole.
      const space = this.#held.lastIndexOf(" ");
      const at = space > 0 ? space + 1 : this.#held.length;
      const ready = this.#held.slice(0, at);
      this.#held = this.#held.slice(at);
      return ready;
    }
    return "";
  }

  /** The rest, at the end of the text. */
  end(): string {
    const rest = this.#held;
    this.#held = "";
    return rest;
  }
}
