// `npm run vectors -- FILE...`: a thin process wrapper; the logic lives in engine/vectors/cli.ts.
import { runVectorsCli } from "../engine/vectors/cli.ts";

process.exitCode = runVectorsCli(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
});
