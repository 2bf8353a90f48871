// Query parameters as each route documents them. A filter the service did not read was a filter
// silently dropped: `/v1/decisions?decision=denied` (a typo of `deny`), `?agent=a&agent=b` or
// `?sesion=s1` answered with every decision rather than an error, so an operator read "nothing
// matches" or "everything matches" where the service had simply not understood. The route's
// OpenAPI doc is the list of what it takes; anything else is a 400 naming the parameter.
import { invalid } from "./errors.ts";
import type { RouteDoc } from "./openapi.ts";
import { SCHEMAS } from "./schemas.ts";
import type { JsonSchema } from "./schemas.ts";

/** A parameter's name as a JSON Pointer (the error's path). */
function at(name: string): string {
  return `/${name.slice(0, 40).replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** `schema` with a `$ref` to a named schema followed. */
function resolved(schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const named = SCHEMAS[ref.replace("#/components/schemas/", "")];
  if (named === undefined) throw new Error(`query schema ${ref} is not among the named schemas`);
  return named;
}

/** The check of one documented parameter's value (never empty: an empty value is the same as none). */
function valueCheck(name: string, schema: JsonSchema): (v: string) => void {
  const s = resolved(schema);
  const allowed = Array.isArray(s.enum) ? (s.enum as unknown[]).map(String) : undefined;
  const max = typeof s.maxLength === "number" ? s.maxLength : undefined;
  if (s.type === "integer") {
    const lo = typeof s.minimum === "number" ? s.minimum : 0;
    const hi = typeof s.maximum === "number" ? s.maximum : Number.MAX_SAFE_INTEGER;
    return (v) => {
      if (!/^\d{1,16}$/.test(v) || Number(v) < lo || Number(v) > hi) throw invalid(at(name), `query parameter '${name}' must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v.slice(0, 40))}`);
    };
  }
  return (v) => {
    if (allowed !== undefined && !allowed.includes(v)) throw invalid(at(name), `query parameter '${name}' must be one of ${allowed.join(", ")}, got ${JSON.stringify(v.slice(0, 40))}`);
    if (max !== undefined && v.length > max) throw invalid(at(name), `query parameter '${name}' must be at most ${max} characters`);
  };
}

/**
 * The check of a request's raw query string (what follows `?`) against what `doc` says the route
 * takes: each parameter documented, given once, percent-encoded as UTF-8, and valid for its schema
 * (enum, integer range, length); a required one present. Built once per route.
 */
export function queryCheck(doc: RouteDoc): (raw: string) => void {
  const params = doc.query ?? {};
  const names = Object.keys(params);
  const checks = new Map(names.map((n) => [n, valueCheck(n, params[n].schema)] as const));
  const required = names.filter((n) => params[n].required === true);
  const takes = names.length === 0 ? "this route takes no query parameters" : `this route takes ${names.join(", ")}`;
  return (raw) => {
    const seen = new Set<string>();
    for (const part of raw.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      let name: string;
      let value: string;
      try {
        name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replaceAll("+", " "));
        value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replaceAll("+", " "));
      } catch {
        throw invalid("/", "the query string is not valid: percent-encode it as UTF-8");
      }
      const check = checks.get(name);
      if (check === undefined) throw invalid(at(name), `unknown query parameter '${name.slice(0, 40)}': ${takes}`);
      if (seen.has(name)) throw invalid(at(name), `query parameter '${name}' is given more than once: give it once`);
      seen.add(name);
      if (value !== "") check(value);
    }
    for (const n of required) if (!seen.has(n)) throw invalid(at(n), `query parameter '${n}' is required`);
  };
}
