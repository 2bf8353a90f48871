// Provenance (issue 24, spec/provenance.md): where the values an agent acts on came from. A
// session's `session.sources` lists, oldest first, every text the agent was given: the user's
// own messages (`{ source: "input", content }`) and each tool result it read (`{ source:
// "<tool name>", content }`); the SDK and the service append to it. These builtins index that
// list and ask of a value whether it came from the user, or only from content nobody vouched for.
//
// What is indexed, per source: every string the content holds, whole and split into tokens,
// and every number, each normalised (case, Unicode compatibility forms, surrounding quotes and
// punctuation, a URL's scheme, `www.` and final slash, a number's currency sign and thousands
// separators). A value is looked up whole and, for a longer text, by the tokens in it that look
// like values (an address, a URL, an IBAN, a file name, an amount: a token with a digit, an `@`,
// a dot or a slash inside): the words of a summary are not values, so a body that retells
// untrusted content in its own words is not flagged, while one that carries an attacker's
// address or link is. A value that was never seen anywhere (one the agent made up) is neither
// from the user nor from untrusted content.
//
// Each value keeps the labels of the sources it was seen in: `input`, a tool's name, or
// `tool.field` for a string or number under an object key of a structured result (the nearest
// key), so a policy may trust a tool whole (`"list_files"`) or one field of its records
// (`"list_files.id_"`).
//
// Cost: the index of a sources list is built once and then extended as the list grows (the SDK
// and the service append to one live list), so a decision pays for the value it asks about.
import { asList, isObject, typeError, type BuiltinImpl, type Value } from "./values.ts";

/** The label of the user's own messages. */
export const USER_SOURCE = "input";

/** Longest string indexed (and looked up) whole; longer ones only by their tokens. */
const MAX_WHOLE = 1_000;
/** Longest token indexed. */
const MAX_TOKEN = 256;
/** How deep content is walked (inputs are bounded, this bounds the work). */
const MAX_DEPTH = 32;

interface Index {
  /** How many entries of the list are indexed. */
  size: number;
  /** Normalised value -> labels of the sources it was seen in. */
  readonly values: Map<string, Set<string>>;
  /** The user's messages, normalised, for phrase lookups. */
  readonly userTexts: string[];
}

const indexes = new WeakMap<readonly Value[], Index>();

const NUMBER = /^[-+]?[$€£¥]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const WORD = /[\p{L}\p{N}]/u;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;

/** A string as provenance compares it: NFKC, lower case, white space collapsed, wrapping punctuation, URL scheme and `www.` dropped, numbers canonical. */
export function normalise(s: string): string {
  let t = s.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  t = t.replace(/^[\s"'`([{<]+/, "").replace(/[\s"'`)\]}>.,;:!?]+$/, "");
  if (t.startsWith("mailto:")) t = t.slice(7);
  if (SCHEME.test(t)) t = t.replace(SCHEME, "");
  if (t.startsWith("www.") && t.length > 4) t = t.slice(4);
  if (t.length > 1 && t.endsWith("/") && !t.includes(" ")) t = t.slice(0, -1);
  if (NUMBER.test(t)) {
    const n = Number(t.replace(/[$€£¥,+]/g, ""));
    if (Number.isFinite(n)) return String(n);
  }
  return t;
}

/** The canonical text of a number value. */
function numberKey(n: number): string {
  return String(n === 0 ? 0 : n);
}

/** The raw tokens of a text: runs between white space, brackets, quotes and separators; commas split all but numbers. */
function rawTokens(s: string): string[] {
  const out: string[] = [];
  for (const piece of s.split(/[\s<>()[\]{}"'`|;\\]+/)) {
    if (piece === "") continue;
    const bare = piece.replace(/^[.,:!?*]+|[.,:!?*]+$/g, "");
    if (bare === "") continue;
    if (bare.includes(",") && !NUMBER.test(bare)) {
      for (const p of bare.split(",")) if (p !== "") out.push(p);
    } else out.push(bare);
  }
  return out;
}

/** Whether a token looks like a value rather than a word: a digit, an `@`, or a dot, slash or colon between characters. */
function valueLike(token: string): boolean {
  return /[\p{N}@]/u.test(token) || /[^./:][./:][^./:]/.test(token);
}

function add(values: Map<string, Set<string>>, key: string, label: string): void {
  if (key === "" || key.length > MAX_WHOLE) return;
  let labels = values.get(key);
  if (labels === undefined) values.set(key, (labels = new Set()));
  labels.add(label);
}

function indexString(ix: Index, s: string, label: string): void {
  if (s.length <= MAX_WHOLE) add(ix.values, normalise(s), label);
  for (const t of rawTokens(s)) if (t.length <= MAX_TOKEN) add(ix.values, normalise(t), label);
}

function indexContent(ix: Index, v: Value, base: string, key: string | null, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const label = key === null || base === USER_SOURCE ? base : `${base}.${key}`;
  if (typeof v === "string") {
    indexString(ix, v, label);
    if (base === USER_SOURCE) ix.userTexts.push(` ${normalise(v)} `);
  } else if (typeof v === "number") add(ix.values, numberKey(v), label);
  else if (Array.isArray(v)) for (const x of v) indexContent(ix, x, base, key, depth + 1);
  else if (isObject(v)) for (const k of Object.keys(v)) indexContent(ix, v[k], base, k, depth + 1);
}

/** The index of a sources list, extended to its current length. Entries that are not `{ source, content }` are indexed as untrusted content of an unnamed source. */
function indexOf(fn: string, sources: Value): Index {
  const list = asList(fn, 2, sources);
  let ix = indexes.get(list);
  if (ix === undefined || ix.size > list.length) {
    ix = { size: 0, values: new Map(), userTexts: [] };
    indexes.set(list, ix);
  }
  for (; ix.size < list.length; ix.size++) {
    const entry = list[ix.size];
    const source = isObject(entry) && typeof entry.source === "string" && entry.source !== "" ? entry.source : "?";
    indexContent(ix, isObject(entry) && "content" in entry ? entry.content : entry, source, null, 0);
  }
  return ix;
}

/** The keys a value is looked up by: each string whole, plus its value-like tokens when it is longer than one token; each number. */
function candidates(v: Value, out: string[], depth = 0): string[] {
  if (depth > MAX_DEPTH) return out;
  if (typeof v === "string") {
    const whole = normalise(v);
    if (whole !== "" && whole.length <= MAX_WHOLE) out.push(whole);
    const tokens = rawTokens(v);
    if (tokens.length > 1 || (tokens.length === 1 && normalise(tokens[0]) !== whole)) {
      for (const t of tokens) if (t.length <= MAX_TOKEN && valueLike(t)) out.push(normalise(t));
    }
  } else if (typeof v === "number") out.push(numberKey(v));
  else if (Array.isArray(v)) for (const x of v) candidates(x, out, depth + 1);
  else if (isObject(v)) for (const k of Object.keys(v)) candidates(v[k], out, depth + 1);
  return out;
}

function trustedLists(fn: string, lists: readonly Value[]): string[] {
  const out: string[] = [];
  lists.forEach((l, i) => {
    if (l === null) return;
    for (const t of asList(fn, i + 3, l)) {
      if (typeof t !== "string") throw typeError(fn, i + 3, "a list of strings", l);
      out.push(t);
    }
  });
  return out;
}

function trusts(label: string, trusted: readonly string[]): boolean {
  if (label === USER_SOURCE) return true;
  for (const t of trusted) if (label === t || (label.length > t.length && label.startsWith(t) && label[t.length] === ".")) return true;
  return false;
}

/**
 * `from_untrusted(value, sources, trusted...)`: whether some value in `value` was seen in the
 * session's content and only in content that is neither the user's nor from a trusted source.
 */
export function fromUntrusted(value: Value, sources: Value, ...trusted: Value[]): boolean {
  if (value === null) return false;
  const ix = indexOf("from_untrusted", sources);
  const trust = trustedLists("from_untrusted", trusted);
  for (const c of candidates(value, [])) {
    const labels = ix.values.get(c);
    if (labels === undefined) continue;
    let vouched = false;
    for (const l of labels) {
      if (trusts(l, trust)) {
        vouched = true;
        break;
      }
    }
    if (!vouched && !inUserText(ix, c)) return true;
  }
  return false;
}

/** Whether a normalised value is a phrase of one of the user's messages (at word boundaries). */
function inUserText(ix: Index, n: string): boolean {
  for (const text of ix.userTexts) {
    let at = text.indexOf(n);
    while (at >= 0) {
      const before = text[at - 1];
      const after = text[at + n.length];
      if (!(before !== undefined && WORD.test(before)) && !(after !== undefined && WORD.test(after))) return true;
      at = text.indexOf(n, at + 1);
    }
  }
  return false;
}

function userGave(ix: Index, v: Value, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (typeof v === "string") {
    const n = normalise(v);
    if (n === "") return false;
    return ix.values.get(n)?.has(USER_SOURCE) === true || inUserText(ix, n);
  }
  if (typeof v === "number") return ix.values.get(numberKey(v))?.has(USER_SOURCE) === true;
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => userGave(ix, x, depth + 1));
  if (isObject(v)) {
    const keys = Object.keys(v);
    return keys.length > 0 && keys.every((k) => userGave(ix, v[k], depth + 1));
  }
  return false;
}

/** `from_user(value, sources)`: whether every value in `value` was given by the user (a phrase of one of their messages). */
export function fromUser(value: Value, sources: Value): boolean {
  if (value === null) return false;
  return userGave(indexOf("from_user", sources), value, 0);
}

/** `origins(value, sources)`: the labels of every source some value in `value` was seen in, sorted. */
export function origins(value: Value, sources: Value): string[] {
  const ix = indexOf("origins", sources);
  if (value === null) return [];
  const out = new Set<string>();
  for (const c of candidates(value, [])) for (const l of ix.values.get(c) ?? []) out.add(l);
  return [...out].sort();
}

/** The provenance builtins, by name. */
export const PROVENANCE_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  from_untrusted: (value, sources, ...trusted) => fromUntrusted(value, sources, ...trusted),
  from_user: (value, sources) => fromUser(value, sources),
  origins: (value, sources) => origins(value, sources) as Value,
};
