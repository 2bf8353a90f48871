// The guard as an application holds it: decide, enforce, wrap tools, and open sessions. A
// session is the same API scoped to one conversation and principal; the root guard is the
// anonymous scope.
import type { Decision } from "../runtime/index.ts";
import type { JSONSchemaObject } from "../../language/index.ts";
import type { GuardCore, GuardPhase, Guarded, PhaseInput, Principal, ScopeState } from "./core.ts";
import { PolicyDeniedError } from "./errors.ts";

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

/** The text a model reads when a tool call was stopped. */
export function deniedToolMessage(error: PolicyDeniedError): string {
  return `blocked by policy: ${error.message}`;
}

/** The guard's API, for the anonymous scope or one session. */
export class GuardScope {
  /** The session id, or null outside sessions. */
  readonly sessionId: string | null;
  /** The principal, or null. */
  readonly principal: Principal | null;
  readonly #core: GuardCore;
  readonly #state: ScopeState;

  constructor(core: GuardCore, session: string | null, principal: Principal | null) {
    this.#core = core;
    this.sessionId = session;
    this.principal = principal;
    const principalInput = principal === null ? null : { id: principal.id, roles: principal.roles ?? [], attrs: principal.attrs ?? {} };
    this.#state = { session, principal, principalInput };
  }

  /** The decision for one phase's input (agent, env, principal, session and time are filled in); recorded, never enforced. */
  check(phase: GuardPhase, input: PhaseInput): Decision {
    return this.#core.check(phase, input, this.#state);
  }

  /** Decides and enforces: resolves with the payload to carry on with, or rejects with PolicyDeniedError. */
  async enforce(phase: GuardPhase, input: PhaseInput): Promise<Guarded> {
    return this.#core.enforce(phase, input, this.#state);
  }

  /** Synchronous enforcement for adapters on hot paths: a promise only when an approver is asked. */
  enforceNow(phase: GuardPhase, input: PhaseInput): Guarded | Promise<Guarded> {
    return this.#core.enforce(phase, input, this.#state);
  }

  /** A scope for session `id` acting for `principal` (an id or `{ id, roles, attrs }`). */
  session(id: string, principal?: string | Principal): GuardScope {
    const p = principal === undefined ? this.principal : typeof principal === "string" ? { id: principal } : principal;
    return new GuardScope(this.#core, id, p);
  }

  /** Registers the JSON Schema a tool's arguments are checked against (for the whole guard). */
  toolSchema(name: string, schema: JSONSchemaObject): void {
    this.#core.schemas.set(name, schema);
  }

  /** Forgets this scope's tool-call history. */
  end(): void {
    if (this.sessionId !== null) this.#core.history.end(this.sessionId);
  }

  /**
   * Wraps a tool: `tool_call` is decided on its arguments (which `redact`/`set` may rewrite)
   * before it runs, `tool_result` on its result before the caller sees it.
   */
  wrapTool<A, R, Rest extends unknown[]>(name: string, fn: ToolFn<A, R, Rest>, options: WrapToolOptions = {}): (args: A, ...rest: Rest) => Promise<R> {
    if (options.schema !== undefined) this.#core.schemas.set(name, options.schema);
    const onDeny = options.onDeny ?? "throw";
    const core = this.#core;
    const state = this.#state;
    return async (args: A, ...rest: Rest): Promise<R> => {
      try {
        let call = core.enforce("tool_call", { tool: { name, args } }, state);
        if (call instanceof Promise) call = await call;
        const finalArgs = (call.payload.tool as { args: A }).args;
        const result = await fn(finalArgs, ...rest);
        let out = core.enforce("tool_result", { tool: { name, args: finalArgs, result } }, state);
        if (out instanceof Promise) out = await out;
        return (out.payload.tool as { result: R }).result;
      } catch (err) {
        if (!(err instanceof PolicyDeniedError) || onDeny === "throw") throw err;
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
}
