// A session scope: the guard's API for one conversation and principal. Every guarded action
// belongs to a session, so that one conversation's history can never decide another's; the
// root guard (session null) only `check`s, and hands out sessions.
import { randomUUID } from "node:crypto";
import type { Decision } from "../runtime/index.ts";
import type { JSONSchemaObject } from "../../language/index.ts";
import { MAX_ID, ToolInput } from "./core.ts";
import type { CallOptions, GuardCore, GuardPhase, Guarded, PhaseInput, Principal, ScopeState } from "./core.ts";
import { GuardConfigError, PolicyDeniedError, SessionRequiredError } from "./errors.ts";
import { resultFrom, viewOf } from "./result.ts";
import type { ToolResultView } from "./result.ts";
import { NOT_PLAIN, UnrecordableError, clonePlain, plainCopy, snapshot } from "./snapshot.ts";
import { fixedForRecords } from "./record.ts";
import type { StepOutcome } from "./record.ts";
import type { CallHandle } from "./history.ts";
import type { OutcomeError } from "../monitor/event.ts";

function argsOf(call: Guarded): unknown {
  return (call.payload.tool as { args?: unknown }).args;
}

/** `enforceNow` for the adapters in this package: the guard's own result, never handed to their callers (what they hand out, they copy). */
export function enforceInside(scope: GuardScope, phase: GuardPhase, input: PhaseInput, options?: CallOptions): Guarded | Promise<Guarded> {
  if (scope.sessionId === null) throw new SessionRequiredError("enforceNow");
  return scope.core.enforce(phase, input, scope[SCOPE_STATE], options);
}

/** `peek` for the adapters in this package (see enforceInside). */
export function peekInside(scope: GuardScope, phase: GuardPhase, input: PhaseInput): Decision {
  return scope.core.peek(phase, input, scope[SCOPE_STATE]);
}

/** `check` for the adapters in this package (see enforceInside). */
export function checkInside(scope: GuardScope, phase: GuardPhase, input: PhaseInput): Decision {
  return scope.core.check(phase, input, scope[SCOPE_STATE]);
}

/** An outcome error from what a tool or model threw. */
export function errorOf(source: OutcomeError["source"], err: unknown): OutcomeError {
  try {
    return { source, type: err instanceof Error ? String(err.name) : typeof err, message: err instanceof Error ? String(err.message) : String(err) };
  } catch {
    // A throwing getter or a proxy must not replace the tool's error, nor skip its `failed`.
    return { source, type: "Error", message: "the tool threw a value that cannot be read" };
  }
}

/** The outcome error of a tool whose result reports a failure rather than throwing. */
// Frozen: it is handed to every monitor, and its type is recorded in the log.
const RESULT_ERROR: OutcomeError = Object.freeze({ source: "tool", type: "ResultError", message: "the tool's result reports an error" });

/** How a wrapped tool reacts when policy stops it. */
export type OnDeny = "throw" | "message" | ((error: PolicyDeniedError) => unknown);

/** Options of `wrapTool`. */
export interface WrapToolOptions {
  /** The JSON Schema of the tool's arguments; bad arguments are denied before any policy runs. */
  readonly schema?: JSONSchemaObject;
  /**
   * `throw` (default) rejects with PolicyDeniedError; `message` resolves with a text the model
   * can read ("blocked by policy: ..."); a function returns what the tool should return instead.
   */
  readonly onDeny?: OnDeny;
}

/** A tool function: its first argument is the arguments object policies see as `tool.args`. */
export type ToolFn<A, R, Rest extends unknown[] = unknown[]> = (args: A, ...rest: Rest) => R | Promise<R>;

/** A tool function as `wrapTools` returns it: same arguments, always async. */
export type WrappedTool<F> = F extends (args: infer A, ...rest: infer Rest) => infer R ? (args: A, ...rest: Rest) => Promise<Awaited<R>> : never;

/** Options of one guarded tool run (`runTool`). */
export interface RunToolOptions extends CallOptions {
  /** The result as policies read it, when the framework's result is not a plain value (an MCP result). */
  readonly view?: (result: unknown) => ToolResultView;
  /** Carries a rewritten view back into the framework's result. */
  readonly unview?: (original: unknown, decided: ToolResultView) => unknown;
  /** The framework's cancellation of this call: once aborted, the tool does not start (the call is `failed`, with the abort's reason). */
  readonly signal?: AbortSignal;
}

/** The text a model reads when a tool call was stopped. */
export function deniedToolMessage(error: PolicyDeniedError): string {
  return `blocked by policy: ${error.message}`;
}

/** The outcome of a tool's run, from its wall time and its result's view. */
function stepOf(durationMs: number, seen: unknown): StepOutcome {
  const text = (seen as { text?: unknown } | null)?.text;
  // A tool that answers with a failure (MCP's isError, LangChain's status "error") failed as surely as one that threw.
  const failed = (seen as { isError?: unknown } | null)?.isError === true;
  if (typeof text !== "string") return failed ? { durationMs, error: RESULT_ERROR } : { durationMs };
  return failed ? { durationMs, outputSize: text.length, error: RESULT_ERROR } : { durationMs, outputSize: text.length };
}

/** The key of a scope's state, for the adapters in this package (not exported from index.ts). */
export const SCOPE_STATE: unique symbol = Symbol("palisade.scope");

const NO_OPTIONS: RunToolOptions = Object.freeze({});
const NO_REST: readonly unknown[] = Object.freeze([]);

/** The longest principal (id, roles and attrs) a guard accepts, in characters of JSON. */
export const MAX_PRINCIPAL = 8_192;

/** The guard's API for one session (or, on the root guard, for checks only). */
export class GuardScope {
  /** The session id, or null on the root guard. */
  readonly sessionId: string | null;
  /** The principal, or null. */
  readonly principal: Principal | null;
  readonly #core: GuardCore;
  readonly #state: ScopeState;

  constructor(core: GuardCore, session: string | null, principal: Principal | null) {
    this.#core = core;
    this.sessionId = session;
    this.principal = principal;
    // Keys in RFC 8785 order here and in the inputs below: a record's canonical text is then
    // written without a sorted copy of each object (engine/audit/canonical-json.ts).
    // Every record of the scope carries its session and principal: one the log cannot hold (a lone
    // surrogate, a cycle in attrs) would leave each of its decisions unrecorded, so it is refused here.
    // Sizes are bounded for the same reason: every entry must fit the log's 64 KiB (a 70,000-character
    // chat id left its decisions unrecorded and, under onAuditFailure "deny", refused other sessions' actions).
    if (session !== null && !session.isWellFormed()) throw new GuardConfigError(`session id ${JSON.stringify(session.slice(0, 80))} holds a lone surrogate, which the audit log cannot record: pass well-formed text`);
    if (session !== null && session.length > MAX_ID) throw new GuardConfigError(`a session id of ${session.length} characters is too long (at most ${MAX_ID}): use a shorter conversation id, or a digest of it`);
    let principalInput: Readonly<Record<string, unknown>> | null = null;
    if (principal !== null) {
      if (typeof principal.id !== "string" || !principal.id.isWellFormed() || principal.id.length > MAX_ID) throw new GuardConfigError(`principal id ${JSON.stringify(String(principal.id).slice(0, 80))} must be well-formed text of at most ${MAX_ID} characters`);
      try {
        // Frozen: every record of the session holds it, written once (record.ts).
        principalInput = fixedForRecords(snapshot({ attrs: principal.attrs ?? {}, id: principal.id, roles: principal.roles ?? [] }, "/principal") as Record<string, unknown>);
      } catch (err) {
        if (!(err instanceof UnrecordableError)) throw err;
        throw new GuardConfigError(`principal '${principal.id}': ${err.message}: pass plain JSON data`);
      }
      // An id alone is bounded already; roles and attrs are measured only when given.
      const size = principal.attrs === undefined && principal.roles === undefined ? 0 : JSON.stringify(principalInput).length;
      if (size > MAX_PRINCIPAL) throw new GuardConfigError(`principal '${principal.id}' is ${size} characters as JSON (at most ${MAX_PRINCIPAL}): keep only the roles and attributes policies read`);
    }
    this.#state = { session, principal, principalInput };
  }

  #need(what: string): void {
    if (this.sessionId === null) throw new SessionRequiredError(what);
  }

  /** The decision for one phase's input (agent, env, principal, session and time are filled in); recorded, never enforced, remembers nothing. */
  check(phase: GuardPhase, input: PhaseInput): Decision {
    return this.#core.check(phase, input, this.#state, true);
  }

  /** Decides without recording or remembering anything (pieces of a streamed answer, approval pre-checks). */
  peek(phase: GuardPhase, input: PhaseInput): Decision {
    return this.#core.peek(phase, input, this.#state, true);
  }

  /** Decides and enforces: resolves with the payload to carry on with, or rejects with PolicyDeniedError. */
  async enforce(phase: GuardPhase, input: PhaseInput, options?: CallOptions): Promise<Guarded> {
    this.#need("enforce");
    return this.#core.enforce(phase, input, this.#state, options, false, true);
  }

  /** Synchronous enforcement for adapters on hot paths: a promise only when a human is asked or durability is awaited. */
  enforceNow(phase: GuardPhase, input: PhaseInput, options?: CallOptions): Guarded | Promise<Guarded> {
    this.#need("enforceNow");
    return this.#core.enforce(phase, input, this.#state, options, false, true);
  }

  /** A scope for session `id` acting for `principal` (an id or `{ id, roles, attrs }`; default: this scope's). */
  session(id: string, principal?: string | Principal): GuardScope {
    if (typeof id !== "string" || id === "") throw new SessionRequiredError("session");
    const p = principal === undefined ? this.principal : typeof principal === "string" ? { id: principal } : principal;
    return new GuardScope(this.#core, id, p);
  }

  /** A scope of its own for a one-off task: a fresh session that no other call shares. */
  anonymous(principal?: string | Principal): GuardScope {
    return this.session(`anonymous-${randomUUID()}`, principal);
  }

  /** Registers the JSON Schema a tool's arguments are checked against (for the whole guard). */
  toolSchema(name: string, schema: JSONSchemaObject): void {
    this.#core.schemas.set(name, schema);
  }

  /** Forgets this session's tool-call history (the conversation is over). */
  end(): void {
    if (this.sessionId !== null) this.#core.history.end(this.sessionId, this.principal?.id ?? null);
  }

  /**
   * One guarded tool run: `tool_call` is decided on `args` (which `redact`/`set` may rewrite)
   * before `run` gets a copy of them, `tool_result` on the result (in the shape of spec/sdk.md)
   * before the caller sees it. Throws PolicyDeniedError when stopped.
   */
  runTool<R>(name: string, args: unknown, run: (args: unknown) => R | Promise<R>, options: RunToolOptions = NO_OPTIONS): Promise<R> {
    return this.#run(name, args, run, NO_REST, options);
  }

  // runTool for `fn(args, ...rest)`: a wrapped tool's call makes no closure of its own.
  async #run<R>(name: string, args: unknown, fn: (args: unknown, ...rest: unknown[]) => R | Promise<R>, rest: readonly unknown[], options: RunToolOptions): Promise<R> {
    let call = this.#toolCall(name, args, options);
    if (call instanceof Promise) call = await call;
    const decidedArgs = argsOf(call);
    // The tool's wall time goes to the monitor only: without one, no clock is read for it.
    const timed = this.#core.timed;
    const started = timed ? performance.now() : 0;
    let result: R;
    // Until the tool ends, a decision that depends on how it ends is refused (core.ts).
    call.call?.running(true);
    try {
      // Cancelled while it was decided (a human asked, a commit awaited): the tool does not start.
      options.signal?.throwIfAborted();
      result = await (rest.length === 0 ? fn(clonePlain(decidedArgs)) : fn(clonePlain(decidedArgs), ...rest));
    } catch (err) {
      call.call?.running(false);
      this.#failed(name, call.call, { durationMs: timed ? performance.now() - started : 0, error: errorOf("tool", err) });
      throw err;
    }
    call.call?.running(false);
    return this.#toolResult(name, decidedArgs, result, timed ? performance.now() - started : 0, options, call.call, true);
  }

  /** The `tool_call` half of `runTool`, for frameworks that decide before the tool in a hook of their own: resolves with the decided arguments. */
  async decideToolCall(name: string, args: unknown, options: CallOptions = {}): Promise<unknown> {
    // A copy: the decided arguments are also the session's history and the queued record.
    return clonePlain(argsOf(await this.#toolCall(name, args, options)));
  }

  // The halves of a tool run, synchronous unless a human is asked or durability is awaited: a
  // guarded call is mostly bookkeeping, and every async frame and await adds to it.
  #toolCall(name: string, args: unknown, options: CallOptions): Guarded | Promise<Guarded> {
    if (this.sessionId === null) this.#need(`tool '${name}'`);
    // The arguments copied once, here; a name or arguments the quick copy does not take go to the guard's careful copy, which may refuse them.
    const copied = typeof name === "string" && name.isWellFormed() ? plainCopy(args) : NOT_PLAIN;
    const input = copied === NOT_PLAIN ? new ToolInput({ args, name }) : new ToolInput(copied === undefined ? { name } : { args: copied, name });
    return this.#core.enforce("tool_call", input, this.#state, options, copied !== NOT_PLAIN);
  }

  // A tool that ran and failed: `failed` in the history and the log, its error to the monitor.
  #failed(name: string, call: CallHandle | undefined, step: StepOutcome & { readonly error: OutcomeError }): void {
    if (call !== undefined) this.#core.settle(this.#state, call, name, "failed", step.error);
    this.#core.outcome("tool_call", this.#state, name, step);
  }

  /** The `tool_result` half of `runTool`: resolves with what the caller may see (the result, or its decided rewrite). */
  async decideToolResult<R>(name: string, decidedArgs: unknown, result: R, durationMs: number, options: RunToolOptions = {}): Promise<R> {
    return this.#toolResult(name, decidedArgs, result, durationMs, options, this.#callById(options.callId, name, { args: decidedArgs }));
  }

  #callById(callId: string | undefined, name: string, args?: { readonly args: unknown }): CallHandle | undefined {
    return callId === undefined || this.sessionId === null ? undefined : this.#core.history.byCallId(this.sessionId, callId, name, args);
  }

  // `argsOwned`: `decidedArgs` is the guard's own snapshot (runTool's), which nobody else holds.
  #toolResult<R>(name: string, decidedArgs: unknown, result: R, durationMs: number, options: RunToolOptions, call: CallHandle | undefined, argsOwned = false): R | Promise<R> {
    if (this.sessionId === null) this.#need(`tool '${name}'`);
    let input: ToolInput | undefined;
    let seen: unknown;
    if (argsOwned && options.view === undefined) {
      // The result copied once, its view built on the copy: the input is then the guard's alone
      // and decided without another copy. Whatever the quick copy does not take (toJSON, a
      // class, a cycle, JSON text with a value JSON data cannot hold) goes the careful way below.
      const plain = plainCopy(result);
      const view = plain === NOT_PLAIN ? undefined : viewOf(plain);
      if (view !== undefined && (view.json === plain || view.json === undefined || plainCopy(view.json) !== NOT_PLAIN)) {
        seen = view;
        input = new ToolInput(decidedArgs === undefined ? { name, result: view } : { args: decidedArgs, name, result: view });
      }
    }
    if (input === undefined) {
      try {
        seen = options.view ? options.view(result) : viewOf(result);
      } catch {
        // JSON.stringify met what cannot be recorded: let the guard refuse it with its reason.
        seen = result;
      }
    }
    const step = stepOf(durationMs, seen);
    // It ran, and failed: so says its entry before the result is decided.
    if (step.error !== undefined && call !== undefined) this.#core.settle(this.#state, call, name, "failed", RESULT_ERROR);
    // The result of a call whose conversation ended since belongs to that conversation: it adds nothing to the session now holding the id.
    const ended = call !== undefined ? call.ended : options.callId !== undefined && this.sessionId !== null && this.#core.history.endedCall(this.sessionId, options.callId, name, { args: decidedArgs });
    const how = ended ? { step, ended } : { step };
    const out = input !== undefined ? this.#core.enforce("tool_result", input, this.#state, how, true) : this.#core.enforce("tool_result", new ToolInput({ args: decidedArgs, name, result: seen }), this.#state, how);
    if (out instanceof Promise) return out.then((o) => this.#seen(o, result, options));
    return this.#seen(out, result, options);
  }

  #seen<R>(out: Guarded, result: R, options: RunToolOptions): R {
    if (out.payload === out.input) return result;
    // The rewrite goes back to the caller as a copy: the decided view is also the queued record and
    // the session's source (resultFrom copies what it returns of it; a framework's unview gets a copy).
    const decided = (out.payload.tool as { result: ToolResultView }).result;
    const before = (out.input.tool as { result: ToolResultView }).result;
    return (options.unview ? options.unview(result, clonePlain(decided)) : resultFrom(result, before, decided)) as R;
  }

  /**
   * Wraps a tool: `tool_call` is decided on its arguments (which `redact`/`set` may rewrite)
   * before it runs, `tool_result` on its result before the caller sees it.
   */
  wrapTool<A, R, Rest extends unknown[]>(name: string, fn: ToolFn<A, R, Rest>, options: WrapToolOptions = {}): (args: A, ...rest: Rest) => Promise<R> {
    this.#need(`wrapTool('${name}')`);
    if (options.schema !== undefined) this.#core.schemas.set(name, options.schema);
    const onDeny = options.onDeny ?? "throw";
    const run = fn as (args: unknown, ...rest: unknown[]) => R | Promise<R>;
    if (onDeny === "throw") return (args: A, ...rest: Rest): Promise<R> => this.#run(name, args, run, rest, NO_OPTIONS);
    return async (args: A, ...rest: Rest): Promise<R> => {
      try {
        return await this.#run(name, args, run, rest, NO_OPTIONS);
      } catch (err) {
        if (!(err instanceof PolicyDeniedError)) throw err;
        return (onDeny === "message" ? deniedToolMessage(err) : onDeny(err)) as R;
      }
    };
  }

  /** Wraps every function of `tools` under its key's name. */
  wrapTools<T extends Record<string, ToolFn<never, unknown, never[]>>>(tools: T, options: Omit<WrapToolOptions, "schema"> & { readonly schemas?: Readonly<Record<string, JSONSchemaObject>> } = {}): { [K in keyof T]: WrappedTool<T[K]> } {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(tools)) {
      const schema = options.schemas?.[name];
      out[name] = this.wrapTool(name, fn as ToolFn<unknown, unknown>, { ...(options.onDeny !== undefined ? { onDeny: options.onDeny } : {}), ...(schema !== undefined ? { schema } : {}) });
    }
    return out as { [K in keyof T]: WrappedTool<T[K]> };
  }

  /**
   * Reports a tool run no `tool_result` decision follows (it threw). With the framework's call id
   * and an error, the call is settled `failed` in the session's history and the audit log.
   */
  toolOutcome(name: string, step: StepOutcome, callId?: string): void {
    const call = step.error === undefined ? undefined : this.#callById(callId, name);
    if (call !== undefined) this.#core.settle(this.#state, call, name, "failed", step.error!);
    this.#core.outcome("tool_call", this.#state, name, step);
  }

  /**
   * The framework stopped call `callId` after the guard let it run (a guardrail of its own after
   * the guard's): it never ran, so it is `denied` in the session's history and the log.
   */
  toolStopped(name: string, callId: string): void {
    const call = this.#callById(callId, name);
    if (call !== undefined) this.#core.settle(this.#state, call, name, "denied");
  }

  /** Reports the outcome of a model call no decision follows (a failure, token use at a stream's end). */
  modelOutcome(step: StepOutcome): void {
    this.#core.outcome("model_call", this.#state, undefined, step);
  }

  /** The guard's core, for the adapters in this package. */
  get core(): GuardCore {
    return this.#core;
  }

  /** Who acts in this scope, for the adapters in this package: with `core`, they decide without the copies handed to callers. */
  get [SCOPE_STATE](): ScopeState {
    return this.#state;
  }
}
