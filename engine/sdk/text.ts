// Text through the guard: a whole text decided on `input` or `output`, and a streamed answer
// decided as it arrives. A stream holds back only the last `hold` characters the detectors'
// fold keeps (the longest span a pattern of the output rules can match; invisible characters
// do not count), emits the rest redacted, ends with a typed error the moment the text so far
// is denied, and decides (and records) the whole answer at its end.
import { PolicyDeniedError, denialMessage } from "./errors.ts";
import type { StepOutcome } from "./record.ts";
import type { GuardScope } from "./scope.ts";
import { checkInside, enforceInside, peekInside } from "./scope.ts";
import { fold, keptBack, keptUnits, needsFold } from "../runtime/stdlib/fold.ts";
import { getDetector } from "../runtime/stdlib/detectors.ts";
import type { OpenAt } from "../runtime/stdlib/detector.ts";

/** Decides `text` on `input` or `output` and returns the text after transforms (throws PolicyDeniedError on deny). */
export async function guardText(scope: GuardScope, phase: "input" | "output", text: string, step?: StepOutcome): Promise<string> {
  const g = await enforceInside(scope, phase, { [phase]: { text } }, step ? { step } : undefined);
  const out = (g.payload[phase] as { text?: unknown } | undefined)?.text;
  return typeof out === "string" ? out : text;
}

/**
 * Decides a text the reader gets in parts (content blocks, the text parts of one answer) as the
 * one text they read, the parts joined: a match split across two parts is a match (deciding
 * each part alone missed a card number cut between two blocks), and so is a match within one
 * part that joining hides (a number run into the next part's letters). The whole is decided
 * and recorded once; what is returned is each part's own rewrite when the rewritten parts,
 * joined, hold nothing more to rewrite (the parts keep their shape), else that joined text
 * rewritten, in the first part, and the others emptied.
 */
export async function guardParts(scope: GuardScope, phase: "input" | "output", parts: readonly string[], step?: StepOutcome): Promise<string[]> {
  const whole = await guardText(scope, phase, parts.join(""), step);
  return parts.length === 1 ? [whole] : peekParts(scope, phase, parts);
}

/** `guardParts` decided without recording (what a stream already decided and recorded piece by piece); throws PolicyDeniedError on deny. */
export function peekParts(scope: GuardScope, phase: "input" | "output", parts: readonly string[]): string[] {
  if (parts.length === 1) return [peekText(scope, phase, parts[0] as string)];
  const each = parts.map((p) => {
    try {
      return peekText(scope, phase, p);
    } catch (err) {
      // A part that alone would be denied (an empty block, a fragment): only the whole is denied or not.
      if (!(err instanceof PolicyDeniedError)) throw err;
      return p;
    }
  });
  const joined = each.join("");
  const decided = peekText(scope, phase, joined);
  return decided === joined ? each : parts.map((_, i) => (i === 0 ? decided : ""));
}

/**
 * Text a request carries again: an earlier user message the conversation re-sends with every
 * turn (from the client's copy of the history, or a checkpointer's), which its turn's decision
 * rewrote only in what the model got then. Decided quietly with the same rewrites (so a
 * redacted card stays redacted in every later request); a deny is recorded and thrown.
 */
export function redecideParts(scope: GuardScope, phase: "input" | "output", parts: readonly string[]): string[] {
  try {
    return peekParts(scope, phase, parts);
  } catch (err) {
    if (err instanceof PolicyDeniedError) checkInside(scope, phase, { [phase]: { text: parts.join("") } });
    throw err;
  }
}

function peekText(scope: GuardScope, phase: "input" | "output", text: string): string {
  const d = peekInside(scope, phase, { [phase]: { text } });
  if (d.decision === "deny" && scope.core.mode === "enforce") throw new PolicyDeniedError(d, phase, undefined, "deny", denialMessage(d, "denied by policy"));
  const out = (d.payload as Record<string, { text?: unknown } | undefined>)[phase]?.text;
  return scope.core.mode === "enforce" && typeof out === "string" ? out : text;
}

/**
 * A streamed answer, decided piece by piece. `push` each delta and send on what it returns;
 * call `end` for the rest. A piece is emitted only up to a cut that no match straddles:
 * deciding the piece and the rest apart must give what deciding them together gives.
 */
export class OutputStream {
  readonly #scope: GuardScope;
  readonly #hold: number;
  readonly #open: readonly OpenAt[];
  #raw = "";
  #emitted = 0;
  // The last open-token scan: where it found one (-1: none) and how much text it read.
  #openFound = -1;
  #openScanned = 0;
  // The end of the last piece tried while a token was open: trying it again emits nothing new.
  #triedEnd = -1;
  /** Code units the fold keeps in the text not yet emitted. */
  #pending = 0;
  #ended = false;

  constructor(scope: GuardScope) {
    this.#scope = scope;
    this.#hold = scope.core.streamHold;
    this.#open = scope.core.streamOpen.flatMap((name) => getDetector(name)?.open ?? []);
  }

  /** Adds a delta; returns the text now safe to show ("" when none). Throws PolicyDeniedError when the answer so far is denied. */
  push(delta: string): string {
    if (this.#ended) return "";
    this.#raw += delta;
    // The hold-back counts only characters the detectors' fold keeps (stdlib/fold.ts): a run of
    // zero-width characters, however long, neither ends a match nor pushes its start out.
    this.#pending += keptUnits(delta);
    // Emit in pieces of at least `hold` characters, so a long answer is decided O(n / hold) times.
    if (this.#pending <= this.#hold * 2 && this.#hold > 0) return "";
    // Never cut between the halves of a surrogate pair (a delta may even end between them): a
    // piece ending in half a character has no UTF-8 form, so it could be neither shown nor recorded.
    // A token of an unbounded format that may still be open is not decided yet: the text ends,
    // for this piece, where it starts (and the bounded hold-back is kept before it).
    const open = this.#openAt(delta);
    const end = open >= 0 ? open : highSurrogateAt(this.#raw, this.#raw.length - 1) ? this.#raw.length - 1 : this.#raw.length;
    if (end <= this.#emitted || (open >= 0 && open === this.#triedEnd)) return "";
    this.#triedEnd = open;
    const whole = this.#text(this.#raw.slice(this.#emitted, end));
    for (let cut = keptBack(this.#raw, end, this.#hold); cut > this.#emitted; cut = keptBack(this.#raw, cut, Math.max(1, this.#hold))) {
      const head = this.#text(this.#raw.slice(this.#emitted, cut));
      const rest = this.#text(this.#raw.slice(cut, end));
      if (head + rest !== whole) continue;
      this.#pending -= keptUnits(this.#raw.slice(this.#emitted, cut));
      this.#emitted = cut;
      return head;
    }
    return "";
  }

  // Where the earliest token that more text could extend starts, in the answer as written or
  // as the detectors' fold reads it (a zero-width character inside a token does not end it); -1 when none.
  //
  // While a token is open, a delta of token characters and line breaks cannot end one but a
  // PEM block (whose END line holds a space); the text is scanned again only when it has grown
  // by half, so a long token costs linear time, not quadratic. Holding longer is always safe.
  #openAt(delta: string): number {
    if (this.#open.length === 0) return -1;
    const from = this.#emitted;
    if (this.#openFound >= from && TOKEN_RUN.test(delta) && this.#raw.length - this.#openScanned < Math.max(64, (this.#openScanned - from) / 2)) return this.#openFound;
    this.#openScanned = this.#raw.length;
    const tail = this.#raw.slice(from);
    const folded = needsFold(tail) ? fold(tail) : undefined;
    let at = -1;
    for (const openAt of this.#open) {
      let p = openAt(this.#raw, from);
      const q = folded === undefined ? -1 : openAt(folded.text, 0);
      if (q >= 0 && (p < 0 || from + folded!.start[q]! < p)) p = from + folded!.start[q]!;
      if (p >= 0 && (at < 0 || p < at)) at = p;
    }
    this.#openFound = at;
    return at;
  }

  /** The rest of the answer, redacted; the whole answer is decided and recorded here. Throws PolicyDeniedError on deny. */
  async end(step?: StepOutcome): Promise<string> {
    if (this.#ended) return "";
    this.#ended = true;
    await guardText(this.#scope, "output", this.#raw, step);
    return this.#text(this.#raw.slice(this.#emitted));
  }

  /** The whole raw answer so far. */
  get text(): string {
    return this.#raw;
  }

  // The piece after transforms; a deny of any piece ends the stream.
  #text(piece: string): string {
    const d = peekInside(this.#scope, "output", { output: { text: piece } });
    if (d.decision === "deny" && this.#scope.core.mode === "enforce") {
      this.#ended = true;
      // The answer so far is what was denied: record that decision, then end the stream.
      const recorded = checkInside(this.#scope, "output", { output: { text: this.#raw } });
      const decision = recorded.decision === "deny" ? recorded : d;
      throw new PolicyDeniedError(decision, "output", undefined, "deny", denialMessage(decision, "denied by policy"));
    }
    const out = ((d.payload as { output?: { text?: unknown } }).output)?.text;
    return this.#scope.core.mode === "enforce" && typeof out === "string" ? out : piece;
  }
}

// Characters that continue every unbounded token (base64, base64url, JWT dots) and line breaks.
const TOKEN_RUN = /^[A-Za-z0-9+/=_.\-\r\n]*$/;

function highSurrogateAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}
