// `palisade eval PATH... --phase PHASE --input FILE.json`: the decision JSON on stdout.
// Exit 0 with a decision (whatever it is), 2 for unusable policies, input or arguments.
import { DecisionInputError, isPhase } from "../runtime/index.ts";
import { PHASES } from "../../language/ast.ts";
import { parseArgs, stringFlag, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { readJsonArg } from "./files.ts";
import { loadSetOrReport } from "./load.ts";
import { errorFormat, readToolSchemas } from "./policies.ts";

const help = `usage: palisade eval PATH... --phase PHASE --input FILE.json

Decides one input with the policies under PATH and prints the decision as JSON:
{ decision, reasons, warnings, payload, errors, policy }.

options:
  --phase PHASE           ${PHASES.join(" | ")}
  --input FILE            the phase's input as JSON; '-' reads standard input
  --tool-schemas FILE     JSON object: tool name -> JSON Schema of its args
  --compact               print the decision on one line
  --error-format FORMAT   human (default) or json, for diagnostics
  -h, --help              show this help

exit status: 0 a decision was made, 2 unusable policies, input or arguments`;

/** The eval command. */
export const command: Command = {
  name: "eval",
  summary: "decide one input and print the decision JSON",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      phase: { type: "string" },
      input: { type: "string" },
      "tool-schemas": { type: "string" },
      compact: { type: "boolean" },
      "error-format": { type: "string" },
    });
    const phase = stringFlag(args, "phase");
    const inputFile = stringFlag(args, "input");
    if (phase === undefined) throw new UsageError("--phase is required");
    if (!isPhase(phase)) throw new UsageError(`unknown phase '${phase}': expected one of ${PHASES.join(", ")}`);
    if (inputFile === undefined) throw new UsageError("--input is required (a JSON file, or '-' for standard input)");
    const format = errorFormat(stringFlag(args, "error-format"));
    const set = loadSetOrReport(args.positionals, io, format, readToolSchemas(stringFlag(args, "tool-schemas"), io.cwd));
    if (!set) {
      io.stderr("palisade eval: the policies do not check; fix the errors above\n");
      return 2;
    }
    const input = await readJsonArg(inputFile, io.cwd, io.readStdin);
    try {
      const decision = set.decide(phase, input);
      io.stdout(`${args.flags.compact === true ? JSON.stringify(decision) : JSON.stringify(decision, null, 2)}\n`);
      return 0;
    } catch (err) {
      if (err instanceof DecisionInputError) {
        io.stderr(`palisade eval: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
