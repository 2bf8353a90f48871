// W3C trace context for the service's telemetry: a client that sends `traceparent` with its
// request gets the decision's span (exported later by the monitor) as a child of its own. The
// header is read once per request into an async-local slot that the monitor feed reads while
// the request is being decided; a request without the header costs one header lookup.
import { AsyncLocalStorage } from "node:async_hooks";
import { parentFromTraceparent } from "../monitor/index.ts";
import type { ParentSpan } from "../monitor/index.ts";

const slot = new AsyncLocalStorage<ParentSpan>();

/** The parent span of the request being handled, from its `traceparent` header. */
export function requestParent(): ParentSpan | undefined {
  return slot.getStore();
}

/**
 * Runs `next` (the rest of the request) with the parent span its `traceparent` header names, in
 * the slot `requestParent` reads; called from the service's one onRequest hook (a hook of its own
 * cost every request a turn of Fastify's hook runner).
 */
export function withTraceParent(headers: Readonly<Record<string, string | string[] | undefined>>, next: () => void): void {
  const header = headers.traceparent;
  const parent = typeof header === "string" ? parentFromTraceparent(header) : undefined;
  if (parent === undefined) return next();
  slot.run(parent, next);
}
