// One session: a timeline of every step (input, model call, tool call, tool result, output) with
// its time, the time to the next step, the rules that fired, what each transform changed, the
// approval it asked for and its answer (who, when, note), the input and payload in a JSON
// viewer, and a link to the step's proof in the audit log.
import { api, advice } from "./api.ts";
import { badge, el, fmtDuration, plural, reasonText, shortId, timeEl } from "./dom.ts";
import { jsonView } from "./json-view.ts";
import type { Approval, DecisionRec } from "./types.ts";

/** Phase names as people say them. */
export const PHASE_WORD: Record<string, string> = { input: "input", model_call: "model call", tool_call: "tool call", tool_result: "tool result", output: "output" };

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "absent");

/** What the transforms changed: one row per field, the old value struck through, the new one marked. */
export function diffTable(changes: DecisionRec["changes"]): HTMLElement {
  return el("table", { class: "diff" },
    el("caption", {}, `${plural(changes.length, "field")} changed by the transforms`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "field"), el("th", { scope: "col" }, "before"), el("th", { scope: "col" }, "after"))),
    el("tbody", {}, ...changes.map((c) => el("tr", {}, el("td", {}, el("code", {}, c.path)), el("td", { class: "wrap" }, el("del", {}, show(c.before))), el("td", { class: "wrap" }, el("ins", {}, show(c.after)))))),
  );
}

function approvalLine(a: Approval | undefined, id: string): HTMLElement {
  if (a === undefined) return el("div", { class: "approval-answer", "data-status": "unknown" }, "asked approval ", shortId(id), ": its request is no longer kept");
  const who = a.status === "pending" ? `waiting for ${a.role ? `role ${a.role}` : "an admin"}, ` : a.status === "expired" ? "nobody answered before the deadline: refused " : `${a.status} by ${a.decidedBy ?? "?"} `;
  return el("div", { class: `approval-answer s-${a.status}`, "data-status": a.status },
    badge(a.status === "approved" ? "allow" : a.status === "pending" ? "require_approval" : "deny", a.status), " ", who,
    a.decidedAt ? timeEl(a.decidedAt) : a.status === "pending" ? `expires ${new Date(a.expiresAt).toISOString().slice(11, 19)} UTC` : "",
    a.note && a.status !== "expired" ? el("div", { class: "note-text" }, `note: ${a.note}`) : "",
    a.status === "pending" ? el("div", {}, el("a", { href: "#/approvals" }, "answer it in Approvals")) : "",
  );
}

// Set through the CSSOM, which a CSP without 'unsafe-inline' still allows (a style attribute it would not).
function bar(share: number): HTMLElement {
  const b = el("span", { class: "gap-bar" });
  b.style.width = `${Math.max(2, Math.round(share * 100))}%`;
  return b;
}

function step(s: DecisionRec, i: number, start: number, next: DecisionRec | undefined, longest: number, approval: Approval | undefined): HTMLElement {
  const t = Date.parse(s.time);
  const gap = next ? Date.parse(next.time) - t : undefined;
  const rules = [...s.reasons, ...s.warnings];
  return el("li", { class: `step d-${s.decision}`, "data-step": s.id, "data-phase": s.phase },
    el("div", { class: "when" }, timeEl(s.time), el("span", { class: "offset" }, `+${fmtDuration(t - start)}`)),
    el("div", { class: "what" },
      el("h3", {}, el("span", { class: "num" }, `${i + 1}.`), " ", PHASE_WORD[s.phase] ?? s.phase, s.tool ? el("code", {}, ` ${s.tool}`) : "", " ", badge(s.decision)),
      gap !== undefined
        ? el("div", { class: "gap", title: `${fmtDuration(gap)} until the next step` }, bar(gap / Math.max(1, longest)), el("span", { class: "gap-text" }, `next step after ${fmtDuration(gap)}`))
        : el("div", { class: "gap note" }, "last step"),
      rules.length > 0 ? el("ul", { class: "rules" }, ...rules.map((r) => el("li", { class: `e-${r.effect}` }, reasonText(r)))) : el("p", { class: "note" }, "no rule fired"),
      s.changes.length > 0 ? diffTable(s.changes) : "",
      s.approval ? approvalLine(approval, s.approval) : "",
      el("details", { class: "payloads" }, el("summary", {}, s.changes.length > 0 ? "input and payload (JSON)" : "input (JSON)"), jsonView(s.input, "input"), s.changes.length > 0 ? jsonView(s.payload, "payload after transforms") : ""),
      el("p", { class: "links" }, el("a", { href: `#/proof/${encodeURIComponent(s.id)}`, class: "prove" }, "prove it in the audit log"), " · decision ", shortId(s.id)),
    ),
  );
}

/**
 * `agent`'s session `id`, oldest first: a session is keyed by agent and id (two agents' sessions
 * named alike are two, with their own owners). Read through the decisions filter rather than
 * /v1/sessions/{id}: a session id (up to 200 characters, more once percent-encoded) can be longer
 * than a path parameter may be.
 */
export async function sessionSteps(id: string, agent: string | undefined): Promise<{ steps: DecisionRec[] }> {
  const r = await api<{ decisions: DecisionRec[] }>(`/v1/decisions?${new URLSearchParams({ session: id, ...(agent !== undefined ? { agent } : {}), limit: "1000" })}`);
  return { steps: r.decisions.reverse() };
}

/** The address of `agent`'s session `id`. */
export function sessionHref(id: string, agent: string): string {
  return `#/session/${encodeURIComponent(id)}?${new URLSearchParams({ agent })}`;
}

/** The session view for `agent`'s session `id` (every agent's steps under the id, when an old link names no agent). */
export function sessionView(id: string, agent: string | undefined): { node: HTMLElement; refresh(): Promise<void> } {
  const head = el("div", { id: "session-head" });
  const body = el("div", { id: "session" }, el("p", { class: "note" }, "loading…"));
  const node = el("section", { class: "panel", "aria-labelledby": "h-session" }, el("p", {}, el("a", { href: "#/sessions" }, "← sessions")), el("h2", { id: "h-session", class: "wrap" }, "Session ", el("code", {}, id)), head, body);
  let seen = "";
  const refresh = async (): Promise<void> => {
    const r = await sessionSteps(id, agent);
    const ids = r.steps.filter((s) => s.approval).map((s) => s.approval as string);
    const approvals = new Map<string, Approval>();
    await Promise.all(ids.map((a) => api<Approval>(`/v1/approvals/${encodeURIComponent(a)}`).then((x) => approvals.set(a, x), () => {})));
    const sig = JSON.stringify([r.steps.map((s) => s.id), [...approvals.values()].map((a) => a.status)]);
    if (sig === seen) return;
    seen = sig;
    if (r.steps.length === 0) {
      head.replaceChildren();
      return void body.replaceChildren(el("p", { class: "empty", id: "no-steps" }, `No steps are recorded for session "${id}"${agent !== undefined ? ` of agent "${agent}"` : ""}. Check the id, or look it up in the audit log (palisade audit verify, palisade report): the console keeps the most recent decisions only.`));
    }
    const first = r.steps[0];
    const last = r.steps[r.steps.length - 1];
    const start = Date.parse(first.time);
    const gaps = r.steps.slice(1).map((s, i) => Date.parse(s.time) - Date.parse(r.steps[i].time));
    const longest = Math.max(1, ...gaps);
    const principal = (first.input as { principal?: { id?: unknown } } | null)?.principal?.id;
    const counts = new Map<string, number>();
    for (const s of r.steps) counts.set(s.decision, (counts.get(s.decision) ?? 0) + 1);
    head.replaceChildren(el("dl", { class: "facts wide-facts" },
      el("dt", {}, "agent"), el("dd", {}, first.agent), el("dt", {}, "environment"), el("dd", {}, first.env),
      el("dt", {}, "principal"), el("dd", {}, typeof principal === "string" ? principal : "–"),
      el("dt", {}, "from"), el("dd", {}, timeEl(first.time), " to ", timeEl(last.time), ` (${fmtDuration(Date.parse(last.time) - start)})`),
      el("dt", {}, "steps"), el("dd", {}, `${r.steps.length}: `, ...[...counts].flatMap(([d, n]) => [badge(d, `${n} ${d === "require_approval" ? "approval" : d}`), " "])),
    ));
    body.replaceChildren(el("ol", { class: "timeline" }, ...r.steps.map((s, i) => step(s, i, start, r.steps[i + 1], longest, s.approval ? approvals.get(s.approval) : undefined))));
  };
  return { node, refresh };
}

/** For views that show a failure in place. */
export function failure(err: unknown): HTMLElement {
  return el("p", { class: "bad error-state" }, advice(err));
}
