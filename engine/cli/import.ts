// `palisade import jsonlogic FILE [--root NAME] [--rule NAME --phase PHASE]`: prints the Palisade
// expression equivalent to a JSON Logic rule, or a whole rule around it. Bad JSON and rules
// Palisade cannot express exit 2 with the reason.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { PolicyFile, RuleDecl } from "../../language/ast.ts";
import { PHASES } from "../../language/ast.ts";
import { format } from "../../language/format.ts";
import { importJsonLogic } from "../../language/jsonlogic-import.ts";
import { isIdentifier } from "../../language/quote.ts";
import { fileStart } from "../../language/span.ts";
import { parseArgs, stringFlag, UsageError } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { checkSources, renderDiagnostic, type Diagnostic } from "../../language/index.ts";

const help = `usage: palisade import jsonlogic FILE [options]

Prints the Palisade expression equivalent to the JSON Logic rule in FILE ('-' reads stdin).
Where JSON Logic's coercions or truthiness differ from Palisade's, the expression calls the
jsonlogic.* builtins, which behave exactly as json-logic-js does (spec/jsonlogic-import.md).

options:
  --root NAME       read the rule's data as this input object ({"var": "a.b"} becomes NAME.a.b);
                    without it, variable paths are input paths ({"var": "tool.name"} is tool.name)
  --rule NAME       print a whole rule: rule NAME on PHASE { when EXPR then deny }
  --phase PHASE     the rule's phase (with --rule): ${PHASES.join(", ")}
  -h, --help        show this help

exit status: 0 imported, 2 bad arguments, unreadable or invalid JSON, or a rule Palisade cannot express`;

/** The import command. */
export const command: Command = {
  name: "import",
  summary: "import a rule from another language (jsonlogic)",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { root: { type: "string" }, rule: { type: "string" }, phase: { type: "string" } });
    const [source, file, ...extra] = args.positionals;
    if (source === undefined) throw new UsageError("name the format to import from: jsonlogic");
    if (source !== "jsonlogic") throw new UsageError(`unknown format '${source}': the one supported is jsonlogic`);
    if (file === undefined) throw new UsageError("name the file holding the JSON Logic rule ('-' for stdin)");
    if (extra.length > 0) throw new UsageError(`one file at a time, got also '${extra[0]}'`);
    const ruleName = stringFlag(args, "rule");
    const phase = stringFlag(args, "phase");
    if (ruleName !== undefined) {
      if (!isIdentifier(ruleName)) throw new UsageError(`'${ruleName}' is not a rule name (letters, digits and '_', not starting with a digit)`);
      if (phase === undefined) throw new UsageError("--rule needs --phase");
      if (!(PHASES as readonly string[]).includes(phase)) throw new UsageError(`unknown phase '${phase}': one of ${PHASES.join(", ")}`);
    } else if (phase !== undefined) throw new UsageError("--phase goes with --rule");

    let text: string;
    try {
      text = file === "-" ? await io.readStdin() : readFileSync(resolve(io.cwd, file), "utf8");
    } catch (err) {
      io.stderr(`palisade import: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      return 2;
    }
    let rule: unknown;
    try {
      rule = JSON.parse(text);
    } catch (err) {
      io.stderr(`palisade import: '${file}' is not JSON: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }

    const root = stringFlag(args, "root");
    const result = importJsonLogic(rule, { ...(root === undefined ? {} : { root }), as: ruleName === undefined ? "value" : "condition" });
    if (result.expr === null || result.text === null) {
      for (const p of result.problems) io.stderr(`palisade import: cannot import '${file}'${p.pointer ? ` at ${p.pointer}` : ""}: ${p.message}\n`);
      return 2;
    }
    if (ruleName === undefined || phase === undefined) {
      // What is printed must check: in a rule of some phase (the paths it reads decide which).
      const tried = PHASES.map((p) => checked(`package imported\n\nrule imported on ${p} {\n  when (${result.text}) != null\n  then deny\n}\n`));
      const ok = tried.find((t) => t.problems.length === 0);
      if (ok === undefined) return refuse(io, file, tried.find((_, i) => PHASES[i] === "tool_call") ?? tried[0]);
      io.stdout(`${result.text}\n`);
      return 0;
    }
    const span = fileStart;
    const decl: RuleDecl = {
      kind: "Rule",
      name: { kind: "Ident", name: ruleName, span },
      phases: [{ kind: "Ident", name: phase, span }],
      meta: [],
      when: result.expr,
      unless: null,
      effects: [{ kind: "Deny", message: null, span }],
      braced: false,
      doc: null,
      span,
    };
    const policy: PolicyFile = { kind: "File", path: file, package: null, decls: [decl], comments: [], span };
    const out = format(policy, "");
    const c = checked(`package imported\n\n${out}`);
    if (c.problems.length > 0) return refuse(io, file, c);
    io.stdout(out);
    return 0;
  },
};

/** The errors of checking `text` (a generated file), with the text. */
function checked(text: string): { text: string; problems: Diagnostic[] } {
  const { diagnostics } = checkSources([{ path: "imported.policy", text }]);
  return { text, problems: diagnostics.filter((d) => d.severity === "error") };
}

/** Reports generated code that does not check: it is not printed, and the import exits 2. */
function refuse(io: CommandIO, file: string, c: { text: string; problems: Diagnostic[] }): number {
  io.stderr(`palisade import: '${file}' imports to code that does not check:\n`);
  for (const d of c.problems) io.stderr(`${renderDiagnostic(d, c.text)}\n`);
  io.stderr("palisade import: give --root NAME when the rule's variables are fields of one input object (e.g. --root meta)\n");
  return 2;
}
