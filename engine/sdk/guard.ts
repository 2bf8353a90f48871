// createGuard: policies plus where decisions go, in one object the application keeps.
import type { JSONSchemaObject } from "../../language/index.ts";
import type { PolicySet } from "../runtime/index.ts";
import type { Approver } from "./approval.ts";
import { GuardCore } from "./core.ts";
import type { Durability, GuardMode, Principal } from "./core.ts";
import { GuardConfigError } from "./errors.ts";
import { SessionHistory } from "./history.ts";
import type { HistoryLimits } from "./history.ts";
import { resolvePolicies } from "./policies.ts";
import type { PoliciesOption } from "./policies.ts";
import { HistoryNeeds, streamNeeds } from "./needs.ts";
import { Recorder, fixedForRecords } from "./record.ts";
import type { AuditSink, MonitorSink, OnAuditFailure } from "./record.ts";
import { ToolSchemas } from "./schema.ts";
import { GuardScope } from "./scope.ts";

/** The agent a guard governs: an id, or `{ id, name, version }`. */
export type AgentOption = string | { readonly id: string; readonly name?: string; readonly version?: string };

/** Options of `createGuard`. */
export interface GuardOptions {
  /** Policy files or folders, inline sources, or a loaded PolicySet. */
  readonly policies: PoliciesOption;
  /** The environment policies see as `env`, e.g. "production". */
  readonly env: string;
  readonly agent: AgentOption;
  /** Where decisions are logged (an AuditLog); appends are never awaited on a guarded call. */
  readonly audit?: AuditSink;
  /** Where telemetry events go (a Monitor, or anything with `record(event)`). */
  readonly monitor?: MonitorSink;
  /** `enforce` (default) applies decisions; `shadow` decides, records and measures only. */
  readonly mode?: GuardMode;
  /** Asked on `require_approval`; without one, such actions are refused. */
  readonly approver?: Approver;
  /** How long to wait for an approver before refusing (default 60,000 ms). */
  readonly approvalTimeoutMs?: number;
  /** JSON Schemas of tools' arguments, by tool name: checked before policies run, and given to the policy checker. */
  readonly toolSchemas?: Readonly<Record<string, JSONSchemaObject>>;
  /** How much tool-call history is kept (per session, and sessions overall); beyond it, history rules fail closed. */
  readonly history?: HistoryLimits;
  /** Called when recording fails (an audit append, a monitor); default: a line on stderr. */
  readonly onError?: (error: unknown) => void;
  /**
   * What happens to actions while the audit log fails: `deny` (default) refuses them until an
   * append succeeds again; `allow` carries on (failures still reach `onError` and are counted).
   */
  readonly onAuditFailure?: OnAuditFailure;
  /**
   * Milliseconds the audit log may go without acknowledging any append while appends wait
   * (default 10,000): past it the log counts as failing (`onAuditFailure`, `onError`), since a
   * log that hangs never refuses anything.
   */
  readonly auditTimeoutMs?: number;
  /** `before-action`: an allowed action waits until its decision is durable in the audit log; `async` (default): it does not. */
  readonly durability?: Durability;
  /**
   * Whether audit records keep each decision's input (default true; replay before a promotion
   * needs it). What is kept is the input as the policies' redactions left it; the original is
   * kept only where the log seals it (`input_original` among its erasure policy's personal fields).
   */
  readonly recordInputs?: boolean;
  /** Characters of a streamed answer held back so that no pattern match is cut in two (default: the longest span of the patterns the output rules use). */
  readonly streamHold?: number;
  /** Milliseconds since the epoch; for tests. */
  readonly now?: () => number;
}

/**
 * A guard: hands out sessions (`session(id, principal)`, `anonymous()`), checks without
 * enforcing, and owns what belongs to the guard as a whole. Enforcing needs a session.
 */
export class Guard extends GuardScope {
  /** The policy set deciding. */
  readonly policySet: PolicySet;
  /** `enforce` or `shadow`. */
  readonly mode: GuardMode;
  readonly #core: GuardCore;

  constructor(core: GuardCore) {
    super(core, null, null);
    this.#core = core;
    this.policySet = core.policySet;
    this.mode = core.mode;
  }

  /** Records every decision taken so far and waits until the audit log has made them durable. */
  flush(): Promise<void> {
    return this.#core.recorder.flush();
  }

  /** Audit appends that failed so far. */
  get auditFailures(): number {
    return this.#core.recorder.failures;
  }
}

/** Builds a guard; throws GuardConfigError when the policies cannot be loaded or do not check. */
export function createGuard(options: GuardOptions): Guard {
  const mode = options.mode ?? "enforce";
  if (mode !== "enforce" && mode !== "shadow") throw new GuardConfigError(`unknown mode '${String(mode)}': expected 'enforce' or 'shadow'`);
  if (typeof options.env !== "string" || options.env === "") throw new GuardConfigError("'env' must name the environment, e.g. \"production\"");
  const agent = typeof options.agent === "string" ? { id: options.agent } : options.agent;
  if (typeof agent?.id !== "string" || agent.id === "") throw new GuardConfigError("'agent' must be an id or { id, name?, version? }");
  const timeout = options.approvalTimeoutMs ?? 60_000;
  if (!(timeout > 0)) throw new GuardConfigError("'approvalTimeoutMs' must be a positive number of milliseconds");
  const onAuditFailure = options.onAuditFailure ?? "deny";
  const auditTimeoutMs = options.auditTimeoutMs ?? 10_000;
  if (!(auditTimeoutMs > 0)) throw new GuardConfigError("'auditTimeoutMs' must be a positive number of milliseconds");
  if (onAuditFailure !== "deny" && onAuditFailure !== "allow") throw new GuardConfigError(`unknown onAuditFailure '${String(onAuditFailure)}': expected 'deny' or 'allow'`);
  const durability = options.durability ?? "async";
  if (durability !== "async" && durability !== "before-action") throw new GuardConfigError(`unknown durability '${String(durability)}': expected 'async' or 'before-action'`);
  if (durability === "before-action" && options.audit === undefined) throw new GuardConfigError("durability 'before-action' needs an audit log");
  const policySet = resolvePolicies(options.policies, options.toolSchemas);
  const onError = options.onError ?? ((err: unknown) => void process.stderr.write(`palisade guard: recording a decision failed: ${err instanceof Error ? err.message : String(err)}\n`));
  const recorder = new Recorder({ agentId: agent.id, agentVersion: agent.version, env: options.env, mode, audit: options.audit, monitor: options.monitor, onError, recordInputs: options.recordInputs !== false, auditTimeoutMs });
  const stream = streamNeeds(policySet);
  const core = new GuardCore({
    policySet,
    mode,
    // Frozen, its canonical text written once for every record (when it holds no objects a caller could change).
    agent: Object.values(agent).every((v) => typeof v !== "object" && typeof v !== "function") ? fixedForRecords({ ...agent }) : { ...agent },
    env: options.env,
    approver: options.approver,
    approvalTimeoutMs: timeout,
    schemas: new ToolSchemas(options.toolSchemas),
    history: new SessionHistory(options.history),
    needs: new HistoryNeeds(policySet),
    streamHold: options.streamHold ?? stream.hold,
    streamOpen: stream.open,
    recorder,
    onAuditFailure,
    durability,
    now: options.now ?? Date.now,
    timed: options.monitor !== undefined,
  });
  return new Guard(core);
}

export type { Principal };
