// `palisade check PATH...`: parse and check policy files; diagnostics on stderr; exit 0 when
// every file parses and checks, 1 when any has an error, 2 for unusable arguments.
import { parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";
import { countLine, errorFormat, hasErrors, loadPolicies, printDiagnostics, readToolSchemas } from "./policies.ts";

const help = `usage: palisade check [options] PATH...

Parses and checks .policy files: every name resolved, every path checked against the
phase's input schema, types, effects and regexes screened. A PATH is a .policy file or
a folder searched for them. Files are checked together, so imports resolve across them.

options:
  --tool-schemas FILE     JSON object: tool name -> JSON Schema of its args
  --error-format FORMAT   human (default) or json (one object per line)
  --deny-warnings         exit 1 when there are warnings
  -h, --help              show this help

exit status: 0 ok, 1 errors found, 2 bad arguments or a PATH that cannot be read`;

/** The check command. */
export const command: Command = {
  name: "check",
  summary: "parse and check .policy files",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      "tool-schemas": { type: "string" },
      "error-format": { type: "string" },
      "deny-warnings": { type: "boolean" },
    });
    const format = errorFormat(stringFlag(args, "error-format"));
    const schemas = readToolSchemas(stringFlag(args, "tool-schemas"), io.cwd);
    const { sources, diagnostics } = loadPolicies(args.positionals, io, schemas);
    printDiagnostics(diagnostics, sources, io, format);
    const failed = hasErrors(diagnostics) || (args.flags["deny-warnings"] === true && diagnostics.length > 0);
    if (format === "human") io.stderr(`${failed ? "failed" : "ok"}: ${sources.length} file${sources.length === 1 ? "" : "s"} checked, ${countLine(diagnostics)}\n`);
    // A PATH that cannot be read is an unusable argument (exit 2), not a finding about a policy.
    if (diagnostics.some((d) => d.code === "E604")) return 2;
    return failed ? 1 : 0;
  },
};
