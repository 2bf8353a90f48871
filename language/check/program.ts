// The checked program: what the checker hands the engine. It is the AST (unchanged, nodes
// shared) plus everything the engine would otherwise have to work out again: packages merged
// across files, rules in evaluation order with their ids and metadata, settings resolved per
// phase, what every name refers to, the static type of every expression, and the tests with
// their rule references resolved.
//
// Guarantees when `check` returns a program (there were no errors):
// - every `NameRef`, every `Call` and every `Member` that names something through an import
//   alias or a namespace (`common.MAX`, `common.external`, `pii.email`, `jsonlogic.truthy`) has
//   an entry in `resolutions`; a `Member` without an entry is a field access on a value;
// - no def or const depends on itself, directly or through others, in any package: compiling
//   consts in `consts` order and defs in `defs` order never meets an uncompiled dependency;
// - every regex (literal, or string literal on the right of `matches`) compiles with
//   `new RegExp(pattern, flags)`, uses no backreference or lookbehind, and passed the
//   backtracking screen;
// - every path read from an input root exists in the schema of every phase the rule runs in
//   (or is below an open object such as `tool.args` or `meta`, where absence reads as `null`);
// - `redact` targets are string (or schema-less) fields of the phase's own payload; `set`
//   targets are fields of the payload and the value fits the field's type where both are known.
import type { ConstDecl, DefDecl, Expectation, Expr, Member, NameRef, Call, Phase, PolicyFile, QualifiedName, Quantifier, RuleDecl, Severity, TestDecl } from "../ast.ts";
import type { Type } from "../types.ts";
import type { Builtin } from "../builtins.ts";
import type { Detector } from "../detectors.ts";
import type { JSONSchemaObject } from "./schema.ts";

/**
 * What a name refers to.
 * - `root`: an input root of the phase (`tool`, `principal`, `time`...); read from the input.
 * - `const`: a package-level constant; `id` is `package.NAME`, its value is `consts.get(id)`.
 * - `def`: a function; `id` is `package.name`; a call binds `decl.params` to the arguments.
 * - `variable`: bound by a quantifier (`binder`), the `index`-th of its variables (ordered `any a then b`).
 * - `param`: the `index`-th parameter of the def `def` (`id` is the def's id).
 * - `builtin`: a row of the builtin table (`language/builtins.ts`).
 * - `detector`: a named pattern (`pii.email`): valid as a `matches`/`contains` right side and in `redact`.
 * - `package`: an import alias standing alone (only ever the object of a resolved `Member`).
 * - `namespace`: `pii`, `secret` or `jsonlogic` standing alone (likewise).
 * - `phase`: the name `phase`, the phase being decided (a string; known when a rule is compiled for a phase).
 */
export type Resolution =
  | { readonly kind: "root"; readonly name: string }
  | { readonly kind: "const"; readonly id: string; readonly package: string; readonly name: string; readonly decl: ConstDecl }
  | { readonly kind: "def"; readonly id: string; readonly package: string; readonly name: string; readonly decl: DefDecl }
  | { readonly kind: "variable"; readonly name: string; readonly binder: Quantifier; readonly index: number }
  | { readonly kind: "param"; readonly name: string; readonly id: string; readonly def: DefDecl; readonly index: number }
  | { readonly kind: "builtin"; readonly name: string; readonly builtin: Builtin }
  | { readonly kind: "detector"; readonly name: string; readonly detector: Detector }
  | { readonly kind: "package"; readonly package: string }
  | { readonly kind: "namespace"; readonly name: string }
  | { readonly kind: "phase" };

/** The nodes that carry a resolution: names, alias/namespace members, calls (resolved as their callee), detector patterns in `redact`. */
export type ResolvedNode = NameRef | Member | Call | QualifiedName;

/** A const with its package, ready to be evaluated once (in `CheckedProgram.consts` order). */
export interface CheckedConst {
  readonly id: string;
  readonly package: string;
  readonly name: string;
  readonly decl: ConstDecl;
  /** The expression that gives its value: `decl.value`, or for a param the value a `configure` gave it. */
  readonly value: Expr;
  readonly file: string;
  readonly type: Type;
}

/** A def with its package. Its body may read input roots (`roots`), so it is evaluated per decision. */
export interface CheckedDef {
  readonly id: string;
  readonly package: string;
  readonly name: string;
  readonly decl: DefDecl;
  readonly file: string;
  /** The static type of its result. */
  readonly returns: Type;
  /** Input roots the body reads, directly or through the defs it calls. */
  readonly roots: readonly string[];
}

/** A rule in evaluation order, with its metadata read out of the AST. */
export interface CheckedRule {
  /** `package.rule`, as in decisions and audit records. */
  readonly id: string;
  readonly package: string;
  readonly name: string;
  readonly file: string;
  readonly decl: RuleDecl;
  /** The phases it runs in, without duplicates, in the order written. */
  readonly phases: readonly Phase[];
  readonly severity: Severity | null;
  /** Control ids `framework:id`, in the order written, without duplicates. */
  readonly controls: readonly string[];
  readonly tags: readonly string[];
  readonly owner: string | null;
  readonly doc: string | null;
  /**
   * The tool names the `when` pins with a top-level conjunct `tool.name == "x"` or
   * `tool.name in ["x", "y"]`: the rule cannot fire for other tools, so the engine may index it
   * under these names. Null when the rule is not pinned (it applies to any tool).
   */
  readonly toolNames: readonly string[] | null;
}

/** How a policy set decides a phase when no rule decides, and what an errored rule means. */
export interface PhaseSettings {
  /** The decision when no rule denies or asks for approval and none allows (LANGUAGE.md: `allow` unless set). */
  readonly default: "allow" | "deny";
  /** What an errored rule counts as (`deny`: fail closed, the default). */
  readonly onError: "allow" | "deny";
}

/** One `expect` line of a test with the rule ids its `by` names resolved to (in the order written). */
export interface CheckedExpectation {
  readonly expectation: Expectation;
  readonly rules: readonly string[];
}

/** A test block, ready to run: evaluate `decl.input` (consts in scope), decide `phase`, compare. */
export interface CheckedTest {
  readonly name: string;
  readonly package: string;
  readonly file: string;
  readonly phase: Phase;
  readonly decl: TestDecl;
  readonly expects: readonly CheckedExpectation[];
  /** The params this test sets with `with` (param id -> value expression). */
  readonly given: ReadonlyMap<string, Expr>;
}

/** A regex the engine compiles: a regex literal, or a string literal on the right of `matches`. */
export interface CheckedRegex {
  readonly pattern: string;
  readonly flags: string;
}

/** One package: its name and the files that declare it (a package may span several files). */
export interface CheckedPackage {
  readonly name: string;
  readonly files: readonly string[];
  /** Packages this one imports, by name. */
  readonly imports: readonly string[];
}

/** Everything the engine needs to compile a policy set. */
export interface CheckedProgram {
  /** The files, in the order given to `check`. */
  readonly files: readonly PolicyFile[];
  /** Packages by name. */
  readonly packages: ReadonlyMap<string, CheckedPackage>;
  /** Consts by id (`package.NAME`), in an order where each comes after the consts it reads. */
  readonly consts: ReadonlyMap<string, CheckedConst>;
  /** Defs by id (`package.name`), in an order where each comes after the defs it calls. */
  readonly defs: ReadonlyMap<string, CheckedDef>;
  /** Every rule, in file order then declaration order: the order transforms apply and reasons are listed. */
  readonly rules: readonly CheckedRule[];
  /** Settings of each phase after merging every file (the stricter `deny` wins). */
  readonly settings: Readonly<Record<Phase, PhaseSettings>>;
  /** What each name, alias member, namespace member and call refers to (see `Resolution`). */
  readonly resolutions: ReadonlyMap<ResolvedNode, Resolution>;
  /** The static type of every expression the checker visited (rule, def, const, test and message expressions). */
  readonly types: ReadonlyMap<Expr, Type>;
  /** Regexes keyed by the node that holds them (a `Regex` literal or a `String` on the right of `matches`). */
  readonly regexes: ReadonlyMap<Expr, CheckedRegex>;
  /** The test blocks, in file order. */
  readonly tests: readonly CheckedTest[];
  /** The tools' args schemas the set was checked with: the engine validates tool calls against them. */
  readonly toolSchemas: Readonly<Record<string, JSONSchemaObject>>;
}
