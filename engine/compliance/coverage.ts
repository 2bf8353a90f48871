// Coverage: which of a framework's controls the loaded rules map to. A control the catalogue
// feeds from operational facts alone (no rules, e.g. SOC 2 CC7.3 from drift alerts) is covered
// by those facts rather than by a rule, and is listed as such, not as a gap.
import type { Catalogue } from "./catalogue.ts";

/** A loaded rule as coverage needs it. */
export interface RuleMapping {
  /** `package.rule`. */
  readonly id: string;
  /** `framework:id` references. */
  readonly controls: readonly string[];
}

/** How one control is covered. */
export interface ControlCoverage {
  readonly id: string;
  readonly title: string;
  /** Loaded rules that cite it. */
  readonly rules: readonly string[];
  /** `rules` when a loaded rule cites it, `facts` when the catalogue feeds it from facts alone, `none` otherwise. */
  readonly by: "rules" | "facts" | "none";
}

/** Coverage of a framework by a set of rules. */
export interface Coverage {
  readonly framework: string;
  /** Loaded rules citing any control of this framework. */
  readonly rules: number;
  readonly controls: readonly ControlCoverage[];
  /** The controls no loaded rule maps to (and that facts alone do not feed). */
  readonly uncovered: readonly ControlCoverage[];
}

/** Maps `rules` onto the catalogue's controls. */
export function coverage(catalogue: Catalogue, rules: readonly RuleMapping[]): Coverage {
  const prefix = `${catalogue.framework}:`;
  const byControl = new Map<string, string[]>();
  let mapped = 0;
  for (const r of rules) {
    let any = false;
    for (const c of r.controls) {
      if (!c.startsWith(prefix)) continue;
      any = true;
      const id = c.slice(prefix.length);
      byControl.set(id, [...(byControl.get(id) ?? []), r.id]);
    }
    if (any) mapped++;
  }
  const controls = catalogue.controls.map((c): ControlCoverage => {
    const rs = [...new Set(byControl.get(c.id) ?? [])];
    return { id: c.id, title: c.title, rules: rs, by: rs.length > 0 ? "rules" : c.rules.length === 0 ? "facts" : "none" };
  });
  return { framework: catalogue.framework, rules: mapped, controls, uncovered: controls.filter((c) => c.by === "none") };
}
