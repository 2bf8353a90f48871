// Which decisions read session history: a rule that names `session` (directly, or through a
// def whose body reads it) needs the whole history to be decided exactly. When a session's
// history is not whole (over its limit, or forgotten), only those decisions fail closed; a tool
// no history rule can match keeps working.
import type { PolicySet } from "../runtime/index.ts";

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

// The longest text each detector can match, in UTF-16 code units (bounded by its format, or a
// generous cap where the format has none: JWTs and PEM keys).
const DETECTOR_SPAN: Readonly<Record<string, number>> = {
  "pii.email": 254,
  "pii.phone": 32,
  "pii.ssn": 11,
  "pii.credit_card": 32,
  "pii.iban": 42,
  "pii.ip": 45,
  "pii.passport": 16,
  "pii.date_of_birth": 32,
  "secret.aws_key": 40,
  "secret.github_token": 255,
  "secret.slack_token": 255,
  "secret.stripe_key": 255,
  "secret.google_api_key": 39,
  "secret.openai_key": 200,
  "secret.jwt": 2_048,
  "secret.private_key": 8_192,
  "secret.generic_api_key": 256,
};

/** What a user regex is assumed to span at most when held back in a stream. */
export const REGEX_SPAN = 256;

/**
 * How many characters of a streamed answer must be held back so that no match of a pattern the
 * `output` rules use can be cut in two: the longest span among them (0 when they use none).
 */
export function streamHold(policySet: PolicySet): number {
  let hold = 0;
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: unknown; parts?: readonly { name: string }[]; value?: unknown };
    if (n.kind === "Regex") hold = Math.max(hold, REGEX_SPAN);
    else if (n.kind === "QualifiedName" && n.parts !== undefined) {
      const name = n.parts.map((p) => p.name).join(".");
      const span = DETECTOR_SPAN[name];
      if (span !== undefined) hold = Math.max(hold, span);
    } else if (n.kind === "String" && typeof n.value === "string") hold = Math.max(hold, Math.min(n.value.length, REGEX_SPAN));
    for (const [k, v] of Object.entries(node)) if (k !== "span" && typeof v === "object" && v !== null) visit(v);
  };
  for (const rule of policySet.program.rules) if (rule.phases.includes("output")) visit(rule.decl);
  return hold;
}
