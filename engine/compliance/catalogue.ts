// The controls catalogue (spec/controls/*.json) as typed data, and finding a framework by the
// name a user types: its prefix (`pci-dss-4.0`) or any alias (`pci-dss`, `pci`).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";

/** An operational fact a control is fed by (catalogue.schema.json `fact`). */
export type Fact =
  | "decisions"
  | "denials"
  | "approvals"
  | "warnings"
  | "redactions"
  | "policy-versions"
  | "promotions"
  | "pack-test-runs"
  | "audit-checkpoints"
  | "audit-log"
  | "drift-alerts";

/** One control of a framework, as the catalogue holds it. */
export interface Control {
  /** The id as rules cite it after `<framework>:`. */
  readonly id: string;
  /** The id as the framework writes it, when it differs (`GOVERN 6.1` for `GOVERN-6.1`). */
  readonly label?: string;
  /** The scope unit holding it, when its id does not start with the unit's. */
  readonly within?: string;
  /** Control ids in the catalogue's published OSCAL catalog it is assessed against. */
  readonly oscal?: readonly string[];
  readonly title: string;
  readonly family?: string;
  /** `palisade` when the id is Palisade's own grouping rather than the framework's. */
  readonly source?: "framework" | "palisade";
  /** What an auditor accepts as evidence, in Palisade's terms. */
  readonly evidence: string;
  /** Full ids of the stdlib rules that cite the control. */
  readonly rules: readonly string[];
  readonly facts: readonly Fact[];
}

/** One framework's catalogue file. */
export interface Catalogue {
  /** The prefix in rules' `controls "<framework>:<id>"`. */
  readonly framework: string;
  readonly aliases?: readonly string[];
  readonly name: string;
  readonly publisher: string;
  readonly version: string;
  readonly source: string;
  /** The pack folder, relative to the repository root. */
  readonly pack?: string;
  readonly notes?: string;
  readonly controls: readonly Control[];
  /** Every unit of the framework at one granularity, so reports can name what they leave out. */
  readonly scope: { readonly unit: string; readonly units_name: string; readonly basis: string; readonly units: readonly ScopeUnit[] };
  /** The published OSCAL catalog findings use (null when none is published). */
  readonly oscal: { readonly catalog: string | null; readonly href?: string; readonly notes: string };
}

/** One unit of a framework (a criterion, standard, article, principle...). */
export interface ScopeUnit {
  readonly id: string;
  readonly label?: string;
  readonly title: string;
}

/** What a report addresses of a framework, and what it leaves out. */
export interface Scope {
  /** What one unit is called, and the plural (criterion, criteria). */
  readonly unit: string;
  readonly units_name: string;
  readonly basis: string;
  /** Units holding catalogued controls; `in_part` when the unit is more than those controls. */
  readonly addressed: readonly (ScopeUnit & { readonly controls: readonly string[]; readonly in_part: boolean })[];
  readonly out_of_scope: readonly ScopeUnit[];
}

/** The id of a control or unit as the framework writes it. */
export const labelOf = (c: { readonly id: string; readonly label?: string }): string => c.label ?? c.id;

/** The unit holding a control: its `within`, else the longest unit id it extends. */
function unitOf(catalogue: Catalogue, c: Control): string | undefined {
  if (c.within !== undefined) return c.within;
  let best: string | undefined;
  for (const u of catalogue.scope.units) {
    const ext = c.id === u.id || c.id.startsWith(`${u.id}(`) || c.id.startsWith(`${u.id}.`);
    if (ext && (best === undefined || u.id.length > best.length)) best = u.id;
  }
  return best;
}

/** The scope a report of `catalogue` addresses. */
export function scopeOf(catalogue: Catalogue): Scope {
  const held = new Map<string, string[]>();
  for (const c of catalogue.controls) {
    const u = unitOf(catalogue, c);
    if (u !== undefined) held.set(u, [...(held.get(u) ?? []), c.id]);
  }
  const addressed: Scope["addressed"][number][] = [];
  const out: ScopeUnit[] = [];
  for (const u of catalogue.scope.units) {
    const controls = held.get(u.id);
    if (controls === undefined) out.push(u);
    else addressed.push({ ...u, controls, in_part: !(controls.length === 1 && controls[0] === u.id) });
  }
  return { unit: catalogue.scope.unit, units_name: catalogue.scope.units_name, basis: catalogue.scope.basis, addressed, out_of_scope: out };
}

/** Palisade's root (the repository, or the installed package), where `spec/controls/` and `stdlib-policies/` live. */
export const REPO_ROOT: string = PACKAGE_ROOT;

/** The folder of catalogue files shipped with Palisade. */
export const CATALOGUE_DIR: string = join(REPO_ROOT, "spec", "controls");

/** The `--framework` names the report command documents, in the order it lists them. */
export const FRAMEWORK_NAMES: readonly string[] = ["soc2", "hipaa", "gdpr", "pci-dss", "sox", "eu-ai-act", "nist-ai-rmf", "iso-42001"];

/** Every catalogue in `dir`, sorted by framework. The files were validated against their schema by the packs' tests. */
export function loadCatalogues(dir: string = CATALOGUE_DIR): Catalogue[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Catalogue)
    .sort((a, b) => (a.framework < b.framework ? -1 : a.framework > b.framework ? 1 : 0));
}

/** The catalogue named `name` (its framework prefix or an alias, case-insensitive), or undefined. */
export function findCatalogue(name: string, catalogues: readonly Catalogue[] = loadCatalogues()): Catalogue | undefined {
  const n = name.toLowerCase();
  return catalogues.find((c) => c.framework === n || (c.aliases ?? []).includes(n));
}

/** Splits a rule's `framework:id` control reference; undefined when it has no prefix. */
export function splitControlRef(ref: string): { framework: string; id: string } | undefined {
  const i = ref.indexOf(":");
  return i <= 0 ? undefined : { framework: ref.slice(0, i), id: ref.slice(i + 1) };
}

/**
 * The OSCAL control id a control's finding names: the first control of the published catalog it
 * is assessed against, or else its own id as an OSCAL token (lowercase, `(x)` as `_x`, and `req-`
 * before an id that starts with a digit): `cc6.1`, `art.5_1_b`, `req-3.4.1`, `govern-6.1`.
 */
export function oscalControlId(catalogue: Catalogue, c: Control): string {
  if (catalogue.oscal.catalog !== null && c.oscal !== undefined && c.oscal.length > 0) return c.oscal[0];
  const t = c.id
    .toLowerCase()
    .replace(/\(([^)]*)\)/g, "_$1")
    .replace(/[^a-z0-9._-]/g, "-");
  return /^[a-z_]/.test(t) ? t : `req-${t}`;
}
