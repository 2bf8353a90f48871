// The conformance corpus (spec/conformance/*.json) as typed data, and the comparison of one
// case with what an evaluator produced. Kept apart from the test file so that the compiled
// evaluator, the fuzzers and the playground can load the same corpus (STYLE.md: one corpus
// of cases feeds every implementation). Nothing here knows which evaluator it checks.
import { LINT_CODES } from "../../language/codes.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";

/** The folder that holds the corpus. */
export const corpusDir = resolve(import.meta.dirname, "..", "conformance");

/** The file listing cases the implementation is known to get wrong; not a case file. */
export const KNOWN_FAILURES_FILE = "known-failures.json";

/** The issue asks for at least this many cases; fewer fails the run. */
export const MIN_CASES = 150;

/** One diagnostic a case expects. `line`/`col` are 1-based; `help`/`message` are substrings. */
export interface ExpectedDiagnostic {
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly help?: string;
  readonly message?: string;
}

/** A reason or warning as expected: only the fields given are compared; `null` means "absent". */
export type ExpectedReason = Readonly<Record<string, unknown>>;

/** An expected rule error: compared by rule id; `message` is a substring when given. */
export interface ExpectedError {
  readonly rule: string;
  readonly message?: string;
}

/** The parts of a decision a case pins down; every field given is compared, the others are not. */
export interface ExpectedDecision {
  readonly decision?: "allow" | "deny" | "require_approval";
  readonly reasons?: readonly ExpectedReason[];
  readonly warnings?: readonly ExpectedReason[];
  readonly payload?: unknown;
  readonly errors?: readonly ExpectedError[];
}

/** One input decided by the case's policy set. */
export interface Evaluation {
  readonly phase: string;
  readonly input: Record<string, unknown>;
  readonly expect: ExpectedDecision;
  readonly note?: string;
}

/** A command-line run over the case's files written to a fresh folder. */
export interface CliRun {
  readonly args: readonly string[];
  readonly exit: number;
  /** Substrings of standard output / standard error, in any order. */
  readonly stdout?: readonly string[];
  readonly stderr?: readonly string[];
}

/**
 * A file's text. The generated form (`before`, then `repeat` written `times` times, then `after`)
 * keeps cases about size limits small on disk.
 */
export type FileText = string | readonly string[] | { readonly before?: string; readonly repeat: string; readonly times: number; readonly after?: string };

function textOf(t: FileText): string {
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join("\n");
  const g = t as Exclude<FileText, string | readonly string[]>;
  return `${g.before ?? ""}${g.repeat.repeat(g.times)}${g.after ?? ""}`;
}

function isFileText(t: unknown): boolean {
  if (typeof t === "string") return true;
  if (Array.isArray(t)) return t.every((l) => typeof l === "string");
  return isRecord(t) && typeof t.repeat === "string" && Number.isInteger(t.times) && (t.before === undefined || typeof t.before === "string") && (t.after === undefined || typeof t.after === "string");
}

/** One case: a policy set (files) and exactly one kind of expectation. */
export interface ConformanceCase {
  readonly name: string;
  readonly description: string;
  /** Each file's text, as one string, a list of lines (joined with "\n"; easier to read in JSON), or a generated text. */
  readonly files: Readonly<Record<string, FileText>>;
  /** JSON Schemas of tools' args, by tool name (what `--tool-schemas` supplies). */
  readonly toolSchemas?: Readonly<Record<string, Record<string, unknown>>>;
  /** Exactly the errors and warnings wanted (order-insensitive). Optional beside evaluations/tests: then it lists the warnings they load with. */
  readonly diagnostics?: readonly ExpectedDiagnostic[];
  readonly evaluations?: readonly Evaluation[];
  /** `wholeSet`: run each test against the whole set (`palisade test --whole-set`) instead of its own package. */
  readonly tests?: { readonly passed: number; readonly failed: number; readonly failing?: readonly string[]; readonly wholeSet?: boolean };
  readonly cli?: CliRun;
}

/** The kind of a case: what it asserts. */
export type CaseKind = "diagnostics" | "evaluations" | "tests" | "cli";

/** A case with the file it came from, its files' texts joined. */
export interface LoadedCase extends Omit<ConformanceCase, "files"> {
  readonly files: Readonly<Record<string, string>>;
  readonly source: string;
  readonly kind: CaseKind;
}

/** A known failure: the case name and one line saying what the implementation gets wrong. */
export interface KnownFailure {
  readonly name: string;
  readonly reason: string;
}

const CASE_KEYS = new Set(["name", "description", "files", "toolSchemas", "diagnostics", "evaluations", "tests", "cli"]);

function fail(where: string, what: string): never {
  throw new Error(`${where}: ${what}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The kind of a raw case, or a thrown error naming what is wrong with its shape. */
function validate(raw: unknown, where: string): CaseKind {
  if (!isRecord(raw)) fail(where, "a case must be an object");
  for (const k of Object.keys(raw)) if (!CASE_KEYS.has(k)) fail(where, `unknown field '${k}'`);
  if (typeof raw.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(raw.name)) fail(where, "name must be kebab-case");
  if (typeof raw.description !== "string" || raw.description.length === 0) fail(where, "description is required");
  if (!isRecord(raw.files) || Object.keys(raw.files).length === 0) fail(where, "files must name at least one file");
  for (const [p, t] of Object.entries(raw.files)) {
    if (!isFileText(t)) fail(where, `file '${p}' must be a string, a list of lines or { before?, repeat, times, after? }`);
  }
  const kinds = (["evaluations", "tests", "cli"] as const).filter((k) => raw[k] !== undefined);
  if (kinds.length > 1) fail(where, `a case has one kind of expectation, got ${kinds.join(" and ")}`);
  if (kinds.length === 0 && raw.diagnostics === undefined) fail(where, "a case needs diagnostics, evaluations, tests or cli");
  if (raw.diagnostics !== undefined && !Array.isArray(raw.diagnostics)) fail(where, "diagnostics must be a list");
  if (raw.evaluations !== undefined && (!Array.isArray(raw.evaluations) || raw.evaluations.length === 0)) fail(where, "evaluations must be a non-empty list");
  for (const e of (raw.evaluations ?? []) as unknown[]) {
    if (!isRecord(e) || typeof e.phase !== "string" || !isRecord(e.input) || !isRecord(e.expect)) fail(where, "an evaluation needs phase, input (an object) and expect");
  }
  return kinds[0] ?? "diagnostics";
}

/** The case files of the corpus, sorted. */
export function corpusFiles(dir: string = corpusDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== KNOWN_FAILURES_FILE)
    .sort();
}

/** Every case of one file. Throws on a file that is malformed or has no cases. */
export function loadCaseFile(file: string, dir: string = corpusDir): LoadedCase[] {
  const data: unknown = JSON.parse(readFileSync(join(dir, file), "utf8"));
  if (!isRecord(data) || !Array.isArray(data.cases)) fail(file, "a corpus file is { \"cases\": [...] }");
  if (data.cases.length === 0) fail(file, "has zero cases");
  return data.cases.map((raw: unknown, i: number) => {
    const kind = validate(raw, `${file} case ${i}`);
    const c = raw as ConformanceCase;
    const files = Object.fromEntries(Object.entries(c.files).map(([p, t]) => [p, textOf(t)]));
    return { ...c, files, source: file, kind };
  });
}

/** The whole corpus; throws when a name repeats. */
export function loadCorpus(dir: string = corpusDir): LoadedCase[] {
  const all = corpusFiles(dir).flatMap((f) => loadCaseFile(f, dir));
  const seen = new Map<string, string>();
  for (const c of all) {
    const prev = seen.get(c.name);
    if (prev !== undefined) fail(c.source, `case name '${c.name}' is also used in ${prev}`);
    seen.set(c.name, c.source);
  }
  return all;
}

/** The known-failures list. */
export function loadKnownFailures(dir: string = corpusDir): KnownFailure[] {
  const data: unknown = JSON.parse(readFileSync(join(dir, KNOWN_FAILURES_FILE), "utf8"));
  if (!isRecord(data) || !Array.isArray(data.knownFailures)) fail(KNOWN_FAILURES_FILE, "expected { \"knownFailures\": [...] }");
  return data.knownFailures.map((k: unknown, i: number) => {
    if (!isRecord(k) || typeof k.name !== "string" || typeof k.reason !== "string" || k.reason.length === 0) fail(KNOWN_FAILURES_FILE, `entry ${i} needs name and reason`);
    return { name: k.name, reason: k.reason };
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison. Each function returns a list of mismatches (empty: the case holds), so a runner
// can both assert success and assert that a known failure still fails.

/** A diagnostic as an evaluator reports it (the shape of language/diagnostics.ts). */
export interface ActualDiagnostic {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly file: string;
  readonly span: { readonly start: { readonly line: number; readonly col: number } };
  readonly help?: string;
}

function showDiag(d: ActualDiagnostic): string {
  return `${d.file}:${d.span.start.line}:${d.span.start.col} ${d.code} ${JSON.stringify(d.message)}${d.help ? ` help ${JSON.stringify(d.help)}` : ""}`;
}

function showWanted(w: ExpectedDiagnostic): string {
  return `${w.file ?? "*"}:${w.line ?? "*"}:${w.col ?? "*"} ${w.code}${w.message ? ` message~${JSON.stringify(w.message)}` : ""}${w.help ? ` help~${JSON.stringify(w.help)}` : ""}`;
}

function diagMatches(w: ExpectedDiagnostic, d: ActualDiagnostic): boolean {
  return (
    w.code === d.code &&
    (w.file === undefined || w.file === d.file) &&
    (w.line === undefined || w.line === d.span.start.line) &&
    (w.col === undefined || w.col === d.span.start.col) &&
    (w.help === undefined || (d.help ?? "").includes(w.help)) &&
    (w.message === undefined || d.message.includes(w.message))
  );
}

/** Exactly the wanted diagnostics, in any order: each wanted one matched once, nothing left over. */
export function compareDiagnostics(wanted: readonly ExpectedDiagnostic[], actual: readonly ActualDiagnostic[], lints: ReadonlySet<string> = new Set()): string[] {
  // The lints are compared only in cases that ask for one of them, and then all of them (spec/conformance.md).
  const asked = wanted.some((w) => lints.has(w.code));
  const left = actual.filter((d) => asked || !lints.has(d.code));
  const missing: ExpectedDiagnostic[] = [];
  // Most specific expectations first, so that a loose one cannot take a diagnostic a precise one needs.
  const order = [...wanted].sort((a, b) => specificity(b) - specificity(a));
  for (const w of order) {
    const i = left.findIndex((d) => diagMatches(w, d));
    if (i < 0) missing.push(w);
    else left.splice(i, 1);
  }
  const out: string[] = [];
  for (const w of missing) out.push(`missing diagnostic ${showWanted(w)}`);
  for (const d of left) out.push(`unexpected diagnostic ${showDiag(d)}`);
  if (out.length > 0) out.push(`all diagnostics: ${actual.length === 0 ? "none" : actual.map(showDiag).join("; ")}`);
  return out;
}

function specificity(w: ExpectedDiagnostic): number {
  return [w.file, w.line, w.col, w.help, w.message].filter((x) => x !== undefined).length;
}

/** A decision as an evaluator returns it (LANGUAGE.md, "The decision"). */
export interface ActualDecision {
  readonly decision: string;
  readonly reasons: readonly object[];
  readonly warnings: readonly object[];
  readonly payload: unknown;
  readonly errors: readonly { readonly rule: string; readonly message: string }[];
}

function compareReasons(field: string, wanted: readonly ExpectedReason[], actual: readonly object[]): string[] {
  const got = JSON.stringify(actual);
  if (wanted.length !== actual.length) return [`${field}: wanted ${wanted.length}, got ${actual.length}: ${got}`];
  const out: string[] = [];
  wanted.forEach((w, i) => {
    const a = actual[i] as Record<string, unknown>;
    for (const [k, v] of Object.entries(w)) {
      const present = Object.hasOwn(a, k) && a[k] !== undefined;
      if (v === null ? present : !isDeepStrictEqual(a[k], v)) out.push(`${field}[${i}].${k}: wanted ${JSON.stringify(v)}, got ${present ? JSON.stringify(a[k]) : "(absent)"}`);
    }
  });
  if (out.length > 0) out.push(`${field} were ${got}`);
  return out;
}

/** The fields the case gives, compared with the decision. */
export function compareDecision(wanted: ExpectedDecision, actual: ActualDecision): string[] {
  const out: string[] = [];
  if (wanted.decision !== undefined && wanted.decision !== actual.decision) {
    out.push(`decision: wanted ${wanted.decision}, got ${actual.decision} (reasons ${JSON.stringify(actual.reasons)}, errors ${JSON.stringify(actual.errors)})`);
  }
  if (wanted.reasons !== undefined) out.push(...compareReasons("reasons", wanted.reasons, actual.reasons));
  if (wanted.warnings !== undefined) out.push(...compareReasons("warnings", wanted.warnings, actual.warnings));
  if (wanted.payload !== undefined && !isDeepStrictEqual(wanted.payload, actual.payload)) {
    out.push(`payload: wanted ${JSON.stringify(wanted.payload)}, got ${JSON.stringify(actual.payload)}`);
  }
  if (wanted.errors !== undefined) {
    const ids = actual.errors.map((e) => e.rule);
    if (!isDeepStrictEqual(wanted.errors.map((e) => e.rule), ids)) out.push(`errors: wanted rules ${JSON.stringify(wanted.errors.map((e) => e.rule))}, got ${JSON.stringify(actual.errors)}`);
    else
      wanted.errors.forEach((w, i) => {
        if (w.message !== undefined && !actual.errors[i].message.includes(w.message)) out.push(`errors[${i}].message: wanted to contain ${JSON.stringify(w.message)}, got ${JSON.stringify(actual.errors[i].message)}`);
      });
  }
  return out;
}

/** A deep copy that the evaluator cannot reach into, and a frozen original it must not change. */
export function deepFreeze<T>(x: T): T {
  if (typeof x === "object" && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Running a case against an evaluator. Everything the corpus needs from an implementation goes
// through this interface, so the reference interpreter and the compiled evaluator are run over
// the same cases by passing a different Evaluator.

/** A decision as the runner reads it. */
export interface DecisionLike {
  readonly decision: string;
  readonly reasons: readonly object[];
  readonly warnings: readonly object[];
  readonly payload: unknown;
  readonly errors: readonly { readonly rule: string; readonly message: string }[];
  readonly policy?: { readonly digest?: string };
}

/** What an implementation offers the corpus. */
export interface Evaluator {
  readonly name: string;
  /** Parses and checks; `set` is null when there are errors. */
  load(sources: { path: string; text: string }[], toolSchemas: LoadedCase["toolSchemas"]): {
    readonly diagnostics: readonly ActualDiagnostic[];
    readonly set: { decide(phase: string, input: unknown): DecisionLike; runTests(wholeSet: boolean): { name: string; passed: boolean; failures: readonly string[] }[] } | null;
  };
}

/** The code registry's shape (language/codes.ts), so this module does not import the language. */
export type CodeRegistry = Readonly<Record<string, { readonly severity: string }>>;

/** Diagnostics whose severity is not their code's registered one, or whose code is unregistered. */
export function severityMismatches(diags: readonly ActualDiagnostic[], codes: CodeRegistry): string[] {
  return diags
    .filter((d) => !Object.hasOwn(codes, d.code) || codes[d.code].severity !== d.severity)
    .map((d) => `diagnostic ${d.code} has severity ${d.severity}, not the registry's`);
}

/** A case's files as the sources an evaluator loads. */
export function sourcesOf(c: LoadedCase): { path: string; text: string }[] {
  return Object.entries(c.files).map(([path, text]) => ({ path, text }));
}

const DECISIONS = new Set(["allow", "deny", "require_approval"]);

/** What every decision must look like (LANGUAGE.md, "The decision"), whatever the case pins down. */
export function decisionShape(d: DecisionLike): string[] {
  const out: string[] = [];
  if (!DECISIONS.has(d.decision)) out.push(`decision '${d.decision}' is not allow, deny or require_approval`);
  for (const k of ["reasons", "warnings", "errors"] as const) if (!Array.isArray(d[k])) out.push(`${k} is not a list`);
  const digest = d.policy?.digest;
  if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) out.push(`policy.digest is not 'sha256:<64 hex>': ${JSON.stringify(d.policy)}`);
  return out;
}

/**
 * Runs a `diagnostics`, `evaluations` or `tests` case: the mismatches between what it wants and
 * what the evaluator did (empty: the case holds). `codes` is the diagnostic code registry.
 */
export function runSetCase(c: LoadedCase, ev: Evaluator, codes: CodeRegistry): string[] {
  if (c.kind === "cli") throw new Error(`${c.name}: cli cases run through the command line, not an evaluator`);
  let loaded: ReturnType<Evaluator["load"]>;
  try {
    loaded = ev.load(sourcesOf(c), c.toolSchemas);
  } catch (err) {
    return [`loading threw: ${err instanceof Error ? err.stack : String(err)}`];
  }
  const out = [...compareDiagnostics(c.diagnostics ?? [], loaded.diagnostics, LINT_CODES), ...severityMismatches(loaded.diagnostics, codes)];
  if (c.kind === "diagnostics") return out;
  if (!loaded.set) return [...out, "the policy set did not load"];
  if (c.kind === "tests") {
    let results;
    try {
      results = loaded.set.runTests(c.tests?.wholeSet === true);
    } catch (err) {
      return [...out, `running tests threw: ${err instanceof Error ? err.stack : String(err)}`];
    }
    const passed = results.filter((r) => r.passed).length;
    const failed = results.length - passed;
    const want = c.tests!;
    const detail = results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.failures.join("; ")}`).join(" | ");
    if (passed !== want.passed || failed !== want.failed) out.push(`tests: wanted ${want.passed} passed, ${want.failed} failed; got ${passed} passed, ${failed} failed${detail ? ` (${detail})` : ""}`);
    if (want.failing !== undefined) {
      const names = results.filter((r) => !r.passed).map((r) => r.name).sort();
      if (!isDeepStrictEqual(names, [...want.failing].sort())) out.push(`failing tests: wanted ${JSON.stringify(want.failing)}, got ${JSON.stringify(names)}`);
    }
    return out;
  }
  c.evaluations!.forEach((e, i) => {
    const label = `evaluation ${i + 1}${e.note ? ` (${e.note})` : ""}`;
    const pristine: unknown = structuredClone(e.input);
    // The input is frozen: an evaluator that mutates it throws here instead of passing silently.
    const input = deepFreeze(structuredClone(e.input));
    let d: DecisionLike;
    try {
      d = loaded.set!.decide(e.phase, input);
    } catch (err) {
      out.push(`${label}: decide threw: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const m of [...decisionShape(d), ...compareDecision(e.expect, d)]) out.push(`${label}: ${m}`);
    if (!isDeepStrictEqual(input, pristine)) out.push(`${label}: the input was mutated`);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Coverage: which language constructs a case exercises, read off the parsed files. The parser's
// AST is walked generically (any object with a `kind`), so this does not break when node types
// gain fields.

/** The reserved words of spec/language.md §2; after `.` and as object keys they are plain names. */
export const KEYWORDS: ReadonlySet<string> = new Set(
  "package import as const def rule on test expect by default on_error when unless then deny require_approval from allow warn redact with set any all count where in not and or contains has param configure matches like starts ends true false null severity controls tags owner payload".split(" "),
);

/** The constructs found in one parsed file (a `File` node). */
export function constructsOf(file: unknown, text: string): Set<string> {
  const found = new Set<string>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    if (!isRecord(n)) return;
    const kind = typeof n.kind === "string" ? n.kind : undefined;
    if (kind !== undefined) {
      found.add(kind);
      if (kind === "Binary" || kind === "Unary") found.add(`${kind}:${String(n.op)}`);
      if (kind === "Quantifier") {
        found.add(`Quantifier:${String(n.quantifier)}`);
        if (Array.isArray(n.vars) && n.vars.length > 2) found.add("Quantifier:ordered-3");
        if (Array.isArray(n.vars) && n.vars.length > 1) found.add("Quantifier:ordered");
        if (n.body === null) found.add("Quantifier:count-without-where");
      }
      if ((kind === "Default" || kind === "OnError") && Array.isArray(n.phases)) found.add(`${kind}:${String(n.value)}${n.phases.length > 0 ? ":phases" : ""}`);
      if (kind === "Import" && n.alias !== null) found.add("Import:alias");
      if (kind === "Import" && n.alias === null) found.add("Import:plain");
      if (kind === "Template" && Array.isArray(n.parts) && n.parts.some((p) => typeof p !== "string")) found.add("Template:interpolation");
      if (kind === "Redact") {
        found.add(isRecord(n.pattern) && n.pattern.kind === "Regex" ? "Redact:regex" : "Redact:detector");
        if (n.replacement !== null) found.add("Redact:with");
      }
      if (kind === "RequireApproval" && n.from !== null) found.add("RequireApproval:from");
      if ((kind === "Deny" || kind === "Warn" || kind === "RequireApproval") && n.message === null) found.add("Effect:no-message");
      if (kind === "Rule") {
        if (n.braced === true) found.add("Rule:effect-list");
        if (Array.isArray(n.phases) && n.phases.length > 1) found.add("Rule:several-phases");
        if (n.when === null) found.add("Rule:no-when");
        if (n.unless !== null) found.add("Rule:unless");
      }
      if (kind === "Comment") found.add(n.doc === true ? "Comment:doc" : "Comment:plain");
      if (kind === "Regex" && typeof n.flags === "string" && n.flags.length > 0) found.add("Regex:flags");
      if (typeof n.doc === "string" && n.doc.length > 0) found.add("Doc:attached");
      if (kind === "Member" && isRecord(n.property) && KEYWORDS.has(String(n.property.name))) found.add("Member:keyword-field");
      if (kind === "Object" && Array.isArray(n.entries)) {
        for (const e of n.entries) {
          if (isRecord(e) && KEYWORDS.has(String(e.key)) && e.quoted !== true) found.add("Object:keyword-key");
          if (isRecord(e) && e.quoted === true) found.add("Object:quoted-key");
        }
      }
      if (kind === "Number" && typeof n.raw === "string" && /[.eE]/.test(n.raw)) found.add("Number:decimal-or-exponent");
    }
    for (const [k, v] of Object.entries(n)) if (k !== "span") visit(v);
  };
  visit(file);
  if (/\/\*/.test(text)) found.add("Comment:block");
  return found;
}
