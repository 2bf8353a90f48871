// W3C trace context for the service's telemetry: a client that sends `traceparent` with its
// request gets the decision's span (exported later by the monitor) as a child of its own. The
// header is read once per request into an async-local slot that the monitor feed reads while
// the request is being decided; a request without the header costs one header lookup.
import { AsyncLocalStorage } from "node:async_hooks";
import type { FastifyInstance } from "fastify";
import { parentFromTraceparent } from "../monitor/index.ts";
import type { ParentSpan } from "../monitor/index.ts";

const slot = new AsyncLocalStorage<ParentSpan>();

/** The parent span of the request being handled, from its `traceparent` header. */
export function requestParent(): ParentSpan | undefined {
  return slot.getStore();
}

/** Reads `traceparent` on every request into the slot `requestParent` reads. */
export function traceContext(app: FastifyInstance): void {
  app.addHook("onRequest", (req, _reply, done) => {
    const header = req.headers.traceparent;
    const parent = typeof header === "string" ? parentFromTraceparent(header) : undefined;
    if (parent === undefined) return done();
    slot.run(parent, done);
  });
}
