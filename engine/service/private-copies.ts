// What the service keeps beside its audit log (each session's history, the approval requests)
// holds no more in clear than the log does: the personal parts (a call's arguments, what the agent
// was given, an approval's payload) are sealed under the same per-subject keys the log seals the
// decision's entry with, so one `audit erase` of the subject leaves only ciphertext there too.
// What stays clear is what the log keeps clear and what session rules count on: tool names,
// decisions, outcomes, times, source names (spec/audit-trust.md, "Copies beside the log").
import { ANONYMOUS_SUBJECT, sealedPart, seal, subjectOf, unseal } from "../audit/index.ts";
import type { AuditLog, ErasurePolicy } from "../audit/index.ts";
import type { ApprovalAnswer, ApprovalStore, StoredApproval } from "./approval-store.ts";
import type { CallOutcome, SessionCall, SessionSource, SessionStore, StoredCall } from "./sessions.ts";
import type { ApprovalStatusV1 } from "./wire.ts";

type Obj = Record<string, unknown>;

const CALL_FIELDS = ["tool.args"];
const SOURCE_FIELDS = ["content", "args"];
const APPROVAL_FIELDS = ["payload"];

/** The principal's id as a decision records it (`principal` is the id, or an object with one). */
function principalId(principal: unknown): string | null {
  const id = typeof principal === "object" && principal !== null ? (principal as { id?: unknown }).id : principal;
  return typeof id === "string" ? id : null;
}

/** Seals and opens the service's copies under the audit log's subject keys. */
export class Sealer {
  readonly #log: AuditLog;
  readonly #policy: ErasurePolicy;

  constructor(log: AuditLog, policy: ErasurePolicy) {
    this.#log = log;
    this.#policy = policy;
  }

  /** A sealer for `log`, or undefined when the log seals nothing (its copies then stay as the log keeps them: clear). */
  static for(log: AuditLog): Sealer | undefined {
    const policy = log.erasure;
    return policy === undefined ? undefined : new Sealer(log, policy);
  }

  /**
   * The data subject of a decided input, as the log finds it in the decision's entry (whose
   * `principal` is the input's principal id): the records without one go under the anonymous
   * subject when the log seals them, else they have none (and their personal parts are dropped).
   */
  subjectOf(input: unknown): string | null {
    const record = { principal: principalId((input as Obj | null)?.principal), input };
    return subjectOf(record, this.#policy) ?? (this.#policy.anonymous === "seal" ? ANONYMOUS_SUBJECT : null);
  }

  async seal<T extends object>(item: T, fields: readonly string[], subject: string | null): Promise<T> {
    const key = subject === null ? null : await this.#log.subjectKey(subject);
    return seal(item as Obj, { subjectField: "", personalFields: fields }, key) as T;
  }

  /** Opens sealed items in place of their envelopes (erased parts read as "[erased]"); clear items are returned as they are. */
  async open<T>(items: readonly T[]): Promise<T[]> {
    const kids = items.map((x) => sealedPart(x)?.kid).filter((k): k is string => k !== undefined);
    if (kids.length === 0) return [...items];
    const keys = await this.#log.keysById(kids);
    return items.map((x) => (sealedPart(x) === null ? x : (unseal(x as Obj, (kid) => keys.get(kid)).record as T)));
  }
}

/** A session store whose calls and sources are sealed before they reach `inner`. */
export class SealedSessionStore implements SessionStore {
  readonly inner: SessionStore;
  readonly #sealer: Sealer;

  constructor(inner: SessionStore, sealer: Sealer) {
    this.inner = inner;
    this.#sealer = sealer;
  }

  get shared(): boolean {
    return this.inner.shared;
  }

  async read(key: string, from: number): Promise<SessionCall[]> {
    return this.#sealer.open(await this.inner.read(key, from));
  }

  async append(key: string, at: number, call: SessionCall, subject: string | null = null): Promise<boolean> {
    return this.inner.append(key, at, call.tool.args === undefined ? call : await this.#sealer.seal(call, CALL_FIELDS, subject), subject);
  }

  async readSources(key: string, from: number): Promise<SessionSource[]> {
    return this.#sealer.open(await this.inner.readSources(key, from));
  }

  async appendSource(key: string, at: number, source: SessionSource, subject: string | null = null): Promise<boolean> {
    return this.inner.appendSource(key, at, await this.#sealer.seal(source, SOURCE_FIELDS, subject), subject);
  }

  // The outcome and the deciding key are clear in the sealed call: no key needed.
  settle(key: string, at: number, outcome: CallOutcome, may: (call: StoredCall) => boolean): Promise<StoredCall | undefined> {
    return this.inner.settle(key, at, outcome, may);
  }

  readSettled(key: string, from: number): Promise<number[]> {
    return this.inner.readSettled?.(key, from) ?? Promise.resolve([]);
  }

  claim(key: string, owner: string): Promise<string> {
    return this.inner.claim(key, owner);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** An approval store whose requests' payloads are sealed before they reach `inner`. */
export class SealedApprovalStore implements ApprovalStore {
  readonly inner: ApprovalStore;
  readonly #sealer: Sealer;

  constructor(inner: ApprovalStore, sealer: Sealer) {
    this.inner = inner;
    this.#sealer = sealer;
  }

  get shared(): boolean {
    return this.inner.shared;
  }

  async create(a: StoredApproval): Promise<void> {
    await this.inner.create(await this.#sealer.seal(a, APPROVAL_FIELDS, this.#sealer.subjectOf(a.payload)));
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    const a = await this.inner.get(id);
    return a === undefined ? undefined : (await this.#sealer.open([a]))[0];
  }

  async list(status?: ApprovalStatusV1, limit?: number): Promise<StoredApproval[]> {
    return this.#sealer.open(await this.inner.list(status, limit));
  }

  async answer(id: string, answer: ApprovalAnswer): Promise<{ changed: boolean; approval: StoredApproval | undefined }> {
    const r = await this.inner.answer(id, answer);
    return r.approval === undefined ? r : { changed: r.changed, approval: (await this.#sealer.open([r.approval]))[0] };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
