// The recorder on the decision path. `record` only pushes a reference into a ring; everything
// else (evaluators, aggregation into time buckets, raw-event retention, span export, storage)
// happens in `flush`, scheduled off the caller's path when a batch fills or a timer fires.
import type { Meter, Tracer } from "@opentelemetry/api";
import { addEvent, emptyAggregate } from "./aggregate.ts";
import type { Evaluations } from "./aggregate.ts";
import { defaultDescriptors } from "./descriptors.ts";
import type { Evaluator, EvaluationResult } from "./evaluators.ts";
import type { TelemetryEvent } from "./event.ts";
import { MemoryMonitorStore } from "./memory-store.ts";
import { exportSpan, monitorMetrics } from "./otel.ts";
import { EventQueue } from "./queue.ts";
import { seededRandom } from "./random.ts";
import { SessionTracker } from "./sessions.ts";
import type { Random } from "./random.ts";
import { DEFAULT_SAMPLE_CAP } from "./sample.ts";
import { bucketId } from "./store.ts";
import type { BucketRecord, MonitorStore, StoredEvent } from "./store.ts";

/** How a Monitor batches, samples and keeps. */
export interface MonitorOptions {
  /** Where aggregates, raw events and baselines live; default an in-memory store. */
  readonly store?: MonitorStore;
  /** Width of an aggregate time bucket, ms; default one minute. */
  readonly bucketMs?: number;
  /** Events the ring holds between flushes; default 65,536. What happens beyond it is `overflow`'s. */
  readonly queueCapacity?: number;
  /**
   * When the ring is full: `drop` (default) drops the event, counts it (`dropped`, the
   * `palisade.monitor.events.dropped` metric) and says so on `log` at most every 10 s;
   * `backpressure` keeps it in an overflow list and flushes at once, and `record` returns false
   * so that a producer that can wait awaits `drained()`. Nothing is dropped then; memory holds
   * what the producer did not wait for.
   */
  readonly overflow?: "drop" | "backpressure";
  /** Where a dropping monitor reports drops; default stderr. */
  readonly log?: (line: string) => void;
  /** Queued events that trigger a flush; default 4,096. */
  readonly batchSize?: number;
  /** A flush at least this often while events wait, ms; default 1,000. 0 disables the timer. */
  readonly flushIntervalMs?: number;
  /** Values kept per bucket and numeric metric; default 512. */
  readonly sampleCap?: number;
  /** Output evaluators (judges, classifiers), run at flush time on their sample of outputs, besides the descriptors. */
  readonly evaluators?: readonly Evaluator[];
  /**
   * The built-in descriptors of answers (refusal, language, PII leak, length: descriptors.ts),
   * run on every event with output text; default true.
   */
  readonly descriptors?: boolean;
  /** How long raw events are kept, ms; default 7 days; 0 keeps none (aggregates only). */
  readonly retentionMs?: number;
  /** Exports each decision and outcome as a span through this tracer (at flush time, parented to the event's `parent`). */
  readonly tracer?: Tracer;
  /** Reports the queue (events accepted, dropped, waiting) as OTel metrics on this meter. */
  readonly meter?: Meter;
  /** Seed of the sampling PRNG (reservoirs, evaluator sampling); fixed for reproducible tests. */
  readonly seed?: number;
  /** Failures of a background flush (a store that went away); default: written to stderr. */
  readonly onError?: (err: unknown) => void;
  /** The clock for retention; default Date.now. */
  readonly now?: () => number;
}

/** What one flush did. */
export interface FlushResult {
  readonly events: number;
  readonly buckets: number;
  readonly evaluated: number;
  readonly pruned: number;
}

const DAY = 86_400_000;

/** Records decision events off the decision path and keeps their windowed aggregates. */
export class Monitor {
  /** Where this monitor writes. */
  readonly store: MonitorStore;
  /** The bucket width, ms. */
  readonly bucketMs: number;
  /** Reservoir size per bucket and metric. */
  readonly sampleCap: number;
  /** What a full ring does. */
  readonly overflow: "drop" | "backpressure";
  readonly #queue: EventQueue<TelemetryEvent>;
  #spill: TelemetryEvent[] = [];
  readonly #log: (line: string) => void;
  #recorded = 0;
  #dropped = 0;
  #droppedLogged = 0;
  #lastDropLog = -Infinity;
  #waiters: (() => void)[] = [];
  readonly #batchSize: number;
  readonly #evaluators: readonly Evaluator[];
  readonly #retentionMs: number;
  readonly #tracer: Tracer | undefined;
  readonly #rand: Random;
  readonly #sessions = new SessionTracker();
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #scheduled = false;
  #flushing: Promise<FlushResult> = Promise.resolve({ events: 0, buckets: 0, evaluated: 0, pruned: 0 });
  #lastPrune = 0;
  #closed = false;

  constructor(options: MonitorOptions = {}) {
    this.store = options.store ?? new MemoryMonitorStore();
    this.bucketMs = options.bucketMs ?? 60_000;
    this.sampleCap = options.sampleCap ?? DEFAULT_SAMPLE_CAP;
    this.#queue = new EventQueue(options.queueCapacity ?? 65_536);
    this.overflow = options.overflow ?? "drop";
    if (this.overflow !== "drop" && this.overflow !== "backpressure") throw new TypeError(`unknown overflow '${String(this.overflow)}': expected 'drop' or 'backpressure'`);
    this.#log = options.log ?? ((line) => void process.stderr.write(line));
    this.#batchSize = Math.max(1, Math.min(options.batchSize ?? 4096, this.#queue.capacity));
    this.#evaluators = [...(options.descriptors === false ? [] : defaultDescriptors()), ...(options.evaluators ?? [])];
    this.#retentionMs = options.retentionMs ?? 7 * DAY;
    this.#tracer = options.tracer;
    this.#rand = seededRandom(options.seed ?? 0x5eed);
    this.#onError = options.onError ?? ((err) => process.stderr.write(`palisade monitor: flush failed: ${err instanceof Error ? err.message : String(err)}\n`));
    this.#now = options.now ?? Date.now;
    if (options.meter) monitorMetrics(options.meter, () => ({ recorded: this.#recorded, dropped: this.#dropped, pending: this.pending }));
    const every = options.flushIntervalMs ?? 1000;
    if (every > 0) {
      this.#timer = setInterval(() => this.#background(), every);
      // Telemetry must never keep a finished process alive.
      this.#timer.unref();
    }
  }

  /**
   * Queues `event` for aggregation. Constant time, no I/O, no allocation beyond the caller's
   * object: the event is kept by reference until flushed, so it must not be mutated afterwards.
   * Returns false when the queue was full: the event was dropped (`overflow: "drop"`), or kept
   * beyond the ring and the producer should await `drained()` (`"backpressure"`).
   */
  record(event: TelemetryEvent): boolean {
    if (this.#spill.length === 0 && this.#queue.size < this.#queue.capacity) {
      this.#queue.push(event);
      this.#recorded++;
      if (!this.#scheduled && this.#queue.size >= this.#batchSize) this.#schedule();
      return true;
    }
    if (this.overflow === "backpressure") {
      this.#spill.push(event);
      this.#recorded++;
      this.#schedule();
      return false;
    }
    this.#drop();
    return false;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#background());
  }

  #drop(): void {
    this.#dropped++;
    const now = Date.now();
    // A line at the first drop, then at most one every 10 s with the count since the last line.
    if (now - this.#lastDropLog >= 10_000) {
      const since = this.#dropped - this.#droppedLogged;
      this.#droppedLogged = this.#dropped;
      this.#lastDropLog = now;
      this.#log(`palisade monitor: queue full (${this.#queue.capacity.toLocaleString("en-US")} events waiting for a flush): dropped ${since.toLocaleString("en-US")} event${since === 1 ? "" : "s"} (${this.#dropped.toLocaleString("en-US")} in all); raise queueCapacity, flush more often, or use overflow: "backpressure"\n`);
    }
  }

  /** Events dropped because the queue was full (`overflow: "drop"`). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events accepted since the monitor started. */
  get recorded(): number {
    return this.#recorded;
  }

  /** Events waiting for a flush (the ring and, under backpressure, beyond it). */
  get pending(): number {
    return this.#queue.size + this.#spill.length;
  }

  /** Resolves once the queue has room again (at once when it has). */
  drained(): Promise<void> {
    if (this.#spill.length === 0 && this.#queue.size < this.#queue.capacity) return Promise.resolve();
    this.#schedule();
    return new Promise((ok) => this.#waiters.push(ok));
  }

  #background(): void {
    this.#scheduled = false;
    if (this.pending === 0) return;
    this.flush().catch(this.#onError);
  }

  /** Aggregates and stores everything queued so far; flushes run one at a time, in order. */
  flush(): Promise<FlushResult> {
    const next = this.#flushing.catch(() => undefined).then(() => this.#flushOnce());
    this.#flushing = next;
    return next;
  }

  async #flushOnce(): Promise<FlushResult> {
    const events = this.#queue.drain();
    if (this.#spill.length > 0) {
      for (const e of this.#spill) events.push(e);
      this.#spill = [];
    }
    // Room again: producers waiting under backpressure may go on while this batch is stored.
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    if (events.length === 0) return { events: 0, buckets: 0, evaluated: 0, pruned: 0 };
    const buckets = new Map<string, BucketRecord>();
    const raw: StoredEvent[] = [];
    let evaluated = 0;
    // Consecutive events mostly share a bucket: reuse the last one instead of building its key.
    let last: BucketRecord | undefined;
    for (const e of events) {
      const evaluations = e.output !== undefined && this.#evaluators.length > 0 ? await this.#evaluate(e, e.output) : undefined;
      if (evaluations) evaluated++;
      if (last === undefined || e.time < last.start || e.time >= last.start + this.bucketMs || (e.agent ?? "") !== last.agent || (e.agentVersion ?? "") !== last.agentVersion || (e.env ?? "") !== last.env) {
        last = this.#bucketFor(buckets, e);
      }
      addEvent(last.aggregate, e, evaluations, this.sampleCap, this.#rand, this.#sessions.firsts(e));
      if (this.#retentionMs > 0) raw.push(evaluations ? { event: e, evaluations } : { event: e });
      if (this.#tracer) exportSpan(this.#tracer, e, evaluations);
    }
    // A store failure loses this batch (reported through onError by the background flusher):
    // retrying would let telemetry back up into memory while the store is down.
    await this.store.mergeBuckets([...buckets.values()], this.sampleCap);
    let pruned = 0;
    if (raw.length > 0) await this.store.insertEvents(raw);
    const now = this.#now();
    // Pruning is a range delete on an index; once a minute is plenty for a retention of days.
    if (this.#retentionMs > 0 && now - this.#lastPrune >= 60_000) {
      this.#lastPrune = now;
      pruned = await this.store.pruneEvents(now - this.#retentionMs);
    }
    return { events: events.length, buckets: buckets.size, evaluated, pruned };
  }

  #bucketFor(buckets: Map<string, BucketRecord>, e: TelemetryEvent): BucketRecord {
    const key = { start: Math.floor(e.time / this.bucketMs) * this.bucketMs, agent: e.agent ?? "", agentVersion: e.agentVersion ?? "", env: e.env ?? "" };
    const id = bucketId(key);
    let b = buckets.get(id);
    if (b === undefined) buckets.set(id, (b = { ...key, aggregate: emptyAggregate() }));
    return b;
  }

  async #evaluate(e: TelemetryEvent, output: string): Promise<Evaluations | undefined> {
    let out: Record<string, number | string> | undefined;
    for (const ev of this.#evaluators) {
      const rate = ev.sampleRate ?? 1;
      if (rate < 1 && this.#rand() >= rate) continue;
      let r: EvaluationResult;
      try {
        r = await ev.evaluate(output, e);
      } catch (err) {
        // A failing judge loses one score, not the batch.
        this.#onError(err);
        continue;
      }
      if (r === undefined || (typeof r === "number" && !Number.isFinite(r))) continue;
      (out ??= {})[ev.name] = r;
    }
    return out;
  }

  /** Flushes what is queued, stops the timer and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.flush();
    await this.store.close();
  }
}
