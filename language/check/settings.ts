// Policy-set settings (`default deny`, `on_error allow on output`), resolved per phase. Within a
// file, setting one phase both ways is an error (E602). Across files the stricter `deny` wins
// and every declaration that lost is warned about (W004), since the author of that file
// believed the set behaves otherwise.
import { PHASES, type DefaultDecl, type Ident, type OnErrorDecl, type Phase, type PolicyFile } from "../ast.ts";
import { didYouMean } from "./suggest.ts";
import { where, type Context } from "./context.ts";
import type { PhaseSettings } from "./program.ts";

/** What applies when no file says anything: LANGUAGE.md's `default allow` and `on_error deny`. */
export const BUILTIN_SETTINGS: PhaseSettings = { default: "allow", onError: "deny" };

/** Reads phase names of a rule, setting or test: unknown names get E403, repeats E409. Returns the valid ones. */
export function readPhases(ctx: Context, file: PolicyFile, idents: readonly Ident[]): Phase[] {
  const out: Phase[] = [];
  for (const id of idents) {
    if (!(PHASES as readonly string[]).includes(id.name)) {
      ctx.report(file, "E403", id.span, `unknown phase '${id.name}'`, didYouMean(id.name, PHASES) ?? `phases are ${PHASES.join(", ")}`);
      continue;
    }
    const p = id.name as Phase;
    if (out.includes(p)) ctx.report(file, "E409", id.span, `phase '${p}' is listed twice`, `remove the second '${p}'`);
    else out.push(p);
  }
  return out;
}

interface Stated {
  readonly value: "allow" | "deny";
  readonly file: PolicyFile;
  readonly decl: DefaultDecl | OnErrorDecl;
}

/** Resolves the settings of every phase across `files`. */
export function resolveSettings(ctx: Context, files: readonly PolicyFile[]): Record<Phase, PhaseSettings> {
  const stated = { Default: new Map<Phase, Stated[]>(), OnError: new Map<Phase, Stated[]>() };
  for (const file of files) {
    // Per file, a setting with phases overrides the same setting without phases for those phases.
    const general = new Map<string, Stated>();
    const specific = new Map<string, Stated>();
    for (const d of file.decls) {
      if (d.kind !== "Default" && d.kind !== "OnError") continue;
      const keyword = d.kind === "Default" ? "default" : "on_error";
      const phases = d.phases.length === 0 ? [null] : readPhases(ctx, file, d.phases);
      for (const p of phases) {
        const key = `${d.kind}:${p ?? "*"}`;
        const table = p === null ? general : specific;
        const prev = table.get(key);
        if (prev !== undefined && prev.value !== d.value) {
          ctx.report(file, "E602", d.span, `conflicting settings: '${keyword}' is both '${prev.value}' and '${d.value}'${p === null ? "" : ` for ${p}`}`, `keep one of them; the other is at ${where(file, prev.decl.span)}`);
          continue;
        }
        if (prev === undefined) table.set(key, { value: d.value, file, decl: d });
      }
    }
    for (const kind of ["Default", "OnError"] as const) {
      for (const p of PHASES) {
        const s = specific.get(`${kind}:${p}`) ?? general.get(`${kind}:*`);
        if (s === undefined) continue;
        const list = stated[kind].get(p) ?? [];
        list.push(s);
        stated[kind].set(p, list);
      }
    }
  }
  const out = {} as Record<Phase, PhaseSettings>;
  const warned = new Set<DefaultDecl | OnErrorDecl>();
  const pick = (kind: "Default" | "OnError", p: Phase, fallback: "allow" | "deny"): "allow" | "deny" => {
    const list = stated[kind].get(p) ?? [];
    if (list.length === 0) return fallback;
    const deny = list.find((s) => s.value === "deny");
    if (deny === undefined) return "allow";
    for (const s of list) {
      if (s.value === "deny" || warned.has(s.decl)) continue;
      warned.add(s.decl);
      const keyword = kind === "Default" ? "default" : "on_error";
      ctx.report(s.file, "W004", s.decl.span, `files disagree: '${keyword} allow' here, '${keyword} deny' in ${deny.file.path} for ${p}; the stricter 'deny' wins`, `state the same setting in every file, or remove this one (see ${where(deny.file, deny.decl.span)})`);
    }
    return "deny";
  };
  for (const p of PHASES) out[p] = { default: pick("Default", p, BUILTIN_SETTINGS.default), onError: pick("OnError", p, BUILTIN_SETTINGS.onError) };
  return out;
}
