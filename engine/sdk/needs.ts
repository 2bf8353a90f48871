// Which decisions read session history: a rule that names `session` (directly, or through a
// def whose body reads it) needs the whole history to be decided exactly. When a session's
// history is not whole (over its limit, or forgotten), only those decisions fail closed; a tool
// no history rule can match keeps working.
import type { PolicySet } from "../runtime/index.ts";
import { ALL, parsePattern } from "../../language/check/regex-parse.ts";
import type { CharSet } from "../../language/check/regex-parse.ts";
import { maxExtent } from "../runtime/stdlib/regex-program.ts";
import { FOLD_SPREAD } from "../runtime/stdlib/fold.ts";
import { getDetector } from "../runtime/stdlib/detectors.ts";

/** Per phase: whether some history-reading rule applies to any tool, or to which tools. */
export class HistoryNeeds {
  readonly #any = new Set<string>();
  readonly #tools = new Map<string, Set<string>>();

  constructor(policySet: PolicySet) {
    const program = policySet.program;
    const defReads = new Set<string>();
    for (const [id, def] of program.defs) if (def.roots.includes("session")) defReads.add(id);
    for (const rule of program.rules) {
      if (!readsSession(rule.decl, program.resolutions as ReadonlyMap<object, { kind: string; id?: string }>, defReads)) continue;
      for (const phase of rule.phases) {
        if (rule.toolNames === null || (phase !== "tool_call" && phase !== "tool_result")) this.#any.add(phase);
        else {
          let set = this.#tools.get(phase);
          if (set === undefined) this.#tools.set(phase, (set = new Set()));
          for (const t of rule.toolNames) set.add(t);
        }
      }
    }
  }

  /** Whether deciding `phase` (for `tool`) may read `session`. */
  reads(phase: string, tool: string | undefined): boolean {
    if (this.#any.has(phase)) return true;
    const set = this.#tools.get(phase);
    return set !== undefined && (tool === undefined || set.has(tool));
  }

  /** Whether any decision reads history at all. */
  get any(): boolean {
    return this.#any.size > 0 || this.#tools.size > 0;
  }
}

// A walk over the rule's syntax tree: conservative, any `session` name counts.
function readsSession(node: unknown, resolutions: ReadonlyMap<object, { kind: string; id?: string }>, defReads: ReadonlySet<string>): boolean {
  if (typeof node !== "object" || node === null) return false;
  if (Array.isArray(node)) return node.some((n) => readsSession(n, resolutions, defReads));
  const n = node as { kind?: unknown; name?: unknown };
  if (n.kind === "Name" && n.name === "session") return true;
  if (n.kind === "Call") {
    const r = resolutions.get(node);
    if (r?.kind === "def" && r.id !== undefined && defReads.has(r.id)) return true;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === "span" || k === "opSpan") continue;
    if (typeof v === "object" && v !== null && readsSession(v, resolutions, defReads)) return true;
  }
  return false;
}


/**
 * The most UTF-16 code units one match of `pattern` can examine (lookaheads included), or
 * Infinity when it has no bound (`*`, `+`, `{n,}`, a backreference, a lookbehind) or cannot be
 * read. Every character counts two: under `u` one may be a surrogate pair.
 */
export function regexSpan(pattern: string, flags: string): number {
  try {
    new RegExp(pattern, flags);
    const parsed = parsePattern(pattern, flags, SPAN_OPTIONS);
    if (parsed.unsupported.length > 0) return Infinity;
    return 2 * maxExtent(parsed.root);
  } catch {
    return Infinity;
  }
}

/** The hold-back that holds a whole answer to its end: an integer, so that it travels as JSON (the service's `/v1/status`, the Python SDK). */
export const HOLD_ALL = Number.MAX_SAFE_INTEGER;

// The span of a match does not depend on which characters a set holds.
const SPAN_OPTIONS = { caseClose: (set: CharSet) => set, property: () => ALL };

/**
 * What a streamed answer must hold back so that no match of a pattern the `output` rules use
 * can be cut in two. `hold`: the longest span among the bounded patterns (0 when they use none;
 * HOLD_ALL, which holds the whole answer to its end, when one has no bound and no way to tell
 * an open token). `open`: the detectors with no bound whose tokens start with a prefix
 * (`secret.jwt`, `secret.private_key`...): the stream holds back from the start of such a
 * token while it may still be open, and no more (spec/streams.md). A pattern is a detector, a
 * regex, the right side of `matches` (a string is compiled as a regex; anything else is
 * unknown until run time), a `like` glob, or a string literal; defs and consts are read too,
 * since an output rule may reach a pattern through them.
 */
export function streamNeeds(policySet: PolicySet): { hold: number; open: string[] } {
  let hold = 0;
  const open = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: unknown; parts?: readonly { name: string }[]; value?: unknown; pattern?: unknown; flags?: unknown; op?: unknown; right?: { kind?: unknown; value?: unknown } };
    if (n.kind === "Regex") hold = Math.max(hold, regexSpan(String(n.pattern), String(n.flags ?? "")));
    else if (n.kind === "QualifiedName" && n.parts !== undefined) {
      detector(n.parts.map((p) => p.name).join("."));
    } else if (n.kind === "String" && typeof n.value === "string") hold = Math.max(hold, n.value.length);
    else if (n.kind === "Binary" && (n.op === "matches" || n.op === "like")) {
      const r = n.right;
      const resolved = resolutions.get(r as object);
      if (r?.kind === "String" && typeof r.value === "string") hold = Math.max(hold, n.op === "matches" ? regexSpan(r.value, "") : r.value.includes("*") ? Infinity : 2 * r.value.length);
      // `s matches secret.jwt` names the detector as a member of `secret` (as the checker resolved it).
      else if (n.op === "matches" && resolved?.kind === "detector" && typeof resolved.name === "string") detector(resolved.name);
      else if (r?.kind !== "Regex" && r?.kind !== "QualifiedName") hold = Infinity;
    }
    for (const [k, v] of Object.entries(node)) if (k !== "span" && typeof v === "object" && v !== null) visit(v);
  };
  const detector = (name: string): void => {
    const d = getDetector(name);
    // A detector scans the folded text (stdlib/fold.ts): one folded character may stand for
    // up to FOLD_SPREAD kept characters of the answer (a surrogate pair); the characters the
    // fold drops are not counted by the stream (text.ts), however many there are.
    if (d?.open !== undefined) open.add(name);
    else if (d !== undefined) hold = Math.max(hold, d.span * FOLD_SPREAD);
  };
  const program = policySet.program;
  const resolutions = program.resolutions as ReadonlyMap<object, { kind: string; name?: unknown }>;
  for (const rule of program.rules) if (rule.phases.includes("output")) visit(rule.decl);
  for (const def of program.defs.values()) visit(def.decl);
  for (const c of program.consts.values()) visit(c.value);
  hold = Math.min(hold, HOLD_ALL);
  // Holding the whole answer already holds every open token.
  return { hold, open: hold === HOLD_ALL ? [] : [...open].sort() };
}

/**
 * The hold-back of a client that does not tell open tokens (the service's `/v1/status`, the
 * Python SDK): `streamNeeds`' hold, or HOLD_ALL when an unbounded detector is in use.
 */
export function streamHold(policySet: PolicySet): number {
  const needs = streamNeeds(policySet);
  return needs.open.length > 0 ? HOLD_ALL : needs.hold;
}
