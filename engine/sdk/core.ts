// The guard's engine room: snapshot a phase's input, build the full input, decide, enforce the
// decision and queue it for recording. Everything up to the approver is synchronous: a call
// that needs no human (and no durable record first) pays for one policy evaluation and a few
// object allocations, never a promise of its own.
//
// The guard itself refuses, before any policy runs (each with its own rule id, spec/sdk.md):
// an input that cannot be recorded faithfully, a decision that would read a session history
// the guard no longer holds whole, and any action while the audit log is failing (unless the
// application chose `onAuditFailure: "allow"`).
import type { Decision } from "../runtime/index.ts";
import { askApprover } from "./approval.ts";
import type { ApprovalOutcome, ApprovalRequest, Approver } from "./approval.ts";
import { isoClock } from "./clock.ts";
import { PolicyDeniedError, denialMessage } from "./errors.ts";
import type { DenialCause } from "./errors.ts";
import { SessionHistory, sameJson, sourceOf } from "./history.ts";
import type { CallHandle, CallOutcome, SessionCall, SessionSource } from "./history.ts";
import type { HistoryNeeds } from "./needs.ts";
import { Recorder } from "./record.ts";
import type { OnAuditFailure, PendingDecision, StepOutcome } from "./record.ts";
import { SCHEMA_RULE, ToolSchemas } from "./schema.ts";
import { UnrecordableError, snapshot, snapshotField } from "./snapshot.ts";
import { approvalOf, decisionCopy, deepFreeze, frozenCopy, guardedOut, inputCopy } from "./handout.ts";
import type { Seen } from "./handout.ts";

// The guard decides on its own snapshots (plain JSON data, snapshot.ts): the policy set need not copy them.
const JSON_INPUT = { json: true } as const;

/** Whether decisions are applied (`enforce`) or only decided, recorded and measured (`shadow`). */
export type GuardMode = "enforce" | "shadow";

/** A phase a guard decides. */
export type GuardPhase = "input" | "model_call" | "tool_call" | "tool_result" | "output";

/** When a decision must be durable: before the action happens, or whenever the log commits it. */
export type Durability = "before-action" | "async";

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
  /** The full input after transforms in enforce mode; the input as given in shadow mode. Read-only. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The full input as decided, before transforms (a snapshot; `payload === input` when nothing was rewritten). Read-only. */
  readonly input: Readonly<Record<string, unknown>>;
  /** Set when a human was asked. */
  readonly approval?: ApprovalOutcome;
  /** The tool call's entry in the session history (tool_call), to settle what happened. */
  readonly call?: CallHandle;
}

/** Who is acting: a session id and principal (null session: the guard's own `check`, which keeps no history). */
export interface ScopeState {
  readonly session: string | null;
  readonly principal: Principal | null;
  /** `principal` as policies read it, built once per scope. */
  readonly principalInput: Readonly<Record<string, unknown>> | null;
}

/** How a framework took part in one decision. */
export interface CallOptions {
  /** The framework's id of the tool call: a call decided twice (resumed) keeps one history entry. */
  readonly callId?: string;
  /** A human's answer the framework already holds (an approved interruption, a tool-approval-response). */
  readonly approval?: ApprovalOutcome;
  /** Asks a human through the framework (an MCP elicitation, a graph interrupt) instead of the approver. */
  readonly ask?: (request: Omit<ApprovalRequest, "signal">) => Promise<ApprovalOutcome>;
  /** Telemetry of the step this decision follows (the tool's wall time on tool_result). */
  readonly step?: StepOutcome;
  /** A result of a call whose session ended since (a late tool_result): decided, but it adds no source to the session now holding the id. */
  readonly ended?: boolean;
}

/** Rule ids of the guard's own refusals. */
export const GUARD_RULES = {
  unrecordable: "palisade.unrecordable_input",
  history: "palisade.session_history",
  principal: "palisade.session_principal",
  audit: "palisade.audit_unavailable",
  running: "palisade.call_running",
} as const;

/** Everything a guard's scopes share. */
export interface CoreOptions {
  readonly policySet: import("../runtime/index.ts").PolicySet;
  readonly mode: GuardMode;
  readonly agent: Readonly<{ id: string; name?: string; version?: string }>;
  readonly env: string;
  readonly approver: Approver | undefined;
  readonly approvalTimeoutMs: number;
  readonly schemas: ToolSchemas;
  readonly history: SessionHistory;
  readonly needs: HistoryNeeds;
  readonly recorder: Recorder;
  readonly onAuditFailure: OnAuditFailure;
  readonly durability: Durability;
  /** Characters a streamed answer holds back (see `streamNeeds`). */
  readonly streamHold: number;
  /** Unbounded detectors whose open tokens a streamed answer holds back. */
  readonly streamOpen: readonly string[];
  readonly now: () => number;
  /** Whether anything reads the decisions' latencies and the tools' wall times (a monitor): without one the guard reads no clock for them. */
  readonly timed: boolean;
}

interface Decided {
  readonly decision: Decision;
  /** The full input decided on (snapshot; `session.calls` is the live history). */
  readonly full: Record<string, unknown>;
  readonly clock: { readonly ms: number; readonly iso: string };
  readonly latencyMs: number;
  readonly callsBefore: number;
  /** `call_seq` of the first of those calls (0 unless the session id was used before an `end()`). */
  readonly callsFrom: number;
  /** How many sources the session had when this was decided. */
  readonly sourcesBefore: number;
  readonly call: CallHandle | undefined;
  /** Whether `session` is the guard's own history of this principal (not one the caller passed in, nor another principal's). */
  readonly ownHistory: boolean;
}

/**
 * A tool phase's input, `{ tool }` and nothing else, which the guard completes without looking
 * for other fields (the SDK's own tool runs build it).
 */
export class ToolInput {
  readonly tool: Readonly<Record<string, unknown>>;

  constructor(tool: Readonly<Record<string, unknown>>) {
    this.tool = tool;
  }
}

/** The longest session id, principal id or tool name a guard accepts, in characters: each is a field of every entry, which must fit the log's 64 KiB. */
export const MAX_ID = 1_024;

const NO_HISTORY: readonly SessionCall[] = Object.freeze([]);
const NO_SOURCES: readonly SessionSource[] = Object.freeze([]);

/** Decides and enforces for every scope of one guard. */
export class GuardCore {
  readonly policySet: CoreOptions["policySet"];
  readonly mode: GuardMode;
  readonly schemas: ToolSchemas;
  readonly history: SessionHistory;
  readonly recorder: Recorder;
  /** Characters a streamed answer holds back. */
  readonly streamHold: number;
  /** Unbounded detectors whose open tokens a streamed answer holds back. */
  readonly streamOpen: readonly string[];
  /** Whether latencies and wall times are measured (only a monitor reads them). */
  readonly timed: boolean;
  readonly #o: CoreOptions;
  readonly #clock: () => { readonly ms: number; readonly iso: string };

  constructor(options: CoreOptions) {
    this.#o = options;
    this.policySet = options.policySet;
    this.mode = options.mode;
    this.schemas = options.schemas;
    this.history = options.history;
    this.recorder = options.recorder;
    this.streamHold = options.streamHold;
    this.streamOpen = options.streamOpen;
    this.timed = options.timed;
    this.#clock = isoClock(options.now);
  }

  /**
   * Decides `input` for `phase` in `scope` and queues the decision for recording; enforces nothing
   * and keeps no history. `handOut`: the decision leaves the package, so it is a copy (handout.ts).
   */
  check(phase: GuardPhase, input: PhaseInput, scope: ScopeState, handOut = false): Decision {
    const d = this.#decide(phase, input, scope, undefined, false);
    this.#record(phase, d, scope, undefined, undefined, undefined);
    return handOut ? decisionCopy(d.decision, seenOf(d)) : d.decision;
  }

  /** Decides without recording or remembering anything: for pieces of a streamed answer, whose whole is decided and recorded at its end. */
  peek(phase: GuardPhase, input: PhaseInput, scope: ScopeState, handOut = false): Decision {
    const d = this.#decide(phase, input, scope, undefined, false);
    return handOut ? decisionCopy(d.decision, seenOf(d)) : d.decision;
  }

  /**
   * Decides and enforces: returns at once unless a human must be asked or the decision must be
   * durable first. Throws PolicyDeniedError (enforce mode) for a deny or a refused approval.
   * `owned`: every field of `input` is plain JSON data that only the guard holds (a snapshot it
   * took, or built from one), so it is decided as it is, without another copy. `handOut`: the
   * result leaves the package (`enforce`, `enforceNow`), so it holds copies (handout.ts); the
   * package's own callers read the guard's objects and hand out only copies of what they must.
   */
  enforce(phase: GuardPhase, input: PhaseInput | ToolInput, scope: ScopeState, options?: CallOptions, owned = false, handOut = false): Guarded | Promise<Guarded> {
    // A human's answer the framework holds was given for the arguments it was asked about.
    const asked = options?.approval !== undefined && options.callId !== undefined && scope.session !== null && phase === "tool_call" ? this.history.pendingArgs(scope.session, options.callId) : undefined;
    const d = this.#decide(phase, input, scope, options?.callId, true, owned);
    if (asked !== undefined && !sameJson(asked.args, (d.decision.payload as { tool?: { args?: unknown } }).tool?.args)) {
      // Resumed with other arguments than the human saw: the answer is not for this call, so the human is asked again.
      options = { ...options, approval: undefined };
    }
    const { decision } = d;
    const shadow = this.mode === "shadow";
    // A refusal the framework already holds stands even when the policy now allows: the call did not run.
    const refused = options?.approval?.approved === false;
    if ((decision.decision === "allow" && !refused) || shadow) {
      if (options?.ended !== true) this.#given(phase, d, scope);
      const payload = shadow ? d.full : (decision.payload as Record<string, unknown>);
      const raw: Guarded = d.call !== undefined ? { decision, payload, input: d.full, call: d.call } : { decision, payload, input: d.full };
      return this.#durably(phase, d, scope, undefined, d.call ? "executed" : undefined, options?.step, handOut ? guardedOut(raw, seenOf(d)) : raw);
    }
    if (decision.decision === "deny") {
      this.#record(phase, d, scope, undefined, d.call ? "denied" : undefined, options?.step);
      throw this.#denied(decision, phase, d, "deny", denialMessage(decision, "denied by policy"));
    }
    return this.#approve(phase, d, scope, options, handOut);
  }

  /** Reports the outcome of an action no decision follows (a tool that threw, a model that failed, token use at a stream's end). */
  outcome(phase: "tool_call" | "model_call", scope: ScopeState, tool: string | undefined, step: StepOutcome): void {
    this.recorder.report(this.recorder.outcome(phase, scope.session, tool, step));
  }

  /**
   * What became of a call let run, once known: `failed` (it threw, reported an error, was
   * cancelled; it still counts in the history: it was attempted and may have had effects) or
   * `denied` (the framework stopped it after the guard let it run: it never ran). Set in its
   * session's history, and an entry says so after its decision's.
   */
  settle(scope: ScopeState, call: CallHandle, tool: string, outcome: "failed" | "denied", error?: { readonly type?: string }): void {
    call.settle(outcome);
    if (call.seq < 0 || scope.session === null || !this.recorder.audited) return;
    const errorType = error === undefined ? undefined : (error.type ?? "Error").slice(0, 200).toWellFormed();
    this.recorder.push({ settles: true, iso: this.#clock().iso, session: scope.session, principal: scope.principal?.id ?? null, tool, callSeq: call.seq, decision: call.decision, policyDigest: this.policySet.digest, outcome, errorType });
  }

  #durably(phase: GuardPhase, d: Decided, scope: ScopeState, approval: ApprovalOutcome | undefined, outcome: CallOutcome | undefined, step: StepOutcome | undefined, out: Guarded): Guarded | Promise<Guarded> {
    if (this.#o.durability !== "before-action" || !this.recorder.audited || this.mode === "shadow") {
      this.#record(phase, d, scope, approval, outcome, step);
      return out;
    }
    return this.recorder.pushDurable(this.#pending(phase, d, scope, approval, outcome, step)).then(
      () => out,
      (err: unknown) => {
        d.call?.settle("denied");
        throw this.#denied(this.#guardDenial(GUARD_RULES.audit, `the decision could not be made durable: ${err instanceof Error ? err.message : String(err)}`, d.full), phase, d, "audit_unavailable", "the audit log could not record this decision, so the action does not happen");
      },
    );
  }

  async #approve(phase: GuardPhase, d: Decided, scope: ScopeState, options: CallOptions | undefined, handOut: boolean): Promise<Guarded> {
    const { decision, full } = d;
    const tool = toolName(full);
    let approval: ApprovalOutcome;
    if (options?.approval !== undefined) approval = approvalOf(options.approval);
    else {
      // The human is shown a frozen copy of what was decided: an approver (or a UI showing the
      // object) that edits it changes nothing that runs or is recorded; in strict code the edit
      // throws, and the approval fails closed. An edit is a new call, decided again (spec/sdk.md).
      const payload = deepFreeze(inputCopy(decision.payload, seenOf(d)));
      const request = {
        phase,
        ...(tool !== undefined ? { tool } : {}),
        payload,
        decision: Object.freeze({ ...frozenCopy({ ...decision, payload: undefined }), payload }),
        reasons: frozenCopy(decision.reasons.filter((r) => r.effect === "require_approval")),
        session: scope.session,
        principal: scope.principal?.id ?? null,
      };
      // What `ask` throws goes to the caller: a framework may pause the action that way (a graph
      // interrupt) and decide the same call again when it resumes.
      approval = approvalOf(options?.ask !== undefined ? await options.ask(request) : await askApprover(this.#o.approver, request, this.#o.approvalTimeoutMs));
    }
    if (approval.approved) {
      d.call?.settle("executed");
      if (options?.ended !== true) this.#given(phase, d, scope);
      const raw: Guarded = { decision, payload: decision.payload as Record<string, unknown>, input: full, approval, ...(d.call ? { call: d.call } : {}) };
      return this.#durably(phase, d, scope, approval, d.call ? "executed" : undefined, options?.step, handOut ? guardedOut(raw, seenOf(d)) : raw);
    }
    d.call?.settle("approval_refused");
    this.#record(phase, d, scope, approval, d.call ? "approval_refused" : undefined, options?.step);
    const why = denialMessage(decision, "approval required");
    throw this.#denied(decision, phase, d, approval.cause ?? "approval_refused", `${why} (${approvalText(approval.cause)}${approval.reason ? `: ${approval.reason}` : ""})`);
  }

  // What the agent is now given (the user's message, a tool's result, as decided) joins the
  // session's sources, which the provenance builtins read (spec/provenance.md).
  #given(phase: GuardPhase, d: Decided, scope: ScopeState): void {
    if (scope.session === null || !d.ownHistory || (phase !== "input" && phase !== "tool_result")) return;
    const source = sourceOf(phase, this.mode === "shadow" ? d.full : d.decision.payload);
    if (source !== undefined) this.history.addSource(scope.session, source);
  }

  #denied(decision: Decision, phase: string, d: Decided, cause: DenialCause, message: string): PolicyDeniedError {
    return new PolicyDeniedError(decision, phase, toolName(d.full), cause, message, seenOf(d));
  }

  #decide(phase: GuardPhase, input: PhaseInput | ToolInput, scope: ScopeState, callId: string | undefined, remember: boolean, owned = false): Decided {
    const clock = this.#clock();
    const session = scope.session;
    const given = input instanceof ToolInput ? undefined : (input.session as { id?: unknown; calls?: unknown } | undefined);
    const ownHistory = !(given !== undefined && Array.isArray(given.calls));
    // A session is one principal's: another acting in it would read its history and add to it.
    const foreign = ownHistory && session !== null && !this.history.mayAct(session, scope.principal?.id ?? null, remember);
    // The session's own view (one object for all its decisions, its lists live), when it has one.
    const view = ownHistory && session !== null && !foreign ? this.history.view(session) : undefined;
    const calls = ownHistory ? (view?.calls ?? NO_HISTORY) : (given.calls as readonly SessionCall[]);
    const callsBefore = calls.length;
    const callsFrom = view !== undefined && callsBefore > 0 ? this.history.first(session!) : 0;
    const sourcesBefore = ownHistory ? (view?.sources.length ?? 0) : 0;
    let full: Record<string, unknown>;
    let decision: Decision | undefined;
    try {
      full = this.#fullInput(input, scope, clock.iso, ownHistory ? (view ?? { id: session, calls, sources: NO_SOURCES }) : snapshot(given, "/session"), !owned);
      // The name is an entry's own field (not in the input document, which is kept by digest when large).
      const named = (full.tool as { name?: unknown } | undefined)?.name;
      if (typeof named === "string" && named.length > MAX_ID) throw new UnrecordableError("/tool/name", `a tool name of ${named.length} characters (at most ${MAX_ID})`);
    } catch (err) {
      if (!(err instanceof UnrecordableError)) throw err;
      // Decide nothing on it; record what can be recorded: the tool's name.
      const name = (input.tool as { name?: unknown } | undefined)?.name;
      full = this.#fullInput(typeof name === "string" && name.isWellFormed() && name.length <= MAX_ID ? { tool: { name } } : {}, scope, clock.iso, { id: session, calls }, false);
      decision = this.#guardDenial(GUARD_RULES.unrecordable, `the ${phase} input holds ${err.message.replace(/ cannot be recorded$/, "")}, which cannot be recorded: pass plain JSON data`, full);
    }
    const tool = toolName(full);
    if (decision === undefined && foreign) decision = this.#guardDenial(GUARD_RULES.principal, `session '${session}' belongs to another principal; a session is one conversation of one principal: give each user's conversation its own session id`, full);
    if (decision === undefined && this.mode === "enforce" && this.#o.onAuditFailure === "deny" && this.recorder.failure !== null) {
      decision = this.#guardDenial(GUARD_RULES.audit, `the audit log is failing (${this.recorder.failure.message}); actions are refused until it records again`, full);
    }
    if (decision === undefined && ownHistory && session !== null && this.#o.needs.reads(phase, tool)) {
      const state = this.history.state(session);
      if (state !== "ok") decision = this.#guardDenial(GUARD_RULES.history, state === "overflow" ? `session '${session}' has more tool calls than the guard keeps (history.maxCalls), so its history rules cannot be decided exactly` : `the history of session '${session}' is no longer held (history.maxSessions), so its history rules cannot be decided exactly`, full);
    }
    // Each clock read costs about as much as a small policy's evaluation: none is taken that nothing reads.
    const started = this.timed ? performance.now() : 0;
    if (decision === undefined && phase === "tool_call" && tool !== undefined && this.schemas.has(tool)) {
      const problem = this.schemas.check(tool, (full.tool as { args?: unknown }).args);
      if (problem !== null) decision = this.#guardDenial(SCHEMA_RULE, problem, full);
    }
    if (decision === undefined) {
      decision = this.policySet.decide(phase, full, JSON_INPUT);
      // A call let run shows `executed` before its tool has ended. While one runs, a decision that
      // reads the history is taken again as if it had failed: when the two differ, the decision
      // depends on how the call ends, and it is refused until it has (fail closed). Parallel tool
      // calls of one model step made a payment beside a password check that then failed.
      const failedView = decision.decision !== "deny" && view !== undefined && this.#o.needs.reads(phase, tool) ? this.history.ifRunningFailed(session!) : undefined;
      if (failedView !== undefined && this.policySet.decide(phase, { ...full, session: failedView }, JSON_INPUT).decision !== decision.decision) {
        decision = this.#guardDenial(GUARD_RULES.running, `this ${phase} depends on how a tool call still running in session '${session}' ends (its outcome is not known yet): decide it again once that call has ended`, full);
      }
    }
    const latencyMs = this.timed ? performance.now() - started : 0;
    let call: CallHandle | undefined;
    if (remember && phase === "tool_call" && tool !== undefined && session !== null && ownHistory && !foreign) {
      const args = ((this.mode === "shadow" || decision.decision === "deny" ? full : decision.payload) as { tool?: { args?: unknown } }).tool?.args;
      const outcome: CallOutcome = this.mode === "shadow" ? "executed" : decision.decision === "allow" ? "executed" : decision.decision === "deny" ? "denied" : "pending";
      call = this.history.addCall(session, tool, args, clock.iso, decision.decision, outcome, callId);
    }
    return { decision, full, clock, latencyMs, callsBefore, callsFrom, sourcesBefore, call, ownHistory: ownHistory && !foreign };
  }

  #guardDenial(rule: string, message: string, full: Record<string, unknown>): Decision {
    return {
      decision: "deny",
      reasons: [{ rule, effect: "deny", message, severity: "high" }],
      warnings: [],
      payload: full,
      errors: [],
      policy: { digest: this.policySet.digest, ...(this.policySet.version !== undefined ? { version: this.policySet.version } : {}) },
    };
  }

  /** The input policies read: the guard's fields, then a snapshot of every field the caller gave but `session` (unless `copy` is false), then `session`. */
  #fullInput(input: PhaseInput | ToolInput, scope: ScopeState, iso: string, session: unknown, copy = true): Record<string, unknown> {
    const o = this.#o;
    if (input instanceof ToolInput) return { agent: o.agent, env: o.env, principal: scope.principalInput, session, time: iso, tool: copy ? snapshotField(input.tool, "tool") : input.tool };
    // `session` is set last but placed in canonical key order (see scope.ts).
    const full: Record<string, unknown> = { agent: o.agent, env: o.env, principal: scope.principalInput, session: undefined, time: iso };
    for (const k of Object.keys(input)) {
      // "__proto__" would set the prototype, not a field (the spread this replaces dropped it too).
      if (k === "session" || k === "__proto__") continue;
      const v = copy ? snapshotField(input[k], k) : input[k];
      if (v !== undefined) full[k] = v;
    }
    full.session = session;
    return full;
  }

  #pending(phase: string, d: Decided, scope: ScopeState, approval: ApprovalOutcome | undefined, outcome: CallOutcome | undefined, step: StepOutcome | undefined): PendingDecision {
    const payload = d.decision.payload as Record<string, unknown>;
    const transformed = this.mode === "enforce" && d.decision.decision !== "deny" && payload !== d.full;
    return {
      phase,
      input: transformed ? payload : d.full,
      original: transformed ? d.full : undefined,
      decision: d.decision,
      ms: d.clock.ms,
      iso: d.clock.iso,
      latencyMs: d.latencyMs,
      session: scope.session,
      principal: scope.principal?.id ?? null,
      tool: toolName(d.full),
      approval,
      callsBefore: d.callsBefore,
      callsFrom: d.callsFrom,
      callSeq: d.call?.seq,
      outcome,
      step,
    };
  }

  #record(phase: string, d: Decided, scope: ScopeState, approval: ApprovalOutcome | undefined, outcome: CallOutcome | undefined, step: StepOutcome | undefined): void {
    if (!this.recorder.active) return;
    this.recorder.push(this.#pending(phase, d, scope, approval, outcome, step));
  }
}

function seenOf(d: Decided): Seen {
  return { calls: d.callsBefore, sources: d.sourcesBefore };
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
