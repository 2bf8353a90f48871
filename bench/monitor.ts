// A drift run over one million decision events against a 100,000-event baseline: count the
// tools called and test the mix (chi-square), compare latencies (two-sample KS, asymptotic at
// this size) and their PSI over the baseline's deciles. Event generation is not timed; the
// run is, from raw per-event columns to p-values, as a monitor would do it each window.
import { binCounts, chiSquareHomogeneity, ksTwoSample, psi, quantileEdges } from "../engine/monitor/index.ts";

const TOOLS = 8;

/** A small deterministic PRNG (mulberry32), so every run sees the same events. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Events {
  readonly latencyMs: Float64Array;
  readonly tool: Uint8Array;
}

/** n events: log-normal latency (median ~120 ms) scaled by `slower`, tools drawn from `mix`. */
function events(n: number, seed: number, slower: number, mix: readonly number[]): Events {
  const rand = prng(seed);
  const latencyMs = new Float64Array(n);
  const tool = new Uint8Array(n);
  const cum: number[] = [];
  let s = 0;
  for (const w of mix) cum.push((s += w));
  for (let i = 0; i < n; i++) {
    const u1 = rand() || Number.MIN_VALUE;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
    latencyMs[i] = Math.round(120 * Math.exp(0.5 * z) * slower * 1000) / 1000;
    const r = rand() * s;
    let k = 0;
    while (k < TOOLS - 1 && r >= cum[k]) k++;
    tool[i] = k;
  }
  return { latencyMs, tool };
}

function toolCounts(e: Events): number[] {
  const counts = new Array<number>(TOOLS).fill(0);
  for (let i = 0; i < e.tool.length; i++) counts[e.tool[i]]++;
  return counts;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Times a drift run (KS + chi-square + PSI) over 1M current events against a 100k baseline. */
export async function benchMonitor(): Promise<Record<string, number>> {
  const baseline = events(100_000, 1, 1, [40, 25, 12, 9, 6, 4, 3, 1]);
  const current = events(1_000_000, 2, 1.01, [38, 25, 13, 9, 6, 4, 3, 2]);
  const refTools = toolCounts(baseline);
  const refEdges = quantileEdges(baseline.latencyMs, 10);
  const refBins = binCounts(baseline.latencyMs, refEdges);
  const runs = 5;
  const total: number[] = [];
  const chi: number[] = [];
  const ks: number[] = [];
  const psiMs: number[] = [];
  let ksP = 0;
  let chiP = 0;
  let psiValue = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    chiP = chiSquareHomogeneity(refTools, toolCounts(current), { correction: false }).pValue;
    const t1 = performance.now();
    ksP = ksTwoSample(baseline.latencyMs, current.latencyMs).pValue;
    const t2 = performance.now();
    psiValue = psi(refBins, binCounts(current.latencyMs, refEdges)).psi;
    const t3 = performance.now();
    chi.push(t1 - t0);
    ks.push(t2 - t1);
    psiMs.push(t3 - t2);
    total.push(t3 - t0);
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    drift_run_1m_events_ms: round(median(total)),
    drift_run_chi_square_tools_ms: round(median(chi)),
    drift_run_ks_latency_ms: round(median(ks)),
    drift_run_psi_latency_ms: round(median(psiMs)),
    drift_run_current_events: current.tool.length,
    drift_run_baseline_events: baseline.tool.length,
    // The figures of the simulated shift, so a reader can see the run detected something.
    drift_run_ks_p: ksP,
    drift_run_chi_square_p: chiP,
    drift_run_psi: round(psiValue * 1e4) / 1e4,
  };
}
