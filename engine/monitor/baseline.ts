// Baselines: "normal" captured once from stored buckets (a time range, an agent version, an
// environment, or any mix), merged into one aggregate, named and stored, so later windows are
// compared with a fixed reference rather than with a moving one that drifts along.
import { mergeAggregates } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import { seededRandom } from "./random.ts";
import type { Baseline, BaselineSelector, MonitorStore } from "./store.ts";

/** Values kept per numeric metric when buckets merge into a baseline or a window: enough for KS to see small shifts, small enough to test in milliseconds. */
export const WINDOW_SAMPLE_CAP = 20_000;

/** How a baseline is created. */
export interface CreateBaselineOptions {
  /** Overwrite a baseline of the same name. */
  readonly replace?: boolean;
  /** Creation time; default now. */
  readonly now?: number;
}

/** Captures the buckets `selector` selects as the baseline `name` and stores it. */
export async function createBaseline(store: MonitorStore, name: string, selector: BaselineSelector, options: CreateBaselineOptions = {}): Promise<Baseline> {
  if (name.trim() === "") throw new MonitorError("monitor/bad-config", "a baseline needs a name");
  const buckets = await store.buckets({ from: selector.from ?? 0, to: selector.to ?? Number.MAX_SAFE_INTEGER, agent: selector.agent, agentVersion: selector.agentVersion, env: selector.env });
  const aggregate = mergeAggregates(buckets.map((b) => b.aggregate), WINDOW_SAMPLE_CAP, seededRandom(0xba5e));
  if (aggregate.count === 0) {
    throw new MonitorError("monitor/empty-baseline", `no recorded decisions match the baseline '${name}'`, "widen --from/--to, or check --agent-version and --env against what was recorded");
  }
  const baseline: Baseline = { name, createdAt: options.now ?? Date.now(), selector, aggregate };
  await store.saveBaseline(baseline, options.replace);
  return baseline;
}

/** The baseline named `name`, or the newest one when no name is given; throws a MonitorError when there is none. */
export async function resolveBaseline(store: MonitorStore, name: string | undefined): Promise<Baseline> {
  if (name !== undefined) {
    const b = await store.baseline(name);
    if (!b) {
      const known = (await store.baselines()).map((x) => x.name);
      throw new MonitorError("monitor/unknown-baseline", `no baseline named '${name}'`, known.length > 0 ? `known baselines: ${known.join(", ")}` : "create one with 'palisade baseline create NAME --from T --to T'");
    }
    return b;
  }
  const all = await store.baselines();
  const newest = all[all.length - 1];
  if (!newest) throw new MonitorError("monitor/no-baseline", "no baseline is stored yet", "create one with 'palisade baseline create NAME --from T --to T'");
  return newest;
}
