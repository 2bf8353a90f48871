// The complete tool call as a framework's consumer sees it (spec/streams.md "The executable
// call"). Where a framework shows its consumer the very object it then runs a call from (the AI
// SDK's `tool-call` part, LangGraph's state, the Agents SDK's response items), an adapter rewrites
// that object's arguments to what the consumer may see: the denial marker when the call would be
// denied, the `output` redactions otherwise. The adapter's tool hook, which runs before the tool,
// gives the tool back the model's arguments, held here by call id. Nothing here records: the call
// is decided and recorded where it runs, on the model's arguments, exactly as before.
import { PolicyDeniedError } from "./errors.ts";
import { SessionRecords } from "./asked.ts";
import { sameJson } from "./history.ts";
import { peekInside } from "./scope.ts";
import type { GuardScope } from "./scope.ts";
import { peekParts } from "./text.ts";
import { clonePlain } from "./snapshot.ts";

/** What a consumer is shown instead of the arguments of a call the guard denies (or holds for a human without a view of it). */
export const DENIED_ARGS: Readonly<Record<string, string>> = Object.freeze({ palisade: "denied" });
/** What a consumer is shown instead of arguments whose own text the `output` rules deny, or that cannot be shown redacted. */
export const WITHHELD_ARGS: Readonly<Record<string, string>> = Object.freeze({ palisade: "withheld" });

/** Whether `args` are one of the markers (a call whose arguments the consumer never saw). */
export function isMarker(args: unknown): boolean {
  return sameJson(args, DENIED_ARGS) || sameJson(args, WITHHELD_ARGS);
}

/**
 * The arguments of a complete call `tool(args)` as a consumer may see them, or undefined when
 * they may be shown as they are. Quiet (`peek`): a deny shows `DENIED_ARGS`; anything else
 * (allowed, or waiting for a human, who must see what they approve) shows the arguments with the
 * `output` redactions applied to every string and number, keys included; a value whose text the
 * `output` rules deny withholds the whole call.
 */
export function shownArgs(scope: GuardScope, tool: string, args: unknown): unknown {
  if (scope.core.mode !== "enforce") return undefined;
  if (peekInside(scope, "tool_call", { tool: { name: tool, args } }).decision === "deny") return DENIED_ARGS;
  const shown = redactedArgs(scope, args);
  return shown === args ? undefined : shown;
}

/** `args` with the `output` redactions applied to every string and number, keys included (the same value when nothing changes), or `WITHHELD_ARGS` when a value's text is denied as output. */
export function redactedArgs(scope: GuardScope, args: unknown): unknown {
  if (scope.core.mode !== "enforce") return args;
  try {
    return redactLeaves(scope, args);
  } catch (err) {
    if (err instanceof PolicyDeniedError || err instanceof Unshowable) return WITHHELD_ARGS;
    throw err;
  }
}

class Unshowable extends Error {}

// Each string and number alone: a redaction inside a JSON text could cut its quoting, and an
// escaped newline would hide a match the value holds. Unchanged values keep their identity.
function redactLeaves(scope: GuardScope, value: unknown): unknown {
  if (typeof value === "string") return peekParts(scope, "output", [value])[0];
  if (typeof value === "number") {
    const text = String(value);
    const shown = peekParts(scope, "output", [text])[0];
    return shown === text ? value : shown;
  }
  if (Array.isArray(value)) {
    const out = value.map((v) => redactLeaves(scope, v));
    return out.every((v, i) => v === value[i]) ? value : out;
  }
  if (typeof value === "object" && value !== null) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = redactLeaves(scope, k) as string;
      const shown = redactLeaves(scope, v);
      if (key !== k || shown !== v) changed = true;
      // Two keys redacted alike: the call cannot be shown faithfully.
      if (Object.hasOwn(out, key)) throw new Unshowable();
      out[key] = shown;
    }
    return changed ? out : value;
  }
  return value;
}

interface Held {
  readonly tool: string;
  readonly args: unknown;
  readonly shown: unknown;
}

// Per guard (its core) and session: call id -> the model's arguments and what was shown. Bounded
// like the approval records: a call shown long ago and never run (an approval never answered)
// goes first, and its shown arguments then run nothing (`restore` refuses a marker it no longer
// holds the arguments of).
const held = new WeakMap<object, SessionRecords<Held>>();

function heldBy(scope: GuardScope): SessionRecords<Held> {
  let records = held.get(scope.core);
  if (records === undefined) held.set(scope.core, (records = new SessionRecords(scope.core.history.approvalLimits)));
  return records;
}

/**
 * Call `callId` of `tool` is complete: the arguments its consumer may see (the same value when
 * nothing is to hide), the model's own held for the tool hook. A new call under an id ends what
 * was held for an earlier one (providers reuse ids).
 */
export function showCall(scope: GuardScope, callId: string | undefined, tool: string, args: unknown): unknown {
  if (callId === undefined || scope.sessionId === null) return args;
  const shown = shownArgs(scope, tool, args);
  if (shown === undefined) {
    dropCall(scope, callId);
    return args;
  }
  heldBy(scope).set(scope.sessionId, callId, { tool, args: clonePlain(args), shown });
  return shown;
}

/** The call's arguments came from the consumer's copy: thrown for a marker whose arguments are not held (fails closed). */
export class WithheldCallError extends Error {
  constructor(tool: string) {
    super(`tool '${tool}': this call's arguments were withheld from the conversation and are no longer held by this guard; it does not run`);
    this.name = "WithheldCallError";
  }
}

/**
 * The arguments tool `tool` runs call `callId` with: the model's, when `args` are what was shown
 * of them (the framework ran the call from the consumer's copy); else `args` as given. A marker
 * whose arguments this guard does not hold (forgotten for room, another process) throws.
 * `keep`: the call has not run yet (asked before it runs, an approval pending).
 */
export function restoreCall(scope: GuardScope, callId: string | undefined, tool: string, args: unknown, keep = false): unknown {
  const h = callId === undefined || scope.sessionId === null ? undefined : held.get(scope.core)?.get(scope.sessionId, callId);
  if (h !== undefined && h.tool === tool && sameJson(h.shown, args)) {
    if (!keep) dropCall(scope, callId);
    return clonePlain(h.args);
  }
  if (isMarker(args)) throw new WithheldCallError(tool);
  return args;
}

/** Call `callId` has run (or been refused): its arguments are no longer held. */
export function dropCall(scope: GuardScope, callId: string | undefined): void {
  if (callId !== undefined && scope.sessionId !== null) held.get(scope.core)?.delete(scope.sessionId, callId);
}

// Tools an adapter's tool hook guards, per guard: a model-side adapter shows a call otherwise only
// when a hook will give the tool back the model's arguments (else what it showed would run).
const guarded = new WeakMap<object, Set<string>>();

/** Tool `name` is run through a hook that calls `restoreCall`. */
export function markGuarded(scope: GuardScope, name: string): void {
  let names = guarded.get(scope.core);
  if (names === undefined) guarded.set(scope.core, (names = new Set()));
  names.add(name);
}

/** Whether tool `name`'s calls may be shown otherwise than the model made them (`markGuarded`). */
export function isGuarded(scope: GuardScope, name: string): boolean {
  return guarded.get(scope.core)?.has(name) === true;
}

/** Whether `args` are a shown form this guard holds the model's arguments for (any session): a framework that checks a call's arguments against the tool's schema before the tool hook must let them through. */
export function isHeldShown(scope: GuardScope, tool: string, args: unknown): boolean {
  if (isMarker(args)) return true;
  const records = held.get(scope.core);
  if (records === undefined) return false;
  for (const h of records.all()) if (h.tool === tool && sameJson(h.shown, args)) return true;
  return false;
}
