// `secret.jwt`: three base64url segments whose first decodes to a JSON object with an `alg`
// (what every JWS header has), which tells tokens from other dotted base64 such as file
// names or hashes. Header and claims both start with `{"` or `{ `, hence the `ey` prefixes.
// The segments' class excludes the dot that separates them, and the first is anchored by a
// negative lookbehind of that class, so the scan is linear.
import { decodeBase64Url } from "./checksums.ts";
import { isWord } from "./chars.ts";
import { detector, prefixOpen, regexExtent, regexScan, type Detector, type Span } from "./detector.ts";

const JWT = /(?<![A-Za-z0-9_-])ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;

// A header longer than this is not a JWS header (they hold a few short fields); refusing it
// bounds the JSON parse.
const MAX_HEADER = 4096;

/** True when `text[start, end)` is base64url that decodes to a JSON object with a string `alg`. */
export function isJwsHeader(text: string, start: number, end: number): boolean {
  if (end - start > MAX_HEADER) return false;
  const json = decodeBase64Url(text, start, end);
  if (json === null) return false;
  try {
    const header: unknown = JSON.parse(json);
    return typeof header === "object" && header !== null && typeof (header as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

function validJwt(text: string, m: RegExpExecArray, span: Span): boolean {
  const dot1 = text.indexOf(".", span.start);
  const dot2 = text.indexOf(".", dot1 + 1);
  // The claims segment must be a possible base64url length (a remainder of 1 never is).
  if ((dot2 - dot1 - 1) % 4 === 1 || (span.end - dot2 - 1) % 4 === 1) return false;
  return isJwsHeader(text, span.start, dot1);
}

/** `secret.jwt`. */
export const jwt: Detector = {
  ...detector(
    "secret.jwt",
    "A JSON Web Token: three base64url segments separated by dots, the first decoding to a JSON header with an `alg`.",
    regexScan(JWT, validJwt),
    regexExtent(JWT),
  ),
  // Open from its `ey` while base64url and dots follow.
  open: prefixOpen(["ey"], (c) => isWord(c) || c === 45 || c === 46),
};
