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
  | "drift-alerts";

/** One control of a framework, as the catalogue holds it. */
export interface Control {
  /** The id as rules cite it after `<framework>:`. */
  readonly id: string;
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
