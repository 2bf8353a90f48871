// The OpenAPI 3.1 document, built from the routes the server actually registered: each route
// carries its doc in its Fastify config (`{ config: { doc } }`), the server collects every route
// as it is added, and GET /openapi.json renders them. A route without a doc is a test failure
// (openapi.test.ts), so the document cannot fall behind the server.
import { ERROR_CODES, SCHEMAS, ref } from "./schemas.ts";
import type { JsonSchema } from "./schemas.ts";

/** One response of a route: JSON by default, or text/html, text/plain, application/octet-stream; "" for none. */
export interface ResponseDoc {
  readonly description: string;
  readonly schema?: JsonSchema;
  readonly type?: string;
  /** Another content type the same status may carry (e.g. a report as HTML). */
  readonly alternatives?: Readonly<Record<string, JsonSchema>>;
}

/** What a route tells the OpenAPI document. */
export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** `key`: an API key is required (401 without); `public`: answered without one. */
  readonly auth: "key" | "public";
  readonly params?: Readonly<Record<string, { readonly description: string; readonly schema?: JsonSchema }>>;
  readonly query?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema; readonly required?: boolean }>>;
  readonly body?: JsonSchema;
  /** Success and route-specific error responses by status; the common errors are added. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
}

/** A registered route as the server saw it. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly doc: RouteDoc | undefined;
}

/** Fastify route options carrying a doc. */
export function documented(doc: RouteDoc): { config: { doc: RouteDoc } } {
  return { config: { doc } };
}

const COMMON_ERRORS: Record<number, string> = {
  400: "The request is not valid: the error's path names the field. Bodies are I-JSON (RFC 7493) the audit log records as sent: UTF-8 without a byte order mark; no key twice in one object; no lone surrogate; no number a 64-bit float does not hold as written (2^53 + 1, 12345678901234567891, 1e400, 1e-400: send such values as strings; -0 is taken as 0); no `__proto__` key; nesting at most 64 deep.",
  413: "The body is over the size limit.",
  415: "The body is not application/json in UTF-8, or carries a Content-Encoding (send it uncompressed).",
  429: "Over the key's rate limit, or too many failed authentications from this address.",
  503: "The audit log cannot take the decision (audit/unavailable), or a shared store (sessions, approvals, the console's decisions) cannot be reached or the service is stopping (service/unavailable): retry, on another node when there are several.",
};

const KEY_ERRORS: Record<number, string> = {
  401: "No API key, or not a valid one.",
  403: "The key's scope does not cover this.",
};

/** `/v1/approvals/:id` as an OpenAPI path `/v1/approvals/{id}`; the wildcard is `{path}`. */
export function openApiPath(url: string): string {
  return url
    .split("/")
    .map((s) => (s.startsWith(":") ? `{${s.slice(1)}}` : s === "*" ? "{path}" : s))
    .join("/");
}

function errorResponse(description: string): JsonSchema {
  return { description, content: { "application/json": { schema: ref("Error") } } };
}

function response(r: ResponseDoc): JsonSchema {
  const type = r.type ?? "application/json";
  if (type === "") return { description: r.description };
  const content: Record<string, JsonSchema> = { [type]: { schema: r.schema ?? (type === "application/json" ? {} : { type: "string" }) } };
  for (const [t, schema] of Object.entries(r.alternatives ?? {})) content[t] = { schema };
  return { description: r.description, content };
}

function operation(method: string, url: string, doc: RouteDoc): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const name of url.split("/").filter((s) => s.startsWith(":")).map((s) => s.slice(1))) {
    const p = doc.params?.[name];
    parameters.push({ name, in: "path", required: true, description: p?.description ?? name, schema: p?.schema ?? { type: "string", minLength: 1 } });
  }
  if (url.endsWith("*")) parameters.push({ name: "path", in: "path", required: true, description: doc.params?.path?.description ?? "the rest of the path", schema: { type: "string" } });
  for (const [name, q] of Object.entries(doc.query ?? {})) parameters.push({ name, in: "query", required: q.required ?? false, description: q.description, schema: q.schema });
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(doc.responses)) responses[status] = response(r);
  for (const [status, d] of Object.entries({ ...COMMON_ERRORS, ...(doc.auth === "key" ? KEY_ERRORS : {}) })) responses[status] ??= errorResponse(d);
  return {
    operationId: `${method.toLowerCase()}${openApiPath(url).replace(/[{}]/g, "").split(/[/.\-_]/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("")}`,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(doc.auth === "public" ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { "application/json": { schema: doc.body } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes` (HEAD, which Fastify adds beside each GET, left out). */
export function openApiDocument(routes: readonly RegisteredRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    if (r.method === "HEAD" || r.doc === undefined) continue;
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation(r.method, r.url, r.doc);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Palisade decision service",
      version,
      description: `Decisions on every step of an AI agent, recorded in a tamper-evident audit log before they are answered. Errors share one shape (#/components/schemas/Error); codes: ${ERROR_CODES.join(", ")}.`,
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key minted with `palisade keys create`." },
        apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
      },
    },
  };
}
