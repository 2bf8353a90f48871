// `palisade eval PATH... --phase PHASE --input FILE.json`: the decision JSON on stdout.
// Exit 0 with a decision (whatever it is), 2 for unusable policies, input or arguments.
import { DecisionInputError, isPhase } from "../runtime/index.ts";
import { PHASES } from "../../language/ast.ts";
import { parseArgs, stringFlag, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { readJsonArg } from "./files.ts";
import { loadSetOrReport } from "./load.ts";
import { errorFormat, readToolSchemas } from "./policies.ts";

/** How deep an input may nest: deeper inputs are refused (the decision JSON could not be printed: JSON.stringify recurses). */
export const MAX_INPUT_DEPTH = 1000;

/** Whether `value` nests lists and objects more than `max` levels deep; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (d + 1 > max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === "object" && x !== null) stack.push([x, d + 1]);
  }
  return false;
}

const help = `usage: palisade eval PATH... --phase PHASE --input FILE.json

Decides one input with the policies under PATH and prints the decision as JSON:
{ decision, reasons, warnings, payload, errors, policy }.

options:
  --phase PHASE           ${PHASES.join(" | ")}
  --input FILE            the phase's input as JSON; '-' reads standard input
  --tool-schemas FILE     JSON object: tool name -> JSON Schema of its args
  --compact               print the decision on one line
  --explain               add "explain": for each rule of the phase, fired, did not
                          fire and why (the false part, the values it read), or errored
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
      explain: { type: "boolean" },
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
    if (nestsDeeperThan(input, MAX_INPUT_DEPTH)) {
      io.stderr(`palisade eval: the input nests lists and objects more than ${MAX_INPUT_DEPTH} levels deep; flatten it\n`);
      return 2;
    }
    try {
      const decided = set.decide(phase, input);
      // --explain adds, for each rule of the phase, whether it fired, errored, or why it did not.
      const decision = args.flags.explain === true ? { ...decided, explain: set.reference.explain(phase, input as never) } : decided;
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
