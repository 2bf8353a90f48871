// Tool arguments checked against the tool's JSON Schema before any policy sees them: a call with
// bad arguments is refused with a clear decision instead of reaching the tool (or crashing it).
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import type { JSONSchemaObject } from "../../language/index.ts";

/** The rule id reported in decisions refused for bad arguments. */
export const SCHEMA_RULE = "palisade.tool_schema";

/** Compiled validators, one per tool, built on first use. */
export class ToolSchemas {
  readonly #schemas = new Map<string, JSONSchemaObject>();
  readonly #validators = new Map<string, ValidateFunction>();
  #ajv: Ajv | undefined;

  constructor(schemas: Readonly<Record<string, JSONSchemaObject>> = {}) {
    for (const [name, schema] of Object.entries(schemas)) this.#schemas.set(name, schema);
  }

  /** Registers (or replaces) a tool's schema. */
  set(name: string, schema: JSONSchemaObject): void {
    this.#schemas.set(name, schema);
    this.#validators.delete(name);
  }

  /** Whether `name` has a schema. */
  has(name: string): boolean {
    return this.#schemas.has(name);
  }

  /** Null when `args` are valid (or the tool has no schema), else a one-line message naming what is wrong. */
  check(name: string, args: unknown): string | null {
    let validate = this.#validators.get(name);
    if (validate === undefined) {
      const schema = this.#schemas.get(name);
      if (schema === undefined) return null;
      // allErrors lists every problem at once, so the model can fix its call in one retry.
      this.#ajv ??= new Ajv({ allErrors: true, strict: false });
      try {
        validate = this.#ajv.compile(schema);
      } catch (err) {
        return `tool '${name}' has an invalid JSON Schema: ${err instanceof Error ? err.message : String(err)}`;
      }
      this.#validators.set(name, validate);
    }
    if (validate(args)) return null;
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
    return `invalid arguments for tool '${name}': ${problems.join("; ")}`;
  }
}
