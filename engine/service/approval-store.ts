// Where approval requests live: in memory for one node, in PostgreSQL when several nodes share
// one queue. Answering is a compare-and-set on `pending`, so two approvers (or an approver and
// the expiry) racing on two nodes cannot both win.
import type { ApprovalStatusV1, ApprovalV1 } from "./wire.ts";

/**
 * An approval request as stored: the wire shape without the derived `outcome`, and the place of
 * the call it holds in its session's history (where its answer is written back).
 */
export type StoredApproval = Omit<ApprovalV1, "outcome"> & { readonly callSeq?: number };

/** The answer to a pending request. */
export interface ApprovalAnswer {
  readonly status: Exclude<ApprovalStatusV1, "pending">;
  readonly by?: string;
  readonly note?: string;
  readonly at: string;
  readonly via?: "framework";
}

/** `current` as `ans` leaves it (each store's compare-and-set writes this). */
export function answered(current: StoredApproval, ans: ApprovalAnswer): StoredApproval {
  return { ...current, status: ans.status, decidedAt: ans.at, ...(ans.by !== undefined ? { decidedBy: ans.by } : {}), ...(ans.note !== undefined ? { note: ans.note } : {}), ...(ans.via !== undefined ? { via: ans.via } : {}) };
}

/** Persistence for approval requests. */
export interface ApprovalStore {
  /** Whether other processes write to the same store (waiters must then poll it). */
  readonly shared: boolean;
  create(approval: StoredApproval): Promise<void>;
  get(id: string): Promise<StoredApproval | undefined>;
  /** Requests in creation order, newest last; optionally only those with `status`. */
  list(status?: ApprovalStatusV1, limit?: number): Promise<StoredApproval[]>;
  /** Answers a request if it is still pending; returns the request as it now stands (undefined when absent). */
  answer(id: string, answer: ApprovalAnswer): Promise<{ changed: boolean; approval: StoredApproval | undefined }>;
  close(): Promise<void>;
}

/** The single-node store. Keeps at most `max` requests, dropping the oldest answered first. */
export class MemoryApprovalStore implements ApprovalStore {
  readonly shared = false;
  readonly #items = new Map<string, StoredApproval>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  async create(a: StoredApproval): Promise<void> {
    this.#items.set(a.id, a);
    if (this.#items.size > this.#max) {
      for (const [id, x] of this.#items) {
        if (x.status !== "pending") {
          this.#items.delete(id);
          break;
        }
      }
    }
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    return this.#items.get(id);
  }

  async list(status?: ApprovalStatusV1, limit = 500): Promise<StoredApproval[]> {
    const all = [...this.#items.values()].filter((a) => status === undefined || a.status === status);
    return all.slice(-limit);
  }

  async answer(id: string, ans: ApprovalAnswer): Promise<{ changed: boolean; approval: StoredApproval | undefined }> {
    const a = this.#items.get(id);
    if (a === undefined || a.status !== "pending") return { changed: false, approval: a };
    const next = answered(a, ans);
    this.#items.set(id, next);
    return { changed: true, approval: next };
  }

  async close(): Promise<void> {}
}
