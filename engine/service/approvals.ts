// The approval queue: a `require_approval` decision becomes a pending request; approvers list and
// answer it; the client that asked waits (long-poll or server-sent events) for the outcome. A
// request nobody answers in time expires, and expired means no: the queue fails closed.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { ApprovalStore, StoredApproval } from "./approval-store.ts";
import { ServiceError } from "./errors.ts";
import { mayRead } from "./keys.ts";
import type { Caller } from "./keys.ts";
import type { ApprovalStatusV1, ApprovalV1 } from "./wire.ts";

/** What a new request is made of: the wire fields the decision supplies. */
export type NewApproval = Pick<ApprovalV1, "phase" | "agent" | "env" | "session" | "tool" | "reasons" | "payload" | "policy" | "decisionId" | "askedBy"> & { readonly callSeq?: number };

/** How long requests live and how shared stores are watched. */
export interface ApprovalQueueOptions {
  /** Milliseconds a request waits for an answer before it expires (default 5 minutes). */
  readonly timeoutMs?: number;
  /** How often waiters re-read a shared store, in milliseconds (default 200). */
  readonly pollMs?: number;
  /**
   * Called once per answered or expired request, by the node that answered it; the answer is
   * given only once its promise resolves (the audit entry is durable).
   */
  readonly onSettled?: (approval: ApprovalV1, callSeq: number | undefined) => void | Promise<void>;
  readonly now?: () => number;
}

/** The wire form of a stored request. */
export function toWire(a: StoredApproval): ApprovalV1 {
  const { callSeq: _, ...wire } = a;
  return { ...wire, outcome: a.status === "pending" ? "pending" : a.status === "approved" ? "allow" : "deny" };
}

/** The approval queue over a store. */
export class ApprovalQueue {
  readonly store: ApprovalStore;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #onSettled: ((a: ApprovalV1, callSeq: number | undefined) => void | Promise<void>) | undefined;
  readonly #now: () => number;
  readonly #events = new EventEmitter();
  readonly #sweep: ReturnType<typeof setInterval>;

  constructor(store: ApprovalStore, options: ApprovalQueueOptions = {}) {
    this.store = store;
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.#pollMs = options.pollMs ?? 200;
    this.#onSettled = options.onSettled;
    this.#now = options.now ?? Date.now;
    this.#events.setMaxListeners(0);
    this.#sweep = setInterval(() => void this.expireDue().catch(() => {}), Math.min(1000, this.#timeoutMs));
    this.#sweep.unref();
  }

  /** Files a pending request and returns it. */
  async create(n: NewApproval): Promise<ApprovalV1> {
    const now = this.#now();
    const role = n.reasons.find((r) => r.effect === "require_approval" && r.approver_role !== undefined)?.approver_role ?? null;
    const a: StoredApproval = {
      id: randomUUID(),
      status: "pending",
      role,
      ...n,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#timeoutMs).toISOString(),
    };
    await this.store.create(a);
    return toWire(a);
  }

  /** The request as it stands, expiring it first when its time is up. */
  async get(id: string): Promise<ApprovalV1> {
    const a = await this.store.get(id);
    if (a === undefined) throw new ServiceError("approval/not-found", `there is no approval request '${id}'`, "/id");
    if (a.status === "pending" && Date.parse(a.expiresAt) <= this.#now()) return this.#settle(id, "expired", undefined, "no answer before the deadline");
    return toWire(a);
  }

  /** Requests, newest last, optionally only with one status. */
  async list(status?: ApprovalStatusV1): Promise<ApprovalV1[]> {
    await this.expireDue();
    return (await this.store.list(status)).map(toWire);
  }

  /**
   * Approves or rejects for `caller`, who must be an administrator or hold the role the rule
   * named. Throws approval/already-decided when someone (or the deadline) answered first.
   */
  async answer(caller: Caller, id: string, action: "approve" | "reject", note?: string): Promise<ApprovalV1> {
    const current = await this.get(id);
    if (!mayRead(caller, current)) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not answer this request: it is for an agent or environment outside the key's scope`);
    if (current.role !== null && !caller.roles.has(current.role) && !caller.admin) {
      throw new ServiceError("auth/forbidden", `approving this request needs the role '${current.role}', which key '${caller.id}' lacks`);
    }
    if (current.role === null && !caller.admin) throw new ServiceError("auth/forbidden", `key '${caller.id}' lacks the admin role`);
    // Four eyes: the key whose decision asked does not approve it in the queue either (an agent key
    // given an approver's role would approve itself); only a key trusted to relay its framework's
    // humans (the relay scope, which admins hold) may.
    if (action === "approve" && current.askedBy === caller.id && !caller.scopes.has("relay")) throw new ServiceError("auth/forbidden", `key '${caller.id}' asked for approval request '${id}' and may not approve it: another approver's key answers, or give the key the 'relay' scope when its framework's own humans answer`);
    if (current.status !== "pending") throw new ServiceError("approval/already-decided", `approval request '${id}' is already ${current.status}`, "/id");
    return this.#settle(id, action === "approve" ? "approved" : "rejected", caller.principal, note);
  }

  /**
   * Records the answer a framework's own human gave (a graph interrupt, a run state), relayed by
   * the key whose decision asked: it settles the request while it is pending. Returns the request
   * as it stands and whether this answer settled it (false: an approver, the deadline or an
   * earlier relay came first, and what they said stands).
   */
  async relay(caller: Caller, id: string, approved: boolean, by: string | undefined, note: string | undefined): Promise<{ approval: ApprovalV1; settled: boolean }> {
    const current = await this.get(id);
    // Only the asker: another agent's key relaying "approved" would let a waiting client run.
    if (!mayRead(caller, current) || current.askedBy !== caller.id) throw new ServiceError("auth/forbidden", `key '${caller.id}' did not ask for approval request '${id}': only the key whose decision asked may relay its framework's answer`);
    // A "yes" is an approver's word: the asking key relays one only when it is trusted to speak
    // for its framework's humans (the relay scope) and, when the rule names the approver's role,
    // holds that role. Otherwise the agent (or whoever holds its key) approves itself. A "no"
    // only makes things stricter: anyone who asked may relay it.
    if (approved) {
      if (!caller.scopes.has("relay")) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not relay an approval: without the 'relay' scope an approval comes from an approver (POST /v1/approvals), not from the key that asked; give the key the scope (palisade keys create --scope relay) when its framework's own humans answer`, "/approved");
      if (current.role !== null && !caller.roles.has(current.role) && !caller.admin) throw new ServiceError("auth/forbidden", `approval request '${id}' needs the role '${current.role}', which key '${caller.id}' lacks: its framework's answer cannot approve it; give the key the role when its framework's humans hold it, or answer in the queue`, "/approved");
    }
    if (current.status !== "pending") return { approval: current, settled: false };
    try {
      return { approval: await this.#settle(id, approved ? "approved" : "rejected", by ?? caller.principal, note, "framework"), settled: true };
    } catch (err) {
      if (err instanceof ServiceError && err.code === "approval/already-decided") return { approval: await this.get(id), settled: false };
      throw err;
    }
  }

  async #settle(id: string, status: "approved" | "rejected" | "expired", by: string | undefined, note: string | undefined, via?: "framework"): Promise<ApprovalV1> {
    const { changed, approval } = await this.store.answer(id, { status, at: new Date(this.#now()).toISOString(), ...(by !== undefined ? { by } : {}), ...(note !== undefined ? { note } : {}), ...(via !== undefined ? { via } : {}) });
    if (approval === undefined) throw new ServiceError("approval/not-found", `there is no approval request '${id}'`, "/id");
    const wire = toWire(approval);
    if (!changed) {
      if (status !== "expired") throw new ServiceError("approval/already-decided", `approval request '${id}' is already ${approval.status}`, "/id");
      return wire;
    }
    this.#events.emit(id, wire);
    await this.#onSettled?.(wire, approval.callSeq);
    return wire;
  }

  /** Expires every pending request past its deadline. */
  async expireDue(): Promise<void> {
    const now = this.#now();
    for (const a of await this.store.list("pending")) {
      if (Date.parse(a.expiresAt) <= now) await this.#settle(a.id, "expired", undefined, "no answer before the deadline");
    }
  }

  /**
   * Resolves with the request once it is answered, or as it stands after `waitMs` (or at its
   * deadline, when that comes first: then it is expired). Another node's answer is seen by
   * re-reading a shared store every poll interval.
   */
  async wait(id: string, waitMs: number, signal?: AbortSignal): Promise<ApprovalV1> {
    const first = await this.get(id);
    if (first.status !== "pending") return first;
    const until = Math.min(this.#now() + waitMs, Date.parse(first.expiresAt));
    return new Promise<ApprovalV1>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (v: ApprovalV1 | Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#events.off(id, onEvent);
        signal?.removeEventListener("abort", onAbort);
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      const onEvent = (a: ApprovalV1): void => finish(a);
      const onAbort = (): void => finish(first);
      const tick = (): void => {
        const left = until - this.#now();
        const check = (): void => {
          this.get(id).then((a) => {
            if (a.status !== "pending" || this.#now() >= until) finish(a);
            else tick();
          }, (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
        };
        if (left <= 0) return check();
        timer = setTimeout(check, this.store.shared ? Math.min(this.#pollMs, left) : left);
      };
      this.#events.on(id, onEvent);
      signal?.addEventListener("abort", onAbort);
      tick();
    });
  }

  /** Stops the expiry sweep and closes the store. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.store.close();
  }
}
