// `palisade test PATH...`: runs the `test` blocks; ends with `N passed, N failed`; exit 1 if
// any failed (or the policies do not check), 2 for bad arguments.
import { coverage, runTests } from "../runtime/index.ts";
import { parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";
import { loadSetOrReport } from "./load.ts";
import { errorFormat, readToolSchemas } from "./policies.ts";

const help = `usage: palisade test [options] PATH...

Runs the test blocks of the .policy files under PATH against the whole policy set and
reports each failure with the expected and actual outcome and the rule that decided.

options:
  --tool-schemas FILE     JSON object: tool name -> JSON Schema of its args
  --verbose               list passing tests too
  --coverage              also report the rules no test reaches (fires), as
                          file:line: rule ID not reached by any test, and a
                          summary line 'coverage: N of M rules reached'
  --error-format FORMAT   human (default) or json, for diagnostics
  -h, --help              show this help

exit status: 0 all passed, 1 a test failed or the policies do not check, 2 bad arguments`;

/** The test command. */
export const command: Command = {
  name: "test",
  summary: "run the test blocks of .policy files",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { "tool-schemas": { type: "string" }, verbose: { type: "boolean", short: "v" }, coverage: { type: "boolean" }, "error-format": { type: "string" } });
    const set = loadSetOrReport(args.positionals, io, errorFormat(stringFlag(args, "error-format")), readToolSchemas(stringFlag(args, "tool-schemas"), io.cwd));
    if (!set) {
      io.stderr("palisade test: the policies do not check; fix the errors above\n0 passed, 0 failed\n");
      return 1;
    }
    const results = runTests(set);
    let failed = 0;
    for (const r of results) {
      if (r.passed) {
        if (args.flags.verbose === true) io.stdout(`ok    ${r.file}:${r.line}: ${r.name}\n`);
        continue;
      }
      failed++;
      io.stdout(`FAIL  ${r.file}:${r.line}: ${r.name}\n`);
      for (const f of r.failures) io.stdout(`      ${f}\n`);
    }
    if (args.flags.coverage === true) {
      const c = coverage(set, results);
      for (const u of c.unreached) io.stdout(`${u.file}:${u.line}: rule ${u.id} not reached by any test\n`);
      io.stdout(`coverage: ${c.reached} of ${c.total} rules reached\n`);
    }
    io.stdout(`${results.length - failed} passed, ${failed} failed\n`);
    return failed > 0 ? 1 : 0;
  },
};
