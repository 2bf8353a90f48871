// Activity evidence: how often each rule was evaluated and how often it triggered. The log records
// the rules that acted, never those that were merely evaluated, so evaluation is derived: a rule
// is evaluated on a decision of one of its phases (and tools, when it pins `tool.name`) taken by a
// policy version it was in force in. In force is known, never assumed (spec/compliance-evidence.md):
// the version's digest is that of the given policies, or the version's decisions name the rule,
// or name another rule of its package.
import type { LoggedDecision } from "./evidence.ts";

/** A rule the report was given, as activity needs it. */
export interface GivenRule {
  /** `package.rule`. */
  readonly id: string;
  /** `framework:id` references. */
  readonly controls: readonly string[];
  /** The phases it runs in; absent: unknown, so its evaluations are not counted. */
  readonly phases?: readonly string[];
  /** The tool names it is pinned to; null or absent: any tool. */
  readonly tools?: readonly string[] | null;
}

/** One mapped rule's activity in the period. */
export interface RuleActivity {
  readonly rule: string;
  /** Decisions it was evaluated on; null when the report was not given the rule (its phases are unknown). */
  readonly evaluated: number | null;
  /** Decisions on which it acted (denied, held, replaced something, warned). */
  readonly triggered: number;
}

/** How the rules in force under a policy version are known. */
export type InForceBasis = "given" | "inferred" | "unknown";

/** One policy set version seen deciding in the period. */
export interface PolicyVersion {
  readonly policy_digest: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly decisions: number;
  readonly envs: readonly string[];
  /** The first decision it made in the period (cited). */
  readonly first_entry: number;
  /**
   * `given`: its digest is the given policies'; `inferred`: its decisions name given rules or
   * their packages; `unknown`: neither, so no evaluation under it is counted.
   */
  readonly rules_in_force: InForceBasis;
}

const packageOf = (rule: string) => rule.slice(0, Math.max(0, rule.lastIndexOf(".")));

interface VersionAcc {
  first_seen: string;
  last_seen: string;
  decisions: number;
  envs: Set<string>;
  first_entry: number;
  cited: Set<string>;
  packages: Set<string>;
  // phase|tool -> decisions
  groups: Map<string, { phase: string; tool: string | null; n: number }>;
}

/** Counts decisions by version, phase and tool, and what each version's decisions name; judged at the end. */
export class RuleActivityCounter {
  readonly #given: readonly GivenRule[];
  readonly #givenDigest: string | null;
  readonly #versions = new Map<string, VersionAcc>();
  readonly #triggered = new Map<string, number>();

  constructor(given: readonly GivenRule[], givenDigest: string | null) {
    this.#given = given;
    this.#givenDigest = givenDigest;
  }

  /** Records one decision of the period. */
  decision(index: number, d: LoggedDecision): void {
    let v = this.#versions.get(d.policy_digest);
    if (!v) this.#versions.set(d.policy_digest, (v = { first_seen: d.time, last_seen: d.time, decisions: 0, envs: new Set(), first_entry: index, cited: new Set(), packages: new Set(), groups: new Map() }));
    v.last_seen = d.time;
    v.decisions++;
    v.envs.add(d.env);
    for (const r of d.reasons) this.#cite(v, r.rule);
    for (const r of d.warnings) this.#cite(v, r.rule);
    for (const r of d.errors) this.#cite(v, r);
    const key = `${d.phase}|${d.tool ?? ""}`;
    const g = v.groups.get(key);
    if (g) g.n++;
    else v.groups.set(key, { phase: d.phase, tool: d.tool, n: 1 });
  }

  /** Records that `rule` acted on one decision. */
  triggered(rule: string): void {
    this.#triggered.set(rule, (this.#triggered.get(rule) ?? 0) + 1);
  }

  #cite(v: VersionAcc, rule: string): void {
    v.cited.add(rule);
    v.packages.add(packageOf(rule));
  }

  /** The judged activity. */
  result(): {
    versions: PolicyVersion[];
    evaluated: (control: string, ruleControls: ReadonlyMap<string, ReadonlySet<string>>) => number;
    rulesOf: (control: string, ruleControls: ReadonlyMap<string, ReadonlySet<string>>) => RuleActivity[];
  } {
    const inForce = (rule: GivenRule, digest: string, v: VersionAcc) => digest === this.#givenDigest || v.cited.has(rule.id) || v.packages.has(packageOf(rule.id));
    const applies = (rule: GivenRule, g: { phase: string; tool: string | null }) =>
      rule.phases !== undefined && rule.phases.includes(g.phase) && (rule.tools === undefined || rule.tools === null || (g.tool !== null && rule.tools.includes(g.tool)));
    const evaluatedBy = (rules: readonly GivenRule[]) => {
      let n = 0;
      for (const [digest, v] of this.#versions) {
        const live = rules.filter((r) => inForce(r, digest, v));
        if (live.length === 0) continue;
        for (const g of v.groups.values()) if (live.some((r) => applies(r, g))) n += g.n;
      }
      return n;
    };
    const givenOf = (control: string, ruleControls: ReadonlyMap<string, ReadonlySet<string>>) => this.#given.filter((r) => ruleControls.get(r.id)?.has(control));
    const versions = [...this.#versions].map(([policy_digest, v]): PolicyVersion => ({
      policy_digest,
      first_seen: v.first_seen,
      last_seen: v.last_seen,
      decisions: v.decisions,
      envs: [...v.envs].sort(),
      first_entry: v.first_entry,
      rules_in_force: policy_digest === this.#givenDigest ? "given" : this.#given.some((r) => inForce(r, policy_digest, v)) ? "inferred" : "unknown",
    }));
    return {
      versions,
      evaluated: (control, ruleControls) => evaluatedBy(givenOf(control, ruleControls)),
      rulesOf: (control, ruleControls) => {
        const given = givenOf(control, ruleControls);
        const out: RuleActivity[] = given.map((r) => ({ rule: r.id, evaluated: evaluatedBy([r]), triggered: this.#triggered.get(r.id) ?? 0 }));
        const known = new Set(given.map((r) => r.id));
        for (const [rule, controls] of ruleControls) {
          if (!known.has(rule) && controls.has(control) && (this.#triggered.get(rule) ?? 0) > 0) out.push({ rule, evaluated: null, triggered: this.#triggered.get(rule) ?? 0 });
        }
        return out.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
      },
    };
  }
}

/** The rules of a loaded policy set as activity needs them (their phases and pinned tools). */
export function givenRules(rules: readonly { readonly id: string; readonly controls: readonly string[]; readonly phases: readonly string[]; readonly toolNames: readonly string[] | null }[]): GivenRule[] {
  return rules.map((r) => ({ id: r.id, controls: [...r.controls], phases: [...r.phases], tools: r.toolNames === null ? null : [...r.toolNames] }));
}
