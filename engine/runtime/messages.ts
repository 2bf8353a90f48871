// Rule messages may quote the input (`deny "will not post {tool.args.body}"`), and a decision's
// audit entry holds both the input and every message: an input just under the service's 40 KiB
// limit, quoted by two rules, made an entry past the log's 64 KiB, and every such decision was
// refused with 503 (in the SDK, recording failed and the guard then refused every action). The
// policy set therefore cuts a decision's messages to a bound when it decides, so the answer, the
// entry and the console say the same; the cut says how much it left out.
import type { Decision } from "./decision.ts";

/** Most characters kept of one message (a reason's, a warning's or a rule error's). */
export const MAX_MESSAGE_CHARS = 1000;
/**
 * Most characters kept of all of a decision's messages together. At six bytes a character (a
 * control character's JSON escape) they take at most 12 KiB of the 24 KiB the entry has beside
 * its input.
 */
export const MAX_MESSAGES_CHARS = 2000;

function cut(message: string, keep: number): string {
  // Never between the halves of a surrogate pair: the log refuses a lone one.
  const at = keep > 0 && message.charCodeAt(keep - 1) >= 0xd800 && message.charCodeAt(keep - 1) <= 0xdbff ? keep - 1 : keep;
  return `${message.slice(0, at)}… [${message.length - at} more characters]`;
}

/** `d` with its messages cut to MAX_MESSAGE_CHARS each and MAX_MESSAGES_CHARS in all; `d` itself when they fit. */
export function boundMessages(d: Decision): Decision {
  let total = 0;
  let long = false;
  for (const list of [d.reasons, d.warnings, d.errors]) {
    for (const r of list) {
      const n = r.message?.length ?? 0;
      total += n;
      if (n > MAX_MESSAGE_CHARS) long = true;
    }
  }
  if (!long && total <= MAX_MESSAGES_CHARS) return d;
  let left = MAX_MESSAGES_CHARS;
  const bound = <T extends { readonly message?: string }>(r: T): T => {
    if (r.message === undefined) return r;
    const keep = Math.min(MAX_MESSAGE_CHARS, left);
    if (r.message.length <= keep) {
      left -= r.message.length;
      return r;
    }
    left -= keep;
    return { ...r, message: cut(r.message, keep) };
  };
  return { ...d, reasons: d.reasons.map(bound), warnings: d.warnings.map(bound), errors: d.errors.map(bound) };
}
