// Several `palisade serve` commands in one Node process, for the Python suite: the CLI's own
// `serve` (engine/cli/main.ts) run once per service, each with its own port, config, database
// and log file, so that the suite pays for Node and the service's modules once instead of per
// policy set. argv[2] is a JSON list of { log, cwd, argv }. SIGTERM stops them all.
import { appendFileSync } from "node:fs";
import { main } from "../engine/cli/main.ts";

interface Spec {
  readonly log: string;
  readonly cwd: string;
  readonly argv: readonly string[];
}

const specs = JSON.parse(process.argv[2] ?? "[]") as Spec[];
await Promise.all(
  specs.map(async (s) => {
    const write = (t: string): void => appendFileSync(s.log, t);
    const code = await main(s.argv, { stdout: write, stderr: write, readStdin: async () => "", cwd: s.cwd, isTTY: false });
    write(`palisade serve exited with ${code}\n`);
  }),
);
