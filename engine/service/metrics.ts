// Counters, gauges and histograms in the Prometheus text format (version 0.0.4). Plain maps and
// arrays: a request pays for a few increments, and rendering happens only on a scrape. Counters
// end in `_total` and are typed counter; values read at scrape time (queue lengths, pending
// approvals, the age of the last checkpoint) are gauges and may be read asynchronously.

const DECISION_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
const HTTP_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Counters are keyed by their label values in nested maps rather than by a label string, which
// would be built (and hashed) on every request.
function bump<K>(outer: Map<string, Map<K, number>>, a: string, b: K): void {
  let inner = outer.get(a);
  if (inner === undefined) outer.set(a, (inner = new Map()));
  inner.set(b, (inner.get(b) ?? 0) + 1);
}

/** A histogram of one series: cumulative on render, per-bucket while counting. */
class Histogram {
  readonly #bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(v: number): void {
    let i = 0;
    while (i < this.#bounds.length && v > this.#bounds[i]) i++;
    if (i < this.#bounds.length) this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  lines(name: string, labels: string): string[] {
    const out: string[] = [];
    const sep = labels === "" ? "" : ",";
    let cum = 0;
    this.#bounds.forEach((b, i) => {
      cum += this.counts[i];
      out.push(`${name}_bucket{${labels}${sep}le="${b}"} ${cum}`);
    });
    out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`);
    const braces = labels === "" ? "" : `{${labels}}`;
    out.push(`${name}_sum${braces} ${this.sum}`, `${name}_count${braces} ${this.count}`);
    return out;
  }
}

/** A value read on each scrape. */
interface Read {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly read: () => number | Promise<number>;
}

function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** The service's metrics. */
export class Metrics {
  readonly #decisions = new Map<string, Map<string, number>>();
  readonly #http = new Map<string, Map<number, number>>();
  readonly #latency = new Histogram(DECISION_BUCKETS_S);
  /** Request durations by route, then method. */
  readonly #durations = new Map<string, Map<string, Histogram>>();
  readonly #reads: Read[] = [];

  /** Counts one decision and its evaluation time. */
  decision(phase: string, decision: string, ms: number): void {
    bump(this.#decisions, phase, decision);
    this.#latency.observe(ms / 1000);
  }

  /** Counts one HTTP response by route and status, and its duration by route and method. */
  response(route: string, method: string, status: number, ms: number): void {
    bump(this.#http, route, status);
    let byMethod = this.#durations.get(route);
    if (byMethod === undefined) this.#durations.set(route, (byMethod = new Map()));
    let h = byMethod.get(method);
    if (h === undefined) byMethod.set(method, (h = new Histogram(HTTP_BUCKETS_S)));
    h.observe(ms / 1000);
  }

  /** Adds a gauge read on each scrape. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    this.#reads.push({ name, help, type: "gauge", read });
  }

  /** Adds a counter kept elsewhere (it must only grow), read on each scrape; `name` ends in `_total`. */
  counter(name: string, help: string, read: () => number): void {
    if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
    this.#reads.push({ name, help, type: "counter", read });
  }

  /** The exposition text. A gauge that cannot be read is left out (its HELP and TYPE too). */
  async render(): Promise<string> {
    const lines: string[] = [];
    lines.push("# HELP palisade_decisions_total Decisions taken, by phase and outcome.", "# TYPE palisade_decisions_total counter");
    for (const [phase, m] of this.#decisions) for (const [decision, v] of m) lines.push(`palisade_decisions_total{phase="${escapeLabel(phase)}",decision="${escapeLabel(decision)}"} ${v}`);
    lines.push("# HELP palisade_http_responses_total HTTP responses, by route and status.", "# TYPE palisade_http_responses_total counter");
    for (const [route, m] of this.#http) for (const [status, v] of m) lines.push(`palisade_http_responses_total{route="${escapeLabel(route)}",status="${status}"} ${v}`);
    lines.push("# HELP palisade_http_request_duration_seconds Time from a request's arrival to its answer, by route and method.", "# TYPE palisade_http_request_duration_seconds histogram");
    for (const [route, m] of this.#durations) for (const [method, h] of m) lines.push(...h.lines("palisade_http_request_duration_seconds", `route="${escapeLabel(route)}",method="${method}"`));
    lines.push("# HELP palisade_decision_seconds Policy evaluation time.", "# TYPE palisade_decision_seconds histogram");
    lines.push(...this.#latency.lines("palisade_decision_seconds", ""));
    const values = await Promise.all(this.#reads.map(async (r) => {
      try {
        return await r.read();
      } catch {
        return undefined;
      }
    }));
    this.#reads.forEach((r, i) => {
      const v = values[i];
      if (v === undefined || !Number.isFinite(v)) return;
      lines.push(`# HELP ${r.name} ${r.help}`, `# TYPE ${r.name} ${r.type}`, `${r.name} ${v}`);
    });
    return `${lines.join("\n")}\n`;
  }
}
