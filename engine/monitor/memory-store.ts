// A store in process memory: for embedding without persistence, tests and benchmarks. It keeps
// the same semantics as the SQL stores (merge on write, copies on read).
import { mergeAggregates } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import { seededRandom } from "./random.ts";
import { bucketId, bucketMatches } from "./store.ts";
import type { Alert } from "./alerts.ts";
import type { Acknowledgment, AlertQuery, AlertRecord, AlertState, Baseline, BucketQuery, BucketRecord, MonitorStore, StoredEvent } from "./store.ts";

/** A MonitorStore that lives and dies with the process. */
export class MemoryMonitorStore implements MonitorStore {
  readonly location = ":memory:";
  readonly #buckets = new Map<string, BucketRecord>();
  #events: StoredEvent[] = [];
  readonly #baselines = new Map<string, Baseline>();
  readonly #alerts = new Map<string, AlertState>();
  readonly #kept: AlertRecord[] = [];
  readonly #rand = seededRandom(0x6d6f6e);
  #closed = false;

  #open(): void {
    if (this.#closed) throw new MonitorError("monitor/store-closed", "the monitor store is closed");
  }

  async mergeBuckets(buckets: readonly BucketRecord[], sampleCap: number): Promise<void> {
    this.#open();
    for (const b of buckets) {
      const id = bucketId(b);
      const old = this.#buckets.get(id);
      this.#buckets.set(id, { start: b.start, agent: b.agent, agentVersion: b.agentVersion, env: b.env, aggregate: mergeAggregates(old ? [old.aggregate, b.aggregate] : [b.aggregate], sampleCap, this.#rand) });
    }
  }

  async buckets(q: BucketQuery): Promise<BucketRecord[]> {
    this.#open();
    return [...this.#buckets.values()].filter((b) => bucketMatches(b, q)).sort((a, b) => a.start - b.start);
  }

  async insertEvents(events: readonly StoredEvent[]): Promise<void> {
    this.#open();
    for (const e of events) {
      // Outputs are evaluated, never kept, here as in the SQL stores.
      const { output: _output, ...event } = e.event as StoredEvent["event"] & { output?: string };
      this.#events.push(e.evaluations ? { event, evaluations: e.evaluations } : { event });
    }
  }

  async events(from: number, to: number): Promise<StoredEvent[]> {
    return this.#events.filter((e) => e.event.time >= from && e.event.time < to).sort((a, b) => a.event.time - b.event.time);
  }

  async pruneEvents(before: number): Promise<number> {
    const n = this.#events.length;
    this.#events = this.#events.filter((e) => e.event.time >= before);
    return n - this.#events.length;
  }

  async saveBaseline(b: Baseline, replace = false): Promise<void> {
    if (!replace && this.#baselines.has(b.name)) throw new MonitorError("monitor/baseline-exists", `a baseline named '${b.name}' already exists`, "choose another name or pass --replace");
    this.#baselines.set(b.name, b);
  }

  async baseline(name: string): Promise<Baseline | undefined> {
    return this.#baselines.get(name);
  }

  async baselines(): Promise<Baseline[]> {
    return [...this.#baselines.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async alertStates(): Promise<Map<string, AlertState>> {
    return new Map(this.#alerts);
  }

  async saveAlertStates(states: ReadonlyMap<string, AlertState>): Promise<void> {
    for (const [k, s] of states) this.#alerts.set(k, s);
  }

  async saveAlert(alert: Alert): Promise<void> {
    this.#open();
    this.#kept.push({ alert, acknowledged: null, resolvedAt: null });
  }

  async alerts(q: AlertQuery = {}): Promise<AlertRecord[]> {
    this.#open();
    return this.#kept
      .filter((r) => (q.id === undefined || r.alert.id === q.id) && (q.key === undefined || r.alert.key === q.key) && (q.since === undefined || r.alert.time >= q.since) && (q.unacknowledged !== true || r.acknowledged === null))
      .sort((a, b) => b.alert.time - a.alert.time);
  }

  async acknowledgeAlert(id: string, ack: Acknowledgment): Promise<boolean> {
    this.#open();
    const i = this.#kept.findIndex((r) => r.alert.id === id);
    if (i < 0 || this.#kept[i].acknowledged !== null) return false;
    this.#kept[i] = { ...this.#kept[i], acknowledged: ack };
    return true;
  }

  async resolveAlerts(key: string, at: number): Promise<AlertRecord[]> {
    this.#open();
    const out: AlertRecord[] = [];
    this.#kept.forEach((r, i) => {
      if (r.alert.key !== key || r.resolvedAt !== null) return;
      this.#kept[i] = { ...r, resolvedAt: at };
      out.push(this.#kept[i]);
    });
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
