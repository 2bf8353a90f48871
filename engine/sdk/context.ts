// Finding the session of a call in the framework's own context. A scope that already names a
// session is used as it is; the root guard looks for `palisade` in the framework's context (a
// session scope, or `{ session, principal }`), then for what the framework itself calls a
// conversation (LangGraph's `thread_id`). With none, the call fails: never a shared history.
import { SessionRequiredError } from "./errors.ts";
import type { Principal } from "./core.ts";
import { GuardScope } from "./scope.ts";

/** What an application may put under `palisade` in a framework's context. */
export type SessionContext = GuardScope | { readonly session: string; readonly principal?: string | Principal };

/** The session scope for a call: `guard` itself when it names a session, else the one `context` carries (`fallbackId`: the framework's own conversation id). */
export function scopeFrom(guard: GuardScope, context: unknown, where: string, fallbackId?: string): GuardScope {
  if (guard.sessionId !== null) return guard;
  const given = (context as { palisade?: unknown } | null | undefined)?.palisade;
  if (given instanceof GuardScope && given.sessionId !== null) return given;
  const s = given as { session?: unknown; principal?: unknown } | undefined;
  if (typeof s?.session === "string" && s.session !== "") return guard.session(s.session, s.principal as string | Principal | undefined);
  if (fallbackId !== undefined && fallbackId !== "") return guard.session(fallbackId);
  throw new SessionRequiredError(where);
}
