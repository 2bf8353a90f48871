// JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the V1 wire types in wire.ts: the OpenAPI
// document is built from these and the routes' own docs, and a Python client is generated from
// it. They describe what the handlers' validators accept and what the handlers send; the tests
// hold the two together (schemathesis fuzzes the running service against this document).

/** A JSON Schema. */
export type JsonSchema = { readonly [k: string]: unknown };

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const PHASES = ["input", "model_call", "tool_call", "tool_result", "output"];
const ID = { type: "string", minLength: 1, maxLength: 200 };

/** The error codes of ServiceErrorCode (wire.ts). */
export const ERROR_CODES = [
  "request/invalid",
  "request/too-large",
  "request/not-found",
  "request/method-not-allowed",
  "request/timeout",
  "request/unsupported-media-type",
  "request/wrong-environment",
  "auth/missing-key",
  "auth/invalid-key",
  "auth/expired-key",
  "auth/forbidden",
  "rate/limited",
  "approval/not-found",
  "approval/already-decided",
  "session/call-not-found",
  "session/already-settled",
  "audit/unavailable",
  "audit/invalid-range",
  "session/conflict",
  "service/unavailable",
  "internal",
];

/** Every named schema, referenced as `#/components/schemas/NAME`. */
export const SCHEMAS: Record<string, JsonSchema> = {
  Phase: { type: "string", enum: PHASES, description: "The phase of an agent step the input belongs to." },
  Error: {
    type: "object",
    description: "Every error the service sends: a stable code, a lowercase message, and the bad field's JSON Pointer when one is to blame.",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        additionalProperties: false,
        properties: {
          code: { type: "string", enum: ERROR_CODES },
          message: { type: "string" },
          path: { type: "string", description: "JSON Pointer of the bad field in the body or query, e.g. /requests/2/phase." },
        },
      },
    },
  },
  Reason: {
    type: "object",
    required: ["rule", "effect"],
    properties: {
      rule: { type: "string", description: "package.rule" },
      effect: { type: "string", enum: ["deny", "require_approval", "allow", "warn", "redact", "set"] },
      message: { type: "string" },
      severity: { type: "string" },
      controls: { type: "array", items: { type: "string" } },
      approver_role: { type: "string" },
      replacements: { type: "integer", minimum: 1, description: "For redact: how many matches it replaced." },
    },
  },
  RuleError: { type: "object", required: ["rule", "message"], properties: { rule: { type: "string" }, message: { type: "string" }, code: { type: "string" }, path: { type: "string" } } },
  PolicyRef: { type: "object", required: ["digest"], properties: { digest: { type: "string" }, version: { type: "string" } } },
  DecisionRequest: {
    type: "object",
    required: ["phase", "input"],
    additionalProperties: false,
    properties: {
      phase: ref("Phase"),
      input: {
        type: "object",
        description: "The phase's input. `agent.id` and `env` default to the key's only agent and environment; `time` is the service's clock and `session.calls` its record of the session (a client may send its own calls only with the `history` scope, and a `time` only with them). Strings must be well-formed UTF-16, numbers held exactly by a 64-bit float as written (send larger integers as strings), each key once per object, nesting at most 64 deep (I-JSON, RFC 7493).",
      },
      session: { ...ID, description: "The session id: its earlier tool calls, on any node, become `session.calls`." },
      environment: { ...ID, description: "The environment (`env` in policies); defaults to the key's only environment." },
      mode: { type: "string", enum: ["enforce", "shadow"], description: "`shadow`: the client applies nothing, so a require_approval files no request, the session's call counts as executed, and the audit entry says `mode: \"shadow\"`. Default `enforce`." },
      payload: { type: "string", enum: ["full", "input", "history"], description: "What the answer's `payload` holds: `full` (default) the whole decided input with the context the service added (agent, env, time), its `session` by reference as the audit log records it (`{\"id\", \"calls_before\"}`), so an answer does not grow with the session; `input` only the fields the request's input gave, after the transforms; `history` the full input with the session's earlier calls themselves." },
    },
  },
  ApprovalRef: {
    type: "object",
    required: ["id", "status", "expiresAt", "wait"],
    properties: { id: { type: "string" }, status: ref("ApprovalStatus"), expiresAt: { type: "string", format: "date-time" }, wait: { type: "string", description: "Where to long-poll for the outcome." } },
  },
  DecisionResponse: {
    type: "object",
    description: "The decision, answered only once it is recorded in the audit log.",
    required: ["id", "decision", "reasons", "warnings", "payload", "errors", "policy"],
    properties: {
      id: { type: "string", format: "uuid" },
      decision: { type: "string", enum: ["allow", "deny", "require_approval"] },
      reasons: { type: "array", items: ref("Reason") },
      warnings: { type: "array", items: ref("Reason") },
      payload: { description: "The input after the transforms (redact, set)." },
      errors: { type: "array", items: ref("RuleError") },
      policy: ref("PolicyRef"),
      approval: ref("ApprovalRef"),
      call_seq: { type: "integer", minimum: 0, description: "A tool_call's place in its session's history (from 0), when it joined one: what POST /v1/settlements names when the tool failed." },
    },
  },
  BatchRequest: {
    type: "object",
    required: ["requests"],
    additionalProperties: false,
    properties: {
      requests: {
        type: "array",
        maxItems: 1000,
        // Each request is checked on its own and a bad one gets its error in place (BatchResponse),
        // so the batch itself accepts any items, objects or not; each should be a DecisionRequest.
        items: { description: "A DecisionRequest (#/components/schemas/DecisionRequest); one that is not valid (not an object, too) gets its error in place." },
      },
    },
  },
  BatchResponse: {
    type: "object",
    required: ["results"],
    properties: { results: { type: "array", items: { oneOf: [ref("DecisionResponse"), ref("Error")] }, description: "One per request, in order; a bad request gets its error in place." } },
  },
  ApprovalStatus: { type: "string", enum: ["pending", "approved", "rejected", "expired"] },
  Approval: {
    type: "object",
    required: ["id", "status", "role", "phase", "agent", "env", "session", "tool", "reasons", "payload", "policy", "decisionId", "createdAt", "expiresAt", "outcome"],
    properties: {
      id: { type: "string" },
      status: ref("ApprovalStatus"),
      role: { type: ["string", "null"], description: "The role the rule names, or null when an admin must answer." },
      phase: ref("Phase"),
      agent: { type: "string" },
      env: { type: "string" },
      session: { type: ["string", "null"] },
      tool: { type: ["string", "null"] },
      reasons: { type: "array", items: ref("Reason") },
      payload: {},
      policy: { type: "string" },
      decisionId: { type: "string" },
      createdAt: { type: "string", format: "date-time" },
      expiresAt: { type: "string", format: "date-time" },
      decidedBy: { type: "string" },
      decidedAt: { type: "string", format: "date-time" },
      note: { type: "string" },
      askedBy: { type: "string", description: "The key that filed the request." },
      via: { type: "string", enum: ["framework"], description: "framework: answered in the agent's framework and relayed by the key that asked." },
      outcome: { type: "string", enum: ["pending", "allow", "deny"], description: "allow only once approved; deny once rejected or expired." },
    },
  },
  ApprovalList: { type: "object", required: ["approvals"], properties: { approvals: { type: "array", items: ref("Approval") } } },
  ApprovalAction: {
    type: "object",
    required: ["id", "action"],
    additionalProperties: false,
    properties: { id: { type: "string", minLength: 1 }, action: { type: "string", enum: ["approve", "reject"] }, note: { type: "string", maxLength: 1000 } },
  },
  ApprovalRelay: {
    type: "object",
    required: ["approved"],
    additionalProperties: false,
    properties: { approved: { type: "boolean" }, by: { type: "string", minLength: 1, maxLength: 200 }, note: { type: "string", maxLength: 1000 } },
  },
  ApprovalFiling: {
    type: "object",
    required: ["phase", "agent", "env", "reasons", "policy"],
    additionalProperties: false,
    properties: {
      phase: ref("Phase"),
      agent: { type: "string", minLength: 1 },
      env: { type: "string", minLength: 1 },
      session: { type: ["string", "null"] },
      tool: { type: ["string", "null"] },
      reasons: { type: "array", items: ref("Reason") },
      payload: {},
      policy: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
    },
  },
  InclusionProof: {
    type: "object",
    required: ["index", "size", "leafHash", "proof", "root"],
    properties: { index: { type: "integer" }, size: { type: "integer" }, leafHash: { type: "string", contentEncoding: "base64" }, proof: { type: "array", items: { type: "string" } }, root: { type: "string" } },
  },
  AuditStatus: {
    type: "object",
    required: ["size", "pending", "checkpoint", "verification"],
    properties: {
      size: { type: "integer" },
      pending: { type: "integer" },
      checkpoint: { oneOf: [{ type: "null" }, { type: "object", required: ["origin", "size", "root", "note"], properties: { origin: { type: "string" }, size: { type: "integer" }, root: { type: "string" }, note: { type: "string" } } }] },
      verification: { type: "object", required: ["ok", "detail"], properties: { ok: { type: "boolean" }, detail: { type: "string" } } },
    },
  },
  Change: { type: "object", required: ["path", "before", "after"], properties: { path: { type: "string" }, before: {}, after: {} } },
  DecisionRecord: {
    type: "object",
    required: ["id", "time", "agent", "env", "phase", "session", "tool", "decision", "reasons", "warnings", "changes"],
    properties: {
      id: { type: "string" },
      time: { type: "string", format: "date-time" },
      agent: { type: "string" },
      env: { type: "string" },
      phase: ref("Phase"),
      session: { type: ["string", "null"] },
      tool: { type: ["string", "null"] },
      decision: { type: "string", enum: ["allow", "deny", "require_approval"] },
      reasons: { type: "array", items: ref("Reason") },
      warnings: { type: "array", items: ref("Reason") },
      changes: { type: "array", items: ref("Change") },
      input: {},
      payload: {},
      approval: { type: "string" },
    },
  },
  Health: { type: "object", required: ["ok"], properties: { ok: { type: "boolean" }, policy: { type: "string" } } },
};

export { ref };
