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

/**
 * A validator for an OSCAL assessment plan. No assessment-plan schema is vendored beside the
 * clone, so the plan is checked against the definitions it shares with assessment results in
 * NIST's 1.1.3 schema (metadata, reviewed controls, local objectives, assessment parts,
 * back-matter), with its own top level spelled out from the OSCAL assessment-plan model.
 */
export function assessmentPlanValidator(): { validate: (doc: unknown) => boolean; errors: () => string } {
  const ar = JSON.parse(readFileSync(OSCAL_SCHEMA_PATH, "utf8")) as { definitions: Record<string, unknown> };
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    definitions: ar.definitions,
    type: "object",
    required: ["assessment-plan"],
    additionalProperties: false,
    properties: {
      "assessment-plan": {
        type: "object",
        required: ["uuid", "metadata", "import-ssp", "reviewed-controls"],
        additionalProperties: false,
        properties: {
          uuid: ref("UUIDDatatype"),
          metadata: ref("oscal-ar-oscal-metadata:metadata"),
          "import-ssp": { type: "object", required: ["href"], additionalProperties: false, properties: { href: ref("URIReferenceDatatype"), remarks: ref("oscal-ar-oscal-metadata:remarks") } },
          "local-definitions": { type: "object", additionalProperties: false, properties: { "objectives-and-methods": { type: "array", minItems: 1, items: ref("oscal-ar-oscal-assessment-common:local-objective") } } },
          "terms-and-conditions": { type: "object", additionalProperties: false, properties: { parts: { type: "array", minItems: 1, items: ref("oscal-ar-oscal-assessment-common:assessment-part") } } },
          "reviewed-controls": ref("oscal-ar-oscal-assessment-common:reviewed-controls"),
          "back-matter": ref("oscal-ar-oscal-metadata:back-matter"),
        },
      },
    },
  };
  const AjvClass = Ajv as unknown as typeof Ajv.default;
  const ajv = new AjvClass({ strict: false, validateFormats: false, allErrors: true });
  const v = ajv.compile(schema);
  return { validate: (doc) => v(doc) as boolean, errors: () => ajv.errorsText(v.errors) };
}
