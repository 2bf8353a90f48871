// The console page: a router over the views (#/overview, #/sessions, #/session/ID, #/approvals,
// #/decisions, #/proof/ID), the admin key (from `#key=...` whenever the fragment changes, or the
// key field; kept in sessionStorage), one time zone for every time on the page (named in the
// header, switchable), keyboard shortcuts, and a refresh of the current view every two seconds
// that keeps its last good state on screen when a call fails, with the failure said in words.
import "./buffer-shim.ts";
import { advice, api, currentKey, keyFromFragment, setKey } from "./console/api.ts";
import { approvalsView } from "./console/approvals.ts";
import { decisionsView } from "./console/decisions.ts";
import { $, el, setZone, zone, zoneLabel } from "./console/dom.ts";
import { overviewView } from "./console/overview.ts";
import { proofView } from "./console/proof-view.ts";
import { sessionView } from "./console/session.ts";
import { sessionsView } from "./console/sessions.ts";
import type { Approval } from "./console/types.ts";

interface View {
  readonly node: HTMLElement;
  refresh(): Promise<void>;
}

const TITLES: Record<string, string> = { overview: "Overview", sessions: "Sessions", session: "Session", approvals: "Approvals", decisions: "Live decisions", proof: "Proof" };

let current: { name: string; view: View } | undefined;
let busy = false;

function parseRoute(): { name: string; arg: string; params: URLSearchParams } {
  const h = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = h.split("?");
  const [name, ...rest] = path.split("/");
  return { name: name || "overview", arg: decodeURIComponent(rest.join("/")), params: new URLSearchParams(query) };
}

function build(name: string, arg: string, params: URLSearchParams): View | undefined {
  switch (name) {
    case "overview":
      return overviewView();
    case "sessions":
      return sessionsView(params, (p) => {
        location.hash = `/sessions${p.size > 0 ? `?${p}` : ""}`;
      });
    case "session":
      return arg ? sessionView(arg, params.get("agent") ?? undefined) : undefined;
    case "approvals":
      return approvalsView();
    case "decisions":
      return decisionsView();
    case "proof":
      return arg ? proofView(arg) : undefined;
    default:
      return undefined;
  }
}

function status(text: string, bad = true): void {
  const s = $("status");
  s.textContent = text;
  s.className = text ? (bad ? "status bad" : "status") : "status";
  s.hidden = text === "";
}

async function refresh(): Promise<void> {
  if (!current || busy) return;
  busy = true;
  try {
    await current.view.refresh();
    status("");
  } catch (err) {
    status(advice(err));
  } finally {
    busy = false;
  }
}

function noKey(): HTMLElement {
  return el("section", { class: "panel empty-state", id: "need-key" },
    el("h2", {}, "Enter an admin key"),
    el("p", {}, "The console reads the service with an API key that has the admin role. Paste it in the field above, or open a link ending in ", el("code", {}, "#key=…"), " (the key stays in this tab only)."),
    el("p", {}, "Where to find one: `palisade serve` prints its admin key when it starts (it is kept in ", el("code", {}, "<db>.admin-key"), "), or make one with ", el("code", {}, "palisade keys create --agent '*' --env '*' --role admin"), "."),
  );
}

/** Shows the view the address names. */
function route(): void {
  const r = parseRoute();
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav.views a")) {
    if (a.dataset.view === r.name || (a.dataset.view === "sessions" && r.name === "session")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${TITLES[r.name] ?? "Not found"} · Palisade console`;
  const main = $("view");
  if (!currentKey()) {
    current = undefined;
    main.replaceChildren(noKey());
    status("");
    return;
  }
  const view = build(r.name, r.arg, r.params);
  if (!view) {
    current = undefined;
    main.replaceChildren(el("section", { class: "panel empty-state", id: "not-found" }, el("h2", {}, "No such page"), el("p", {}, `The console has no page "${location.hash}". `, el("a", { href: "#/overview" }, "Go to the overview"), ".")));
    return;
  }
  current = { name: r.name, view };
  main.replaceChildren(view.node);
  void refresh();
}

async function pendingCount(): Promise<void> {
  if (!currentKey()) return;
  try {
    const n = (await api<{ approvals: Approval[] }>("/v1/approvals?status=pending")).approvals.length;
    const b = $("pending-count");
    b.textContent = n > 0 ? String(n) : "";
    b.hidden = n === 0;
    b.setAttribute("aria-label", `${n} waiting`);
  } catch {
    // The view's own refresh says what is wrong; a count this key may not read is not shown.
    $("pending-count").hidden = true;
  }
}

function showZone(): void {
  $("zone").textContent = `times in ${zoneLabel()}`;
  $("zone").setAttribute("aria-pressed", String(zone() === "local"));
}

const keyField = $<HTMLInputElement>("key");
let shownKey = currentKey();
function useKey(k: string): void {
  setKey(k);
  // Nothing read with the previous key stays on screen for the next one (route() rebuilds the view).
  if (currentKey() !== shownKey) {
    shownKey = currentKey();
    $("notices").replaceChildren();
    $("pending-count").hidden = true;
    $("approval-result").textContent = "";
  }
  keyField.value = "";
  keyField.placeholder = currentKey() ? "key set ✓" : "admin API key";
  $("forget").hidden = !currentKey();
  route();
  void pendingCount();
}

keyField.addEventListener("change", () => useKey(keyField.value));
$("forget").addEventListener("click", () => useKey(""));
$("zone").addEventListener("click", () => {
  setZone(zone() === "UTC" ? "local" : "UTC");
  showZone();
  route();
});
window.addEventListener("hashchange", () => {
  // A pasted link with #key=... works in an open console too.
  if (keyFromFragment()) return useKey(currentKey());
  route();
});

// Keyboard: "/" searches, g then o/s/a/d goes to a view, ? lists the keys.
let g = false;
document.addEventListener("keydown", (e) => {
  const t = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey || t.closest("input, textarea, select, [contenteditable], dialog")) return;
  if (e.key === "/") {
    e.preventDefault();
    const search = document.querySelector<HTMLInputElement>("#view input[type=search], #view input") ?? keyField;
    search.focus();
    return;
  }
  if (e.key === "?") return void $<HTMLDialogElement>("keys-help").showModal();
  if (g) {
    g = false;
    const to = { o: "/overview", s: "/sessions", a: "/approvals", d: "/decisions" }[e.key];
    if (to) location.hash = to;
    return;
  }
  if (e.key === "g") g = true;
});

if (keyFromFragment() || currentKey()) keyField.placeholder = "key set ✓";
$("forget").hidden = !currentKey();
showZone();
route();
void pendingCount();
setInterval(() => {
  if (document.visibilityState === "visible") void refresh();
}, 2000);
setInterval(() => {
  if (document.visibilityState === "visible") void pendingCount();
}, 5000);
