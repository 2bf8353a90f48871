// Running the `test` blocks of a policy set: each test's input is decided by the whole set,
// and every `expect` line is compared with the decision.
import type { CheckedProgram, CheckedTest } from "../../language/check/program.ts";
import type { PolicyFile } from "../../language/ast.ts";
import { check } from "../../language/check/index.ts";
import { readPayloadPath } from "../compile/reference.ts";
import { displayValue, equals } from "../compile/values.ts";
import type { Decision } from "./decision.ts";
import { PolicySet } from "./policy-set.ts";

/** The outcome of one test block. */
export interface TestResult {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** The package the test belongs to. */
  readonly package: string;
  readonly passed: boolean;
  /** One line per failed expectation: expected vs actual, and the rule that decided. */
  readonly failures: readonly string[];
  readonly decision: Decision | null;
  /** The ids of the rules that fired on the test's input (their condition held, without error), for `--coverage`. */
  readonly fired: readonly string[];
}

function decidedBy(d: Decision): string {
  const rules = d.reasons.filter((r) => r.effect === d.decision).map((r) => r.rule);
  return rules.length > 0 ? `decided by ${rules.join(", ")}` : d.errors.length > 0 ? `errored: ${d.errors.map((e) => `${e.rule}: ${e.message}`).join("; ")}` : "decided by the default";
}

/** Runs one test against `set` (with the params its `with` lines give). */
export function runTest(set: PolicySet, t: CheckedTest): TestResult {
  const base = { name: t.name, file: t.file, line: t.decl.span.start.line, package: t.package };
  if (t.given.size > 0) set = withParams(set, t.given);
  let decision: Decision;
  let fired: string[];
  try {
    const input = set.reference.evalClosed(t.decl.input);
    // The input is the engine's own value, evaluated from the test's literal: nothing to copy.
    decision = set.decide(t.phase, input, { json: true });
    // The reference interpreter's firings: the differential tests hold it in step with the compiled evaluator.
    fired = set.reference.fire(t.phase, input as never).flatMap((f) => (f.error === undefined ? [f.rule.id] : []));
  } catch (err) {
    return { ...base, passed: false, failures: [`could not run: ${err instanceof Error ? err.message : String(err)}`], decision: null, fired: [] };
  }
  const failures: string[] = [];
  for (const { expectation: x, rules } of t.expects) {
    if (x.kind === "ExpectDecision") {
      if (decision.decision !== x.decision) failures.push(`expected ${x.decision}, got ${decision.decision} (${decidedBy(decision)})`);
      // A deny that only an error gave (on_error) is not the deny a test means: the rule it tests may never fire.
      else if (x.decision === "deny" && decision.errors.length > 0 && !decision.reasons.some((r) => r.effect === "deny")) {
        failures.push(`expected deny, got a deny only because of errors (on_error): ${decision.errors.map((e) => `${e.rule}: ${e.message}`).join("; ")}`);
      }
      const got = new Set(decision.reasons.map((r) => r.rule));
      for (const r of rules) if (!got.has(r)) failures.push(`expected ${r} among the reasons, got [${[...got].join(", ")}]`);
    } else if (x.kind === "ExpectWarn") {
      const got = new Set(decision.warnings.map((r) => r.rule));
      for (const r of rules) if (!got.has(r)) failures.push(`expected a warning by ${r}, got [${[...got].join(", ")}]`);
    } else {
      const actual = readPayloadPath(x.path, decision.payload, (e) => set.reference.evalClosed(e));
      const expected = set.reference.evalClosed(x.value);
      if (!equals(actual, expected)) failures.push(`expected payload ${pathText(x.path)} == ${JSON.stringify(displayValue(expected))}, got ${JSON.stringify(displayValue(actual))}`);
    }
  }
  return { ...base, passed: failures.length === 0, failures, decision, fired };
}

function pathText(e: import("../../language/ast.ts").Expr): string {
  switch (e.kind) {
    case "Name":
      return e.name;
    case "Member":
      return `${pathText(e.object)}.${e.property.name}`;
    case "Index":
      return `${pathText(e.object)}[...]`;
    default:
      return "...";
  }
}

/** A rule no test reaches: no test's input makes it fire. */
export interface UnreachedRule {
  readonly id: string;
  readonly file: string;
  readonly line: number;
}

/** Test coverage of a set's rules: a rule is reached when it fired in at least one test. */
export function coverage(set: PolicySet, results: readonly TestResult[]): { reached: number; total: number; unreached: UnreachedRule[] } {
  const fired = new Set(results.flatMap((r) => r.fired));
  const unreached = set.program.rules.filter((r) => !fired.has(r.id)).map((r) => ({ id: r.id, file: r.file, line: r.decl.span.start.line }));
  return { reached: set.program.rules.length - unreached.length, total: set.program.rules.length, unreached };
}

/** How `runTests` decides each test's input. */
export interface TestOptions {
  /**
   * Against the whole set (every package loaded, configured as the set configures them)
   * instead of against the test's own package and the packages it imports (the default,
   * spec/soundness.md), which is what lets a pack's tests pass whatever else is loaded.
   */
  readonly wholeSet?: boolean;
}

/** Runs every test block of the set, in file order. */
export function runTests(set: PolicySet, options: TestOptions = {}): TestResult[] {
  if (options.wholeSet === true) return set.program.tests.map((t) => runTest(set, t));
  const own = new Map<string, PolicySet | string>();
  return set.program.tests.map((t) => {
    let sub = own.get(t.package);
    if (sub === undefined) own.set(t.package, (sub = packageSet(set, t.package)));
    if (typeof sub === "string") return { name: t.name, file: t.file, line: t.decl.span.start.line, package: t.package, passed: false, failures: [sub], decision: null, fired: [] };
    const mine = sub.program.tests.find((x) => x.decl === t.decl);
    return mine === undefined ? runTest(set, t) : runTest(sub, mine);
  });
}

/** The packages `pkg` imports, transitively, and itself. */
function closure(program: CheckedProgram, pkg: string): Set<string> {
  const out = new Set<string>();
  const todo = [pkg];
  while (todo.length > 0) {
    const p = todo.pop() as string;
    if (out.has(p)) continue;
    out.add(p);
    todo.push(...(program.packages.get(p)?.imports ?? []));
  }
  return out;
}

/**
 * The set of one package and what it imports: its own settings, its params at their defaults
 * (a `configure` of a package outside it is dropped), no other package's rules. A message when it
 * does not check on its own (a test naming a rule of a package it does not import).
 */
function packageSet(set: PolicySet, pkg: string): PolicySet | string {
  const keep = closure(set.program, pkg);
  const files: PolicyFile[] = set.program.files
    .filter((f) => keep.has(f.package?.name.parts.map((p) => p.name).join(".") ?? ""))
    .map((f) => ({ ...f, decls: f.decls.filter((d) => d.kind !== "Configure" || keep.has(d.package.parts.map((p) => p.name).join("."))) }));
  const { program, diagnostics } = check(files, { toolSchemas: set.program.toolSchemas });
  if (program === null) {
    const first = diagnostics.find((d) => d.severity === "error");
    return `could not run on package '${pkg}' alone (${first === undefined ? "it does not check" : `${first.file}:${first.span.start.line}: ${first.message}`}); run it with --whole-set`;
  }
  return new PolicySet(program, set.digest, set.version, set.evaluator);
}

/** `set` with some params set to other values (a test's `with` lines). */
function withParams(set: PolicySet, given: ReadonlyMap<string, import("../../language/ast.ts").Expr>): PolicySet {
  const consts = new Map([...set.program.consts].map(([id, c]) => [id, given.has(id) ? { ...c, value: given.get(id) as typeof c.value } : c]));
  return new PolicySet({ ...set.program, consts }, set.digest, set.version, set.evaluator);
}
