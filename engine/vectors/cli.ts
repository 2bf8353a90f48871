// `npm run vectors -- FILE...`: one summary line per file, the failing cases under it. Exit 0 when
// every case passed, 1 when any failed, 2 when a file could not be run (usage, unreadable,
// unknown format); a file that cannot be run does not stop the others.
import { basename } from "node:path";
import { VectorError } from "./errors.ts";
import { FORMATS } from "./registry.ts";
import { runVectorFile } from "./run.ts";

/** Where the runner writes. */
export interface VectorsIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

const USAGE = `usage: npm run vectors -- FILE...\n\nruns vector files of the known formats: ${FORMATS.map((f) => f.name).join(", ")}\n`;

/** Runs the vector files named in `argv` and returns the exit code. */
export function runVectorsCli(argv: readonly string[], io: VectorsIO): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(USAGE);
    return 0;
  }
  const files = argv.filter((a) => a !== "--");
  const flag = files.find((a) => a.startsWith("-"));
  if (flag !== undefined || files.length === 0) {
    io.stderr(`vectors: ${flag !== undefined ? `unknown option '${flag}'` : "no vector file given"}\n\n${USAGE}`);
    return 2;
  }
  let failed = false;
  let unrunnable = false;
  for (const file of files) {
    try {
      const report = runVectorFile(file);
      io.stdout(`${basename(file)}: ${report.passed} passed, ${report.failed} failed\n`);
      for (const r of report.results) if (!r.ok) io.stdout(`  FAIL ${r.id}: ${r.message}\n`);
      if (report.failed > 0) failed = true;
    } catch (err) {
      if (!(err instanceof VectorError)) throw err;
      io.stderr(`vectors: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ""}\n`);
      unrunnable = true;
    }
  }
  return unrunnable ? 2 : failed ? 1 : 0;
}
