// Builtins that give JSON Logic's semantics (truthiness, loose equality, ...) to rules imported
// with `palisade import jsonlogic`. Declared apart so the core library stays small. Each one does
// exactly what json-logic-js 2.0.5 does (reference implementations: `jsonlogic-semantics.ts`);
// the importer uses them only where the language's own operators would mean something else.
import { T, type BuiltinSignature, type Type } from "./types.ts";

const any = T.any;
const bool = T.bool;

function jl(name: string, params: [string, Type][], returns: Type, doc: string, example: string, variadic = false): BuiltinSignature {
  const sig: BuiltinSignature = { name: `jsonlogic.${name}`, params: params.map(([n, type]) => ({ name: n, type })), returns, doc, example };
  return variadic ? { ...sig, variadic: true } : sig;
}

/** The `jsonlogic.*` family; the checker merges it into the builtin table. */
export const JSONLOGIC_BUILTINS: readonly BuiltinSignature[] = [
  jl("truthy", [["x", any]], bool, `JSON Logic's truthiness: false for false, null, 0, "" and []; true otherwise (so "0" is true).`, `jsonlogic.truthy([]) == false`),
  jl("eq", [["a", any], ["b", any]], bool, "JSON Logic `==`: JavaScript's loose equality (1 equals \"1\", null equals only null).", `jsonlogic.eq(1, "1")`),
  jl("ne", [["a", any], ["b", any]], bool, "JSON Logic `!=`: the negation of loose equality.", `jsonlogic.ne(1, 2)`),
  jl("strict_eq", [["a", any], ["b", any]], bool, "JSON Logic `===`: JavaScript's strict equality (two lists or objects are never equal).", `jsonlogic.strict_eq(1, 1)`),
  jl("strict_ne", [["a", any], ["b", any]], bool, "JSON Logic `!==`: the negation of strict equality.", `jsonlogic.strict_ne(1, "1")`),
  jl("lt", [["a", any], ["b", any], ["c", any]], bool, "JSON Logic `<` with JavaScript's coercions (\"1\" < 2); with three arguments, whether b lies strictly between a and c.", `jsonlogic.lt(1, 5, 10)`, true),
  jl("le", [["a", any], ["b", any], ["c", any]], bool, "JSON Logic `<=` with JavaScript's coercions; with three arguments, whether b lies between a and c inclusive.", `jsonlogic.le(1, 1, 10)`, true),
  jl("gt", [["a", any], ["b", any]], bool, "JSON Logic `>` with JavaScript's coercions.", `jsonlogic.gt("2", 1)`),
  jl("ge", [["a", any], ["b", any]], bool, "JSON Logic `>=` with JavaScript's coercions.", `jsonlogic.ge(2, 2)`),
  jl("and", [["values", any]], any, "JSON Logic `and` as a value: the first falsy argument, or the last one.", `jsonlogic.and(1, 3) == 3`, true),
  jl("or", [["values", any]], any, "JSON Logic `or` as a value: the first truthy argument, or the last one.", `jsonlogic.or(0, "a") == "a"`, true),
  jl("if", [["branches", any]], any, "JSON Logic `if`: (condition, value) pairs tried in order, then an optional else value; null when nothing applies.", `jsonlogic.if(false, "a", "b") == "b"`, true),
  jl("in", [["needle", any], ["haystack", any]], bool, "JSON Logic `in`: membership (strict equality) in a list, substring of a string, false otherwise.", `jsonlogic.in("Spring", "Springfield")`),
  jl("cat", [["values", any]], T.string, "JSON Logic `cat`: the arguments converted to text as JavaScript does and joined.", `jsonlogic.cat("a", 1) == "a1"`, true),
  jl("substr", [["s", any], ["start", any], ["length", any]], T.string, "JSON Logic `substr`: negative start counts from the end; a negative length drops that many characters from the end.", `jsonlogic.substr("jsonlogic", -5) == "logic"`, true),
  jl("add", [["values", any]], T.number, "JSON Logic `+`: the sum of the arguments read as numbers (parseFloat), 0 for none.", `jsonlogic.add("1", 1) == 2`, true),
  jl("mul", [["values", any]], T.number, "JSON Logic `*` of two or more arguments: the product of the arguments read as numbers (parseFloat).", `jsonlogic.mul("2", 3) == 6`, true),
  jl("sub", [["a", any], ["b", any]], T.number, "JSON Logic `-` of two arguments, with JavaScript's coercions.", `jsonlogic.sub("3", 1) == 2`),
  jl("neg", [["a", any]], T.number, "JSON Logic `-` of one argument: the negation, with JavaScript's coercions.", `jsonlogic.neg("3") == -3`),
  jl("div", [["a", any], ["b", any]], T.number, "JSON Logic `/` with JavaScript's coercions (division by zero gives an infinity).", `jsonlogic.div(2, 4) == 0.5`),
  jl("mod", [["a", any], ["b", any]], T.number, "JSON Logic `%` with JavaScript's coercions.", `jsonlogic.mod(3, 2) == 1`),
  jl("min", [["values", any]], T.number, "JSON Logic `min`: the smallest argument read as a number.", `jsonlogic.min(3, 1, 2) == 1`, true),
  jl("max", [["values", any]], T.number, "JSON Logic `max`: the largest argument read as a number.", `jsonlogic.max(3, 1, 2) == 3`, true),
  jl("merge", [["values", any]], T.list(any), "JSON Logic `merge`: the arguments flattened one level into one list.", `jsonlogic.merge([1], 2) == [1, 2]`, true),
  jl("var", [["data", any], ["path", any], ["default", any]], any, "JSON Logic `var`: the value at a dotted path under `data`, or the default (null) when a step is absent.", `jsonlogic.var(meta, "a.b", 0)`, true),
  jl("missing", [["keys", T.list(any)], ["values", T.list(any)]], T.list(any), "JSON Logic `missing` with the keys' values already read: the keys whose value is null or \"\".", `jsonlogic.missing(["a", "b"], [meta.a, meta.b])`),
  jl("missing_in", [["data", any], ["keys", any]], T.list(any), "JSON Logic `missing` with keys computed at run time: the keys (or the one list of keys) whose value under `data` is null or \"\".", `jsonlogic.missing_in(meta, ["a"])`, true),
  jl("missing_some", [["need", any], ["keys", T.list(any)], ["values", T.list(any)]], T.list(any), "JSON Logic `missing_some` with the keys' values already read: [] when at least `need` are present, else the missing keys.", `jsonlogic.missing_some(1, ["a", "b"], [meta.a, meta.b])`),
  jl("missing_some_in", [["data", any], ["need", any], ["keys", any]], T.list(any), "JSON Logic `missing_some` with keys computed at run time, read under `data`.", `jsonlogic.missing_some_in(meta, 1, ["a", "b"])`),
  jl("list", [["x", any]], T.list(any), "The value when it is a list, else the empty list: what JSON Logic's `some`, `all`, `none` and `filter` range over.", `jsonlogic.list("abc") == []`),
  jl("nonempty", [["x", any]], bool, "Whether the value is a list with at least one element (JSON Logic's `all` is false on anything else).", `jsonlogic.nonempty([0])`),
];
