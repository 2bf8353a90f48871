// Address lists (issue 16, case 3): where an agent sends mail, as mail libraries accept it. A
// recipient field may be one address, an RFC 5322 list (`a@x.com, "Bob" <b@y.com>; c@z.com`),
// a group (`Team: a@x.com, b@y.com;`), a list of any of those, or objects with the address in a
// field (`{ "email": ... }`, `{ "emailAddress": { "address": ... } }`). `domain()` alone reads
// after the last `@` of the whole text, so `"thief@gmail.com, nurse@clinic.example"` looked like
// the clinic; these builtins find every address instead.
//
// Fail closed: the parse over-approximates. An address anywhere outside quotes and comments is
// a recipient, also in an unquoted display name (`thief@gmail.com <nurse@clinic.example>` gives
// both), so a rule asking "does any recipient leave the organisation" cannot be walked around
// by how the field is spelled. Addresses are lower-cased (domains are case-insensitive, and
// mailbox names almost always are in practice).
import { domainOf } from "./strings.ts";
import type { BuiltinImpl, Value } from "./values.ts";

/** Object fields that hold an address, looked at before any other field. */
const ADDRESS_FIELDS = ["email", "address", "addr", "mail", "email_address", "emailAddress", "emailaddress"];

/** How deep `addresses` looks into nested lists and objects (inputs are bounded, this bounds the work). */
const MAX_DEPTH = 16;

/** The `addr-spec`s in one piece of text that is not a quote or a comment: `local@domain` runs. */
function specsIn(text: string, out: string[]): void {
  // A run of characters that may form an address, split at white space, angle brackets and separators.
  for (const token of text.split(/[\s<>,;:()"[\]\\]+/)) {
    const t = token.replace(/^mailto:/i, "").replace(/^[.'`]+|[.'`]+$/g, "");
    const at = t.lastIndexOf("@");
    if (at <= 0 || at === t.length - 1) continue;
    out.push(t.toLowerCase());
  }
}

/** Every address in an address-list string: quoted strings and comments skipped, everything else scanned. */
function parseList(s: string, out: string[]): void {
  let plain = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && (quoted || depth > 0)) {
      i++;
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      plain += " ";
      continue;
    }
    if (depth > 0) {
      if (c === "(") depth++;
      else if (c === ")") depth--;
      plain += " ";
      continue;
    }
    if (c === '"') {
      quoted = true;
      plain += " ";
    } else if (c === "(") {
      depth = 1;
      plain += " ";
    } else plain += c;
  }
  // An unterminated quote or comment hides nothing: scan its text too (fail closed).
  if (quoted || depth > 0) specsIn(s, out);
  else specsIn(plain, out);
}

function collect(v: unknown, out: string[], depth: number): void {
  if (v === null || v === undefined || depth > MAX_DEPTH) return;
  if (typeof v === "string") parseList(v, out);
  else if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const named = ADDRESS_FIELDS.filter((k) => Object.hasOwn(o, k));
    // An object naming its address is read there; any other object is searched whole.
    if (named.length > 0) for (const k of named) collect(o[k], out, depth + 1);
    else for (const k of Object.keys(o)) collect(o[k], out, depth + 1);
  }
}

/** The addresses a recipient value names, lower-cased, each once, in order of appearance. */
export function addressesOf(v: unknown): string[] {
  const out: string[] = [];
  collect(v, out, 0);
  return [...new Set(out)];
}

/** The domains a recipient value reaches: each address's domain, and the host of each URL in it. */
export function domainsOf(v: unknown): string[] {
  const out: string[] = [];
  for (const a of addressesOf(v)) {
    const d = domainOf(a);
    if (d !== null) out.push(d);
  }
  // URLs (a webhook, an upload endpoint) reach a domain too.
  const hosts = (x: unknown, depth: number): void => {
    if (x === null || x === undefined || depth > MAX_DEPTH) return;
    if (typeof x === "string") {
      for (const part of x.split(/[\s,;<>"]+/)) {
        if (!part.includes("://")) continue;
        const d = domainOf(part);
        if (d !== null) out.push(d);
      }
    } else if (Array.isArray(x)) for (const y of x) hosts(y, depth + 1);
    else if (typeof x === "object") for (const y of Object.values(x as Record<string, unknown>)) hosts(y, depth + 1);
  };
  hosts(v, 0);
  return [...new Set(out)];
}

/** `addresses(x)` and `domains(x)`. */
export const ADDRESS_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  addresses: (x) => addressesOf(x) as Value,
  domains: (x) => domainsOf(x) as Value,
};
