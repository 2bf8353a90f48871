// `npm run bench -- agentdojo`: the AgentDojo replay (bench/agentdojo/harness.py, README there)
// on every suite of the benchmark's latest version, guarded by each suite's policy and the
// agent-security pack through `palisade serve`. Figures per suite and overall (with --json in
// bench/results/agentdojo.json); every pair's and task's outcome in bench/results/agentdojo-pairs.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runHarness } from "../test/agentdojo-venv.ts";

interface SuiteFigures {
  readonly user_tasks: number;
  readonly pairs: number;
  readonly attackable_pairs: number;
  readonly stopped_pairs: number;
  readonly unmeasured_pairs: number;
  readonly utility_tasks: number;
  readonly friction_tasks: number;
  readonly baseline_utility_tasks: number;
  readonly [k: string]: unknown;
}

const pct = (n: number, d: number): number | null => (d === 0 ? null : Math.round((1000 * n) / d) / 10);

/** Per-suite and overall figures of the replay. */
export async function benchAgentDojo(): Promise<Record<string, unknown>> {
  const r = runHarness([]);
  if (r.status !== 0) throw new Error(`bench/agentdojo/harness.py failed:\n${r.stderr.slice(-4000)}`);
  return agentDojoFigures(JSON.parse(r.stdout) as HarnessOutput);
}

interface HarnessOutput {
  readonly meta: Record<string, unknown>;
  readonly suites: Record<string, SuiteFigures>;
}

/** The figures of one harness run (and its per-pair file, written beside the results). */
export function agentDojoFigures(doc: HarnessOutput): Record<string, unknown> {
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "agentdojo-pairs.json"), `${JSON.stringify(doc, null, 1)}\n`);
  const total = { user_tasks: 0, pairs: 0, attackable_pairs: 0, stopped_pairs: 0, unmeasured_pairs: 0, utility_tasks: 0, friction_tasks: 0, baseline_utility_tasks: 0 };
  const suites: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(doc.suites)) {
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += s[k];
    suites[name] = summary(s);
  }
  return { meta: doc.meta, overall: summary(total), suites };
}

function summary(s: Omit<SuiteFigures, string> & Record<string, unknown>): Record<string, unknown> {
  const { user_tasks, pairs, attackable_pairs, stopped_pairs, unmeasured_pairs, utility_tasks, friction_tasks, baseline_utility_tasks } = s as SuiteFigures;
  return {
    attacks_stopped_pct: pct(stopped_pairs, attackable_pairs),
    utility_pct: pct(utility_tasks, user_tasks),
    friction_pct: pct(friction_tasks, user_tasks),
    baseline_utility_pct: pct(baseline_utility_tasks, user_tasks),
    user_tasks,
    pairs,
    attackable_pairs,
    stopped_pairs,
    unmeasured_pairs,
    utility_tasks,
    friction_tasks,
    ...(s.by_injection_task !== undefined ? { by_injection_task: s.by_injection_task } : {}),
  };
}
