// Live decisions, newest first, filtered by agent, environment, phase and outcome; each row
// links to its session and to its proof.
import { api } from "./api.ts";
import { badge, el, reasonText, timeEl } from "./dom.ts";
import { PHASE_WORD, sessionHref } from "./session.ts";
import type { DecisionRec } from "./types.ts";

/** The decisions view. */
export function decisionsView(): { node: HTMLElement; refresh(): Promise<void> } {
  const field = (name: string, label: string): HTMLInputElement => {
    const i = el("input", { id: `f-${name}`, "aria-label": label, placeholder: label, autocomplete: "off" }) as HTMLInputElement;
    return i;
  };
  const agent = field("agent", "agent");
  const env = field("env", "environment");
  const phase = el("select", { id: "f-phase", "aria-label": "phase" }, el("option", { value: "" }, "any phase"), ...Object.entries(PHASE_WORD).map(([v, t]) => el("option", { value: v }, t))) as HTMLSelectElement;
  const decision = el("select", { id: "f-decision", "aria-label": "outcome" }, ...[["", "any outcome"], ["deny", "denied"], ["require_approval", "asked approval"], ["allow", "allowed"]].map(([v, t]) => el("option", { value: v }, t))) as HTMLSelectElement;
  const out = el("div", { id: "decisions" });
  const node = el("section", { class: "panel", "aria-labelledby": "h-decisions" }, el("h2", { id: "h-decisions" }, "Live decisions"), el("div", { class: "bar", role: "search" }, agent, env, phase, decision), out);
  const refresh = async (): Promise<void> => {
    const q = new URLSearchParams({ limit: "100" });
    for (const [k, f] of [["agent", agent], ["env", env], ["phase", phase], ["decision", decision]] as const) if (f.value.trim()) q.set(k, f.value.trim());
    const r = await api<{ decisions: DecisionRec[] }>(`/v1/decisions?${q}`);
    if (r.decisions.length === 0) return void out.replaceChildren(el("p", { class: "empty", id: "no-live" }, q.size > 1 ? "No recent decision matches these filters." : "No decisions yet: they appear here as agents send them."));
    out.replaceChildren(el("div", { class: "scroll" }, el("table", {},
      el("caption", { class: "sr-only" }, "recent decisions, newest first"),
      el("thead", {}, el("tr", {}, ...["time", "agent / env", "phase", "tool", "decision", "rules", "session", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...r.decisions.map((d) => el("tr", { class: `d-${d.decision}`, "data-decision": d.id },
        el("td", {}, timeEl(d.time)), el("td", {}, `${d.agent} / ${d.env}`), el("td", {}, PHASE_WORD[d.phase] ?? d.phase), el("td", {}, d.tool ? el("code", {}, d.tool) : "–"),
        el("td", {}, badge(d.decision)), el("td", { class: "wrap" }, [...d.reasons, ...d.warnings].map(reasonText).join("; ") || "–"),
        el("td", { class: "wrap" }, d.session ? el("a", { href: sessionHref(d.session, d.agent) }, d.session) : "–"),
        el("td", {}, el("a", { href: `#/proof/${encodeURIComponent(d.id)}` }, "proof")),
      ))),
    )));
  };
  for (const f of [agent, env]) f.addEventListener("input", () => void refresh().catch(() => {}));
  for (const f of [phase, decision]) f.addEventListener("change", () => void refresh().catch(() => {}));
  return { node, refresh };
}
