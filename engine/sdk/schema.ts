// Tool arguments checked against the tool's JSON Schema before any policy sees them: a call with
// bad arguments is refused with a clear decision instead of reaching the tool (or crashing it).
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import type { JSONSchemaObject } from "../../language/index.ts";

/** The rule id reported in decisions refused for bad arguments. */
export const SCHEMA_RULE = "palisade.tool_schema";

/** Who registered a tool's schema: the application (its options, its own tools) or an adapter that learns schemas from a third party (an MCP upstream's tool list). */
export type SchemaOwner = object;

/** The application's schemas: given to createGuard, or registered for its own tools. */
export const APP_SCHEMAS: SchemaOwner = Object.freeze({ owner: "application" });

interface Registered {
  readonly schema: JSONSchemaObject;
  validate?: ValidateFunction;
}

/**
 * Compiled validators, built on first use; per tool, one schema per owner, and a call must
 * satisfy each. An owner's new schema replaces only its own: an MCP upstream listing a tool of
 * the same name as the application's (or changing its list mid-session) adds a check, and never
 * loosens the application's.
 */
export class ToolSchemas {
  readonly #schemas = new Map<string, Map<SchemaOwner, Registered>>();
  #ajv: Ajv | undefined;

  constructor(schemas: Readonly<Record<string, JSONSchemaObject>> = {}) {
    for (const [name, schema] of Object.entries(schemas)) this.set(name, schema);
  }

  /** Registers (or replaces) `owner`'s schema of a tool (default: the application's). */
  set(name: string, schema: JSONSchemaObject, owner: SchemaOwner = APP_SCHEMAS): void {
    let byOwner = this.#schemas.get(name);
    if (byOwner === undefined) this.#schemas.set(name, (byOwner = new Map()));
    byOwner.set(owner, { schema });
  }

  /** Whether `name` has a schema. */
  has(name: string): boolean {
    return this.#schemas.has(name);
  }

  /** Null when `args` are valid under every schema of the tool (or it has none), else a one-line message naming what is wrong. */
  check(name: string, args: unknown): string | null {
    const byOwner = this.#schemas.get(name);
    if (byOwner === undefined) return null;
    for (const r of byOwner.values()) {
      if (r.validate === undefined) {
        // allErrors lists every problem at once, so the model can fix its call in one retry.
        this.#ajv ??= new Ajv({ allErrors: true, strict: false });
        try {
          r.validate = this.#ajv.compile(r.schema);
        } catch (err) {
          return `tool '${name}' has an invalid JSON Schema: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      if (r.validate(args)) continue;
      const problems = (r.validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
      return `invalid arguments for tool '${name}': ${problems.join("; ")}`;
    }
    return null;
  }
}
