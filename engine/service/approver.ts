// The SDK's Guard asking the service's approval queue: a guard in any process files its
// `require_approval` decisions with the service and waits (long-poll) for a human's answer there,
// so approvers work one queue for every agent. The guard's own timeout still applies and fails
// closed; the service's deadline does too.
import type { ApprovalAnswer, Approver, ApprovalRequest } from "../sdk/approval.ts";
import type { ApprovalV1 } from "./wire.ts";

/** Where the queue is and how to reach it. */
export interface ServiceApproverOptions {
  /** The service's base URL, e.g. `https://palisade.internal:8443`. */
  readonly url: string;
  /** An API key in scope of the agent and environment. */
  readonly key: string;
  readonly agent: string;
  readonly env: string;
  /** Seconds per long-poll (default 25). */
  readonly pollSeconds?: number;
}

/** An Approver that files each request with the service's queue and waits for its outcome. */
export function serviceApprover(o: ServiceApproverOptions): Approver {
  const headers = { authorization: `Bearer ${o.key}`, "content-type": "application/json" };
  return async (req: ApprovalRequest): Promise<ApprovalAnswer> => {
    const res = await fetch(new URL("/v1/approvals/requests", o.url), {
      method: "POST",
      headers,
      signal: req.signal,
      body: JSON.stringify({ phase: req.phase, agent: o.agent, env: o.env, session: req.session, tool: req.tool ?? null, reasons: req.reasons, payload: req.payload, policy: req.decision.policy.digest }),
    });
    if (!res.ok) throw new Error(`the approval queue refused the request: HTTP ${res.status} ${await res.text()}`);
    let a = (await res.json()) as ApprovalV1;
    // A node that stops answers 503 (or drops the connection): the request lives in the shared
    // queue, so the wait goes on (on the next node behind the address) rather than failing.
    for (let retries = 0; a.status === "pending"; ) {
      let w: Response | undefined;
      try {
        w = await fetch(new URL(`/v1/approvals/${encodeURIComponent(a.id)}?wait=${o.pollSeconds ?? 25}`, o.url), { headers, signal: req.signal });
      } catch (err) {
        if (req.signal?.aborted) throw err;
      }
      if (w === undefined || w.status === 503) {
        if (++retries > 60) throw new Error(`waiting on approval ${a.id} failed: the service stayed unavailable`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!w.ok) throw new Error(`waiting on approval ${a.id} failed: HTTP ${w.status}`);
      retries = 0;
      a = (await w.json()) as ApprovalV1;
    }
    return { approved: a.status === "approved", ...(a.decidedBy !== undefined ? { by: a.decidedBy } : {}), ...(a.note !== undefined ? { reason: a.note } : {}) };
  };
}
