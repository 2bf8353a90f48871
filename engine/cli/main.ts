// The `palisade` command: dispatches to one module per subcommand and maps every failure a
// user can cause to a message and an exit code (2 for usage), never a stack trace.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { installCommand } from "../package-root.ts";
import { UsageError } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

// `node:sqlite` is stable enough for us but still flagged experimental in Node 22; its one-line
// warning on every command would only teach users to ignore stderr.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof warning === "string" ? (typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type) : warning.name;
  const text = typeof warning === "string" ? warning : warning.message;
  if (type === "ExperimentalWarning" && /SQLite/.test(text)) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/** Subcommands, loaded lazily so that `palisade check` does not pay for the audit store. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: { summary: "parse and check .policy files", load: async () => (await import("./check.ts")).command },
  fmt: { summary: "format .policy files canonically", load: async () => (await import("./fmt.ts")).command },
  eval: { summary: "decide one input and print the decision JSON", load: async () => (await import("./eval.ts")).command },
  test: { summary: "run the test blocks of .policy files", load: async () => (await import("./test.ts")).command },
  import: { summary: "import a rule from another language (jsonlogic)", load: async () => (await import("./import.ts")).command },
  audit: { summary: "verify, prove and export the audit log", load: async () => (await import("./audit.ts")).command },
  baseline: { summary: "capture and list behavioural baselines", load: async () => (await import("./baseline.ts")).command },
  drift: { summary: "compare recent decisions with a baseline and report drift", load: async () => (await import("./drift.ts")).command },
  serve: { summary: "serve the decision API, the playground and the console", load: async () => (await import("./serve.ts")).command },
  keys: { summary: "mint and list API keys for palisade serve", load: async () => (await import("./keys.ts")).command },
  bundle: { summary: "build, verify and sign policy bundles", load: async () => (await import("./bundle.ts")).command },
  promote: { summary: "promote a bundle to the next environment through its gates", load: async () => (await import("./promote.ts")).command },
  rollback: { summary: "return an environment to its previous bundle", load: async () => (await import("./rollback.ts")).command },
  replay: { summary: "replay recorded decisions through a candidate bundle", load: async () => (await import("./replay.ts")).command },
  env: { summary: "what each environment and node serves; decide and record traffic in one", load: async () => (await import("./env.ts")).command },
  report: { summary: "compliance reports from the audit log, their verification and coverage", load: async () => (await import("./report.ts")).command },
  "mcp-proxy": { summary: "guard an MCP server's tool calls (stdio proxy)", load: async () => (await import("./mcp-proxy.ts")).command },
  demo: { summary: "run a short end-to-end demo on the example policies", load: async () => (await import("./demo.ts")).command },
};

const usage = () =>
  `usage: palisade <command> [options]\n\ncommands:\n${Object.entries(commands)
    .map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`)
    .join("\n")}\n\nrun 'palisade <command> --help' for a command's options\n`;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout("palisade 0.1.0\n");
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    io.stderr(`palisade: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let command: Command;
  try {
    command = await entry.load();
  } catch (err) {
    // A command whose package is absent (mcp-proxy without the MCP SDK, an optional peer).
    const missing = (err as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" ? /Cannot find package '([^']+)'/.exec((err as Error).message)?.[1] : undefined;
    if (missing === undefined) throw err;
    io.stderr(`palisade ${name}: needs the package '${missing}', which is not installed: run ${installCommand(missing)}\n`);
    return 1;
  }
  try {
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`palisade ${name}: ${err.message}\n\n${command.help}\n`);
      return 2;
    }
    throw err;
  }
}

/** The process-backed IO the installed command uses. */
export function processIO(): CommandIO {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    cwd: process.cwd(),
    isTTY: Boolean(process.stderr.isTTY),
  };
}

const invokedDirectly = (() => {
  try {
    const self = realpathSync(fileURLToPath(import.meta.url));
    const entry = process.argv[1] ? realpathSync(process.argv[1]) : "";
    return entry === self || entry.endsWith("bin/palisade.js");
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  // A reader that closed the pipe (`palisade eval ... | head -1`) wants no more output: stop
  // quietly, as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
      throw err;
    });
  }
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // An internal fault, not a user error: say so plainly, with the detail for a bug report.
      process.stderr.write(`palisade: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.PALISADE_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ""}\n`);
      process.exitCode = 70;
    },
  );
}
