// Request bodies checked by hand, so that each 400 names the exact bad field (a JSON Pointer) in
// words a client can act on, and so that the decision path pays for a few typeof checks rather
// than a schema walk.
import { invalid } from "./errors.ts";
import { SCHEMAS } from "./schemas.ts";
import type { NewApproval } from "./approvals.ts";
import type { ApprovalActionV1, ApprovalRelayV1, BatchRequestV1, DecisionRequestV1, PhaseV1 } from "./wire.ts";

const PHASES: ReadonlySet<string> = new Set(["input", "model_call", "tool_call", "tool_result", "output"]);
const EFFECTS: ReadonlySet<string> = new Set(["deny", "require_approval", "allow", "warn", "redact", "set"]);

/** The fields a body schema lists: what its validator takes, so that the document and the check cannot drift. */
function fieldsOf(schema: string): ReadonlySet<string> {
  return new Set(Object.keys((SCHEMAS[schema] as { properties: object }).properties));
}

const REQUEST_FIELDS = fieldsOf("DecisionRequest");
const BATCH_FIELDS = fieldsOf("BatchRequest");
const ACTION_FIELDS = fieldsOf("ApprovalAction");
const RELAY_FIELDS = fieldsOf("ApprovalRelay");
const FILING_FIELDS = fieldsOf("ApprovalFiling");

// A field the body's schema does not list is refused, never ignored: `{"action": "approve",
// "approved": false}` was an approval, and a client meaning the other field learns it was not read.
function onlyFields(body: Record<string, unknown>, fields: ReadonlySet<string>, at: string): void {
  for (const k of Object.keys(body)) if (!fields.has(k)) throw invalid(`${at}/${k}`, `unknown field '${k}'`);
}

/** Most decisions in one batch. */
export const MAX_BATCH = 1000;

/** Longest id (session, approval) accepted. */
export const MAX_ID = 200;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function optionalId(body: Record<string, unknown>, key: string, at: string): void {
  const v = body[key];
  if (v === undefined) return;
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_ID) throw invalid(`${at}/${key}`, `'${key}' must be a non-empty string of at most ${MAX_ID} characters, got ${kind(v)}`);
}

/** Checks one decision request at pointer `at` ("" for a body of its own). */
export function decisionRequest(body: unknown, at = ""): DecisionRequestV1 {
  if (!isObject(body)) throw invalid(at === "" ? "/" : at, `the request must be a JSON object, got ${kind(body)}`);
  const phase = body.phase;
  if (phase === undefined) throw invalid(`${at}/phase`, "'phase' is required: one of input, model_call, tool_call, tool_result, output");
  if (typeof phase !== "string" || !PHASES.has(phase)) throw invalid(`${at}/phase`, `unknown phase ${JSON.stringify(phase)}: expected one of input, model_call, tool_call, tool_result, output`);
  if (body.input === undefined) throw invalid(`${at}/input`, "'input' is required: the phase's input object");
  if (!isObject(body.input)) throw invalid(`${at}/input`, `'input' must be a JSON object, got ${kind(body.input)}`);
  optionalId(body, "session", at);
  optionalId(body, "environment", at);
  if (body.mode !== undefined && body.mode !== "enforce" && body.mode !== "shadow") throw invalid(`${at}/mode`, `'mode' must be "enforce" or "shadow", got ${JSON.stringify(body.mode)}`);
  if (body.payload !== undefined && body.payload !== "full" && body.payload !== "input" && body.payload !== "history") throw invalid(`${at}/payload`, `'payload' must be "full", "input" or "history", got ${JSON.stringify(body.payload)}`);
  onlyFields(body, REQUEST_FIELDS, at);
  return body as unknown as DecisionRequestV1 & { phase: PhaseV1 };
}

/** Checks a batch body. */
export function batchRequest(body: unknown): BatchRequestV1 {
  if (!isObject(body)) throw invalid("/", `the request must be a JSON object, got ${kind(body)}`);
  onlyFields(body, BATCH_FIELDS, "");
  const list = body.requests;
  if (!Array.isArray(list)) throw invalid("/requests", `'requests' must be a list of decision requests, got ${kind(list)}`);
  if (list.length > MAX_BATCH) throw invalid("/requests", `a batch holds at most ${MAX_BATCH} requests, got ${list.length}`);
  return body as unknown as BatchRequestV1;
}

/** Checks an approve/reject body. */
export function approvalAction(body: unknown): ApprovalActionV1 {
  if (!isObject(body)) throw invalid("/", `the request must be a JSON object, got ${kind(body)}`);
  if (typeof body.id !== "string" || body.id === "") throw invalid("/id", "'id' is required: the approval request's id");
  onlyFields(body, ACTION_FIELDS, "");
  if (body.action !== "approve" && body.action !== "reject") throw invalid("/action", `'action' must be "approve" or "reject", got ${JSON.stringify(body.action) ?? "nothing"}`);
  if (body.note !== undefined && (typeof body.note !== "string" || body.note.length > 1000)) throw invalid("/note", "'note' must be a string of at most 1000 characters");
  return body as unknown as ApprovalActionV1;
}

/** Checks a framework's answer relayed by the key that asked (`POST /v1/approvals/{id}/answered`). */
export function approvalRelay(body: unknown): ApprovalRelayV1 {
  if (!isObject(body)) throw invalid("/", `the request must be a JSON object, got ${kind(body)}`);
  onlyFields(body, RELAY_FIELDS, "");
  if (typeof body.approved !== "boolean") throw invalid("/approved", `'approved' must be true or false, got ${JSON.stringify(body.approved) ?? "nothing"}`);
  if (body.by !== undefined && (typeof body.by !== "string" || body.by === "" || body.by.length > 200)) throw invalid("/by", "'by' must be a non-empty string of at most 200 characters: who answered in the framework");
  if (body.note !== undefined && (typeof body.note !== "string" || body.note.length > 1000)) throw invalid("/note", "'note' must be a string of at most 1000 characters");
  return body as unknown as ApprovalRelayV1;
}

/** Reads a non-negative integer query parameter; undefined when absent. */
export function queryInt(query: Record<string, unknown>, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = query[name];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || !/^\d{1,16}$/.test(v) || Number(v) > max) throw invalid(`/${name}`, `query parameter '${name}' must be an integer from 0 to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Checks a filing from a guard elsewhere (`POST /v1/approvals/requests`). */
export function approvalFiling(body: unknown): NewApproval {
  if (!isObject(body)) throw invalid("/", `the request must be a JSON object, got ${kind(body)}`);
  onlyFields(body, FILING_FIELDS, "");
  if (typeof body.phase !== "string" || !PHASES.has(body.phase)) throw invalid("/phase", `unknown phase ${JSON.stringify(body.phase) ?? "nothing"}: expected one of input, model_call, tool_call, tool_result, output`);
  for (const k of ["agent", "env"]) if (typeof body[k] !== "string" || body[k] === "") throw invalid(`/${k}`, `'${k}' must be a non-empty string`);
  for (const k of ["session", "tool"]) if (body[k] !== undefined && body[k] !== null && typeof body[k] !== "string") throw invalid(`/${k}`, `'${k}' must be a string or null`);
  if (!Array.isArray(body.reasons)) throw invalid("/reasons", "'reasons' must be a list of the require_approval reasons");
  body.reasons.forEach((r, i) => {
    if (!isObject(r) || typeof r.rule !== "string" || typeof r.effect !== "string" || !EFFECTS.has(r.effect)) throw invalid(`/reasons/${i}`, "each reason needs a string 'rule' and an 'effect' (deny, require_approval, allow, warn, redact, set)");
    for (const k of ["message", "severity", "approver_role"]) if (r[k] !== undefined && typeof r[k] !== "string") throw invalid(`/reasons/${i}/${k}`, `'${k}' must be a string`);
    if (r.controls !== undefined && (!Array.isArray(r.controls) || r.controls.some((c) => typeof c !== "string"))) throw invalid(`/reasons/${i}/controls`, "'controls' must be a list of strings");
  });
  if (typeof body.policy !== "string" || !/^sha256:[0-9a-f]{64}$/.test(body.policy)) throw invalid("/policy", "'policy' must be the deciding policy set's digest (sha256:<64 hex digits>)");
  return {
    phase: body.phase as PhaseV1,
    agent: body.agent as string,
    env: body.env as string,
    session: (body.session as string | null | undefined) ?? null,
    tool: (body.tool as string | null | undefined) ?? null,
    reasons: body.reasons as NewApproval["reasons"],
    payload: body.payload ?? null,
    policy: body.policy,
    decisionId: "external",
  };
}
