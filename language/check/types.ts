// Operations on static types: showing them in messages, joining them, and the one question the
// checker asks of them: "is this certainly wrong?". Types are coarse on purpose (see
// `../types.ts`): a value whose type is not known (`any`) is never an error, and `null` is
// compatible with everything, because reading an absent path gives `null` and LANGUAGE.md
// makes comparisons and arithmetic on `null` well defined.
import { T, type Type } from "../types.ts";

/** The kind of a type other than a union. */
export type TypeKind = Exclude<Type["kind"], "union">;

/** How a type is named in diagnostics (never the implementation's names). */
export function showType(t: Type): string {
  switch (t.kind) {
    case "any":
      return "any value";
    case "bool":
      return "boolean";
    case "instant":
      return "time instant";
    case "list":
      return t.element.kind === "any" ? "list" : `list of ${showType(t.element)}`;
    case "union":
      return t.members.map(showType).join(" or ");
    default:
      return t.kind;
  }
}

/** The members of a type: itself, or a union's members. */
export function members(t: Type): readonly Type[] {
  return t.kind === "union" ? t.members : [t];
}

/** The union of types, flattened and de-duplicated; `any` absorbs the rest. */
export function join(...types: Type[]): Type {
  const out: Type[] = [];
  const seen = new Set<string>();
  for (const t of types.flatMap(members)) {
    if (t.kind === "any") return T.any;
    // Scalar kinds are their own key; structured types are compared by their JSON form.
    const key = t.kind === "list" || t.kind === "object" ? JSON.stringify(t) : t.kind;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(t);
    }
  }
  if (out.length === 0) return T.any;
  return out.length === 1 ? out[0] : { kind: "union", members: out };
}

/** The type without `null` (a value that is present); `null` itself when that is all it is. */
export function nonNull(t: Type): Type {
  const ms = members(t).filter((m) => m.kind !== "null");
  return ms.length === 0 ? t : join(...ms);
}

/**
 * Whether a value of type `t` certainly is none of `allowed`: `t` is known, and every member that
 * is not `null` has another kind. `instant` counts as `string` when `string` is allowed (an
 * instant is a string at runtime).
 */
export function certainlyNot(t: Type, allowed: readonly TypeKind[]): boolean {
  const ms = members(t).filter((m) => m.kind !== "null");
  if (ms.length === 0) return false;
  return ms.every((m) => m.kind !== "any" && !allowed.includes(m.kind as TypeKind) && !(m.kind === "instant" && allowed.includes("string")));
}

/** Whether a value of type `t` is certainly of one of `allowed` (ignoring `null`). */
export function certainly(t: Type, allowed: readonly TypeKind[]): boolean {
  const ms = members(t).filter((m) => m.kind !== "null");
  return ms.length > 0 && ms.every((m) => m.kind !== "any" && allowed.includes(m.kind as TypeKind));
}

/** Whether two non-union types may hold the same value (structurally, one level into lists). */
function compatible(a: Type, b: Type): boolean {
  if (a.kind === "any" || b.kind === "any" || a.kind === "null" || b.kind === "null") return true;
  if (a.kind === "union" || b.kind === "union") return overlaps(a, b);
  if ((a.kind === "instant" && b.kind === "string") || (a.kind === "string" && b.kind === "instant")) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === "list" && b.kind === "list") return overlaps(a.element, b.element);
  return true;
}

/** Whether some value could have both types: false only when they certainly differ. */
export function overlaps(a: Type, b: Type): boolean {
  return members(a).some((x) => members(b).some((y) => compatible(x, y)));
}

/** The element type of a list type (a union of lists gives the union of elements); `any` otherwise. */
export function elementOf(t: Type): Type {
  const lists = members(t).filter((m) => m.kind === "list");
  if (lists.length === 0 || members(t).some((m) => m.kind === "any")) return T.any;
  return join(...lists.map((l) => (l.kind === "list" ? l.element : T.any)));
}

/** The outcome of looking up a field on a type. */
export type FieldLookup =
  | { readonly kind: "found"; readonly type: Type }
  /** The object(s) are closed and have no such field; `fields` are the known ones, for suggestions. */
  | { readonly kind: "unknown"; readonly fields: readonly string[] }
  /** The value certainly is not an object (a list, a string...). */
  | { readonly kind: "not-object"; readonly type: Type };

/** Looks up `name` on a value of type `t`, as `.name` and `["name"]` do. */
export function lookupField(t: Type, name: string): FieldLookup {
  const ms = members(t).filter((m) => m.kind !== "null");
  if (ms.length === 0 || ms.some((m) => m.kind === "any")) return { kind: "found", type: T.any };
  const objects = ms.filter((m) => m.kind === "object");
  if (objects.length === 0) return { kind: "not-object", type: t };
  const found: Type[] = [];
  let open = false;
  const known: string[] = [];
  for (const o of objects) {
    if (o.kind !== "object") continue;
    if (Object.hasOwn(o.fields, name)) found.push(o.fields[name]);
    else if (o.open) open = true;
    known.push(...Object.keys(o.fields));
  }
  if (found.length > 0) return { kind: "found", type: open ? T.any : join(...found) };
  if (open) return { kind: "found", type: T.any };
  return { kind: "unknown", fields: [...new Set(known)] };
}

/**
 * The type with the fields present in every one of `types` (for a rule on several phases, a
 * root's type is what all its phases agree on). Fields whose types differ are joined.
 */
export function intersectObjects(types: readonly Type[]): Type {
  if (types.length === 1) return types[0];
  if (types.some((t) => t.kind !== "object")) return join(...types);
  const objs = types as readonly Extract<Type, { kind: "object" }>[];
  const fields: Record<string, Type> = {};
  for (const name of Object.keys(objs[0].fields)) {
    if (objs.every((o) => Object.hasOwn(o.fields, name))) fields[name] = intersectObjects(objs.map((o) => o.fields[name]));
  }
  return { kind: "object", fields, open: objs.every((o) => o.open) };
}
