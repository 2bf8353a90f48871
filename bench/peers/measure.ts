// Timing for the engine benchmark: warm up, then several batches of calls over a fixed list of
// inputs, each batch long enough to dwarf the timer; the figure is the median batch's ns/call.

/** What the measured function returned last, kept so the calls cannot be optimised away. */
export let sink: unknown = null;

/**
 * Median ns per call of `fn` over `inputs` (cycled): a warm-up of `warmupMs` (every closure of
 * a compiled policy reaches the optimising tier; a short warm-up measures the interpreter
 * tier instead), then `batches` batches of about `batchMs` each.
 */
export function nsPerCall<T>(fn: (input: T) => unknown, inputs: readonly T[], options: { batches?: number; batchMs?: number; warmupMs?: number } = {}): number {
  const batches = options.batches ?? 9;
  const batchMs = options.batchMs ?? 150;
  const n = inputs.length;
  const warmEnd = performance.now() + (options.warmupMs ?? 1500);
  while (performance.now() < warmEnd) for (let i = 0; i < n; i++) sink = fn(inputs[i]);
  // Calibrate: how many calls make a batch of about batchMs (this is also the warm-up).
  let calls = n;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink = fn(inputs[i % n]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= batchMs / 4) {
      calls = Math.max(n, Math.ceil((calls * batchMs) / Math.max(ms, 0.001)));
      break;
    }
    calls *= 4;
  }
  const perCall: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink = fn(inputs[i % n]);
    perCall.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)];
}

/** A function and the inputs it is timed on (cycled). */
export interface Contestant {
  readonly fn: (input: never) => unknown;
  readonly inputs: readonly unknown[];
}

/**
 * Median ns per call of each contestant, with their batches interleaved (one batch of each in
 * turn, `rounds` times), so that a change in machine load affects every contestant alike.
 */
export function interleaved(contestants: Readonly<Record<string, Contestant>>, options: { rounds?: number; batchMs?: number; warmupMs?: number } = {}): Record<string, number> {
  const rounds = options.rounds ?? 9;
  const batchMs = options.batchMs ?? 100;
  const plans = Object.entries(contestants).map(([name, c]) => {
    const fn = c.fn as (input: unknown) => unknown;
    const n = c.inputs.length;
    const warmEnd = performance.now() + (options.warmupMs ?? 1000);
    let calls = 0;
    while (performance.now() < warmEnd) for (let i = 0; i < n; i++, calls++) sink = fn(c.inputs[i]);
    const perBatch = Math.max(n, Math.ceil((calls / (options.warmupMs ?? 1000)) * batchMs));
    return { name, fn, inputs: c.inputs, n, perBatch, samples: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const p of plans) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < p.perBatch; i++) sink = p.fn(p.inputs[i % p.n]);
      p.samples.push(Number(process.hrtime.bigint() - t0) / p.perBatch);
    }
  }
  const out: Record<string, number> = {};
  for (const p of plans) {
    p.samples.sort((a, b) => a - b);
    out[p.name] = p.samples[Math.floor(p.samples.length / 2)];
  }
  return out;
}
