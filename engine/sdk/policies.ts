// Where a guard's policies come from: paths (files or folders), source strings, or a policy set
// the application already loaded. Bundles (signed, per environment) will resolve to a PolicySet
// here too: add their case to `resolvePolicies` and nothing downstream changes.
import { readFileSync } from "node:fs";
import { findPolicyFiles } from "../cli/files.ts";
import { renderDiagnostic } from "../../language/index.ts";
import type { JSONSchemaObject } from "../../language/index.ts";
import { PolicySet, loadPolicySet } from "../runtime/index.ts";
import type { PolicySource } from "../runtime/index.ts";
import { GuardConfigError } from "./errors.ts";

/** A policy source given inline: its text and the name diagnostics show. */
export interface InlinePolicy {
  readonly path: string;
  readonly text: string;
}

/** What `createGuard` accepts as policies: a path, inline sources, a mix of both, or a loaded set. */
export type PoliciesOption = PolicySet | string | InlinePolicy | readonly (string | InlinePolicy)[];

/** Loads `option` into a policy set, or throws GuardConfigError with the rendered diagnostics. */
export function resolvePolicies(option: PoliciesOption, toolSchemas: Readonly<Record<string, JSONSchemaObject>> | undefined, cwd: string = process.cwd()): PolicySet {
  if (option instanceof PolicySet) return option;
  const items = typeof option === "string" || !Array.isArray(option) ? [option as string | InlinePolicy] : (option as readonly (string | InlinePolicy)[]);
  const sources: PolicySource[] = [];
  for (const item of items) {
    if (typeof item !== "string") {
      sources.push({ path: item.path, text: item.text });
      continue;
    }
    let files: string[];
    try {
      files = findPolicyFiles([item], cwd);
    } catch (err) {
      throw new GuardConfigError(`cannot load policies: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const f of files) sources.push({ path: f, text: readFileSync(f, "utf8") });
  }
  if (sources.length === 0) throw new GuardConfigError("no policies given: pass a .policy file, a folder, source text or a PolicySet");
  const { policySet, diagnostics } = loadPolicySet(sources, toolSchemas ? { toolSchemas: { ...toolSchemas } } : {});
  if (policySet === null) {
    const byPath = new Map(sources.map((s) => [s.path, s.text]));
    const errors = diagnostics.filter((d) => d.severity === "error").map((d) => renderDiagnostic(d, byPath.get(d.file)));
    throw new GuardConfigError("the policies do not check", errors);
  }
  return policySet;
}
