// Cedar as the benchmark calls it: the policy set preparsed once, then `statefulIsAuthorized`
// per decision, the fastest way to call Cedar from Node (NOTES.md: `isAuthorized` re-parses
// the policies on every call). Requests are built before timing, which favours Cedar.
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { StatefulAuthorizationCall } from "@cedar-policy/cedar-wasm/nodejs";
import type { BenchInput } from "./typical20.ts";

let next = 0;

/** Preparses `policies` under a fresh id; throws with Cedar's errors when they do not parse. */
export function preparse(policies: string): string {
  const id = `bench-${next++}`;
  const r = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (r.type !== "success") throw new Error(`cedar: ${JSON.stringify(r.errors)}`);
  return id;
}

/** The Cedar request for a benchmark input: the tool as the action, its arguments and the principal's roles in the context. */
export function cedarRequest(id: string, input: BenchInput): StatefulAuthorizationCall {
  const context: Record<string, cedar.CedarValueJson> = { roles: input.principal.roles, env: input.env, suspended: input.principal.attrs.suspended === true };
  for (const [k, v] of Object.entries(input.tool.args)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") context[k] = v;
  // Cedar errors on a missing attribute where Palisade reads null: give every attribute the policies read a value.
  for (const [k, v] of Object.entries({ amount: 0, path: "", bytes: 0, role: "", currency: "USD", rows: 0 })) if (!(k in context)) context[k] = v;
  return {
    principal: { type: "User", id: input.principal.id },
    action: { type: "Action", id: input.tool.name },
    resource: { type: "Tool", id: input.tool.name },
    context,
    entities: [],
    preparsedPolicySetId: id,
  };
}

/** One Cedar decision. */
export function cedarDecide(call: StatefulAuthorizationCall): "allow" | "deny" {
  const r = cedar.statefulIsAuthorized(call);
  if (r.type !== "success") throw new Error(`cedar: ${JSON.stringify(r.errors)}`);
  return r.response.decision;
}
