// Running the `test` blocks of a policy set: each test's input is decided by the whole set,
// and every `expect` line is compared with the decision.
import type { CheckedTest } from "../../language/check/program.ts";
import { readPayloadPath } from "../compile/reference.ts";
import { displayValue, equals } from "../compile/values.ts";
import type { Decision } from "./decision.ts";
import type { PolicySet } from "./policy-set.ts";

/** The outcome of one test block. */
export interface TestResult {
  readonly name: string;
  readonly file: string;
  readonly line: number;
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

/** Runs one test. */
export function runTest(set: PolicySet, t: CheckedTest): TestResult {
  const base = { name: t.name, file: t.file, line: t.decl.span.start.line };
  let decision: Decision;
  let fired: string[];
  try {
    const input = set.reference.evalClosed(t.decl.input);
    decision = set.decide(t.phase, input);
    // The reference interpreter's firings: the differential tests hold it in step with the compiled evaluator.
    fired = set.reference.fire(t.phase, input as never).flatMap((f) => (f.error === undefined ? [f.rule.id] : []));
  } catch (err) {
    return { ...base, passed: false, failures: [`could not run: ${err instanceof Error ? err.message : String(err)}`], decision: null, fired: [] };
  }
  const failures: string[] = [];
  for (const { expectation: x, rules } of t.expects) {
    if (x.kind === "ExpectDecision") {
      if (decision.decision !== x.decision) failures.push(`expected ${x.decision}, got ${decision.decision} (${decidedBy(decision)})`);
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

/** Runs every test block of the set, in file order. */
export function runTests(set: PolicySet): TestResult[] {
  return set.program.tests.map((t) => runTest(set, t));
}
