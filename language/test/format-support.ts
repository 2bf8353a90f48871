// What the formatter's tests compare: a parsed file up to spans and up to the choices the
// formatter makes on purpose (metadata order, effect braces, key quoting, template escapes).
import { stripSpans } from "../ast-util.ts";
import type { PolicyFile } from "../ast.ts";
import { META_ORDER } from "../format.ts";
import { parse } from "../parse.ts";

/** The tree as the formatter must keep it: spans dropped, deliberate canonical choices normalised. */
export function canonicalTree(file: PolicyFile): unknown {
  const decls = file.decls.map((d) =>
    d.kind === "Rule" ? { ...d, braced: d.effects.length > 1, meta: [...d.meta].sort((a, b) => META_ORDER.indexOf(a.kind) - META_ORDER.indexOf(b.kind)) } : d,
  );
  const tree = stripSpans({ ...file, path: "", decls, comments: [] });
  return unwrapBodies(dropKeys(tree, new Set(["quoted", "raw"]), (o) => o.kind === "Template" || o.kind === undefined));
}

// The formatter parenthesises a quantifier body that reaches past its variable (W008), which
// says what the tree already is: parentheses around a whole body are not compared.
function unwrapBodies(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapBodies);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = unwrapBodies(x);
  if (out.kind === "Quantifier") {
    let b = out.body as Record<string, unknown> | null;
    while (b !== null && b.kind === "Paren") b = b.expr as Record<string, unknown>;
    out.body = b;
  }
  return out;
}

// Drops `keys` from objects accepted by `where` (templates' raw text, object entries' quoting).
function dropKeys(v: unknown, keys: ReadonlySet<string>, where: (o: Record<string, unknown>) => boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => dropKeys(x, keys, where));
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) if (!(keys.has(k) && where(o))) out[k] = dropKeys(x, keys, where);
  return out;
}

/** The comments of a file as (text, doc) pairs in source order. */
export function commentList(file: PolicyFile): string[] {
  return file.comments.map((c) => `${c.doc ? "doc" : "plain"}:${c.text}`);
}

/** Whether the rules of a file already have their metadata in canonical order (comments then keep their order too). */
export function metaCanonical(file: PolicyFile): boolean {
  return file.decls.every((d) => d.kind !== "Rule" || d.meta.every((m, i) => i === 0 || META_ORDER.indexOf(d.meta[i - 1].kind) <= META_ORDER.indexOf(m.kind)));
}

/** Parses text that must be free of syntax errors; throws with the diagnostics otherwise. */
export function parseClean(text: string, path = "t.policy"): PolicyFile {
  const r = parse(text, path);
  if (r.file === null || r.diagnostics.length > 0) {
    throw new Error(`expected a clean parse of:\n${text}\ngot: ${r.diagnostics.map((d) => `${d.span.start.line}:${d.span.start.col} ${d.code} ${d.message}`).join("; ")}`);
  }
  return r.file;
}
