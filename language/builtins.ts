// The one table of builtin functions. The checker reads it to resolve calls and check arity
// and argument types; both evaluators implement exactly these names; the reference docs are
// generated from the `doc` and `example` fields. Adding a builtin means adding a row here and
// an implementation in each evaluator (a test holds them in step).
//
// There is deliberately no clock: `time` is an input, so a decision depends only on its input.
// Functions are total where they can be: a `null` argument gives `null`, an argument of the
// wrong type at runtime makes the rule errored (LANGUAGE.md).
import { T, type BuiltinSignature, type Type } from "./types.ts";
import { JSONLOGIC_BUILTINS } from "./builtins-jsonlogic.ts";

/**
 * A row of the table. `returnsElementOf` / `returnsTypeOf` give a return type that depends on an
 * argument (`first(xs)` returns an element of `xs`); the checker uses them to keep types precise.
 */
export interface Builtin extends BuiltinSignature {
  /** The return type is the element type of the list given as this argument (0-based). */
  readonly returnsElementOf?: number;
  /** The return type is the type of this argument (0-based). */
  readonly returnsTypeOf?: number;
}

const str = T.string;
const num = T.number;
const anyList = T.list(T.any);
const numOrList = T.union(T.number, T.list(T.number));

function fn(name: string, params: [string, Type][], returns: Type, doc: string, example: string, extra: Partial<Builtin> = {}): Builtin {
  return { name, params: params.map(([n, type]) => ({ name: n, type })), returns, doc, example, ...extra };
}

/** The core standard library, grouped by family in the order the reference lists them. */
export const CORE_BUILTINS: readonly Builtin[] = [
  // strings
  fn("lower", [["s", str]], str, "The string in lower case (Unicode default case mapping).", `lower("ACME") == "acme"`),
  fn("upper", [["s", str]], str, "The string in upper case (Unicode default case mapping).", `upper("eu") == "EU"`),
  fn("trim", [["s", str]], str, "The string without leading and trailing white space.", `trim("  hi ") == "hi"`),
  fn("len", [["x", T.union(str, anyList, T.object({}, true))]], num, "The length of a string (in Unicode code points), a list, or an object (its number of keys).", `len("abc") == 3`),
  fn("split", [["s", str], ["separator", str]], T.list(str), "The parts of the string between occurrences of the separator (a plain string, not a regex).", `split("a,b", ",") == ["a", "b"]`),
  fn("join", [["parts", anyList], ["separator", str]], str, "The list's elements, converted with `to_string`, joined by the separator.", `join(["a", "b"], "/") == "a/b"`),
  fn("replace", [["s", str], ["old", str], ["new", str]], str, "The string with every occurrence of `old` (a plain string) replaced by `new`.", `replace("a-b-c", "-", "+") == "a+b+c"`),
  fn("starts_with", [["s", str], ["prefix", str]], T.bool, "Whether the string begins with the prefix; the function form of the `starts with` operator.", `starts_with("refund_all", "refund")`),
  fn("ends_with", [["s", str], ["suffix", str]], T.bool, "Whether the string ends with the suffix; the function form of the `ends with` operator.", `ends_with("report.pdf", ".pdf")`),
  fn("substring", [["s", str], ["start", num], ["end", num]], str, "The code points from `start` (inclusive) to `end` (exclusive), clamped to the string.", `substring("palisade", 0, 4) == "pali"`),
  fn("concat", [["first", str], ["more", str]], str, "The strings joined together, with no separator.", `concat("a", "b", "c") == "abc"`, { variadic: true }),
  fn("domain", [["address", str]], str, "The lower-cased domain of an email address (after the last `@`) or the host of a URL; `null` when there is none.", `domain("Ann@Acme.COM") == "acme.com"`),
  fn("addresses", [["recipients", T.any]], T.list(str), "Every email address a recipient value names, lower-cased, each once: an RFC 5322 address list (`a@x.com, \"Bob\" <b@y.com>; Team: c@z.com;`), a list of them, or objects holding the address (`{email: ...}`); an address in an unquoted display name counts too (fail closed).", `addresses("Ann <ANN@acme.com>, bob@x.io") == ["ann@acme.com", "bob@x.io"]`),
  fn("domains", [["recipients", T.any]], T.list(str), "The domains a recipient value reaches, lower-cased, each once: the domains of its `addresses` (every `@` and `%` relay), the host of each URL, and each recipient that names no domain as written (so it is never a trusted domain); fields named like recipients (`to`, `toRecipients`, `url`...) are read at any depth, a value naming none is scanned whole (spec/soundness.md).", `domains({to: "a@X.com, b@y.org"}) == ["x.com", "y.org"]`),
  // conversions and types
  fn("to_number", [["x", T.any]], num, "The number a string spells (decimal, as in JSON), a number unchanged, `true`/`false` as 1/0; `null` when it cannot be read.", `to_number("42") == 42`),
  fn("to_string", [["x", T.any]], str, "The value as text: strings unchanged, numbers in their shortest form, other values as canonical JSON.", `to_string(42) == "42"`),
  fn("type_of", [["x", T.any]], str, `The name of the value's runtime type: "null", "bool", "number", "string", "list", "object" or "duration".`, `type_of([1]) == "list"`),
  // numbers
  fn("abs", [["x", num]], num, "The absolute value.", `abs(-3) == 3`),
  fn("round", [["x", num]], num, "The nearest integer, halves away from zero.", `round(2.5) == 3`),
  fn("floor", [["x", num]], num, "The largest integer not above the number.", `floor(2.7) == 2`),
  fn("ceil", [["x", num]], num, "The smallest integer not below the number.", `ceil(2.1) == 3`),
  fn("min", [["first", numOrList], ["more", numOrList]], num, "The smallest of the arguments; a single list argument means its elements. `null` for an empty list.", `min(tool.args.amount, 500) <= 500`, { variadic: true }),
  fn("max", [["first", numOrList], ["more", numOrList]], num, "The largest of the arguments; a single list argument means its elements. `null` for an empty list.", `max([1, 5, 3]) == 5`, { variadic: true }),
  fn("sum", [["xs", T.list(num)]], num, "The sum of a list of numbers (0 for an empty list).", `sum([1, 2, 3]) == 6`),
  // lists and objects
  fn("first", [["xs", anyList]], T.any, "The first element of the list, `null` when it is empty.", `first(session.calls).tool.name == "search"`, { returnsElementOf: 0 }),
  fn("last", [["xs", anyList]], T.any, "The last element of the list, `null` when it is empty.", `last(session.calls).decision == "deny"`, { returnsElementOf: 0 }),
  fn("unique", [["xs", anyList]], anyList, "The list without repeated elements (compared as `==` does), in first-occurrence order.", `unique([1, 2, 1]) == [1, 2]`, { returnsTypeOf: 0 }),
  fn("sort", [["xs", anyList]], anyList, "The list in ascending order; numbers, strings, durations and instants sort among their own kind.", `sort([3, 1, 2]) == [1, 2, 3]`, { returnsTypeOf: 0 }),
  fn("reverse", [["xs", anyList]], anyList, "The list in reverse order.", `reverse([1, 2]) == [2, 1]`, { returnsTypeOf: 0 }),
  fn("keys", [["o", T.object({}, true)]], T.list(str), "The object's keys, sorted.", `keys({b: 1, a: 2}) == ["a", "b"]`),
  fn("values", [["o", T.object({}, true)]], anyList, "The object's values, in the order of its sorted keys.", `values({a: 1}) == [1]`),
  // time: instants and durations are inputs or literals; nothing reads a clock
  fn("parse_time", [["s", str]], T.instant, "The instant an ISO-8601 / RFC 3339 timestamp with an offset spells; `null` when it is not one.", `time - parse_time("2026-01-01T00:00:00Z") > 30d`),
  fn("parse_duration", [["s", str]], T.duration, "The duration a string such as `\"90s\"` or `\"1.5h\"` spells (units ms, s, m, h, d); `null` when it is not one.", `parse_duration("15m") == 15m`),
  fn("days", [["d", T.duration]], num, "The duration in days, possibly fractional.", `days(48h) == 2`),
  fn("hours", [["d", T.duration]], num, "The duration in hours, possibly fractional.", `hours(90m) == 1.5`),
  fn("minutes", [["d", T.duration]], num, "The duration in minutes, possibly fractional.", `minutes(90s) == 1.5`),
  fn("seconds", [["d", T.duration]], num, "The duration in seconds, possibly fractional.", `seconds(1500ms) == 1.5`),
  fn("hour_of_day", [["t", T.instant]], num, "The hour (0-23) of the instant in UTC.", `hour_of_day(time) >= 18`),
  fn("weekday", [["t", T.instant]], str, `The day of the week of the instant in UTC, in lower case: "monday" ... "sunday".`, `weekday(time) in ["saturday", "sunday"]`),
  // provenance (spec/provenance.md): `sources` is the session's `session.sources`, the texts the agent was given
  fn("from_untrusted", [["value", T.any], ["sources", anyList], ["trusted", T.list(str)]], T.bool, "Whether some value in `value` (the whole of a string, its address-, URL-, IBAN-, file-name- or amount-like tokens, each number; normalised) was seen in the session's sources and only in content that is neither the user's (`input`) nor from a source the `trusted` lists name (a tool, or `tool.field`); `false` for a value seen nowhere.", `from_untrusted(tool.args.recipient, session.sources, ["get_balance"])`, { variadic: true }),
  fn("vouched", [["value", T.any], ["sources", anyList], ["trusted", T.list(str)]], T.bool, "Whether every value in `value` came from the user or a source the `trusted` lists name (whose call untrusted content did not drive); `false` for a value seen nowhere (unknown provenance fails closed), null or an empty list.", `vouched(tool.args.recipient, session.sources, ["get_contacts"])`, { variadic: true }),
  fn("unvouched", [["value", T.any], ["sources", anyList], ["trusted", T.list(str)]], T.list(str), "The value-like parts of `value` (addresses, URLs, IBANs, numbers: its tokens, or itself when it is one), normalised, that neither the user nor a trusted source gave: seen only in untrusted content, or nowhere.", `any v in unvouched(tool.args.body, session.sources): v contains "@"`, { variadic: true }),
  fn("from_user", [["value", T.any], ["sources", anyList]], T.bool, "Whether every value in `value` was given by the user: a phrase (normalised) of one of the session's `input` messages; `false` for null or an empty list.", `from_user(tool.args.password, session.sources)`),
  fn("origins", [["value", T.any], ["sources", anyList]], T.list(str), "The labels of the sources some value in `value` was seen in, sorted: `input`, a tool's name, or `tool.field` for a field of a structured result.", `"input" in origins(tool.args.to, session.sources)`),
  fn("instructed", [["value", T.any], ["sources", anyList]], T.list(str), "The parts of `value` (a string whole, its value-like tokens, its names and five-word runs; numbers), normalised, that a text instructing the agent named (a string of a source other than the user's that carries instructions: overriding its instructions, addressing an AI, imitating the system, naming a tool to call) and the user did not give.", `len(instructed(tool.args, session.sources)) > 0`),
  fn("instructing_sources", [["sources", anyList]], T.list(str), "The labels of the session's sources (never the user's) whose text carries instructions addressed to the agent, sorted.", `len(instructing_sources(session.sources)) > 0`),
  fn("carries_instructions", [["value", T.any]], T.bool, "Whether some string in `value` carries instructions addressed to the agent: overriding its instructions, addressing an AI, imitating the system's channel, naming a tool to call, or reordering or hiding its task.", `carries_instructions(tool.args)`),
];

/** Every builtin by name: the core library and the `jsonlogic.*` family. Names are unique. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([...CORE_BUILTINS, ...JSONLOGIC_BUILTINS].map((b) => [b.name, b]));

/** The namespaces of dotted builtins (`jsonlogic` for `jsonlogic.truthy`), so `jsonlogic.x` is read as a builtin name. */
export const BUILTIN_NAMESPACES: ReadonlySet<string> = new Set([...BUILTINS.keys()].filter((n) => n.includes(".")).map((n) => n.slice(0, n.lastIndexOf("."))));
