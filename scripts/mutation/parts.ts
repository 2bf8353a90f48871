// The parts mutation testing covers, their floors, and the surviving mutants judged equivalent
// (no test can tell them from the original), each with its reason. spec/testing.md says how the
// parts and floors were chosen.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");

/** A mutant no test can kill, because the program behaves the same with it. */
export interface Equivalent {
  readonly file: string;
  readonly mutator: string;
  /** The source text the mutant replaces (exactly), so that the entry follows the code when lines move. */
  readonly original: string;
  readonly replacement: string;
  readonly reason: string;
}

/** One part: the files whose mutants count, the tests that may kill them, and the lowest score accepted. */
export interface Part {
  readonly mutate: readonly string[];
  readonly tests: readonly string[];
  /** Percent of (non-equivalent) mutants killed below which `npm run mutate` fails. */
  readonly floor: number;
  readonly equivalent?: readonly Equivalent[];
}

/**
 * Why parseApprovalText's field checks (engine/environments/approvals.ts) are equivalent mutants:
 * the parse renders what it read with approvalText and refuses any text that differs.
 */
const CANONICAL = "a field the parse could not read is undefined (take() without `optional` never returns null; with it, never undefined), and the canonical re-rendering then writes it as 'KEY undefined' (or 'replacing none'), a line the text lacks, or leaves out the lines left unread: approvalText(a) === text refuses the text either way. (Under load these also end as timeouts: a survivor runs every test file of the part.)";

// Test files are listed fastest first: the runner stops at the first file that kills a mutant,
// so a mutant the unit tests kill never waits for the slower suites.
export const PARTS: Readonly<Record<string, Part>> = {
  // Effect combination and transforms, the policy set, linear-time regexes (ReDoS screening).
  runtime: {
    mutate: ["engine/runtime/combine.ts", "engine/runtime/policy-set.ts", "engine/runtime/messages.ts", "engine/runtime/input-snapshot.ts", "engine/runtime/stdlib/regex-guard.ts"],
    // The unit tests only: bad-input.test.ts (10 MB and 10,000-level inputs) and the conformance
    // corpus take 20 and 30 s a run at load 15-28, paid again by every survivor; they stay in
    // npm test. What they reach here, policy-set.test.ts and combine.test.ts pin directly;
    // hostile-input.test.ts pins decide's copy, options.json and its last resort (its cases over
    // millions of values are left to npm test under mutation). input-snapshot.test.ts (the copy on
    // its own, milliseconds) comes first; input-snapshot-bounds.test.ts (the copy's bound on work,
    // ~2 s of CPU) last, so that only the mutants every other file leaves alive pay for it.
    tests: ["engine/runtime/test/input-snapshot.test.ts", "engine/runtime/test/combine.test.ts", "engine/runtime/test/messages.test.ts", "engine/runtime/test/policy-set.test.ts", "engine/runtime/test/hostile-input.test.ts", "engine/runtime/stdlib/test/regex-guard.test.ts", "engine/runtime/test/input-snapshot-bounds.test.ts"],
    floor: 99,
    equivalent: [
      { file: "engine/runtime/combine.ts", mutator: "BooleanLiteral", original: "false", replacement: "true", reason: "`let transforms = false` guards a fast path: without a transform among the effects the transform loop changes nothing and the reasons stay as they were (the other false->true of this file, redact's `create`, is killed by combine.test.ts)" },
      { file: "engine/runtime/combine.ts", mutator: "ConditionalExpression", original: "r.count === 0", replacement: "false", reason: "a replace that found nothing returns its input text (the Replaced contract), and writing an equal string back leaves the payload as it was" },
      { file: "engine/runtime/combine.ts", mutator: "ConditionalExpression", original: "shaped.length === 0", replacement: "false", reason: "sorting reasons that are already in rule order changes nothing (a stable sort)" },
      { file: "engine/runtime/messages.ts", mutator: "ConditionalExpression", original: "d.reasons.length === 0 && d.warnings.length === 0 && d.errors.length === 0", replacement: "false", reason: "a fast path: with no reasons, warnings or errors the count is 0, and the decision is returned as it is all the same" },
      { file: "engine/runtime/messages.ts", mutator: "ConditionalExpression", original: "keep > 0", replacement: "true", reason: "keep is never negative (a minimum of MAX_MESSAGE_CHARS and the room left, which never goes below 0), and at keep 0 message.charCodeAt(-1) is NaN, which is neither >= 0xd800 nor <= 0xdbff: the cut stays at 0 either way" },
      { file: "engine/runtime/messages.ts", mutator: "EqualityOperator", original: "keep > 0", replacement: "keep >= 0", reason: "keep is never negative (a minimum of MAX_MESSAGE_CHARS and the room left, which never goes below 0), and at keep 0 message.charCodeAt(-1) is NaN, which is neither >= 0xd800 nor <= 0xdbff: the cut stays at 0 either way" },
      { file: "engine/runtime/stdlib/regex-guard.ts", mutator: "ConditionalExpression", original: "extent !== Infinity", replacement: "true", reason: "an infinite extent makes the product infinite, which is not within the budget either" },
      { file: "engine/runtime/policy-set.ts", mutator: "ConditionalExpression", original: 'evaluator === "compiled"', replacement: "true", reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "ConditionalExpression", original: 'evaluator === "compiled"', replacement: "false", reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "EqualityOperator", original: 'evaluator === "compiled"', replacement: 'evaluator !== "compiled"', reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "StringLiteral", original: '"compiled"', replacement: '""', reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "ConditionalExpression", original: 'evaluator === "reference"', replacement: "true", reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "ConditionalExpression", original: 'evaluator === "reference"', replacement: "false", reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "EqualityOperator", original: 'evaluator === "reference"', replacement: 'evaluator !== "reference"', reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "StringLiteral", original: '"reference"', replacement: '""', reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      { file: "engine/runtime/policy-set.ts", mutator: "ConditionalExpression", original: "this.compiled !== null", replacement: "false", reason: "both evaluators decide identically (the differential tests hold them in step), so which one a PolicySet builds or asks is not observable through its API; the choice is pinned by `evaluator`" },
      // engine/runtime/input-snapshot.ts: quickCopy is a fast path before the careful copy, and a mutant that only makes it give up sooner (or later) changes nothing a caller sees; each entry says why.
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "typeof k === \"number\"", replacement: "false", reason: "keyText: a list index written as a key is still `[n]`: its text starts with a digit, so IDENT refuses it, and JSON.stringify(n) is n's digits" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "StringLiteral", original: "\"number\"", replacement: "\"\"", reason: "line 32, keyText: a list index written as a key is still `[n]`: its text starts with a digit, so IDENT refuses it, and JSON.stringify(n) is n's digits" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "OptionalChaining", original: "(Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null)?.constructor?.name", replacement: "(Object.getPrototypeOf(o) as {\n  constructor?: {\n    name?: unknown;\n  };\n} | null)?.constructor.name", reason: "objectKind runs only for an object isPlain refused, whose prototype is therefore not null; and a missing constructor read as `.name` throws a TypeError that the catch turns into the same 'an object with a prototype'" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "OptionalChaining", original: "(Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null)?.constructor", replacement: "(Object.getPrototypeOf(o) as {\n  constructor?: {\n    name?: unknown;\n  };\n} | null).constructor", reason: "objectKind runs only for an object isPlain refused, whose prototype is therefore not null; and a missing constructor read as `.name` throws a TypeError that the catch turns into the same 'an object with a prototype'" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "BlockStatement", original: "{\n  switch (typeof v) {\n    case \"string\":\n    case \"boolean\":\n    case \"undefined\":\n      return v;\n    case \"number\":\n      return Number.isFinite(v) ? v : GAVE_UP;\n    case \"object\":\n      break;\n    default:\n      return GAVE_UP;\n  }\n  if (v === null) return null;\n  if (depth >= QUICK_DEPTH) return GAVE_UP;\n  if (Array.isArray(v)) {\n    const n = v.length;\n    if ((left.n -= n) < 0) return GAVE_UP;\n    const out = new Array<Value>(n);\n    for (let i = 0; i < n; i++) {\n      const x = quickCopy(v[i], depth + 1, left);\n      if (x === GAVE_UP || x === undefined) return GAVE_UP;\n      out[i] = x;\n    }\n    return out;\n  }\n  const p: unknown = Object.getPrototypeOf(v);\n  if (p !== Object.prototype && p !== null) return GAVE_UP;\n  const keys = Object.keys(v);\n  if ((left.n -= keys.length) < 0) return GAVE_UP;\n  const out: Record<string, Value> = {};\n  for (let i = 0; i < keys.length; i++) {\n    const k = keys[i];\n    if (k === \"__proto__\") return GAVE_UP;\n    const x = quickCopy((v as Record<string, unknown>)[k], depth + 1, left);\n    if (x === GAVE_UP) return GAVE_UP;\n    if (x !== undefined) out[k] = x;\n  }\n  return out;\n}", replacement: "{}", reason: "quickCopy's body emptied returns undefined, which snapshotInput takes as giving up before anything is read: the careful copy gives the same value and fault, reading each property once" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "case \"object\":\n      break;", replacement: "case \"object\":", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "StringLiteral", original: "\"object\"", replacement: "\"\"", reason: "line 102 (quickCopy's `case \"object\"`): quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "v === null", replacement: "true", reason: "quickCopy then returns null for the root (an object) before reading anything, and snapshotInput takes a null as giving up: the careful copy gives the same value and fault, reading each property once" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "EqualityOperator", original: "v === null", replacement: "v !== null", reason: "quickCopy then returns null for the root (an object) before reading anything, and snapshotInput takes a null as giving up: the careful copy gives the same value and fault, reading each property once" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "depth >= QUICK_DEPTH", replacement: "true", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "depth >= QUICK_DEPTH", replacement: "false", reason: "changes only where quickCopy hands over to the careful copy, whose value and fault are the same: without the bound (or counting down), a list or object nested deeper, or a cycle, recurses until the stack overflows and snapshotInput catches the RangeError; with `>`, one level later. Only the number of reads of a getter in plain data nested past 256 levels differs (two on main, as for every input the quick copy gives up on after reading)" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "EqualityOperator", original: "depth >= QUICK_DEPTH", replacement: "depth > QUICK_DEPTH", reason: "changes only where quickCopy hands over to the careful copy, whose value and fault are the same: without the bound (or counting down), a list or object nested deeper, or a cycle, recurses until the stack overflows and snapshotInput catches the RangeError; with `>`, one level later. Only the number of reads of a getter in plain data nested past 256 levels differs (two on main, as for every input the quick copy gives up on after reading)" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "Array.isArray(v)", replacement: "true", reason: "quickCopy then takes the root (an object) for a list: it reads no field, and returns a list, which snapshotInput refuses as a copy: the careful copy gives the same value and fault" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "EqualityOperator", original: "depth >= QUICK_DEPTH", replacement: "depth < QUICK_DEPTH", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ArrayDeclaration", original: "new Array<Value>(n)", replacement: "new Array()", reason: "every index of the copy is assigned before it is returned, so a list grown by assignment equals one allocated at its length" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ArithmeticOperator", original: "depth + 1", replacement: "depth - 1", reason: "changes only where quickCopy hands over to the careful copy, whose value and fault are the same: without the bound (or counting down), a list or object nested deeper, or a cycle, recurses until the stack overflows and snapshotInput catches the RangeError; with `>`, one level later. Only the number of reads of a getter in plain data nested past 256 levels differs (two on main, as for every input the quick copy gives up on after reading)" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "p !== Object.prototype && p !== null", replacement: "true", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "LogicalOperator", original: "p !== Object.prototype && p !== null", replacement: "p !== Object.prototype || p !== null", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "p !== Object.prototype", replacement: "true", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "(left.n -= keys.length) < 0", replacement: "true", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "EqualityOperator", original: "(left.n -= keys.length) < 0", replacement: "(left.n -= keys.length) >= 0", reason: "quickCopy is a fast path: when it gives up (GAVE_UP, or a throw) snapshotInput makes the careful copy, which gives the same value and fault. This mutant makes it give up at the root itself, before any property is read (every input is an object), so no getter or trap runs twice and nothing observable changes" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "k === \"__proto__\"", replacement: "true", reason: "quickCopy then gives up at an object's first key, before reading its value (the root is an object): the careful copy gives the same value and fault, reading each property once" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "quick !== null", replacement: "true", reason: "quickCopy of an object (snapshotInput's input) never returns null: only a null value does" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "key !== null", replacement: "true", reason: "pathTo is only called with a key (a field name or list index), never null" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ArrayDeclaration", original: "new Array<Value>(length)", replacement: "new Array()", reason: "every index of the copy is assigned (an item, or null for what was refused), so a list grown by assignment equals one allocated at its length" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "root === null", replacement: "false", reason: "enter returns the new container or a Fault, never null nor a primitive: of the root test only `root instanceof Fault` and the list test can hold" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "typeof root !== \"object\"", replacement: "false", reason: "enter returns the new container or a Fault, never null nor a primitive: of the root test only `root instanceof Fault` and the list test can hold" },
      { file: "engine/runtime/input-snapshot.ts", mutator: "ConditionalExpression", original: "key === \"__proto__\"", replacement: "true", reason: "defining a new enumerable, writable, configurable own property is what assignment does for any key but __proto__, so defining every key gives the same copy" },
      { file: "engine/runtime/policy-set.ts", mutator: "BlockStatement", original: "{\n    return false;\n  }", replacement: "{}", reason: "isList's catch then returns undefined, as falsy as false where it is read (`|| isList(input)`)" },
    ],
  },
  // The compiled evaluator's decision path, its effects (redaction) and its rule index.
  compile: {
    mutate: ["engine/compile/compile.ts", "engine/compile/compile-effects.ts", "engine/compile/index-rules.ts"],
    // The differential test against the reference interpreter is the oracle (a tenth of its pairs
    // under mutation), run before the index's own tests so that a mutant it kills costs one file;
    // the conformance corpus (30 s a run at load 15-28, paid again by every survivor) is left to npm test.
    tests: ["engine/compile/test/builtins.test.ts", "engine/compile/test/compile-rule.test.ts", "engine/compile/test/direct-loop.test.ts", "engine/compile/test/compile.test.ts", "engine/compile/test/index-rules.test.ts"],
    floor: 99,
    // engine/compile/index-rules.ts (the rule index, every line): equivalent mutants, each reviewed against the checker's guarantees.
    equivalent: [
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "e.kind === \"Binary\"", replacement: "true", reason: "lines 36 and 134: only Binary nodes carry an `op` among and, ==, !=, in, not in, or (a Unary's op is `not` or `-`, language/ast.ts), so testing the kind first decides nothing the op test does not" },
      { file: "engine/compile/index-rules.ts", mutator: "OptionalChaining", original: "r?.kind", replacement: "r.kind", reason: "line 48: every Name of a checked program has a resolution (language/check/program.ts guarantees it), so `r` is never undefined (the same text on line 84, an unresolved Member, is killed by a test)" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "r.kind === \"root\"", replacement: "false", reason: "lines 52 and 113: a Member has a resolution only when it names a package's const or def, a detector or a namespaced builtin (resolveQualified, language/check/infer.ts), never a root, so the test is always false" },
      { file: "engine/compile/index-rules.ts", mutator: "StringLiteral", original: "\"root\"", replacement: "\"\"", reason: "lines 52 and 113: a resolved Member is never a root (resolveQualified resolves only package and namespace members), so comparing its kind with \"\" is as false as with \"root\"" },
      { file: "engine/compile/index-rules.ts", mutator: "ArrayDeclaration", original: "[r.name]", replacement: "[]", reason: "unreachable: a resolved Member is never a root (resolveQualified resolves only package and namespace members)" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "r", replacement: "false", reason: "lines 52 and 113: a resolved Member's object is a Name resolved to a package or a namespace (resolveQualified sets it), so going on to the object gives the same answer: rootPath of it is null, and neverFails of it is false (its kind is neither root nor phase)" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "e.kind === \"Name\" || e.kind === \"Member\"", replacement: "true", reason: "lines 63 and 83: the other nodes with a resolution are Calls, resolved to a def or a builtin (the checker refuses calling a const: \"'X' is a const 'X', not a function\"), so `r?.kind === \"const\"` stays false for them" },
      { file: "engine/compile/index-rules.ts", mutator: "OptionalChaining", original: "program.resolutions.get(e)?.kind", replacement: "program.resolutions.get(e).kind", reason: "every Name of a checked program has a resolution (language/check/program.ts guarantees it)" },
      { file: "engine/compile/index-rules.ts", mutator: "BooleanLiteral", original: "!checked(program.types.get(e))", replacement: "checked(program.types.get(e))", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "(k === \"variable\" || k === \"param\") && !checked(program.types.get(e))", replacement: "false", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "LogicalOperator", original: "k === \"variable\" || k === \"param\"", replacement: "k === \"variable\" && k === \"param\"", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "k === \"variable\"", replacement: "false", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "k === \"param\"", replacement: "false", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "StringLiteral", original: "\"variable\"", replacement: "\"\"", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "StringLiteral", original: "\"param\"", replacement: "\"\"", reason: "unreachable: neverFails only sees a rule's top-level conjuncts and their list items, object values, member objects and operands, never a quantifier's body or a def's body, the only places a Name can resolve to a variable or a param" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "e.op === \"and\" || e.op === \"or\"", replacement: "true", reason: "the operators that reach this line (ordering, arithmetic, contains, has, matches, like, starts/ends with) then need both operands to pass isBoolNeverFailing, which only bool-typed expressions do, and the checker refuses bool operands for each of them (\"cannot order boolean values\", \"cannot use '+' on boolean values\", \"'contains' needs a list, string or object\", \"'like' needs strings on both sides\"...); `has`'s right side is a field name, never a bool expression" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "e.op === \"not\"", replacement: "true", reason: "the only other unary operator is `-`, whose operand the checker refuses when it is a boolean (\"cannot negate a boolean\"), while isBoolNeverFailing holds only for bool-typed expressions" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "default:\n      return false;", replacement: "default:", reason: "the switch then ends and the function returns undefined, which every caller reads as false (`&&`, `every`, `!`)" },
      { file: "engine/compile/index-rules.ts", mutator: "LogicalOperator", original: "e.kind === \"Binary\" && (e.op === \"==\" || e.op === \"!=\" || e.op === \"in\" || e.op === \"not in\" || e.op === \"and\" || e.op === \"or\")", replacement: "e.kind === \"Binary\" || e.op === \"==\" || e.op === \"!=\" || e.op === \"in\" || e.op === \"not in\" || e.op === \"and\" || e.op === \"or\"", reason: "a Binary of any other operator then goes to neverFails, which is false for every Binary operator but these six; a Unary's op (`not`, `-`) is none of them and the next line handles it" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "e.op === \"==\" || e.op === \"!=\" || e.op === \"in\" || e.op === \"not in\" || e.op === \"and\" || e.op === \"or\"", replacement: "true", reason: "a Binary of any other operator then goes to neverFails, which is false for every Binary operator but these six" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "c.kind === \"Binary\"", replacement: "true", reason: "lines 162 and 169: only Binary nodes carry an `op` of == or in (a Unary's op is `not` or `-`)" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "lp === null", replacement: "false", reason: "lines 164 and 171: fixedString(s) is pure and total (constValue gives null for a const that failed, never throws), and its result is only used with a non-null lp" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "lp !== null", replacement: "true", reason: "lines 165 and 172: rs (vs) is null whenever lp is, so the other half of the test already fails" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "rp === null", replacement: "false", reason: "fixedString is pure and total (constValue gives null for a const that failed, never throws), and its result is only used with a non-null rp" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "rp !== null", replacement: "true", reason: "ls is null whenever rp is, so the other half of the test already fails" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "path === null", replacement: "false", reason: "a fast path: pathKey(null) is \"null\", which no pin's path (a list of keys) encodes to, so the search finds nothing and returns null as well" },
      { file: "engine/compile/index-rules.ts", mutator: "ConditionalExpression", original: "best === null", replacement: "false", reason: "line 211: on the first path counts.get(null) is undefined, so `n > 0` holds and that path is taken as the original does; later it reads as the original. Line 212: with no pins JSON.parse(null) is null, pinOn(r, null) is null for every rule, so every rule is `always` and byValue is empty, as returned early" },
      // compile-effects.ts (all lines) and compile.ts lines 1-250.
      { file: "engine/compile/compile-effects.ts", mutator: "ConditionalExpression", original: 'case "Paren":\n      return targetPath(c, e.expr);', replacement: 'case "Paren":', reason: "unreachable: the parser refuses a parenthesised effect target, whole or in part (E112, cst-to-ast.ts isPath: a Name under Member and Index steps only)" },
      { file: "engine/compile/compile-effects.ts", mutator: "StringLiteral", original: '"Paren"', replacement: '""', reason: "unreachable: the parser refuses a parenthesised effect target (E112), and no node has the kind \"\"" },
      { file: "engine/compile/compile-effects.ts", mutator: "ConditionalExpression", original: "default:\n      throw new Error(`internal: effect target of kind ${e.kind}`);", replacement: "default:", reason: "unreachable: the parser admits only a Name under Member and Index steps as an effect target (E112), each a case above" },
      { file: "engine/compile/compile-effects.ts", mutator: "StringLiteral", original: "`internal: effect target of kind ${e.kind}`", replacement: "``", reason: "unreachable: the parser admits only a Name under Member and Index steps as an effect target (E112), each a case above" },
      { file: "engine/compile/compile-effects.ts", mutator: "StringLiteral", original: '"internal: a failed pattern did not throw"', replacement: '""', reason: "unreachable: a redact pattern is dynamic only when it cannot be built, and then its closure always throws (compile-expr.ts redactPattern: a null pattern is the fixed NO_MATCH)" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "dropPin === unparen(d.when)", replacement: "false", reason: "a `when` that is its leading pin alone is then compiled, and is true for every input the rule is evaluated on: the index offers the rule only when the pinned path holds one of the pin's values" },
      { file: "engine/compile/compile.ts", mutator: "BlockStatement", original: "{\n    c.assumeTrue = null;\n  }", replacement: "{}", reason: "the pin left in assumeTrue is a conjunct of this rule's `when` alone (index-rules.ts conjuncts does not enter def calls), which nothing compiled after it contains; the next compileRule sets assumeTrue before compiling" },
      { file: "engine/compile/compile.ts", mutator: "ArrayDeclaration", original: "new Array<EffectOutcome>(n)", replacement: "new Array()", reason: "the loop then assigns indexes 0 to n-1 in order: the same array, grown instead of sized" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "w !== true", replacement: "true", reason: "a fast path: truth(true) is true, so a `when` of true still holds" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "u === true", replacement: "false", reason: "a fast path: truth(true) is true, so an `unless` of true still excludes" },
      { file: "engine/compile/compile.ts", mutator: "BlockStatement", original: "{\n        c.phase = before;\n      }", replacement: "{}", reason: "after construction every compile is a fireUnpinned one, which sets c.phase before compiling; the phase left behind is never read" },
      { file: "engine/compile/compile.ts", mutator: "StringLiteral", original: '""', replacement: '"Stryker was here!"', reason: "NO_EMITTER's id: always overwritten, by the rule's id in compileRule and by the rule's data in emitter() (the other \"\" of this file, the emitters' texts, are pinned by compile-rule.test.ts)" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'e.kind === "RequireApproval"', replacement: "true", reason: "only a RequireApproval effect has a `from` (language/ast.ts); for the other kinds `e.from` is undefined and so is the result" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "info.controls !== undefined", replacement: "true", reason: "ruleInfo always sets controls, from CheckedRule.controls, which is always an array" },
      // emitter() is called for simple rules only, whose outcomes are allow, deny, warn or require_approval:
      // the redact/set test narrows the type and is never true.
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'o.kind === "redact" || o.kind === "set"', replacement: "false", reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "LogicalOperator", original: 'o.kind === "redact" || o.kind === "set"', replacement: 'o.kind === "redact" && o.kind === "set"', reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'o.kind === "redact"', replacement: "false", reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'o.kind === "set"', replacement: "false", reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "StringLiteral", original: '"redact"', replacement: '""', reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "StringLiteral", original: '"set"', replacement: '""', reason: "emitter() sees only the outcomes of simple rules, never a redact or set" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'e.kind === "Deny" || e.kind === "Warn" || e.kind === "RequireApproval"', replacement: "true", reason: "reached only for an outcome that is not fixed, and allow's always is: the effect is a deny, warn or require_approval" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "template === null", replacement: "false", reason: "reached only for an outcome that is not fixed, which a deny, warn or require_approval has only with a message that interpolates: the template is never null here" },
      // unparen serves only `dropPin === unparen(d.when)`: see that entry.
      { file: "engine/compile/compile.ts", mutator: "BlockStatement", original: '{\n  while (e.kind === "Paren") e = e.expr;\n  return e;\n}', replacement: "{}", reason: "only `dropPin === unparen(d.when)` calls it, which is then false: the pin is compiled, and true on every input the index offers the rule (see that entry)" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'e.kind === "Paren"', replacement: "false", reason: "only `dropPin === unparen(d.when)` calls it: a parenthesised pin is then compiled, and true on every input the index offers the rule (see that entry)" },
      { file: "engine/compile/compile.ts", mutator: "StringLiteral", original: '"Paren"', replacement: '""', reason: "only `dropPin === unparen(d.when)` calls it: a parenthesised pin is then compiled, and true on every input the index offers the rule (see that entry)" },
      { file: "engine/compile/compile.ts", mutator: "EqualityOperator", original: "a[i].position < b[j].position", replacement: "a[i].position <= b[j].position", reason: "the unpinned list and a value's list never hold the same rule (buildPhaseIndex puts each in one), so two positions compared are never equal; the same in candidates, collect and direct" },
      // engine/compile/compile.ts lines 251-360 (`lists`, `collect`, `fire`, `direct`). Entries match
      // by text: the merge's `<` also stands at line 242 (`candidates`) and the catch's test at
      // line 122 (a rule's `fire`), where the first reason holds as well.
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'typeof k === "string"', replacement: "true", reason: "the index's keys are strings (a pin's values are strings, index-rules.ts) and Map.get compares by SameValueZero, so a value of any other type finds no list and `?? NONE` gives the NONE the test gives" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "sp !== null", replacement: "false", reason: "the generated direct path (direct-code.ts) is the generic loop written out statement for statement, so the loop decides the same; direct-loop.test.ts holds the loop to the reference interpreter and to the shared frozen reasons the generated path gives" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "r.shaped !== null", replacement: "false", reason: "a shaped condition is compile-shape.ts's form of the rule's condition, its leading pin dropped as in `holds`: the generated direct path calls it and the differential test holds that path to the reference, which errs and fires where `holds` does, so `holds` gives the same truth and the same PolicyRuntimeError" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: 'e.kind === "warn"', replacement: "true", reason: "the loop runs over a simple rule's effects (allow, deny, warn, require_approval: `simple` in compileRule), whose outcomes keep their effect's kind (compile-effects.ts; an error is thrown, not returned), so what is not deny, require_approval or allow is warn" },
      { file: "engine/compile/compile.ts", mutator: "ConditionalExpression", original: "ruleFault(err) !== null", replacement: "true", reason: "in `direct`: rule evaluation over a Value (JSON: PolicySet.decide copies its input, the SDK and the service hand over JSON of their own) throws nothing but PolicyRuntimeError or RangeError, both rule faults, so the catch sees no other error; and if it did, the null sends decide through `collect`, which evaluates the same rules again and whose `fire` rethrows it, so decide gives the same either way" },
    ],
  },
  // The Merkle tree, proofs, checkpoints and their verification (the stores are not core).
  audit: {
    mutate: ["engine/audit/merkle.ts", "engine/audit/hash.ts", "engine/audit/checkpoint.ts", "engine/audit/verify.ts"],
    tests: ["engine/audit/test/hash.test.ts", "engine/audit/test/merkle.test.ts", "engine/audit/test/checkpoint.test.ts", "engine/audit/test/verify.test.ts", "engine/audit/test/tiles.test.ts", "engine/audit/test/tamper.test.ts"],
    floor: 99,
    equivalent: [
      { file: "engine/audit/checkpoint.ts", mutator: "StringLiteral", original: '"unreadable"', replacement: '""', reason: "unreachable: parseCheckpoint throws nothing but the AuditErrors of invalid(), so the fallback for another error never runs" },
      { file: "engine/audit/hash.ts", mutator: "ConditionalExpression", original: "left.length === HASH_SIZE && right.length === HASH_SIZE", replacement: "false", reason: "the 32+32 case is a fast path (a reused buffer); the general path hashes the same bytes" },
      { file: "engine/audit/merkle.ts", mutator: "ConditionalExpression", original: "size === this.size", replacement: "false", reason: "a fast path: the root read from the stored nodes equals the compact range's root for the whole tree" },
      // verifyInclusion and verifyConsistency are total: a try/catch turns any TypeError into false.
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "size === undefined", replacement: "false", reason: "an undefined size then throws a TypeError at `size - 1n`, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "path === undefined", replacement: "false", reason: "an undefined path then throws a TypeError in `for (const p of path)`, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "first === undefined || second === undefined || path === undefined", replacement: "false", reason: "an undefined size or path then throws a TypeError (bigint arithmetic, path.length), which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "LogicalOperator", original: "first === undefined || second === undefined || path === undefined", replacement: "(first === undefined || second === undefined) && path === undefined", reason: "an undefined size or path then throws a TypeError (bigint arithmetic, path.length), which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "first === undefined || second === undefined", replacement: "false", reason: "an undefined size then throws a TypeError in the bigint arithmetic that follows, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "LogicalOperator", original: "first === undefined || second === undefined", replacement: "first === undefined && second === undefined", reason: "an undefined size then throws a TypeError in the bigint arithmetic that follows, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "first === undefined", replacement: "false", reason: "an undefined first size then throws a TypeError at `first - 1n`, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "second === undefined", replacement: "false", reason: "an undefined second size then throws a TypeError at `second - 1n`, which the catch turns into false" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "sn === 0n", replacement: "false", reason: "a proof longer than the path hashes its extra elements into the computed root, which then equals the given root only with a SHA-256 preimage" },
      { file: "engine/audit/verify.ts", mutator: "ConditionalExpression", original: "fn !== 0n", replacement: "true", reason: "unreachable with fn = 0: the loop runs after `fn === sn` with sn > 0 (sn = 0 returned before) or with fn odd, and halving a non-zero even number reaches an odd one before 0" },
    ],
  },
  // Keys, their scopes, rate limits and the approval queue of the service.
  service: {
    mutate: ["engine/service/keys.ts", "engine/service/rate-limit.ts", "engine/service/approvals.ts"],
    tests: ["engine/service/test/keys.test.ts", "engine/service/test/limits.test.ts", "engine/service/test/approval-queue.test.ts", "engine/service/test/routes.test.ts", "engine/service/test/decide.test.ts", "engine/service/test/approvals.test.ts"],
    floor: 99,
    equivalent: [
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: 'a.status === "pending"', replacement: "true", reason: "an answered request past its deadline then goes through #settle, whose compare-and-set changes nothing and returns the request as it stands, as the original does" },
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: 'current.status !== "pending"', replacement: "false", reason: "the store's compare-and-set repeats the check: #settle then throws approval/already-decided with the same message and path" },
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: "by !== undefined", replacement: "true", reason: "every store (memory, SQLite, PostgreSQL) writes `by` only when it is defined, so { by: undefined } is no answer" },
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: "note !== undefined", replacement: "true", reason: "every store (memory, SQLite, PostgreSQL) writes `note` only when it is defined" },
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: "via !== undefined", replacement: "true", reason: "every store (memory, SQLite, PostgreSQL) writes the answer through answered(), which writes `via` only when it is defined" },
      { file: "engine/service/approvals.ts", mutator: "ConditionalExpression", original: "done", replacement: "false", reason: "a promise settles once, and the rest of finish (clearTimeout, off, removeEventListener) is idempotent" },
      { file: "engine/service/approvals.ts", mutator: "BooleanLiteral", original: "true", replacement: "false", reason: "`done = true` guards a second finish, which does nothing a first did not (a promise settles once; clearTimeout and off are idempotent)" },
    ],
  },
  // The promotion gates: approvals, tests, replay, drift alerts.
  environments: {
    mutate: ["engine/environments/gates.ts", "engine/environments/drift.ts", "engine/environments/approvals.ts"],
    // promotion.test.ts (whole pipelines: bundles, audit logs, signed approvals) is left to npm
    // test; the gates' own verdicts are pinned by the files below.
    tests: ["engine/environments/test/approval-rules.test.ts", "engine/environments/test/gates.test.ts", "engine/environments/test/alert-states.test.ts", "engine/environments/test/drift.test.ts", "engine/environments/test/approvals.test.ts", "engine/environments/test/replay-gate.test.ts"],
    floor: 99,
    equivalent: [
      // parseApprovalText ends by rendering what it read and comparing the rendering with the text
      // (CANONICAL): its field checks exist for the types, and each is also enforced by that comparison.
      ...([
        ["ConditionalExpression", "approver === undefined || approver === null", "false"],
        ["LogicalOperator", "approver === undefined || approver === null", "approver === undefined && approver === null"],
        ["ConditionalExpression", "approver === undefined", "false"],
        ["ConditionalExpression", "approver === null", "false"],
        ["ConditionalExpression", "from === undefined || to == null || bundle == null || replacing == null || change == null", "false"],
        ["LogicalOperator", "from === undefined || to == null || bundle == null || replacing == null || change == null", "(from === undefined || to == null || bundle == null || replacing == null) && change == null"],
        ["ConditionalExpression", "from === undefined || to == null || bundle == null || replacing == null", "false"],
        ["LogicalOperator", "from === undefined || to == null || bundle == null || replacing == null", "(from === undefined || to == null || bundle == null) && replacing == null"],
        ["ConditionalExpression", "from === undefined || to == null || bundle == null", "false"],
        ["LogicalOperator", "from === undefined || to == null || bundle == null", "(from === undefined || to == null) && bundle == null"],
        ["ConditionalExpression", "from === undefined || to == null", "false"],
        ["LogicalOperator", "from === undefined || to == null", "from === undefined && to == null"],
        ["ConditionalExpression", "from === undefined", "false"],
        ["ConditionalExpression", "to == null", "false"],
        ["ConditionalExpression", "bundle == null", "false"],
        ["ConditionalExpression", "replacing == null", "false"],
        ["ConditionalExpression", "change == null", "false"],
        ["ConditionalExpression", "time == null", "false"],
        ["ConditionalExpression", "skip === undefined", "false"],
        ["ConditionalExpression", "waiveReplay === undefined", "false"],
        ["ConditionalExpression", "lines.length > 0", "false"],
      ] as const).map(([mutator, original, replacement]) => ({ file: "engine/environments/approvals.ts", mutator, original, replacement, reason: CANONICAL })),
      { file: "engine/environments/approvals.ts", mutator: "StringLiteral", original: '"utf8"', replacement: '""', reason: "Hash.update takes an empty encoding for its default, UTF-8: the digests are the same for any text, non-ASCII included" },
      { file: "engine/environments/approvals.ts", mutator: "OptionalChaining", original: "rule.roles?.includes", replacement: "rule.roles.includes", reason: "the callback runs only after `rule?.roles != null` held, synchronously, on a readonly rule: roles is never null there" },
      { file: "engine/environments/gates.ts", mutator: "StringLiteral", original: '"failed"', replacement: '""', reason: "unreachable: runTests marks a test failed only with at least one failure message (passed is failures.length === 0, and its early returns carry one), so the fallback never shows" },
      // alertStatesInLog reads parsed JSON records.
      { file: "engine/environments/drift.ts", mutator: "ConditionalExpression", original: 'typeof a === "object"', replacement: "true", reason: "a JSON value that is not an object (a string, number or boolean; null is checked next) has no string `key` property, so the record is skipped either way" },
      { file: "engine/environments/drift.ts", mutator: "ConditionalExpression", original: 'typeof a.status === "string"', replacement: "false", reason: "String(s) is s for a string: the word said is the same" },
      { file: "engine/environments/drift.ts", mutator: "ConditionalExpression", original: 'typeof handling.action === "string"', replacement: "false", reason: "String(s) is s for a string: the word said is the same" },
      { file: "engine/environments/drift.ts", mutator: "StringLiteral", original: '"string"', replacement: '""', reason: "in `typeof a.status === \"string\" ? a.status : String(a.status)` and its twin for handling.action, String(s) is s for a string, so the word said is the same (the other \"string\" tests of this file are killed)" },
    ],
  },
};

/** The parts a change to `files` (repository paths) touches: a mutated file or one of its tests. */
export function partsTouchedBy(files: readonly string[]): string[] {
  const touches = (p: Part, f: string): boolean => [...p.mutate, ...p.tests].some((g) => globMatch(g, f));
  return Object.keys(PARTS).filter((name) => files.some((f) => touches(PARTS[name], f) || f === "scripts/mutation/parts.ts"));
}

function globMatch(glob: string, file: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*")}$`);
  return re.test(file);
}

/** What Stryker reports of one mutant (the fields read here). */
export interface MutantOutcome {
  readonly fileName: string;
  readonly mutatorName: string;
  readonly replacement: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number }; readonly end: { readonly line: number; readonly column: number } };
}

/** A part's figures as bench/results/mutation.json holds them. */
export interface PartScore {
  /** Killed (or timed out) over all mutants but the equivalent and the ignored, in percent. */
  readonly score: number;
  readonly floor: number;
  readonly mutants: number;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly no_coverage: number;
  readonly equivalent: number;
  /** Mutants Stryker could not run (compile or runtime errors of the mutant itself): not counted. */
  readonly errors: number;
  /** `file:line mutator -> replacement` of each survivor and mutant without coverage. */
  readonly survivors: readonly string[];
  readonly seconds?: number;
  /** The 1-minute load average of the machine when the run started and ended (2 cores, shared). */
  readonly load_average_start?: number;
  readonly load_average_end?: number;
  /** The per-mutant time limit over 2x the covering tests' own time; a mutant past it counts as killed. */
  readonly timeout_ms?: number;
  readonly files?: number;
  /** Set when the survivors of the full run were run again after new tests (`--retest`): how many, how many died, in how long. */
  readonly retested?: { readonly mutants: number; readonly killed: number; readonly seconds: number; readonly load_average_start: number };
  /** Set when a run covered only these of the part's files (`--files`). */
  readonly only?: readonly string[];
}

const sources = new Map<string, string[]>();
/**
 * The sources a report's places point into (its `source` per file), when they may differ from
 * the files on disk (a report rescored after the code moved on); by default the files on disk.
 */
export function useSources(files: Readonly<Record<string, string>>): void {
  sources.clear();
  for (const [f, text] of Object.entries(files)) sources.set(relative(root, resolve(root, f)), text.split("\n"));
}
function originalText(file: string, m: MutantOutcome): string {
  let lines = sources.get(file);
  if (lines === undefined) sources.set(file, (lines = readFileSync(resolve(root, file), "utf8").split("\n")));
  // Stryker reports places as its JSON report does (mutation-testing-report-schema): lines and
  // columns counted from 1.
  const { start, end } = m.location;
  const [sl, sc, el, ec] = [start.line - 1, start.column - 1, end.line - 1, end.column - 1];
  if (sl === el) return lines[sl].slice(sc, ec);
  return [lines[sl].slice(sc), ...lines.slice(sl + 1, el), lines[el].slice(0, ec)].join("\n");
}

/** Whether `m` (a survivor or a mutant without coverage) is one of the listed equivalent mutants. */
export function isEquivalent(m: MutantOutcome, equivalent: readonly Equivalent[]): boolean {
  const file = relative(root, resolve(root, m.fileName));
  const original = originalText(file, m);
  return equivalent.some((e) => e.file === file && e.mutator === m.mutatorName && e.original === original && e.replacement === m.replacement);
}

/** Scores Stryker's results, taking the listed equivalent mutants out. */
export function scoreOf(mutants: readonly MutantOutcome[], floor: number, equivalent: readonly Equivalent[]): PartScore {
  const count = { killed: 0, timeout: 0, survived: 0, no_coverage: 0, equivalent: 0, errors: 0 };
  const survivors: string[] = [];
  for (const m of mutants) {
    const file = relative(root, resolve(root, m.fileName));
    if (m.status === "Killed") count.killed++;
    else if (m.status === "Timeout") count.timeout++;
    else if (m.status === "Survived" || m.status === "NoCoverage") {
      if (isEquivalent(m, equivalent)) {
        count.equivalent++;
        continue;
      }
      const original = originalText(file, m);
      if (m.status === "Survived") count.survived++;
      else count.no_coverage++;
      survivors.push(`${file}:${m.location.start.line} ${m.mutatorName}${m.status === "NoCoverage" ? " (no coverage)" : ""}: ${JSON.stringify(original.length > 80 ? `${original.slice(0, 77)}...` : original)} -> ${JSON.stringify(m.replacement.length > 80 ? `${m.replacement.slice(0, 77)}...` : m.replacement)}`);
    } else if (m.status === "CompileError" || m.status === "RuntimeError") count.errors++;
  }
  const counted = count.killed + count.timeout + count.survived + count.no_coverage;
  const score = counted === 0 ? 100 : Math.floor(((count.killed + count.timeout) / counted) * 1000) / 10;
  return { score, floor, mutants: mutants.length, ...count, survivors };
}
