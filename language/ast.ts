// The typed AST of a `.policy` file. The parser builds it (text -> CST -> AST), the checker
// resolves and types it, the formatter prints it back, and the engine compiles it.
//
// Invariants relied on downstream:
// - every node has a `span` into the text of the file it came from;
// - nodes are plain data (no methods, no cycles), so they can be compared structurally,
//   serialised, and sent to a browser; `stripSpans` in `ast-util.ts` compares "up to spans";
// - declaration order in `File.decls` is source order (rule order decides transforms).
import type { Span } from "./span.ts";

/** The phases a rule runs in, in the order an agent step meets them. */
export const PHASES = ["input", "model_call", "tool_call", "tool_result", "output"] as const;
/** One phase name. */
export type Phase = (typeof PHASES)[number];

/** Rule severities, least to most severe. */
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
/** One severity. */
export type Severity = (typeof SEVERITIES)[number];

/** A name as written, with its own span (rule names, parameters, bound variables, keys). */
export interface Ident {
  readonly kind: "Ident";
  readonly name: string;
  readonly span: Span;
}

/** A dotted name such as `acme.payments`. */
export interface QualifiedName {
  readonly kind: "QualifiedName";
  readonly parts: readonly Ident[];
  readonly span: Span;
}

/** A `//` or `/* *\/` comment, kept for the formatter; `///` doc comments also appear here. */
export interface Comment {
  readonly kind: "Comment";
  /** The comment's full text, delimiters included. */
  readonly text: string;
  readonly doc: boolean;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Expressions

/** Binary operators, by precedence group (see LANGUAGE.md: `or`, `and`, comparison, `+ -`, `* / %`). */
export type BinaryOp =
  | "or"
  | "and"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "in"
  | "not in"
  | "contains"
  | "has"
  | "matches"
  | "like"
  | "starts with"
  | "ends with"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

/** The comparison operators: one precedence level, non-associative (`a < b < c` is a syntax error). */
export const COMPARISON_OPS: readonly BinaryOp[] = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "has", "matches", "like", "starts with", "ends with"];

/** `42`, `3.5`, `1e3`. */
export interface NumberLit {
  readonly kind: "Number";
  readonly value: number;
  /** The text as written, so the formatter keeps `1_000` or `1e3` style choices it accepts. */
  readonly raw: string;
  readonly span: Span;
}

/** A string literal; `value` has escapes resolved. Messages use `Template` instead. */
export interface StringLit {
  readonly kind: "String";
  readonly value: string;
  readonly span: Span;
}

/** `true` / `false`. */
export interface BoolLit {
  readonly kind: "Bool";
  readonly value: boolean;
  readonly span: Span;
}

/** `null`. */
export interface NullLit {
  readonly kind: "Null";
  readonly span: Span;
}

/** `30s`, `15m`, `1h`, `7d`, `250ms`: a length of time, held in milliseconds. */
export interface DurationLit {
  readonly kind: "Duration";
  readonly ms: number;
  readonly raw: string;
  readonly span: Span;
}

/** `/^\/etc\//i`: JavaScript regex syntax without backreferences or lookbehind; flags from `imsu`. */
export interface RegexLit {
  readonly kind: "Regex";
  readonly pattern: string;
  readonly flags: string;
  readonly span: Span;
}

/** `[a, b, c]`. */
export interface ListLit {
  readonly kind: "List";
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** One `key: value` of an object literal; keys are identifiers (keywords allowed) or strings. */
export interface ObjectEntry {
  readonly key: string;
  readonly keySpan: Span;
  /** Whether the key was written as a string literal (`"x-y": 1`); the formatter keeps quoting minimal. */
  readonly quoted: boolean;
  readonly value: Expr;
}

/** `{ k: v, ... }`. */
export interface ObjectLit {
  readonly kind: "Object";
  readonly entries: readonly ObjectEntry[];
  readonly span: Span;
}

/** A bare name: a root of the input (`tool`, `principal`...), a const, a def, a bound variable, an import alias, a detector namespace (`pii`). */
export interface NameRef {
  readonly kind: "Name";
  readonly name: string;
  readonly span: Span;
}

/** `object.property`; `property` may be a keyword (`tool.args.from`). */
export interface Member {
  readonly kind: "Member";
  readonly object: Expr;
  readonly property: Ident;
  readonly span: Span;
}

/** `object[index]`. */
export interface Index {
  readonly kind: "Index";
  readonly object: Expr;
  readonly index: Expr;
  readonly span: Span;
}

/** `f(x, y)`, `common.external(x)`, `lower(s)`. */
export interface Call {
  readonly kind: "Call";
  readonly callee: Expr;
  readonly args: readonly Expr[];
  readonly span: Span;
}

/** `not x`, `-x`. */
export interface Unary {
  readonly kind: "Unary";
  readonly op: "not" | "-";
  readonly operand: Expr;
  readonly span: Span;
}

/**
 * `left op right`. For `has` (presence, `tool.args has amount`), `right` is a plain field path
 * (a `Name`, or `Member`s over one: `customer.id`) naming fields, never evaluated.
 */
export interface Binary {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** The operator's own span (for diagnostics such as "cannot compare string < number"). */
  readonly opSpan: Span;
  readonly span: Span;
}

/**
 * `any x in xs: body`, `all x in xs: body`, `count x in xs where body` (the `where` is optional:
 * `count x in xs` counts every element), and the ordered form `any a then b (then c) in xs: body`,
 * which holds when elements bound in that order occur at strictly increasing positions of `xs`.
 * The body extends as far right as it can, like a lambda's.
 */
export interface Quantifier {
  readonly kind: "Quantifier";
  readonly quantifier: "any" | "all" | "count";
  /** One variable, or two or more for the ordered `then` form (only with `any`). */
  readonly vars: readonly Ident[];
  readonly collection: Expr;
  /** Null only for `count x in xs` without `where`. */
  readonly body: Expr | null;
  readonly span: Span;
}

/** `( expr )`, kept so the formatter can preserve the author's grouping where it matters for reading. */
export interface Paren {
  readonly kind: "Paren";
  readonly expr: Expr;
  readonly span: Span;
}

/** Every expression form. */
export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NullLit
  | DurationLit
  | RegexLit
  | ListLit
  | ObjectLit
  | NameRef
  | Member
  | Index
  | Call
  | Unary
  | Binary
  | Quantifier
  | Paren;

// ---------------------------------------------------------------------------------------------
// Messages and effects

/**
 * A message string with `{expr}` interpolations: `"Refund of {tool.args.amount} exceeds {MAX}"`.
 * `parts` alternates literal text and expressions; `\{` in the source is a literal brace.
 */
export interface Template {
  readonly kind: "Template";
  readonly parts: readonly (string | Expr)[];
  /** The literal as written, quotes included, so diagnostics and the formatter can quote it. */
  readonly raw: string;
  readonly span: Span;
}

/** What a `redact` looks for: a regex literal, or a detector such as `pii.email` (a dotted name). */
export type Pattern = RegexLit | QualifiedName;

/** `deny "message"` (the message may be omitted: the rule id is used). */
export interface DenyEffect {
  readonly kind: "Deny";
  readonly message: Template | null;
  readonly span: Span;
}

/** `require_approval "message" from "role"`. */
export interface RequireApprovalEffect {
  readonly kind: "RequireApproval";
  readonly message: Template | null;
  readonly from: StringLit | null;
  readonly span: Span;
}

/** `allow`: explicit permission, which matters under `default deny`. */
export interface AllowEffect {
  readonly kind: "Allow";
  readonly span: Span;
}

/** `warn "message"`: recorded, never blocks. */
export interface WarnEffect {
  readonly kind: "Warn";
  readonly message: Template | null;
  readonly span: Span;
}

/** `redact <pattern> in <path> [with "text"]`: replace every match in a string field of the payload. */
export interface RedactEffect {
  readonly kind: "Redact";
  readonly pattern: Pattern;
  /** A member/index chain rooted at an input name, e.g. `output.text` or `tool.args.body`. */
  readonly target: Expr;
  readonly replacement: StringLit | null;
  readonly span: Span;
}

/** `set <path> = <expr>`: rewrite a field of the payload. */
export interface SetEffect {
  readonly kind: "Set";
  readonly target: Expr;
  readonly value: Expr;
  readonly span: Span;
}

/** Every effect. */
export type Effect = DenyEffect | RequireApprovalEffect | AllowEffect | WarnEffect | RedactEffect | SetEffect;

// ---------------------------------------------------------------------------------------------
// Rule metadata

/** `severity high`. */
export interface SeverityMeta {
  readonly kind: "Severity";
  /** As written; the checker reports values outside `SEVERITIES`. */
  readonly level: Ident;
  readonly span: Span;
}

/** `controls "soc2:CC6.1", "pci-dss-4.0:7.2.1"`. */
export interface ControlsMeta {
  readonly kind: "Controls";
  readonly values: readonly StringLit[];
  readonly span: Span;
}

/** `tags "pii", "export"`. */
export interface TagsMeta {
  readonly kind: "Tags";
  readonly values: readonly StringLit[];
  readonly span: Span;
}

/** `owner "payments-team"`. */
export interface OwnerMeta {
  readonly kind: "Owner";
  readonly value: StringLit;
  readonly span: Span;
}

/** Every metadata item of a rule. */
export type RuleMeta = SeverityMeta | ControlsMeta | TagsMeta | OwnerMeta;

// ---------------------------------------------------------------------------------------------
// Declarations

/** The text of the `///` lines directly above a declaration, without the slashes; null when none. */
export type Doc = string | null;

/** `package acme.payments`. */
export interface PackageDecl {
  readonly kind: "Package";
  readonly name: QualifiedName;
  readonly doc: Doc;
  readonly span: Span;
}

/** `import acme.common as common` (the alias defaults to the last segment). */
export interface ImportDecl {
  readonly kind: "Import";
  readonly path: QualifiedName;
  readonly alias: Ident | null;
  readonly doc: Doc;
  readonly span: Span;
}

/** `default deny`, `default allow on tool_call, output`. */
export interface DefaultDecl {
  readonly kind: "Default";
  readonly value: "allow" | "deny";
  /** Empty: every phase. */
  readonly phases: readonly Ident[];
  readonly doc: Doc;
  readonly span: Span;
}

/** `on_error deny`, `on_error allow on output`. */
export interface OnErrorDecl {
  readonly kind: "OnError";
  readonly value: "allow" | "deny";
  readonly phases: readonly Ident[];
  readonly doc: Doc;
  readonly span: Span;
}

/**
 * `const NAME = expr`, or `param NAME [: TYPE] = expr`: a param is a const whose value a
 * deployment may set with `configure` (and a test with `with`), checked against `type` (or,
 * without one, the type of the default).
 */
export interface ConstDecl {
  readonly kind: "Const";
  readonly name: Ident;
  readonly value: Expr;
  readonly param: boolean;
  /** The declared type of a param, as words (`list of string`); null when not written. */
  readonly type: TypeRef | null;
  readonly doc: Doc;
  readonly span: Span;
}

/** A type as written after `param NAME:` (`string`, `list of string`): a run of words the checker reads. */
export interface TypeRef {
  readonly kind: "TypeRef";
  readonly words: readonly Ident[];
  readonly span: Span;
}

/** `NAME = value` in a `configure` block or a test's `with` line. */
export interface Binding {
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `configure a.b { NAME = value ... }`: this policy set's values for the params of package `a.b`. */
export interface ConfigureDecl {
  readonly kind: "Configure";
  readonly package: QualifiedName;
  readonly bindings: readonly Binding[];
  readonly doc: Doc;
  readonly span: Span;
}

/** `def name(a, b) = expr` (non-recursive, directly or through other defs). */
export interface DefDecl {
  readonly kind: "Def";
  readonly name: Ident;
  readonly params: readonly Ident[];
  readonly body: Expr;
  readonly doc: Doc;
  readonly span: Span;
}

/** A rule: `rule name on phase, ... { meta* when? unless? then effects }`. */
export interface RuleDecl {
  readonly kind: "Rule";
  readonly name: Ident;
  readonly phases: readonly Ident[];
  readonly meta: readonly RuleMeta[];
  readonly when: Expr | null;
  readonly unless: Expr | null;
  readonly effects: readonly Effect[];
  /** Whether the effects were written in braces (`then { ... }`); one effect may be either way. */
  readonly braced: boolean;
  readonly doc: Doc;
  readonly span: Span;
}

/**
 * One line of a test's expectations:
 * - `expect deny`, `expect require_approval by r1, r2`: the decision (and which rules are among its reasons);
 * - `expect warn by r`: those rules are among the warnings;
 * - `expect payload.output.text == "..."`: a value of the payload after transforms.
 */
export type Expectation =
  | { readonly kind: "ExpectDecision"; readonly decision: "allow" | "deny" | "require_approval"; readonly by: readonly QualifiedName[]; readonly span: Span }
  | { readonly kind: "ExpectWarn"; readonly by: readonly QualifiedName[]; readonly span: Span }
  | { readonly kind: "ExpectPayload"; readonly path: Expr; readonly value: Expr; readonly span: Span };

/** `test "name" { on phase { input } expect ... }`. */
export interface TestDecl {
  readonly kind: "Test";
  readonly name: StringLit;
  /** `with NAME = value` lines: the package's params as this test sets them. */
  readonly given: readonly Binding[];
  readonly phase: Ident;
  /** The input, an object literal evaluated with the file's consts in scope. */
  readonly input: Expr;
  readonly expects: readonly Expectation[];
  readonly doc: Doc;
  readonly span: Span;
}

/** Every top-level declaration after `package`. */
export type Decl = ImportDecl | DefaultDecl | OnErrorDecl | ConstDecl | ConfigureDecl | DefDecl | RuleDecl | TestDecl;

/** One parsed `.policy` file. */
export interface PolicyFile {
  readonly kind: "File";
  /** The path as given to the parser (used in diagnostics). */
  readonly path: string;
  /** Null when the file has no `package` line (the checker reports it). */
  readonly package: PackageDecl | null;
  readonly decls: readonly Decl[];
  /** Every comment in source order, doc comments included. */
  readonly comments: readonly Comment[];
  readonly span: Span;
}

/** Any node that has a span. */
export type Node = PolicyFile | Decl | PackageDecl | RuleMeta | Effect | Expectation | Expr | Template | Ident | QualifiedName | Comment | TypeRef;
