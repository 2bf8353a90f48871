// The sessions list: searched (session id, agent, environment, principal), filtered by outcome,
// paged, with its state in the address (#/sessions?q=...&offset=...) so a view can be shared and
// the back button works.
import { api } from "./api.ts";
import { badge, el, plural, timeEl } from "./dom.ts";
import { sessionHref } from "./session.ts";
import type { SessionPage, SessionSummary } from "./types.ts";

const FIELDS = ["q", "agent", "env", "outcome"] as const;

function row(s: SessionSummary): HTMLElement {
  const counts = Object.entries(s.counts).map(([d, n]) => `${n} ${d === "require_approval" ? "approval" : d}`).join(", ");
  return el("tr", { "data-session": s.id, "data-agent": s.agent },
    el("th", { scope: "row", class: "wrap" }, el("a", { href: sessionHref(s.id, s.agent) }, s.id)),
    el("td", {}, s.agent), el("td", {}, s.env), el("td", { class: "wrap" }, s.principal ?? "–"),
    el("td", {}, timeEl(s.first, false)), el("td", {}, timeEl(s.last, false)),
    el("td", { class: "num" }, String(s.steps)),
    el("td", {}, badge(s.outcome), el("span", { class: "note" }, ` ${counts}`)),
  );
}

/** The sessions view for the route's parameters. */
export function sessionsView(params: URLSearchParams, navigate: (p: URLSearchParams) => void): { node: HTMLElement; refresh(): Promise<void> } {
  const input = (name: string, label: string, type = "text"): HTMLInputElement => {
    const i = el("input", { id: `s-${name}`, name, type, value: params.get(name) ?? "", autocomplete: "off" }) as HTMLInputElement;
    i.setAttribute("aria-label", label);
    i.placeholder = label;
    return i;
  };
  const q = input("q", "search session, agent, principal", "search");
  const agent = input("agent", "agent");
  const env = input("env", "environment");
  const outcome = el("select", { id: "s-outcome", name: "outcome", "aria-label": "outcome" }, ...[["", "any outcome"], ["deny", "denied"], ["require_approval", "asked approval"], ["allow", "allowed"]].map(([v, t]) => el("option", { value: v }, t))) as HTMLSelectElement;
  outcome.value = params.get("outcome") ?? "";
  const limit = Number(params.get("limit") ?? 50) || 50;
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const go = (off: number): void => {
    const p = new URLSearchParams();
    for (const [name, f] of [["q", q], ["agent", agent], ["env", env], ["outcome", outcome]] as const) if (f.value.trim()) p.set(name, f.value.trim());
    if (off > 0) p.set("offset", String(off));
    if (limit !== 50) p.set("limit", String(limit));
    navigate(p);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  for (const f of [q, agent, env]) f.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => go(0), 250);
  });
  outcome.addEventListener("change", () => go(0));
  const form = el("form", { class: "bar", role: "search" }, q, agent, env, outcome);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go(0);
  });
  const table = el("div", { id: "sessions", "aria-live": "polite" }, el("p", { class: "note" }, "loading…"));
  const pager = el("nav", { class: "bar pager", "aria-label": "pages" });
  const node = el("section", { class: "panel", "aria-labelledby": "h-sessions" }, el("h2", { id: "h-sessions" }, "Sessions"), form, table, pager);
  const refresh = async (): Promise<void> => {
    const query = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    for (const f of FIELDS) if (params.get(f)) query.set(f, params.get(f) as string);
    const page = await api<SessionPage>(`/v1/console/sessions?${query}`);
    const filtered = FIELDS.some((f) => params.get(f));
    if (page.sessions.length === 0) {
      table.replaceChildren(el("p", { class: "empty", id: "no-sessions" }, filtered ? "No session matches: clear the search or the filters." : page.total > 0 ? "No sessions on this page: go back a page." : "No sessions yet. Decisions sent with a session id (\"session\": \"...\" in POST /v1/decide) appear here."));
    } else {
      table.replaceChildren(el("div", { class: "scroll" }, el("table", {},
        el("caption", { class: "sr-only" }, "sessions, most recently active first"),
        el("thead", {}, el("tr", {}, ...["session", "agent", "environment", "principal", "started", "last step", "steps", "outcome"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...page.sessions.map(row)),
      )));
    }
    const prev = el("button", { type: "button", id: "prev-page" }, "← newer") as HTMLButtonElement;
    const next = el("button", { type: "button", id: "next-page" }, "older →") as HTMLButtonElement;
    prev.disabled = offset === 0;
    next.disabled = offset + page.sessions.length >= page.total;
    prev.addEventListener("click", () => go(Math.max(0, offset - limit)));
    next.addEventListener("click", () => go(offset + limit));
    const shown = page.sessions.length === 0 ? "none" : `${(offset + 1).toLocaleString("en-US")}–${(offset + page.sessions.length).toLocaleString("en-US")}`;
    pager.replaceChildren(prev, el("span", { id: "page-info" }, `${shown} of ${plural(page.total, "session")}`), next);
  };
  return { node, refresh };
}
