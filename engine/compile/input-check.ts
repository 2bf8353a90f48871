// The decision boundary (spec/soundness.md): before a policy set decides, the input's envelope
// is checked against the phase's schema, and a tool's arguments against the tool's schema when
// the set was given one. The check is generated once per policy set and phase, and costs a few
// property reads: every root present has its kind (an object, a string), every required field
// is there with its kind (`tool.name`, `output.text`...). What lies deeper is checked where a
// rule reads it (typed reads, runtime-types.ts), so a decision pays only for what it uses. A
// failed check is not an exception: the decision reports it as an error of `palisade.input`
// with code `input/invalid` and the path, and the phase's `on_error` decides (deny by default).
import { Ajv, type ValidateFunction } from "ajv";
import { PHASES, type Phase } from "../../language/ast.ts";
import { PHASE_SCHEMAS, schemaToType, type JSONSchemaObject } from "../../language/check/schema.ts";
import type { Type } from "../../language/types.ts";
import type { CheckedProgram } from "../../language/check/program.ts";
import type { Firing } from "../runtime/combine.ts";
import { valueTest } from "./runtime-types.ts";
import { aTypeName } from "./values.ts";

/** What is wrong with an input: the dotted path at fault and a message. */
export interface InputProblem {
  readonly path: string;
  readonly message: string;
}

/** A phase's input check: null when the input is fine. The input is already known to be an object. */
export type InputCheck = (input: object) => InputProblem | null;

/** The rule id decisions name for an input the set refused. */
export const INPUT_RULE = "palisade.input";

/** The firing that reports an input problem: an error of `palisade.input`, decided by `on_error`. */
export function inputFiring(p: InputProblem): Firing {
  return { rule: { id: INPUT_RULE }, error: p.message, code: "input/invalid", path: p.path };
}

interface Field {
  readonly name: string;
  readonly type: Type;
  readonly required: boolean;
  readonly fields: readonly Field[];
}

function sub(schema: JSONSchemaObject | boolean | undefined): JSONSchemaObject {
  return typeof schema === "object" && schema !== null ? schema : {};
}

/**
 * The roots of a phase a set reads, and the required ones, each with its required fields and
 * the fields the set reads (`root.field`): what the envelope check reads. Typed reads deeper
 * than `root.field` are checked where they happen.
 */
function envelope(phase: Phase, read: ReadonlySet<string>): Field[] {
  const root = PHASE_SCHEMAS[phase];
  const required = new Set(root.required ?? []);
  return Object.entries(root.properties ?? {}).filter(([name]) => required.has(name) || read.has(name)).map(([name, s]) => {
    const schema = sub(s);
    const inner = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties ?? {})
      .filter(([k]) => inner.has(k) || read.has(`${name}.${k}`))
      .map(([k, v]) => ({ name: k, type: schemaToType(v, root), required: inner.has(k), fields: [] }));
    return { name, type: schemaToType(s, root), required: required.has(name), fields };
  });
}

function kindText(t: Type): string {
  return t.kind === "object" ? "an object" : t.kind === "list" ? "a list" : t.kind === "instant" ? "a string (an ISO-8601 instant)" : `a ${t.kind === "bool" ? "boolean" : t.kind}`;
}

function fieldCode(f: Field, v: string, path: string, out: string[], n: { i: number }): void {
  const test = valueTest(f.type, v);
  const at = JSON.stringify(path);
  if (f.required) out.push(`if (${v} === undefined || ${v} === null) return { path: ${at}, message: ${JSON.stringify(`'${path}' is required`)} };`);
  else out.push(`if (${v} !== undefined && ${v} !== null) {`);
  if (test !== null) out.push(`if (!(${test})) return { path: ${at}, message: ${JSON.stringify(`'${path}' must be ${kindText(f.type)}, got `)} + aTypeName(${v}) };`);
  for (const g of f.fields) {
    const w = `v${n.i++}`;
    out.push(`const ${w} = ${v}[${JSON.stringify(g.name)}];`);
    fieldCode(g, w, `${path}.${g.name}`, out, n);
  }
  if (!f.required) out.push("}");
}

/** The generated envelope check of a phase. */
function generate(phase: Phase, read: ReadonlySet<string>): InputCheck {
  const out: string[] = [];
  const n = { i: 0 };
  for (const f of envelope(phase, read)) {
    const v = `v${n.i++}`;
    out.push(`const ${v} = o[${JSON.stringify(f.name)}];`);
    fieldCode(f, v, f.name, out, n);
  }
  out.push("return null;");
  const body = `"use strict";\nconst isArray = Array.isArray;\nreturn function checkInput(o) {\n${out.join("\n")}\n};`;
  return (new Function("aTypeName", body) as (...a: unknown[]) => InputCheck)(aTypeName);
}

const envelopes = new Map<string, InputCheck>();

/** The envelope check of `phase` for a set reading `read`, generated once per process and root set. */
function envelopeCheck(phase: Phase, read: ReadonlySet<string>): InputCheck {
  const key = `${phase}:${[...read].sort().join(",")}`;
  let c = envelopes.get(key);
  if (c === undefined) {
    if (envelopes.size > 256) envelopes.clear();
    envelopes.set(key, (c = generate(phase, read)));
  }
  return c;
}

/** A tool's args schema that the JSON Schema validator refuses. */
export class ToolSchemaError extends Error {
  readonly tool: string;
  constructor(tool: string, message: string) {
    super(message);
    this.name = "ToolSchemaError";
    this.tool = tool;
  }
}

/** Compiles each tool's args schema; throws ToolSchemaError when one does not compile. */
export function compileToolSchemas(schemas: Readonly<Record<string, JSONSchemaObject>>): Map<string, ValidateFunction> {
  const out = new Map<string, ValidateFunction>();
  const names = Object.keys(schemas);
  if (names.length === 0) return out;
  // allErrors: every problem at once, so a caller can fix its call in one retry.
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const name of names) {
    try {
      out.set(name, ajv.compile(schemas[name] as object));
    } catch (err) {
      throw new ToolSchemaError(name, `the schema of tool '${name}' does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}

/**
 * The input roots a program reads anywhere, and the `root.field`s (a root no rule reads cannot
 * change a decision, so the envelope skips it; a field read is checked there once, not at every read).
 */
export function rootsRead(program: CheckedProgram): Set<string> {
  const out = new Set<string>();
  for (const r of program.resolutions.values()) if (r.kind === "root") out.add(r.name);
  for (const e of program.types.keys()) {
    if (e.kind !== "Member" || program.resolutions.has(e)) continue;
    const o = e.object;
    if (o.kind === "Name" && program.resolutions.get(o)?.kind === "root") out.add(`${o.name}.${e.property.name}`);
  }
  return out;
}

/**
 * The input check of every phase for a set (compiled once per set): the envelope of the roots
 * it reads, and the tools' args schemas.
 */
export function inputChecks(program: CheckedProgram): Readonly<Record<Phase, InputCheck>> {
  const tools = compileToolSchemas(program.toolSchemas);
  const read = rootsRead(program);
  const out = {} as Record<Phase, InputCheck>;
  for (const phase of PHASES) {
    const env = envelopeCheck(phase, read);
    const hasTool = Object.hasOwn(PHASE_SCHEMAS[phase].properties ?? {}, "tool");
    out[phase] =
      hasTool && tools.size > 0
        ? (o) => {
            const bad = env(o);
            if (bad !== null) return bad;
            const tool = (o as { tool: { name: string; args?: unknown } }).tool;
            const validate = tools.get(tool.name);
            if (validate === undefined) return null;
            const args = tool.args ?? {};
            if (validate(args)) return null;
            const first = validate.errors?.[0];
            const at = first === undefined ? "" : first.instancePath.split("/").slice(1).map((k) => `.${k.replace(/~1/g, "/").replace(/~0/g, "~")}`).join("");
            const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
            return { path: `tool.args${at}`, message: `the arguments of tool '${tool.name}' do not fit its schema: ${problems}` };
          }
        : env;
  }
  return out;
}
