// Cedar as the benchmark calls it: the policy set preparsed once, then `statefulIsAuthorized`
// per decision, the fastest way to call Cedar from Node (NOTES.md: `isAuthorized` re-parses
// the policies on every call). Requests are built before timing, which favours Cedar.
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { StatefulAuthorizationCall } from "@cedar-policy/cedar-wasm/nodejs";
import type { BenchInput } from "./typical20.ts";
import { cedarRequestJson } from "./corpus.ts";

let next = 0;

/** Preparses `policies` under a fresh id; throws with Cedar's errors when they do not parse. */
export function preparse(policies: string): string {
  const id = `bench-${next++}`;
  const r = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (r.type !== "success") throw new Error(`cedar: ${JSON.stringify(r.errors)}`);
  return id;
}

/** The Cedar request for a benchmark input, against the policy set preparsed as `id`. */
export function cedarRequest(id: string, input: BenchInput): StatefulAuthorizationCall {
  const r = cedarRequestJson(input);
  return { ...r, context: r.context as Record<string, cedar.CedarValueJson>, entities: [], preparsedPolicySetId: id };
}

/** One Cedar decision. */
export function cedarDecide(call: StatefulAuthorizationCall): "allow" | "deny" {
  const r = cedar.statefulIsAuthorized(call);
  if (r.type !== "success") throw new Error(`cedar: ${JSON.stringify(r.errors)}`);
  return r.response.decision;
}
