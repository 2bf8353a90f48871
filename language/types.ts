// The static types the checker reasons with. They are deliberately coarse: the checker rules out
// what it can prove wrong (a string compared with `<` to a number, a call to a non-function,
// a path that the phase's schema does not have) and leaves the rest to the runtime, where a
// type clash makes the rule *errored* (LANGUAGE.md).

/** A static type. `any` is "not known statically" (free-form `meta`, `tool.args` without a schema). */
export type Type =
  | { readonly kind: "any" }
  | { readonly kind: "null" }
  | { readonly kind: "bool" }
  | { readonly kind: "number" }
  | { readonly kind: "string" }
  /** A length of time (duration literals, instant minus instant). */
  | { readonly kind: "duration" }
  /** An ISO-8601 instant (a string at runtime; schema fields with `format: date-time`). */
  | { readonly kind: "instant" }
  /** A regex literal or a detector: only valid on the right of `matches`/`contains` and in `redact`. */
  | { readonly kind: "pattern" }
  | { readonly kind: "list"; readonly element: Type }
  /** An object; `open` objects may have fields beyond `fields` (JSON Schema `additionalProperties`). */
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, Type>>; readonly open: boolean }
  /** One of several (e.g. `string | null` for an optional field). */
  | { readonly kind: "union"; readonly members: readonly Type[] };

/** The signature of a builtin function, read by the checker, both evaluators and the docs. */
export interface BuiltinSignature {
  /** The name as called: `lower`, or dotted for namespaced families (`jsonlogic.truthy`). */
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: Type }[];
  /** When set, the last parameter repeats (`concat(a, b, ...)`), at least `params.length - 1` arguments. */
  readonly variadic?: boolean;
  readonly returns: Type;
  /** One or two sentences for the reference and editor hovers. */
  readonly doc: string;
  /** A short example, `lower("ACME") == "acme"`. */
  readonly example?: string;
}

/** Convenience constructors. */
export const T = {
  any: { kind: "any" } as Type,
  null: { kind: "null" } as Type,
  bool: { kind: "bool" } as Type,
  number: { kind: "number" } as Type,
  string: { kind: "string" } as Type,
  duration: { kind: "duration" } as Type,
  instant: { kind: "instant" } as Type,
  pattern: { kind: "pattern" } as Type,
  list: (element: Type): Type => ({ kind: "list", element }),
  object: (fields: Record<string, Type>, open = false): Type => ({ kind: "object", fields, open }),
  union: (...members: Type[]): Type => ({ kind: "union", members }),
} as const;
