// Loading a policy set for the commands that run policies (eval, test, demo): diagnostics are
// printed, and a set that does not check is unusable (exit 2 for eval, 1 for test).
import { loadPolicySet, type PolicySet } from "../runtime/index.ts";
import type { CommandIO } from "./command.ts";
import { readPolicySources } from "./files.ts";
import { hasErrors, printDiagnostics, type ErrorFormat } from "./policies.ts";
import type { JSONSchemaObject } from "../../language/index.ts";

/** Reads, checks and loads the policies under `paths`; prints diagnostics; null when they do not check. */
export function loadSetOrReport(paths: readonly string[], io: CommandIO, format: ErrorFormat, toolSchemas?: Record<string, JSONSchemaObject>): PolicySet | null {
  const read = readPolicySources(paths, io.cwd);
  const { sources } = read;
  if (read.diagnostics.length > 0) {
    printDiagnostics(read.diagnostics, sources, io, format);
    return null;
  }
  const { policySet, diagnostics } = loadPolicySet(sources, toolSchemas ? { toolSchemas } : {});
  // Warnings are worth seeing only when they are all there is to see, or when the set failed.
  if (hasErrors(diagnostics)) printDiagnostics(diagnostics, sources, io, format);
  return policySet;
}
