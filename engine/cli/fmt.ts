// `palisade fmt [--check] PATH...`: rewrite files in the canonical layout. With --check
// nothing is written: the files that would change are listed and the exit status is 1.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { formatSource } from "../../language/index.ts";
import type { Diagnostic } from "../../language/index.ts";
import { parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";
import { readPolicySources } from "./files.ts";
import { errorFormat, printDiagnostics } from "./policies.ts";

const help = `usage: palisade fmt [options] PATH...

Formats .policy files in the one canonical layout (spec/formatting.md), in place.
Comments and doc comments are kept. Formatting twice changes nothing.

options:
  --check                 write nothing; list the files that would change, exit 1 if any
  --stdout                print the formatted text instead of writing the files
  --error-format FORMAT   human (default) or json
  -h, --help              show this help

exit status: 0 ok (or nothing to change), 1 files would change or have syntax errors,
2 bad arguments`;

/** The fmt command. */
export const command: Command = {
  name: "fmt",
  summary: "format .policy files canonically",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { check: { type: "boolean" }, stdout: { type: "boolean" }, "error-format": { type: "string" } });
    const format = errorFormat(stringFlag(args, "error-format"));
    const read = readPolicySources(args.positionals, io.cwd);
    const { sources } = read;
    const diagnostics: Diagnostic[] = [...read.diagnostics];
    const changed: string[] = [];
    let unchanged = 0;
    for (const src of sources) {
      const out = formatSource(src.text, src.path);
      if (out.text === null) {
        diagnostics.push(...out.diagnostics);
        continue;
      }
      if (args.flags.stdout === true) io.stdout(out.text);
      else if (out.text === src.text) unchanged++;
      else {
        changed.push(src.path);
        if (args.flags.check !== true) writeFileSync(resolve(io.cwd, src.path), out.text);
      }
    }
    printDiagnostics(diagnostics, sources, io, format);
    if (args.flags.check === true) {
      for (const p of changed) io.stdout(`${p}\n`);
      if (format === "human" && changed.length > 0) io.stderr(`${changed.length} file${changed.length === 1 ? "" : "s"} would be reformatted\n`);
      return changed.length > 0 || diagnostics.length > 0 ? 1 : 0;
    }
    if (format === "human" && args.flags.stdout !== true) io.stderr(`${changed.length} file${changed.length === 1 ? "" : "s"} reformatted, ${unchanged} unchanged\n`);
    return diagnostics.length > 0 ? 1 : 0;
  },
};
