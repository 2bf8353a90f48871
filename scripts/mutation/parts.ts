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

// Test files are listed fastest first: the runner stops at the first file that kills a mutant,
// so a mutant the unit tests kill never waits for the slower suites.
export const PARTS: Readonly<Record<string, Part>> = {
  // Effect combination and transforms, the policy set, linear-time regexes (ReDoS screening).
  runtime: {
    mutate: ["engine/runtime/combine.ts", "engine/runtime/policy-set.ts", "engine/runtime/stdlib/regex-guard.ts"],
    tests: ["engine/runtime/test/combine.test.ts", "engine/runtime/stdlib/test/regex-guard.test.ts", "engine/runtime/test/bad-input.test.ts", "spec/test/conformance.test.ts"],
    floor: 0,
  },
  // The compiled evaluator's decision path, its effects (redaction) and its rule index.
  compile: {
    mutate: ["engine/compile/compile.ts", "engine/compile/compile-effects.ts", "engine/compile/index-rules.ts"],
    tests: ["engine/compile/test/index-rules.test.ts", "engine/compile/test/builtins.test.ts", "spec/test/conformance.test.ts", "engine/compile/test/compile.test.ts"],
    floor: 0,
  },
  // The Merkle tree, proofs, checkpoints and their verification (the stores are not core).
  audit: {
    mutate: ["engine/audit/merkle.ts", "engine/audit/hash.ts", "engine/audit/checkpoint.ts", "engine/audit/verify.ts"],
    tests: ["engine/audit/test/hash.test.ts", "engine/audit/test/merkle.test.ts", "engine/audit/test/checkpoint.test.ts", "engine/audit/test/verify.test.ts", "engine/audit/test/tiles.test.ts", "engine/audit/test/tamper.test.ts"],
    floor: 0,
  },
  // Keys, their scopes, rate limits and the approval queue of the service.
  service: {
    mutate: ["engine/service/keys.ts", "engine/service/rate-limit.ts", "engine/service/approvals.ts"],
    tests: ["engine/service/test/keys.test.ts", "engine/service/test/limits.test.ts", "engine/service/test/approval-queue.test.ts", "engine/service/test/routes.test.ts", "engine/service/test/decide.test.ts", "engine/service/test/approvals.test.ts"],
    // Provisional (spec/testing.md): a partial run at load 25-45 stood at 66% after 212 of 329 mutants.
    floor: 60,
  },
  // The promotion gates: approvals, tests, replay, drift alerts.
  environments: {
    mutate: ["engine/environments/gates.ts", "engine/environments/drift.ts", "engine/environments/approvals.ts"],
    tests: ["engine/environments/test/gates.test.ts", "engine/environments/test/alert-states.test.ts", "engine/environments/test/drift.test.ts", "engine/environments/test/approvals.test.ts", "engine/environments/test/replay-gate.test.ts", "engine/environments/test/promotion.test.ts"],
    // Provisional (spec/testing.md): a partial run of gates.ts alone stood at 88% after 51 of 122 mutants.
    floor: 70,
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
  readonly load_average_start?: number;
  readonly files?: number;
  /** Set when a run covered only these of the part's files (`--files`). */
  readonly only?: readonly string[];
}

const sources = new Map<string, string[]>();
function originalText(file: string, m: MutantOutcome): string {
  let lines = sources.get(file);
  if (lines === undefined) sources.set(file, (lines = readFileSync(resolve(root, file), "utf8").split("\n")));
  // Stryker's locations are zero-based lines and columns.
  const { start, end } = m.location;
  if (start.line === end.line) return lines[start.line].slice(start.column, end.column);
  return [lines[start.line].slice(start.column), ...lines.slice(start.line + 1, end.line), lines[end.line].slice(0, end.column)].join("\n");
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
      const original = originalText(file, m);
      if (equivalent.some((e) => e.file === file && e.mutator === m.mutatorName && e.original === original && e.replacement === m.replacement)) {
        count.equivalent++;
        continue;
      }
      if (m.status === "Survived") count.survived++;
      else count.no_coverage++;
      survivors.push(`${file}:${m.location.start.line + 1} ${m.mutatorName}${m.status === "NoCoverage" ? " (no coverage)" : ""}: ${JSON.stringify(original.length > 80 ? `${original.slice(0, 77)}...` : original)} -> ${JSON.stringify(m.replacement.length > 80 ? `${m.replacement.slice(0, 77)}...` : m.replacement)}`);
    } else if (m.status === "CompileError" || m.status === "RuntimeError") count.errors++;
  }
  const counted = count.killed + count.timeout + count.survived + count.no_coverage;
  const score = counted === 0 ? 100 : Math.floor(((count.killed + count.timeout) / counted) * 1000) / 10;
  return { score, floor, mutants: mutants.length, ...count, survivors };
}
