// Running `palisade` in-process for the compliance tests, and reading OSCAL's schema.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv from "ajv";
import { main } from "../../cli/main.ts";
import type { CommandIO } from "../../cli/command.ts";
import { REPO_ROOT } from "../catalogue.ts";

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `palisade ...argv` through `main` with captured output, from `cwd` (default: the repository). */
export async function palisade(argv: readonly string[], cwd: string = REPO_ROOT): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CommandIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => "", cwd, isTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** NIST's OSCAL 1.1.3 assessment-results JSON Schema, beside the clone in ../shared. */
export const OSCAL_SCHEMA_PATH = resolve(REPO_ROOT, "..", "shared", "schemas", "oscal", "oscal_assessment-results_schema.json");

/** A validator for OSCAL assessment-results (draft-07; formats are checked by the tests themselves). */
export function oscalValidator(): { validate: (doc: unknown) => boolean; errors: () => string } {
  const schema = JSON.parse(readFileSync(OSCAL_SCHEMA_PATH, "utf8")) as object;
  const AjvClass = Ajv as unknown as typeof Ajv.default;
  const ajv = new AjvClass({ strict: false, validateFormats: false, allErrors: true });
  const v = ajv.compile(schema);
  return { validate: (doc) => v(doc) as boolean, errors: () => ajv.errorsText(v.errors) };
}
