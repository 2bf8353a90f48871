// The phases' input schemas and the translation of JSON Schema into the checker's static types.
// The schemas in `spec/schemas/` are the source of truth (the engine may validate inputs with
// them); the checker reads the same files, so a path the schema lacks is a path the checker
// refuses. Applications extend `tool.args` per tool with their own JSON Schema.
import { T, type Type } from "../types.ts";
import { PHASES, type Phase } from "../ast.ts";
import { join } from "./types.ts";
import inputSchema from "../../spec/schemas/input.schema.json" with { type: "json" };
import modelCallSchema from "../../spec/schemas/model_call.schema.json" with { type: "json" };
import toolCallSchema from "../../spec/schemas/tool_call.schema.json" with { type: "json" };
import toolResultSchema from "../../spec/schemas/tool_result.schema.json" with { type: "json" };
import outputSchema from "../../spec/schemas/output.schema.json" with { type: "json" };

/** A JSON Schema object (draft 2020-12), as much of it as the checker reads; other keywords are allowed. */
export interface JSONSchemaObject {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JSONSchemaObject | boolean>>;
  readonly additionalProperties?: JSONSchemaObject | boolean;
  readonly unevaluatedProperties?: JSONSchemaObject | boolean;
  readonly patternProperties?: Readonly<Record<string, JSONSchemaObject | boolean>>;
  readonly items?: JSONSchemaObject | boolean;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly format?: string;
  readonly anyOf?: readonly (JSONSchemaObject | boolean)[];
  readonly oneOf?: readonly (JSONSchemaObject | boolean)[];
  readonly allOf?: readonly (JSONSchemaObject | boolean)[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JSONSchemaObject | boolean>>;
  readonly definitions?: Readonly<Record<string, JSONSchemaObject | boolean>>;
  readonly [keyword: string]: unknown;
}

/** The input schema of each phase, as shipped in `spec/schemas/<phase>.schema.json`. */
export const PHASE_SCHEMAS: Readonly<Record<Phase, JSONSchemaObject>> = {
  input: inputSchema as JSONSchemaObject,
  model_call: modelCallSchema as JSONSchemaObject,
  tool_call: toolCallSchema as JSONSchemaObject,
  tool_result: toolResultSchema as JSONSchemaObject,
  output: outputSchema as JSONSchemaObject,
};

function typeOfValue(v: unknown): Type {
  if (v === null) return T.null;
  if (typeof v === "string") return T.string;
  if (typeof v === "number") return T.number;
  if (typeof v === "boolean") return T.bool;
  if (Array.isArray(v)) return T.list(T.any);
  return T.object({}, true);
}

function resolveRef(root: JSONSchemaObject, ref: string): JSONSchemaObject | boolean | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === "boolean" || (cur !== null && typeof cur === "object") ? (cur as JSONSchemaObject | boolean) : undefined;
}

/**
 * The static type of values valid against `schema`. Local `$ref`s (`#/$defs/x`) are followed;
 * a recursive reference, an external one or a keyword the checker does not model gives `any`,
 * so an unusual schema can only make the checker less strict, never wrong.
 */
export function schemaToType(schema: JSONSchemaObject | boolean, root: JSONSchemaObject = typeof schema === "object" && schema !== null ? schema : {}, expanding: readonly string[] = []): Type {
  // Not a schema at all (a number where a schema should be): nothing is known, and check() reports it (E605).
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return T.any;
  if (typeof schema.$ref === "string") {
    if (expanding.includes(schema.$ref) || expanding.length > 32) return T.any;
    const target = resolveRef(root, schema.$ref);
    return target === undefined ? T.any : schemaToType(target, root, [...expanding, schema.$ref]);
  }
  const sub = (s: JSONSchemaObject | boolean): Type => schemaToType(s, root, expanding);
  if (Array.isArray(schema.enum)) return join(...schema.enum.map(typeOfValue));
  if ("const" in schema) return typeOfValue(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0 && schema.type === undefined) return join(...alternatives.map(sub));
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0 && schema.type === undefined && schema.properties === undefined) {
    // allOf of objects: a value satisfies every part, so it has every part's fields.
    const parts = schema.allOf.map(sub);
    if (parts.every((p) => p.kind === "object")) {
      const fields: Record<string, Type> = {};
      for (const p of parts) if (p.kind === "object") Object.assign(fields, p.fields);
      return { kind: "object", fields, open: parts.every((p) => p.kind === "object" && p.open) };
    }
    return T.any;
  }
  const types: readonly string[] | undefined = typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : schema.properties !== undefined ? ["object"] : schema.items !== undefined ? ["array"] : undefined;
  if (types === undefined) return T.any;
  return join(
    ...types.map((t): Type => {
      switch (t) {
        case "string":
          return schema.format === "date-time" ? T.instant : T.string;
        case "integer":
        case "number":
          return T.number;
        case "boolean":
          return T.bool;
        case "null":
          return T.null;
        case "array":
          return T.list(schema.items === undefined ? T.any : sub(schema.items));
        case "object": {
          const fields: Record<string, Type> = {};
          for (const [k, v] of Object.entries(schema.properties ?? {})) fields[k] = sub(v);
          const closed = schema.additionalProperties === false || (schema.additionalProperties === undefined && schema.unevaluatedProperties === false);
          const open = !closed || (schema.patternProperties !== undefined && Object.keys(schema.patternProperties).length > 0);
          return { kind: "object", fields, open };
        }
        default:
          return T.any;
      }
    }),
  );
}

function perPhase<V>(f: (p: Phase) => V): Record<Phase, V> {
  return Object.fromEntries(PHASES.map((p) => [p, f(p)])) as Record<Phase, V>;
}

/** The type of each phase's input: an object whose fields are the phase's roots. */
export const PHASE_TYPES: Readonly<Record<Phase, Type>> = perPhase((p) => schemaToType(PHASE_SCHEMAS[p]));

/** The roots of each phase (the names a rule on that phase may read), in schema order. */
export const PHASE_ROOTS: Readonly<Record<Phase, readonly string[]>> = perPhase((p) => {
  const t = PHASE_TYPES[p];
  return t.kind === "object" ? Object.keys(t.fields) : [];
});

/** The roots common to every phase (`agent env principal session time meta`). */
export const COMMON_ROOTS: readonly string[] = PHASE_ROOTS.input.filter((r) => PHASES.every((p) => PHASE_ROOTS[p].includes(r)));

/** The phase's own roots, the payload a transform (`redact`, `set`) may rewrite: `tool` on tool_call... */
export const PAYLOAD_ROOTS: Readonly<Record<Phase, readonly string[]>> = perPhase((p) => PHASE_ROOTS[p].filter((r) => !COMMON_ROOTS.includes(r)));

/** Every root of any phase. */
export const ALL_ROOTS: ReadonlySet<string> = new Set(PHASES.flatMap((p) => PHASE_ROOTS[p]));

/** The type of root `name` in `phase`, or undefined when the phase does not have it. */
export function rootType(phase: Phase, name: string): Type | undefined {
  const t = PHASE_TYPES[phase];
  return t.kind === "object" && Object.hasOwn(t.fields, name) ? t.fields[name] : undefined;
}
