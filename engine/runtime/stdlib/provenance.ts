// Provenance (issue 24, spec/provenance.md): where the values an agent acts on came from. A
// session's `session.sources` lists, oldest first, every text the agent was given: the user's
// own messages (`{ source: "input", content }`) and each tool result it read (`{ source:
// "<tool name>", content, args }`, `args` being the call's arguments); the SDK and the service
// append to it. These builtins index that list and ask of a value whether it came from the
// user, from a source the policy vouches for, or only from content nobody vouched for.
//
// What is indexed, per source: every string the content holds, whole and split into tokens,
// and every number, each normalised (case, Unicode compatibility forms, surrounding quotes and
// punctuation, a URL's scheme, `www.` and final slash, a number's currency sign and thousands
// separators); a token that decodes as base64 or percent-encoding is indexed decoded as well.
// Each source's strings are also kept as text, to find a value copied inside a longer text (a
// phrase) and, squashed to its letters and digits, a value split by spaces, quotes, dashes or
// spelled "at"/"dot" (an address written `mark dot b at evil dot com`).
//
// A value is looked up whole and, for a longer text, by the tokens in it that look like values
// (an address, a URL, an IBAN, a file name, an amount: a token with a digit, an `@`, a dot or a
// slash inside): the words of a summary are not values, so a body that retells untrusted
// content in its own words is not flagged, while one that carries an attacker's address or
// link is.
//
// Each occurrence keeps the label of its source: `input`, a tool's name, or `tool.field` for a
// string or number under an object key of a structured result (the nearest key), so a policy
// may trust a tool whole (`"list_files"`) or one field of its records (`"list_files.id_"`). A
// trusted tool's result is not vouched for when the call that produced it was itself driven by
// untrusted content (an argument from_untrusted): content laundered through a second call
// keeps its provenance.
//
// A string of a source other than the user's that gives the agent orders (instructions.ts: an
// injection, told by its form) is also kept apart: `instructed` asks which parts of a value (its
// names, values and five-word runs) such a string named, for the injections whose values a
// trusted source also holds or that only want a sentence in the answer.
//
// Cost: the index of a sources list is built once and then extended as the list grows (the SDK
// and the service append to one live list), so a decision pays for the value it asks about;
// text scans run only for a value the exact index does not vouch for.
import { carriesInstructions } from "./instructions.ts";
import { asList, isObject, typeError, type BuiltinImpl, type Value } from "./values.ts";

/** The label of the user's own messages. */
export const USER_SOURCE = "input";

/** Longest string indexed (and looked up) whole; longer ones only by their tokens. */
const MAX_WHOLE = 1_000;
/** Longest token indexed. */
const MAX_TOKEN = 256;
/** How deep content is walked (inputs are bounded, this bounds the work). */
const MAX_DEPTH = 32;
/** Longest string whose tokens a trusted source vouches for (a field's value, not free text). */
const MAX_SHORT = 100;
/** Shortest squashed value searched for inside squashed texts (shorter ones match by chance). */
const MIN_SQUASHED = 8;

/** Where a value was seen: the position of its source in the list, and the source's label. */
interface Occurrence {
  readonly at: number;
  readonly label: string;
  /** A value of the source (a string or number of the content, a line of a text, an object key, a token of a short one-line string), not a token of its free text. */
  readonly whole: boolean;
}

/** The strings one source gave under one label, as searchable text. */
interface Text {
  readonly at: number;
  readonly label: string;
  /** Always false: a value found inside a text is part of it, not a whole value. */
  readonly whole: false;
  /** Normalised strings, each wrapped in spaces, joined. */
  text: string;
  /** The same, de-obfuscated and squashed to letters and digits. */
  squashed: string;
}

interface Index {
  /** How many entries of the list are indexed. */
  size: number;
  /** Normalised value -> where it was seen. */
  readonly values: Map<string, Occurrence[]>;
  readonly texts: Text[];
  /** Each source's call arguments (undefined for the user's messages and results without them). */
  readonly args: (Value | undefined)[];
  /** Per trusted-list key, per source position: whether its call was driven by untrusted content. */
  readonly laundered: Map<string, Map<number, boolean>>;
  /** The strings of sources other than the user's that carry instructions to the agent (instructions.ts), normalised. */
  readonly instructing: { readonly at: number; readonly label: string; readonly text: string }[];
}

const indexes = new WeakMap<readonly Value[], Index>();

const NUMBER = /^[-+]?[$€£¥]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const WORD = /[\p{L}\p{N}]/u;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;
const BASE64 = /^[A-Za-z0-9+/_-]{8,}={0,2}$/;
// Base64 of text mixes cases or digits; a plain word (all lower case, or capitalised) is never decoded.
const PLAIN_WORD = /^[A-Z]?[a-z]+$|^[A-Z]+$/;
const ASCII = /^[\x00-\x7f]*$/;
// A token normalise() leaves as it is: lower-case letters, then letters, digits, `-`, `_` (no number, URL or case to fold).
const SIMPLE = /^[a-z][a-z0-9_-]*$/;
const PRINTABLE = /^[\x20-\x7e\u00a0-\uffff\t\n\r]+$/;

/** A string as provenance compares it: NFKC, lower case, white space collapsed, wrapping punctuation, URL scheme and `www.` dropped, numbers canonical. */
export function normalise(s: string): string {
  let t = (ASCII.test(s) ? s : s.normalize("NFKC")).toLowerCase().replace(/\s+/g, " ").trim();
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

/** A normalised text reduced to its letters and digits, "at" and "dot" spelled out between words dropped (how a split or obfuscated value is found). */
function squash(n: string): string {
  return n.replace(/[\s([]+(?:at|dot)[\s)\]]+/g, " ").replace(/[^\p{L}\p{N}]+/gu, "");
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

/** What a token says when it is base64 or percent-encoded printable text, else undefined. */
function decoded(token: string): string | undefined {
  let out: string | undefined;
  if (/%[0-9a-f]{2}/i.test(token)) {
    try {
      out = decodeURIComponent(token);
    } catch {
      out = undefined;
    }
  } else if (token.length >= 8 && !PLAIN_WORD.test(token) && BASE64.test(token) && !/^\d+$/.test(token)) {
    const text = Buffer.from(token.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    out = text.length >= 4 && PRINTABLE.test(text) && !text.includes("\ufffd") ? text : undefined;
  }
  return out === undefined || out === token ? undefined : out;
}

function add(ix: Index, key: string, at: number, label: string, whole: boolean): void {
  if (key === "" || key.length > MAX_WHOLE) return;
  let occ = ix.values.get(key);
  if (occ === undefined) ix.values.set(key, (occ = []));
  const last = occ[occ.length - 1];
  if (last === undefined || last.at !== at || last.label !== label) occ.push({ at, label, whole });
  else if (whole && !last.whole) occ[occ.length - 1] = { at, label, whole };
}

function textOf(ix: Index, at: number, label: string): Text {
  const last = ix.texts[ix.texts.length - 1];
  if (last !== undefined && last.at === at && last.label === label) return last;
  for (let i = ix.texts.length - 1; i >= 0 && ix.texts[i].at === at; i--) if (ix.texts[i].label === label) return ix.texts[i];
  const t: Text = { at, label, whole: false, text: "", squashed: "" };
  ix.texts.push(t);
  return t;
}

function indexString(ix: Index, s: string, at: number, label: string, depth: number): void {
  const whole = normalise(s);
  if (s.length <= MAX_WHOLE) add(ix, whole, at, label, true);
  // A text listing records, one a line (`Hotel Names: A\nB`): each line, and the value after a
  // `Label: `, is a whole value of the source.
  if (s.includes("\n")) {
    for (const line of s.split("\n")) {
      if (line.length > MAX_WHOLE) continue;
      add(ix, normalise(line), at, label, true);
      const colon = line.indexOf(": ");
      if (colon > 0) add(ix, normalise(line.slice(colon + 2)), at, label, true);
    }
  }
  const t = textOf(ix, at, label);
  t.text += ` ${whole} `;
  t.squashed += ` ${squash(whole)}`;
  if (label !== USER_SOURCE && carriesInstructions(s)) ix.instructing.push({ at, label, text: ` ${whole} ` });
  // The tokens of a short value (an address, a name: a field, not free text) are values of the
  // source too; those of a long text are not (a trusted tool listing an attacker-named channel).
  const short = s.length <= MAX_SHORT && !s.includes("\n");
  const done = new Set<string>();
  for (const raw of rawTokens(s)) {
    if (raw.length > MAX_TOKEN || done.has(raw)) continue;
    done.add(raw);
    add(ix, SIMPLE.test(raw) ? raw : normalise(raw), at, label, short);
    const plain = depth < 2 ? decoded(raw) : undefined;
    if (plain !== undefined) indexString(ix, plain, at, label, depth + 1);
  }
}

function indexContent(ix: Index, v: Value, at: number, base: string, key: string | null, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const label = key === null || base === USER_SOURCE ? base : `${base}.${key}`;
  if (typeof v === "string") indexString(ix, v, at, label, 0);
  else if (typeof v === "number") {
    add(ix, numberKey(v), at, label, true);
    const t = textOf(ix, at, label);
    t.text += ` ${numberKey(v)} `;
  } else if (Array.isArray(v)) for (const x of v) indexContent(ix, x, at, base, key, depth + 1);
  else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      // A key can be data (`{ "Good Night": "15 Rue Cler" }`): a whole value too.
      if (k.length <= MAX_TOKEN) add(ix, normalise(k), at, label, true);
      indexContent(ix, v[k], at, base, k, depth + 1);
    }
  }
}

/** The index of a sources list, extended to its current length. Entries that are not `{ source, content }` are indexed as untrusted content of an unnamed source. */
function indexOf(fn: string, sources: Value): Index {
  const list = asList(fn, 2, sources);
  let ix = indexes.get(list);
  if (ix === undefined || ix.size > list.length) {
    ix = { size: 0, values: new Map(), texts: [], args: [], laundered: new Map(), instructing: [] };
    indexes.set(list, ix);
  }
  for (; ix.size < list.length; ix.size++) {
    const entry = list[ix.size];
    const named = isObject(entry) && typeof entry.source === "string" && entry.source !== "";
    const source = named ? (entry.source as string) : "?";
    ix.args.push(isObject(entry) && source !== USER_SOURCE && entry.args !== undefined && entry.args !== null ? entry.args : undefined);
    indexContent(ix, isObject(entry) && "content" in entry ? entry.content : entry, ix.size, source, null, 0);
  }
  return ix;
}

/**
 * A value's candidates: each string whole (`whole`) and, when longer than one token, its
 * value-like tokens; each number. A whole string of one or two plain words (`weak`: "Alice",
 * "thanks") names a target but says nothing about where a message's content came from.
 */
interface Candidate {
  readonly key: string;
  readonly whole: boolean;
  readonly weak: boolean;
}

/** A number of up to six digits (a rating, a price, a postcode): what a message quotes, not an account or an address. */
const SMALL_NUMBER = /^-?\d{1,6}(\.\d+)?$/;

/** Whether a normalised whole string is one or two plain words. */
function isWeak(key: string): boolean {
  return !valueLike(key) && key.split(" ").length < 3;
}

function candidates(v: Value, out: Candidate[], depth = 0): Candidate[] {
  if (depth > MAX_DEPTH) return out;
  if (typeof v === "string") {
    const whole = normalise(v);
    if (whole !== "" && whole.length <= MAX_WHOLE) out.push({ key: whole, whole: true, weak: isWeak(whole) });
    const tokens = rawTokens(v);
    if (tokens.length > 1 || (tokens.length === 1 && normalise(tokens[0]) !== whole)) {
      for (const t of tokens) if (t.length <= MAX_TOKEN && valueLike(t)) out.push({ key: normalise(t), whole: false, weak: false });
    }
  } else if (typeof v === "number") out.push({ key: numberKey(v), whole: true, weak: false });
  else if (Array.isArray(v)) for (const x of v) candidates(x, out, depth + 1);
  else if (isObject(v)) for (const k of Object.keys(v)) candidates(v[k], out, depth + 1);
  return out;
}

/** Whether `needle` occurs in `text` with no letter or digit right before or after it. */
function phraseIn(text: string, needle: string): boolean {
  let at = text.indexOf(needle);
  while (at >= 0) {
    const before = text[at - 1];
    const after = text[at + needle.length];
    if (!(before !== undefined && WORD.test(before)) && !(after !== undefined && WORD.test(after))) return true;
    at = text.indexOf(needle, at + 1);
  }
  return false;
}

/** Whether a candidate occurs inside text `t`: as a phrase (a whole value), or squashed (a value-like one, split or obfuscated). */
function inText(t: Text, c: Candidate, sq: string): boolean {
  return (c.whole && phraseIn(t.text, c.key)) || (sq !== "" && t.squashed.includes(sq));
}

/** The squashed form a candidate is searched by, or "" when it is too short to be searched so. */
function squashedKey(c: Candidate): string {
  const sq = valueLike(c.key) ? squash(c.key) : "";
  return sq.length >= MIN_SQUASHED ? sq : "";
}

/** Where a candidate occurs inside the texts of sources before `before` (those whose label passes `only`, when given). */
function scanned(ix: Index, c: Candidate, before: number, only?: (t: Text) => boolean): Occurrence[] {
  const out: Occurrence[] = [];
  const sq = squashedKey(c);
  if (!c.whole && sq === "") return out;
  for (const t of ix.texts) {
    if (t.at >= before) break;
    if ((only === undefined || only(t)) && inText(t, c, sq)) out.push(t);
  }
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

/** How a candidate stands: vouched (the user or a trusted, not laundered, source), untrusted (seen only elsewhere), or unknown (seen nowhere). */
type Standing = "vouched" | "untrusted" | "unknown";

/** Provenance questions against one index, one trusted list and the sources before one position. */
class Asker {
  readonly #ix: Index;
  readonly #trusted: readonly string[];
  readonly #memo: Map<number, boolean>;

  constructor(ix: Index, trusted: readonly string[]) {
    this.#ix = ix;
    this.#trusted = trusted;
    const key = trusted.join("\u0000");
    let memo = ix.laundered.get(key);
    if (memo === undefined) ix.laundered.set(key, (memo = new Map()));
    this.#memo = memo;
  }

  // The user vouches for whatever their messages hold, a phrase or a token inside one; a trusted
  // source only for its whole values (a record's field, a line of a listing): a token inside a
  // trusted tool's free text (a channel name an attacker chose) is not vouched for.
  #vouches(o: Occurrence): boolean {
    if (o.label === USER_SOURCE) return true;
    return o.whole && trusts(o.label, this.#trusted) && !this.#laundered(o.at);
  }

  // Whether the call that produced source `at` had an argument from untrusted content (seen
  // only in sources before it): then even a trusted tool's result is not vouched for.
  #laundered(at: number): boolean {
    const known = this.#memo.get(at);
    if (known !== undefined) return known;
    const args = this.#ix.args[at];
    // Only sources before `at` are consulted: no cycle.
    const driven = args !== undefined && this.untrusted(args, at);
    this.#memo.set(at, driven);
    return driven;
  }

  // Vouched when an exact occurrence or a text of a vouching source holds it; otherwise
  // untrusted when an exact occurrence or (with `full`) any other text does. Only the vouching
  // sources' texts are scanned unless the answer needs to tell untrusted from unknown.
  standing(c: Candidate, before: number, full: boolean): Standing {
    let seen = false;
    for (const o of this.#ix.values.get(c.key) ?? []) {
      if (o.at >= before) break;
      if (this.#vouches(o)) return "vouched";
      seen = true;
    }
    if (scanned(this.#ix, c, before, (t) => this.#vouches(t)).length > 0) return "vouched";
    if (seen || !full) return seen ? "untrusted" : "unknown";
    return scanned(this.#ix, c, before).length > 0 ? "untrusted" : "unknown";
  }

  /** Whether some candidate of `value` (but a weak one) stands untrusted among the sources before `before`. */
  untrusted(value: Value, before: number): boolean {
    for (const c of candidates(value, [])) if (!c.weak && !SMALL_NUMBER.test(c.key) && this.standing(c, before, true) === "untrusted") return true;
    return false;
  }

  /** The value-like candidates of `value` (its tokens, or itself when it is one) not vouched for. */
  unvouched(value: Value, before: number): string[] {
    const out = new Set<string>();
    for (const c of candidates(value, [])) {
      if (c.weak || (c.whole && !valueLike(c.key)) || (c.whole && c.key.includes(" "))) continue;
      if (this.standing(c, before, false) !== "vouched") out.add(c.key);
    }
    return [...out].sort();
  }

  /** Whether `value` has candidates and every one is vouched for. */
  vouched(value: Value, before: number): boolean {
    const cs = candidates(value, []);
    return cs.length > 0 && cs.every((c) => this.standing(c, before, false) === "vouched");
  }
}

/**
 * `from_untrusted(value, sources, trusted...)`: whether some value in `value` was seen in the
 * session's content and only in content that is neither the user's nor from a trusted source
 * (or from a trusted tool whose call untrusted content drove).
 */
export function fromUntrusted(value: Value, sources: Value, ...trusted: Value[]): boolean {
  const ix = indexOf("from_untrusted", sources);
  const trust = trustedLists("from_untrusted", trusted);
  if (value === null) return false;
  return new Asker(ix, trust).untrusted(value, ix.size);
}

/**
 * `vouched(value, sources, trusted...)`: whether every value in `value` came from the user or a
 * trusted source; false for a value seen nowhere (its provenance is unknown: fail closed) and
 * for null, an empty string or an empty list.
 */
export function vouched(value: Value, sources: Value, ...trusted: Value[]): boolean {
  const ix = indexOf("vouched", sources);
  const trust = trustedLists("vouched", trusted);
  if (value === null) return false;
  return new Asker(ix, trust).vouched(value, ix.size);
}

/**
 * `unvouched(value, sources, trusted...)`: the value-like parts of `value` (addresses, URLs,
 * IBANs, numbers: its tokens, or itself when it is one), normalised, that neither the user nor a
 * trusted source gave: seen only in untrusted content, or nowhere.
 */
export function unvouched(value: Value, sources: Value, ...trusted: Value[]): string[] {
  const ix = indexOf("unvouched", sources);
  const trust = trustedLists("unvouched", trusted);
  if (value === null) return [];
  return new Asker(ix, trust).unvouched(value, ix.size);
}

function userGave(ix: Index, v: Value, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (typeof v === "string" || typeof v === "number") {
    const key = typeof v === "number" ? numberKey(v) : normalise(v);
    if (key === "") return false;
    if (ix.values.get(key)?.some((o) => o.label === USER_SOURCE) === true) return true;
    return ix.texts.some((t) => t.label === USER_SOURCE && phraseIn(t.text, key));
  }
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => userGave(ix, x, depth + 1));
  if (isObject(v)) {
    const keys = Object.keys(v);
    return keys.length > 0 && keys.every((k) => userGave(ix, v[k], depth + 1));
  }
  return false;
}

/** `from_user(value, sources)`: whether every value in `value` was given by the user (a phrase of one of their messages). */
export function fromUser(value: Value, sources: Value): boolean {
  const ix = indexOf("from_user", sources);
  if (value === null) return false;
  return userGave(ix, value, 0);
}

/** `origins(value, sources)`: the labels of every source some value in `value` was seen in, sorted. */
export function origins(value: Value, sources: Value): string[] {
  const ix = indexOf("origins", sources);
  if (value === null) return [];
  const out = new Set<string>();
  for (const c of candidates(value, [])) {
    for (const o of ix.values.get(c.key) ?? []) out.add(o.label);
    for (const o of scanned(ix, c, ix.size)) out.add(o.label);
  }
  return [...out].sort();
}

// A name in a text: capitalised words, with the small words names keep inside ("Bank of
// America", "Rue de Rivoli").
const NAME = /\p{Lu}[\p{L}\p{N}'’&-]*(?:\.[\p{L}\p{N}]+)*(?:[ \t\u00a0]+(?:(?:of|de|du|des|la|le|les|the|and|von|van|da|di|del|&)[ \t\u00a0]+)*\p{Lu}[\p{L}\p{N}'’&-]*(?:\.[\p{L}\p{N}]+)*)*/gu;
const SENTENCE_START = /[.!?:;\n][\s"'“(]*$|\n\s*[-*•]\s*$/;
/** Words in a row copied from a text: a sentence's worth, not a common phrase. */
const SHINGLE = 5;

/** The names in a text: each run of capitalised words (of two or more words, or one word not opening a sentence), normalised. */
function names(s: string, out: Set<string>): void {
  for (const m of s.matchAll(NAME)) {
    const words = m[0].split(/[ \t\u00a0]+/);
    const from = Math.max(0, m.index - 8);
    const before = s.slice(from, m.index);
    const opens = (from === 0 && before.trim() === "") || SENTENCE_START.test(before);
    const keep = (ws: string[]): void => {
      if (ws.length >= 2 || (ws.length === 1 && ws[0].length >= 3)) out.add(normalise(ws.join(" ")));
    };
    // A sentence's first word is capitalised anyway: alone it is no name, and a name may start after it.
    if (!opens || words.length >= 2) keep(words);
    if (opens) keep(words.slice(1));
  }
}

/**
 * What an answer or a call could have taken from a text: each string whole, its value-like
 * tokens (not a small number), its names, and its runs of five words; each number.
 */
function claimParts(v: Value, out: Set<string>, depth = 0): Set<string> {
  if (depth > MAX_DEPTH) return out;
  if (typeof v === "string") {
    const whole = normalise(v);
    if (whole.length <= MAX_WHOLE) out.add(whole);
    for (const t of rawTokens(v)) if (t.length <= MAX_TOKEN && valueLike(t) && !SMALL_NUMBER.test(normalise(t))) out.add(normalise(t));
    names(v, out);
    const words = whole.split(" ").map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "")).filter((w) => w !== "");
    for (let i = 0; i + SHINGLE <= words.length; i++) out.add(words.slice(i, i + SHINGLE).join(" "));
  } else if (typeof v === "number") out.add(numberKey(v));
  else if (Array.isArray(v)) for (const x of v) claimParts(x, out, depth + 1);
  else if (isObject(v)) for (const k of Object.keys(v)) claimParts(v[k], out, depth + 1);
  return out;
}

/**
 * `instructed(value, sources)`: the parts of `value` (a string whole, its value-like tokens, its
 * names and five-word runs; numbers), normalised, that a text instructing the agent named (a
 * string of a source other than the user's that carries instructions: instructions.ts) and the
 * user did not give: what an injection asked the agent to visit, delete, book or say.
 */
export function instructed(value: Value, sources: Value): string[] {
  const ix = indexOf("instructed", sources);
  if (value === null || ix.instructing.length === 0) return [];
  const out: string[] = [];
  for (const key of claimParts(value, new Set())) {
    if (key.length < 2 || !ix.instructing.some((t) => phraseIn(t.text, key))) continue;
    if (!userGave(ix, key, 0)) out.push(key);
  }
  return out.sort();
}

/** `instructing_sources(sources)`: the labels of the sources (never the user's) whose text carries instructions to the agent, sorted. */
export function instructingSources(sources: Value): string[] {
  if (sources === null) return [];
  const ix = indexOf("instructing_sources", sources);
  return [...new Set(ix.instructing.map((t) => t.label))].sort();
}

/** `carries_instructions(value)`: whether some string in `value` carries instructions addressed to the agent. */
export function carriesInstructionsIn(value: Value, depth = 0): boolean {
  if (typeof value === "string") return carriesInstructions(value);
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((x) => carriesInstructionsIn(x, depth + 1));
  if (isObject(value)) return Object.keys(value).some((k) => carriesInstructionsIn(value[k], depth + 1));
  return false;
}

/** The provenance builtins, by name. */
export const PROVENANCE_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  from_untrusted: (value, sources, ...trusted) => fromUntrusted(value, sources, ...trusted),
  vouched: (value, sources, ...trusted) => vouched(value, sources, ...trusted),
  unvouched: (value, sources, ...trusted) => unvouched(value, sources, ...trusted) as Value,
  from_user: (value, sources) => fromUser(value, sources),
  origins: (value, sources) => origins(value, sources) as Value,
  instructed: (value, sources) => instructed(value, sources) as Value,
  instructing_sources: (sources) => instructingSources(sources) as Value,
  carries_instructions: (value) => carriesInstructionsIn(value),
};
