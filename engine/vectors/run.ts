// Runs one vector file: read, parse, pick the format, run its cases.
import { readFileSync } from "node:fs";
import { VectorError } from "./errors.ts";
import { FORMATS, findFormat } from "./registry.ts";
import type { FileReport, VectorFormat } from "./types.ts";

/** Runs the cases of an already parsed document; throws VectorError when no format matches. */
export function runVectorDocument(file: string, doc: unknown, formats: readonly VectorFormat[] = FORMATS): FileReport {
  const format = findFormat(doc, formats);
  if (!format) {
    const schema = typeof doc === "object" && doc !== null && "schema" in doc ? ` (schema ${JSON.stringify((doc as { schema: unknown }).schema)})` : "";
    throw new VectorError("vectors/unknown-format", `'${file}' is not a known vector format${schema}`, `known formats: ${formats.map((f) => f.name).join(", ")}`);
  }
  const results = format.run(doc);
  const passed = results.filter((r) => r.ok).length;
  return { file, format: format.name, results, passed, failed: results.length - passed };
}

/** Reads and runs one vector file; throws VectorError when it cannot be read, parsed or recognised. */
export function runVectorFile(file: string, formats: readonly VectorFormat[] = FORMATS): FileReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "read error";
    throw new VectorError("vectors/unreadable", `cannot read '${file}' (${reason})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new VectorError("vectors/invalid-json", `'${file}' is not valid JSON: ${err instanceof Error ? err.message.toLowerCase() : String(err)}`);
  }
  return runVectorDocument(file, doc, formats);
}
