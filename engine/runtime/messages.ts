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

/** The characters of the messages of `list`, or more than MAX_MESSAGES_CHARS when one of them is longer than MAX_MESSAGE_CHARS. */
function chars(list: readonly { readonly message?: string }[]): number {
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const n = list[i].message?.length ?? 0;
    if (n > MAX_MESSAGE_CHARS) return MAX_MESSAGES_CHARS + 1;
    total += n;
  }
  return total;
}

function cut(message: string, keep: number): string {
  // Never between the halves of a surrogate pair: the log refuses a lone one.
  const at = keep > 0 && message.charCodeAt(keep - 1) >= 0xd800 && message.charCodeAt(keep - 1) <= 0xdbff ? keep - 1 : keep;
  return `${message.slice(0, at)}… [${message.length - at} more characters]`;
}

/** `d` with its messages cut to MAX_MESSAGE_CHARS each and MAX_MESSAGES_CHARS in all; `d` itself when they fit. */
export function boundMessages(d: Decision): Decision {
  // Every decision passes here: most have no message at all, and the rest few and short.
  if (d.reasons.length === 0 && d.warnings.length === 0 && d.errors.length === 0) return d;
  const total = chars(d.reasons) + chars(d.warnings) + chars(d.errors);
  if (total <= MAX_MESSAGES_CHARS) return d;
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
