// The benchmark corpus the native peers read: every set's Rego and Cedar text, its inputs (and
// Cedar requests built from them), and the decisions Palisade gives, which every peer must
// reproduce before its timings count.
import { loadPolicySet, type PolicySet } from "../../engine/runtime/policy-set.ts";
import type { BenchSet } from "./sets.ts";
import type { BenchInput } from "./typical20.ts";

/** A decision reduced to what every peer can say: the outcome and the rules behind it, sorted. */
export interface PeerExpectation {
  readonly decision: string;
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
}

/** A Cedar request as JSON, the same for the native crate and cedar-wasm. */
export interface CedarRequestJson {
  readonly principal: { readonly type: string; readonly id: string };
  readonly action: { readonly type: string; readonly id: string };
  readonly resource: { readonly type: string; readonly id: string };
  readonly context: Record<string, string | number | boolean | readonly string[]>;
}

/** One set as the peers read it. */
export interface CorpusSet {
  readonly name: string;
  readonly rego: string;
  /** The OPA query, e.g. `data.bench.typical.result`. */
  readonly query: string;
  readonly inputs: readonly BenchInput[];
  readonly expected: readonly PeerExpectation[];
  readonly cedar: { readonly policies: string; readonly requests: readonly CedarRequestJson[]; readonly expected: readonly ("allow" | "deny")[] } | { readonly policies: null; readonly reason: string };
}

/** Timing settings every harness uses alike. */
export interface Timing {
  readonly batches: number;
  readonly batchMs: number;
  readonly warmupMs: number;
}

/** The whole corpus. */
export interface Corpus {
  readonly sets: readonly CorpusSet[];
  readonly timing: Timing;
}

/** Loads a Palisade policy the benchmark depends on; a policy that does not check is a bug in the benchmark. */
export function loadBenchPolicy(text: string, evaluator: "compiled" | "reference" = "compiled"): PolicySet {
  const { policySet, diagnostics } = loadPolicySet([{ path: "bench.policy", text }], { evaluator });
  if (!policySet) throw new Error(`bench policy does not check: ${diagnostics.map((d) => d.message).join("; ")}`);
  return policySet;
}

const shortName = (rule: string): string => rule.slice(rule.lastIndexOf(".") + 1);

/** Palisade's decision on `input`, as the peers must reproduce it. */
export function expectation(set: PolicySet, input: BenchInput): PeerExpectation {
  const d = set.decide("tool_call", input);
  return { decision: d.decision, reasons: d.reasons.map((r) => shortName(r.rule)).sort(), warnings: d.warnings.map((r) => shortName(r.rule)).sort() };
}

// Attributes the Cedar policies read: Cedar errors on a missing attribute where Palisade reads
// null, so every request carries each of them, with a value that fires no rule.
const CEDAR_DEFAULTS: Readonly<Record<string, string | number | boolean>> = { amount: 0, path: "", bytes: 0, role: "", currency: "USD", rows: 0, shell: false };

/** The Cedar request for a benchmark input: the tool as the action, its arguments and the principal's roles in the context. */
export function cedarRequestJson(input: BenchInput): CedarRequestJson {
  const context: Record<string, string | number | boolean | readonly string[]> = { roles: input.principal.roles, env: input.env, suspended: input.principal.attrs.suspended === true };
  for (const [k, v] of Object.entries(input.tool.args)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") context[k] = v;
  for (const [k, v] of Object.entries(CEDAR_DEFAULTS)) if (!(k in context)) context[k] = v;
  return { principal: { type: "User", id: input.principal.id }, action: { type: "Action", id: input.tool.name }, resource: { type: "Tool", id: input.tool.name }, context };
}

/**
 * `source` without the named rules: what Palisade decides on the subset Cedar expresses. A rule
 * runs from `rule NAME on` to the brace that closes its body (messages hold balanced braces).
 */
export function withoutRules(source: string, names: readonly string[]): string {
  let out = source;
  for (const name of names) {
    const start = out.search(new RegExp(`^rule ${name} on `, "m"));
    if (start < 0) throw new Error(`rule ${name} is not in the source`);
    let depth = 0;
    let end = start;
    for (; end < out.length; end++) {
      if (out[end] === "{") depth++;
      else if (out[end] === "}" && --depth === 0) break;
    }
    out = out.slice(0, start) + out.slice(end + 1);
  }
  return out;
}

/** Builds the corpus for `sets`, deciding every input with Palisade. */
export function buildCorpus(sets: readonly BenchSet[], timing: Timing): Corpus {
  return {
    timing,
    sets: sets.map((s): CorpusSet => {
      const policy = loadBenchPolicy(s.palisade);
      const cedar = s.cedar.policies === null
        ? { policies: null, reason: s.cedar.reason }
        : (() => {
            const subset = loadBenchPolicy(withoutRules(s.palisade, s.cedarOmits));
            return {
              policies: s.cedar.policies,
              requests: s.inputs.map(cedarRequestJson),
              expected: s.inputs.map((i) => (subset.decide("tool_call", i).decision === "allow" ? "allow" as const : "deny" as const)),
            };
          })();
      return { name: s.name, rego: s.rego, query: `data.${s.regoPath.replaceAll("/", ".")}.result`, inputs: s.inputs, expected: s.inputs.map((i) => expectation(policy, i)), cedar };
    }),
  };
}
