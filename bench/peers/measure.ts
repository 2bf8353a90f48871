// Timing for the engine benchmark: warm up, then several batches of calls over a fixed list of
// inputs, each batch long enough to dwarf the timer; the figure is the median batch's ns/call.

/** What the measured function returned last, kept so the calls cannot be optimised away. */
export let sink: unknown = null;

/** Median ns per call of `fn` over `inputs` (cycled), after warm-up; `batches` batches of about `batchMs` each. */
export function nsPerCall<T>(fn: (input: T) => unknown, inputs: readonly T[], options: { batches?: number; batchMs?: number } = {}): number {
  const batches = options.batches ?? 9;
  const batchMs = options.batchMs ?? 150;
  const n = inputs.length;
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
