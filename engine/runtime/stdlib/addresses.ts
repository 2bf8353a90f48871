// Address lists (issue 16, case 3): where an agent sends mail, as mail libraries accept it. A
// recipient field may be one address, an RFC 5322 list (`a@x.com, "Bob" <b@y.com>; c@z.com`),
// a group (`Team: a@x.com, b@y.com;`), a list of any of those, or objects with the address in a
// field (`{ "email": ... }`, `{ "emailAddress": { "address": ... } }`). `domain()` alone reads
// after the last `@` of the whole text, so `"thief@gmail.com, nurse@clinic.example"` looked like
// the clinic; these builtins find every address instead.
//
// Fail closed: the parse over-approximates, so that a rule asking "does any recipient leave the
// organisation" cannot be walked around by how the field is spelled:
// - text is read after NFKC (a full-width `＠` or `．` is the `@` or `.` a mail system may make of it);
// - an address anywhere outside quotes and comments is a recipient, also in an unquoted display
//   name (`thief@gmail.com <nurse@clinic.example>` gives both);
// - every `@` of a token names a domain (`a@evil.com@clinic.example`, source routes
//   `@evil.com:a@b.com`), and so does each `%` relay of a local part (`a%evil.com@clinic.example`);
// - in `domains`, a recipient that names no domain at all (`+1 555 0100`, `evil.com/upload`
//   without a scheme, a number) is returned as written (lower-cased): it is never a trusted domain;
// - a value nested deeper than `MAX_DEPTH` is an error (the rule errors, `on_error` decides),
//   never a recipient silently left out.
// Addresses are lower-cased (domains are case-insensitive, and mailbox names almost always are).
import { PolicyRuntimeError } from "./errors.ts";
import { domainOf } from "./strings.ts";
import { isObject, type BuiltinImpl, type Value } from "./values.ts";

/**
 * Object fields that say where a message goes (`to`, `cc`, `toRecipients`, `recipient_email`,
 * `webhook_url`, `forwardTo`...), read as recipients at any depth; compared lower-cased without
 * `-` and `_`. A value with none of them is scanned whole for addresses and URLs (a misspelt
 * field hides nothing).
 */
const RECIPIENT_KEY = /^(?:to|cc|bcc|(?:to|cc|bcc)(?:list|recipients?|addresse?s?)|(?:send|forward|reply)to)$|(?:e?mails?|addr|address(?:es)?|recipients?|urls?|uri|href|endpoints?|webhooks?|destinations?)$/;

/** How deep `addresses` looks into nested lists and objects. */
const MAX_DEPTH = 16;

interface Found {
  /** The builtin reading (for its errors). */
  readonly name: string;
  readonly addresses: string[];
  readonly domains: string[];
}

/** NFKC, and the ideographic full stops IDNA reads as dots. */
function normalise(s: string): string {
  return s.normalize("NFKC").replace(/[\u3002\uff61]/g, ".");
}

/** The domains one `@` token names: after each `@`, and after each `%` relay of the local part. */
function tokenDomains(token: string, out: string[]): void {
  const parts = token.split("@");
  for (let i = 1; i < parts.length; i++) {
    const d = domainOf(`@${parts[i]}`);
    if (d !== null) out.push(d);
  }
  const relays = parts[0].split("%");
  for (let i = 1; i < relays.length; i++) {
    const d = domainOf(relays[i]);
    if (d !== null) out.push(d);
  }
}

/** Quoted strings and comments blanked out (their text is no recipient), or null when one is left open. */
function withoutQuotes(s: string): string | null {
  let plain = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && (quoted || depth > 0)) {
      i++;
      plain += "  ";
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      plain += " ";
    } else if (depth > 0) {
      if (c === "(") depth++;
      else if (c === ")") depth--;
      plain += " ";
    } else if (c === '"') {
      quoted = true;
      plain += " ";
    } else if (c === "(") {
      depth = 1;
      plain += " ";
    } else plain += c;
  }
  return quoted || depth > 0 ? null : plain;
}

/**
 * One recipient string. `strict`: the string is in a recipient's place, so each of its pieces
 * (between `,` `;` and line breaks) must name a domain, or is returned as an unresolved one.
 */
function readText(raw: string, found: Found, strict: boolean): void {
  const s = normalise(raw);
  // An unterminated quote or comment hides nothing: its text is read too (fail closed).
  const plain = withoutQuotes(s) ?? s;
  for (const piece of plain.split(/[,;\r\n]+/)) {
    const before = found.domains.length;
    for (const word of piece.split(/[\s<>()"[\]\\]+/)) {
      if (word.includes("://")) {
        const d = domainOf(word);
        if (d !== null) found.domains.push(d);
      }
      for (const part of word.split(/[:]+/)) {
        const t = part.replace(/^mailto$/i, "").replace(/^[.'`]+|[.'`]+$/g, "");
        const at = t.indexOf("@");
        if (at < 0 || t.startsWith("//")) continue;
        const last = t.lastIndexOf("@");
        if (at > 0 && last < t.length - 1) found.addresses.push(t.toLowerCase());
        tokenDomains(t, found.domains);
      }
    }
    if (!strict || found.domains.length > before) continue;
    const text = piece.trim();
    // A group's label with no member (`Undisclosed recipients:`) sends nowhere.
    if (text === "" || /^[^:@]*:\s*$/.test(text)) continue;
    // A bare host, or a host with a path (`evil.com/upload`), is where it goes.
    const host = /^[^\s/?#@]+/.exec(text)?.[0];
    const d = host !== undefined && !/\s/.test(text) ? domainOf(host) : null;
    found.domains.push(d ?? text.toLowerCase());
  }
}

const isRecipientKey = (k: string): boolean => RECIPIENT_KEY.test(k.toLowerCase().replace(/[-_]/g, ""));

/** Whether `v` has a field that says where it goes, at any depth. */
function namesRecipients(v: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH || typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) return v.some((x) => namesRecipients(x, depth + 1));
  return Object.entries(v).some(([k, x]) => isRecipientKey(k) || namesRecipients(x, depth + 1));
}

/**
 * Reads `v`. `strict`: `v` is in a recipient's place (a value that names no domain there is
 * returned as written). `within`: an enclosing object names its recipients, so fields that do
 * not are no recipients (a message's body is not one); an object naming none, outside such an
 * object, is scanned whole for addresses and URLs.
 */
function collect(v: unknown, found: Found, depth: number, strict: boolean, within: boolean): void {
  if (v === null || v === undefined) return;
  if (depth > MAX_DEPTH) {
    throw new PolicyRuntimeError(`${found.name}: a recipient value is nested deeper than ${MAX_DEPTH} levels`, "runtime/input-too-large");
  }
  if (typeof v === "string") readText(v, found, strict);
  else if (Array.isArray(v)) for (const x of v) collect(x, found, depth + 1, strict, within);
  else if (isObject(v as Value)) {
    const before = found.domains.length;
    const named = namesRecipients(v, 0);
    if (!named && (strict || !within)) {
      for (const x of Object.values(v)) collect(x, found, depth + 1, false, false);
    } else {
      for (const [k, x] of Object.entries(v)) {
        if (isRecipientKey(k)) collect(x, found, depth + 1, true, true);
        else if (typeof x === "object" && x !== null) collect(x, found, depth + 1, false, true);
      }
    }
    if (strict && found.domains.length === before) found.domains.push(JSON.stringify(v).toLowerCase());
  } else if (strict) found.domains.push(String(v).toLowerCase());
}

function find(name: string, v: unknown): Found {
  const found: Found = { name, addresses: [], domains: [] };
  collect(v, found, 0, !isObject(v as Value), false);
  return found;
}

/** The addresses a recipient value names, lower-cased, each once, in order of appearance. */
export function addressesOf(v: unknown): string[] {
  return [...new Set(find("addresses", v).addresses)];
}

/**
 * The domains a recipient value reaches, lower-cased, each once: each address's domains, each
 * URL's host, and each recipient that names no domain, as written.
 */
export function domainsOf(v: unknown): string[] {
  return [...new Set(find("domains", v).domains)];
}

/** `addresses(x)` and `domains(x)`. */
export const ADDRESS_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  addresses: (x) => addressesOf(x) as Value,
  domains: (x) => domainsOf(x) as Value,
};
