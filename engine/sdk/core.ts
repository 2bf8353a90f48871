// The guard's engine room: build a phase's full input, decide, enforce the decision and queue it
// for recording. Everything up to the approver is synchronous: a call that needs no human pays
// for one policy evaluation and a few object allocations, never a promise of its own.
import type { Decision, PolicySet } from "../runtime/index.ts";
import { askApprover } from "./approval.ts";
import type { ApprovalOutcome, Approver } from "./approval.ts";
import { isoClock } from "./clock.ts";
import { PolicyDeniedError, denialMessage } from "./errors.ts";
import type { DenialCause } from "./errors.ts";
import { SessionHistory } from "./history.ts";
import type { SessionCall } from "./history.ts";
import { Recorder } from "./record.ts";
import { SCHEMA_RULE, ToolSchemas } from "./schema.ts";

/** Whether decisions are applied (`enforce`) or only decided, recorded and measured (`shadow`). */
export type GuardMode = "enforce" | "shadow";

/** A phase a guard decides. */
export type GuardPhase = "input" | "model_call" | "tool_call" | "tool_result" | "output";

/** The principal a session acts for, as policies see it (`principal.id`, `.roles`, `.attrs`). */
export interface Principal {
  readonly id: string;
  readonly roles?: readonly string[];
  readonly attrs?: Readonly<Record<string, unknown>>;
}

/** A phase's own fields (`tool`, `model`, `input`, `output`, `meta`); the guard adds agent, env, principal, session and time unless given. */
export type PhaseInput = Readonly<Record<string, unknown>>;

/** The outcome of an enforced decision: the decision and the payload to carry on with. */
export interface Guarded {
  readonly decision: Decision;
  /** The full input after transforms in enforce mode; the input as given in shadow mode. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Set when an approver was asked. */
  readonly approval?: ApprovalOutcome;
}

/** Who is acting: a session id and principal, or neither (the guard's own anonymous session). */
export interface ScopeState {
  readonly session: string | null;
  readonly principal: Principal | null;
  /** `principal` as policies read it, built once per scope. */
  readonly principalInput: Readonly<Record<string, unknown>> | null;
}

// The history key of calls made outside any session (a single-agent script).
const ANONYMOUS = "\u0000anonymous";

/** Everything a guard's scopes share. */
export interface CoreOptions {
  readonly policySet: PolicySet;
  readonly mode: GuardMode;
  readonly agent: Readonly<{ id: string; name?: string; version?: string }>;
  readonly env: string;
  readonly approver: Approver | undefined;
  readonly approvalTimeoutMs: number;
  readonly schemas: ToolSchemas;
  readonly history: SessionHistory;
  readonly recorder: Recorder;
  readonly now: () => number;
}

/** Decides and enforces for every scope of one guard. */
export class GuardCore {
  readonly policySet: PolicySet;
  readonly mode: GuardMode;
  readonly schemas: ToolSchemas;
  readonly history: SessionHistory;
  readonly recorder: Recorder;
  readonly #o: CoreOptions;
  readonly #clock: () => { readonly ms: number; readonly iso: string };

  constructor(options: CoreOptions) {
    this.#o = options;
    this.policySet = options.policySet;
    this.mode = options.mode;
    this.schemas = options.schemas;
    this.history = options.history;
    this.recorder = options.recorder;
    this.#clock = isoClock(options.now);
  }

  /** Decides `input` for `phase` in `scope` and queues the decision for recording; enforces nothing. */
  check(phase: GuardPhase, input: PhaseInput, scope: ScopeState): Decision {
    const { decision, full, clock, latencyMs } = this.#decide(phase, input, scope);
    this.#record(phase, full, decision, clock, latencyMs, scope, undefined);
    return decision;
  }

  /**
   * Decides and enforces: returns at once unless an approver must be asked. Throws
   * PolicyDeniedError (enforce mode) for a deny or a refused approval.
   */
  enforce(phase: GuardPhase, input: PhaseInput, scope: ScopeState): Guarded | Promise<Guarded> {
    const { decision, full, clock, latencyMs } = this.#decide(phase, input, scope);
    const shadow = this.mode === "shadow";
    if (decision.decision === "allow" || shadow) {
      this.#record(phase, full, decision, clock, latencyMs, scope, undefined);
      return { decision, payload: shadow ? full : (decision.payload as Record<string, unknown>) };
    }
    if (decision.decision === "deny") {
      this.#record(phase, full, decision, clock, latencyMs, scope, undefined);
      throw this.#denied(decision, phase, full, "deny", denialMessage(decision, "denied by policy"));
    }
    return this.#approve(phase, full, decision, clock, latencyMs, scope);
  }

  async #approve(phase: GuardPhase, full: Record<string, unknown>, decision: Decision, clock: { ms: number; iso: string }, latencyMs: number, scope: ScopeState): Promise<Guarded> {
    const tool = toolName(full);
    const approval = await askApprover(
      this.#o.approver,
      {
        phase,
        ...(tool !== undefined ? { tool } : {}),
        payload: decision.payload,
        decision,
        reasons: decision.reasons.filter((r) => r.effect === "require_approval"),
        session: scope.session,
        principal: scope.principal?.id ?? null,
      },
      this.#o.approvalTimeoutMs,
    );
    this.#record(phase, full, decision, clock, latencyMs, scope, approval);
    if (approval.approved) return { decision, payload: decision.payload as Record<string, unknown>, approval };
    const why = denialMessage(decision, "approval required");
    throw this.#denied(decision, phase, full, approval.cause ?? "approval_refused", `${why} (${approvalText(approval.cause)}${approval.reason ? `: ${approval.reason}` : ""})`);
  }

  #denied(decision: Decision, phase: string, full: Record<string, unknown>, cause: DenialCause, message: string): PolicyDeniedError {
    return new PolicyDeniedError(decision, phase, toolName(full), cause, message);
  }

  #decide(phase: GuardPhase, input: PhaseInput, scope: ScopeState): { decision: Decision; full: Record<string, unknown>; clock: { ms: number; iso: string }; latencyMs: number } {
    const clock = this.#clock();
    const full = this.#fullInput(input, scope, clock.iso);
    const started = performance.now();
    let decision: Decision | undefined;
    if (phase === "tool_call") {
      const tool = full.tool as { name?: unknown; args?: unknown } | undefined;
      if (typeof tool?.name === "string" && this.schemas.has(tool.name)) {
        const problem = this.schemas.check(tool.name, tool.args);
        if (problem !== null) decision = this.#schemaDenial(problem, full);
      }
    }
    decision ??= this.policySet.decide(phase, full);
    const latencyMs = performance.now() - started;
    if (phase === "tool_call") this.#remember(full, decision, clock.iso, scope);
    return { decision, full, clock, latencyMs };
  }

  #schemaDenial(message: string, full: Record<string, unknown>): Decision {
    return {
      decision: "deny",
      reasons: [{ rule: SCHEMA_RULE, effect: "deny", message, severity: "medium" }],
      warnings: [],
      payload: full,
      errors: [],
      policy: { digest: this.policySet.digest, ...(this.policySet.version !== undefined ? { version: this.policySet.version } : {}) },
    };
  }

  #remember(full: Record<string, unknown>, decision: Decision, iso: string, scope: ScopeState): void {
    const tool = full.tool as { name?: unknown; args?: unknown } | undefined;
    if (typeof tool?.name !== "string") return;
    const call: SessionCall = { tool: { name: tool.name, args: tool.args }, time: iso, decision: decision.decision };
    this.history.add(scope.session ?? ANONYMOUS, call);
  }

  #fullInput(input: PhaseInput, scope: ScopeState, iso: string): Record<string, unknown> {
    const o = this.#o;
    const given = input.session as { id?: unknown; calls?: unknown } | undefined;
    const session = given !== undefined && Array.isArray(given.calls) ? given : { id: scope.session, calls: this.history.calls(scope.session ?? ANONYMOUS) };
    return {
      agent: o.agent,
      env: o.env,
      principal: scope.principalInput,
      time: iso,
      ...input,
      session,
    };
  }

  #record(phase: string, full: Record<string, unknown>, decision: Decision, clock: { ms: number; iso: string }, latencyMs: number, scope: ScopeState, approval: ApprovalOutcome | undefined): void {
    if (!this.recorder.active) return;
    this.recorder.push({ phase, input: full, decision, ms: clock.ms, iso: clock.iso, latencyMs, session: scope.session, principal: scope.principal?.id ?? null, tool: toolName(full), approval });
  }
}

function toolName(full: Record<string, unknown>): string | undefined {
  const name = (full.tool as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? name : undefined;
}

function approvalText(cause: DenialCause | undefined): string {
  switch (cause) {
    case "approval_timeout":
      return "approval timed out";
    case "no_approver":
      return "no approver configured";
    case "approval_failed":
      return "approval failed";
    default:
      return "approval refused";
  }
}
