// Counters and a latency histogram in the Prometheus text format (version 0.0.4). Plain maps and
// arrays: a decision pays for two increments, and rendering happens only on a scrape.

const BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100];

/** The service's metrics. */
// Counters are keyed by their label values in nested maps rather than by a label string, which
// would be built (and hashed) on every request.
function bump<K>(outer: Map<string, Map<K, number>>, a: string, b: K): void {
  let inner = outer.get(a);
  if (inner === undefined) outer.set(a, (inner = new Map()));
  inner.set(b, (inner.get(b) ?? 0) + 1);
}

export class Metrics {
  readonly #decisions = new Map<string, Map<string, number>>();
  readonly #http = new Map<string, Map<number, number>>();
  readonly #latency = new Array<number>(BUCKETS_MS.length + 1).fill(0);
  #latencySum = 0;
  #latencyCount = 0;
  /** Gauges read at scrape time. */
  readonly #gauges: { name: string; help: string; read: () => number }[] = [];

  /** Counts one decision and its evaluation time. */
  decision(phase: string, decision: string, ms: number): void {
    bump(this.#decisions, phase, decision);
    let i = 0;
    while (i < BUCKETS_MS.length && ms > BUCKETS_MS[i]) i++;
    this.#latency[i]++;
    this.#latencySum += ms;
    this.#latencyCount++;
  }

  /** Counts one HTTP response by route and status. */
  response(route: string, status: number): void {
    bump(this.#http, route, status);
  }

  /** Adds a gauge read on each scrape. */
  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.push({ name, help, read });
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    lines.push("# HELP palisade_decisions_total Decisions taken, by phase and outcome.", "# TYPE palisade_decisions_total counter");
    for (const [phase, m] of this.#decisions) for (const [decision, v] of m) lines.push(`palisade_decisions_total{phase="${phase}",decision="${decision}"} ${v}`);
    lines.push("# HELP palisade_http_responses_total HTTP responses, by route and status.", "# TYPE palisade_http_responses_total counter");
    for (const [route, m] of this.#http) for (const [status, v] of m) lines.push(`palisade_http_responses_total{route="${route}",status="${status}"} ${v}`);
    lines.push("# HELP palisade_decision_seconds Policy evaluation time.", "# TYPE palisade_decision_seconds histogram");
    let cum = 0;
    BUCKETS_MS.forEach((b, i) => {
      cum += this.#latency[i];
      lines.push(`palisade_decision_seconds_bucket{le="${b / 1000}"} ${cum}`);
    });
    lines.push(`palisade_decision_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    lines.push(`palisade_decision_seconds_sum ${this.#latencySum / 1000}`, `palisade_decision_seconds_count ${this.#latencyCount}`);
    for (const g of this.#gauges) lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${g.read()}`);
    return `${lines.join("\n")}\n`;
  }
}
