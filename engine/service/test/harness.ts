// Shared by the service's suites: a service on loopback over a throwaway SQLite log, with keys
// of every kind, and a small fetch wrapper.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { MemoryApprovalStore } from "../approval-store.ts";
import { hashKey } from "../keys.ts";
import type { ApiKeyConfig } from "../keys.ts";
import { createService } from "../server.ts";
import type { Service, ServiceOptions } from "../server.ts";

/** The test policy set: approval with and without a role, a deny, a session count, a redaction. */
export const POLICY = `package shop

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then require_approval "refund of {tool.args.amount}" from "supervisor"
}

rule export_review on tool_call {
  when tool.name == "export"
  then require_approval "exports are reviewed"
}

rule no_shell on tool_call {
  when tool.name == "shell"
  then deny "no shell access"
}

rule third_search on tool_call {
  when tool.name == "search" and (count c in session.calls where c.tool.name == "search") >= 2
  then deny "at most two searches per session"
}

rule after_failure on tool_call {
  when tool.name == "wire" and any c in session.calls: c.outcome == "failed"
  then deny "a tool failed earlier in this session"
}

rule mask_email on output {
  then redact pii.email in output.text with "[EMAIL]"
}
`;

/** Raw keys by name (their digests are what the service holds). */
export const KEYS = { admin: "k-admin", agent: "k-agent", other: "k-other", supervisor: "k-supervisor", slow: "k-slow", metrics: "k-metrics" } as const;

export const keyConfigs: ApiKeyConfig[] = [
  { id: "admin", sha256: hashKey(KEYS.admin), agents: ["*"], environments: ["*"], roles: ["admin"], principal: "alice" },
  { id: "agent", sha256: hashKey(KEYS.agent), agents: ["shop-bot"], environments: ["production"] },
  { id: "other", sha256: hashKey(KEYS.other), agents: ["other-bot"], environments: ["staging"] },
  { id: "supervisor", sha256: hashKey(KEYS.supervisor), agents: ["*"], environments: ["*"], roles: ["supervisor"], principal: "sam" },
  { id: "metrics", sha256: hashKey(KEYS.metrics), agents: [], environments: [], scopes: ["metrics"] },
];

/** A running service and what tests need to reach it. */
export interface Harness {
  readonly service: Service;
  readonly url: string;
  readonly dir: string;
  /** JSON request with a key (by name or raw); returns status and parsed body. */
  call(method: string, path: string, key: string | undefined, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** Starts a service on 127.0.0.1 with a fresh SQLite log. */
export async function startHarness(extra: Partial<ServiceOptions> = {}, keys: ApiKeyConfig[] = keyConfigs, sealed = true): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-service-"));
  const sources = [{ path: "shop.policy", text: POLICY }];
  const { policySet, diagnostics } = loadPolicySet(sources);
  if (!policySet) throw new Error(`test policy does not check: ${JSON.stringify(diagnostics)}`);
  const audit = extra.audit ?? (await AuditLog.open(await openStore(join(dir, "audit.db")), { signingKey: generateKey("test.local/audit").signerKey, ...(sealed ? {} : { erasure: false as const }) }));
  const service = await createService({ policySet, sources, audit, approvals: new MemoryApprovalStore(), keys, checkpointEveryMs: 0, onError: (e) => console.error("service error:", e), ...extra });
  const url = await service.listen(0, "127.0.0.1");
  return {
    service,
    url,
    dir,
    async call(method, path, key, body) {
      const raw = key === undefined ? undefined : (KEYS as Record<string, string>)[key] ?? key;
      const res = await fetch(url + path, {
        method,
        headers: { ...(raw !== undefined ? { authorization: `Bearer ${raw}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Text answers (checkpoints, metrics) stay text.
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tool_call request for the test agent. */
export function toolCall(name: string, args: Record<string, unknown> = {}, session?: string, principal = "u1"): Record<string, unknown> {
  return { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name, args }, principal: { id: principal, roles: [] } }, ...(session ? { session } : {}) };
}
