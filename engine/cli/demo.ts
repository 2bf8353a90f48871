// `palisade demo` (what `npm start` runs until `palisade serve` exists): a short end-to-end
// tour on the example policies: check them, run their tests, decide a few inputs, and say
// what happened at each step.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { runTests } from "../runtime/index.ts";
import { parseArgs } from "./args.ts";
import type { Command } from "./command.ts";
import { readPolicyFiles } from "./files.ts";
import { loadPolicySet } from "../runtime/index.ts";
import { countLine, printDiagnostics } from "./policies.ts";

const examples = join(PACKAGE_ROOT, "examples");

const inputs: readonly { file: string; phase: string; story: string }[] = [
  { file: "refund-900.json", phase: "tool_call", story: "a support agent refunds 900 without a supervisor" },
  { file: "email-after-record.json", phase: "tool_call", story: "the clinic assistant mails a gmail address after reading a medical record" },
  { file: "answer-with-card.json", phase: "output", story: "an answer that quotes a card number and an e-mail address" },
];

/** The demo command. */
export const command: Command = {
  name: "demo",
  summary: "run a short end-to-end demo on the example policies",
  help: "usage: palisade demo\n\nChecks the example policies, runs their tests and decides a few example inputs.",
  async run(argv, io) {
    parseArgs(argv, {});
    const rel = (p: string) => relative(io.cwd, p) || ".";
    const sources = readPolicyFiles([join(examples, "policies")], io.cwd);
    io.stdout(`Palisade demo: the policies in ${rel(join(examples, "policies"))}\n\n`);

    io.stdout(`1. check: ${sources.length} files parsed and checked together\n`);
    const { policySet, diagnostics } = loadPolicySet(sources);
    printDiagnostics(diagnostics, sources, io, "human");
    io.stdout(`   ${countLine(diagnostics)}\n`);
    if (!policySet) return 1;
    io.stdout(`   ${policySet.program.rules.length} rules, policy digest ${policySet.digest.slice(0, 23)}...\n\n`);

    const results = runTests(policySet);
    const failed = results.filter((r) => !r.passed);
    io.stdout(`2. test: ${results.length - failed.length} passed, ${failed.length} failed\n`);
    for (const r of failed) io.stdout(`   FAIL ${r.file}:${r.line}: ${r.name}: ${r.failures.join("; ")}\n`);
    io.stdout("\n3. eval: deciding example inputs\n");
    for (const x of inputs) {
      const input = JSON.parse(readFileSync(join(examples, "inputs", x.file), "utf8")) as unknown;
      const d = policySet.decide(x.phase, input);
      io.stdout(`\n   ${x.story}\n   (${rel(join(examples, "inputs", x.file))}, phase ${x.phase})\n`);
      io.stdout(`   -> ${d.decision.toUpperCase()}\n`);
      for (const r of d.reasons) io.stdout(`      ${r.effect} by ${r.rule}${r.message ? `: ${r.message}` : ""}\n`);
      for (const w of d.warnings) io.stdout(`      warning from ${w.rule}: ${w.message ?? ""}\n`);
      if (x.phase === "output") io.stdout(`      the user sees: ${JSON.stringify((d.payload as { output?: { text?: string } }).output?.text)}\n`);
    }
    io.stdout(`\nTry it yourself: npx palisade eval examples/policies --phase tool_call --input examples/inputs/refund-900.json\n`);
    return failed.length > 0 ? 1 : 0;
  },
};
