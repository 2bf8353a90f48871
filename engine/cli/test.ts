// `palisade test PATH...`: runs the `test` blocks; ends with `N passed, N failed`; exit 1 if
// any failed, if there is none to run, or if the policies do not check; 2 for bad arguments.
import { coverage, runTests, type TestResult } from "../runtime/index.ts";
import { parseArgs, stringFlag, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { loadSetOrReport } from "./load.ts";
import { errorFormat, readToolSchemas } from "./policies.ts";

const help = `usage: palisade test [options] PATH...

Runs the test blocks of the .policy files under PATH and reports each failure with the
expected and actual outcome and the rule that decided. A test decides against its own
package and the packages it imports (with their params at their defaults, or as the test's
'with' lines set them), so that a pack's tests pass whatever else is loaded; --whole-set
decides every test against the whole set instead, as configured.

options:
  --whole-set             decide each test against every loaded package
  --format FORMAT         text (default), json, or junit (JUnit XML, for CI)
  --tool-schemas FILE     JSON object: tool name -> JSON Schema of its args
  --verbose               list passing tests too
  --coverage              also report the rules no test reaches (fires), as
                          file:line: rule ID not reached by any test, and a
                          summary line 'coverage: N of M rules reached'
  --error-format FORMAT   human (default) or json, for diagnostics
  -h, --help              show this help

exit status: 0 all passed, 1 a test failed, there was no test, or the policies do not
check, 2 bad arguments`;

type Format = "text" | "json" | "junit";

function readFormat(v: string | undefined): Format {
  if (v === undefined || v === "text") return "text";
  if (v === "json" || v === "junit") return v;
  throw new UsageError(`--format must be 'text', 'json' or 'junit', got '${v}'`);
}

function xml(s: string): string {
  // XML 1.0 has no place for most control characters: they are dropped, not escaped.
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The results as JUnit XML: one test suite per package, one test case per test block. */
export function junit(results: readonly TestResult[]): string {
  const byPackage = new Map<string, TestResult[]>();
  for (const r of results) byPackage.set(r.package, [...(byPackage.get(r.package) ?? []), r]);
  const failed = results.filter((r) => !r.passed).length;
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="palisade" tests="${results.length}" failures="${failed}">`];
  for (const [pkg, rs] of byPackage) {
    out.push(`  <testsuite name="${xml(pkg)}" tests="${rs.length}" failures="${rs.filter((r) => !r.passed).length}">`);
    for (const r of rs) {
      const head = `    <testcase classname="${xml(pkg)}" name="${xml(r.name)}" file="${xml(r.file)}" line="${r.line}"`;
      if (r.passed) out.push(`${head}/>`);
      else out.push(`${head}>`, `      <failure message="${xml(r.failures[0] ?? "failed")}">${xml(r.failures.join("\n"))}</failure>`, "    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

/** The test command. */
export const command: Command = {
  name: "test",
  summary: "run the test blocks of .policy files",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      "tool-schemas": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      coverage: { type: "boolean" },
      "error-format": { type: "string" },
      "whole-set": { type: "boolean" },
      format: { type: "string" },
    });
    const format = readFormat(stringFlag(args, "format"));
    const set = loadSetOrReport(args.positionals, io, errorFormat(stringFlag(args, "error-format")), readToolSchemas(stringFlag(args, "tool-schemas"), io.cwd));
    if (!set) {
      io.stderr("palisade test: the policies do not check; fix the errors above\n0 passed, 0 failed\n");
      return 1;
    }
    const results = runTests(set, { wholeSet: args.flags["whole-set"] === true });
    const failed = results.filter((r) => !r.passed).length;
    if (format === "json") {
      const tests = results.map((r) => ({ name: r.name, package: r.package, file: r.file, line: r.line, passed: r.passed, failures: r.failures }));
      io.stdout(`${JSON.stringify({ tests, passed: results.length - failed, failed }, null, 2)}\n`);
    } else if (format === "junit") io.stdout(junit(results));
    else {
      for (const r of results) {
        if (r.passed) {
          if (args.flags.verbose === true) io.stdout(`ok    ${r.file}:${r.line}: ${r.name}\n`);
          continue;
        }
        io.stdout(`FAIL  ${r.file}:${r.line}: ${r.name}\n`);
        for (const f of r.failures) io.stdout(`      ${f}\n`);
      }
      if (args.flags.coverage === true) {
        const c = coverage(set, results);
        for (const u of c.unreached) io.stdout(`${u.file}:${u.line}: rule ${u.id} not reached by any test\n`);
        io.stdout(`coverage: ${c.reached} of ${c.total} rules reached\n`);
      }
      io.stdout(`${results.length - failed} passed, ${failed} failed\n`);
    }
    // No test at all is not a pass: a CI job pointed at the wrong folder must not go green.
    if (results.length === 0) {
      io.stderr("palisade test: no test blocks found under the given paths; add 'test \"...\" { ... }' blocks\n");
      return 1;
    }
    return failed > 0 ? 1 : 0;
  },
};
