// Approvals: what is being approved (tool, arguments, the policy's reason, the session's recent
// steps), approve or reject with a note after a confirmation, and the history of answered
// requests. Cards are keyed by request id and kept across refreshes, so a note being typed or a
// focused button survives the live updates.
import { ApiError, api, advice, currentKey } from "./api.ts";
import { $, badge, el, fmtDuration, fmtTime, plural, reasonText, timeEl } from "./dom.ts";
import { jsonView } from "./json-view.ts";
import { sessionHref, sessionSteps } from "./session.ts";
import type { Approval } from "./types.ts";

/** The part of a payload an approver must see: a tool call's arguments, else the phase's own field. */
export function subject(a: Approval): { title: string; value: unknown } {
  const p = (a.payload ?? {}) as Record<string, unknown>;
  if (a.phase === "tool_call" || a.phase === "tool_result") {
    const t = (p.tool ?? {}) as { args?: unknown; result?: unknown };
    return a.phase === "tool_call" ? { title: "arguments", value: t.args ?? null } : { title: "tool result", value: t.result ?? null };
  }
  const field = a.phase === "model_call" ? "model" : a.phase;
  return { title: field, value: p[field] ?? null };
}

function expiresText(a: Approval): string {
  const left = Date.parse(a.expiresAt) - Date.now();
  return left > 0 ? `expires in ${fmtDuration(left)}` : "expired: fails closed";
}

async function recentSteps(a: Approval, into: HTMLElement): Promise<void> {
  if (a.session === null) return void into.replaceChildren(el("p", { class: "note" }, "no session: the request stands alone"));
  try {
    const r = await sessionSteps(a.session, a.agent);
    const at = r.steps.findIndex((s) => s.id === a.decisionId);
    const before = (at < 0 ? r.steps : r.steps.slice(0, at)).slice(-5);
    into.replaceChildren(
      before.length === 0
        ? el("p", { class: "note" }, "this is the session's first step")
        : el("ol", { class: "steps-mini" }, ...before.map((s) => el("li", {}, timeEl(s.time), " ", el("span", { class: "phase" }, s.phase), s.tool ? el("code", {}, s.tool) : "", " ", badge(s.decision), s.reasons.length ? el("span", { class: "note" }, ` ${s.reasons.map(reasonText).join("; ")}`) : ""))),
    );
  } catch (err) {
    into.replaceChildren(el("p", { class: "bad" }, advice(err)));
  }
}

// Two operators look at one queue: the first answer counts (the service settles a request once),
// and the other must learn it in words, not by a card that vanishes or an answer silently lost.

/** Requests answered from this page: their cards leave without a notice. */
const answeredHere = new Set<string>();

/** "approved by bob at 10:01:02.345 UTC (note: ...)", as the service has it now. */
export function outcomeText(a: Approval): string {
  const how = a.status === "expired" ? "left unanswered until its deadline (refused)" : a.status === "pending" ? "still pending" : `${a.status} by ${a.decidedBy ?? "an unnamed key"}`;
  return `${how}${a.decidedAt ? ` at ${fmtTime(a.decidedAt)}` : ""}${a.note ? ` (note: ${a.note})` : ""}`;
}

async function current(a: Approval): Promise<Approval | undefined> {
  try {
    return await api<Approval>(`/v1/approvals/${encodeURIComponent(a.id)}`);
  } catch {
    return undefined;
  }
}

const label = (a: Approval): string => `${a.tool ?? a.phase} for ${a.agent} in ${a.env}${a.session === null ? "" : ` (session ${a.session})`}`;

/** A notice that stays until dismissed (the page's live region reads it out). */
export function notice(text: string, id: string): void {
  const box = $("notices");
  box.querySelector(`[data-notice="${CSS.escape(id)}"]`)?.remove();
  const close = el("button", { type: "button", class: "small" }, "Dismiss");
  const n = el("div", { class: "notice", "data-notice": id }, el("p", {}, text), close);
  close.addEventListener("click", () => n.remove());
  box.append(n);
}

/** Tells the operator that a request they were looking at was answered elsewhere, and by whom. */
async function answeredElsewhere(a: Approval, lost = ""): Promise<void> {
  const key = currentKey();
  const now = await current(a);
  // Read with a key since replaced: the new key may not see this request at all.
  if (currentKey() !== key) return;
  const what = now ? outcomeText(now) : "answered elsewhere";
  notice(`${label(a)} was ${what} while it was on your screen.${lost}`, a.id);
  const dlg = document.getElementById("confirm") as HTMLDialogElement | null;
  if (dlg?.open && dlg.dataset.approval === a.id) {
    dlg.querySelector<HTMLButtonElement>("button[value=ok]")?.setAttribute("disabled", "");
    dlg.querySelector("#confirm-stale")?.remove();
    dlg.querySelector("form")?.prepend(el("p", { id: "confirm-stale", role: "alert" }, `Already ${what}: your answer can no longer be sent.`));
  }
}

/** Asks the operator to confirm; resolves with the confirmed note, or null when cancelled. */
export function confirmAnswer(a: Approval, action: "approve" | "reject", note: string): Promise<string | null> {
  const dlg = $<HTMLDialogElement>("confirm");
  const s = subject(a);
  const verb = action === "approve" ? "Approve" : "Reject";
  const noteField = el("textarea", { id: "confirm-note", rows: "2", "aria-label": "note" }) as HTMLTextAreaElement;
  noteField.value = note;
  const ok = el("button", { type: "submit", value: "ok", class: action === "approve" ? "approve-confirm primary" : "reject-confirm danger" }, verb);
  const cancel = el("button", { type: "submit", value: "cancel", formnovalidate: "" }, "Cancel");
  dlg.replaceChildren(
    el("form", { method: "dialog" },
      el("h2", { id: "confirm-title" }, `${verb} ${a.tool ?? a.phase} for ${a.agent} in ${a.env}?`),
      el("p", {}, a.reasons.map(reasonText).join("; ") || "no reason given"),
      el("pre", { class: "confirm-args" }, `${s.title}: ${JSON.stringify(s.value, null, 2)}`.slice(0, 2000)),
      el("label", { for: "confirm-note" }, "Note, recorded in the audit log with your answer"),
      noteField,
      el("p", { class: "note" }, action === "approve" ? "The waiting agent proceeds as soon as you confirm." : "The waiting agent is refused as soon as you confirm."),
      el("div", { class: "bar end" }, cancel, ok),
    ),
  );
  dlg.setAttribute("aria-labelledby", "confirm-title");
  dlg.dataset.approval = a.id;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? noteField.value.trim() : null), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
    // The note first: type, then Tab to Cancel and to the answer (Esc cancels).
    noteField.focus();
  });
}

/** The request each card shows, to name it once it is gone. */
const shownRequests = new WeakMap<HTMLElement, Approval>();

/** The card of one pending request; `answered` is told when it was answered from here. */
export function approvalCard(a: Approval, answered: (a: Approval) => void): HTMLElement {
  const card = requestCard(a, answered);
  shownRequests.set(card, a);
  return card;
}

function requestCard(a: Approval, answered: (a: Approval) => void): HTMLElement {
  const s = subject(a);
  const note = el("textarea", { id: `note-${a.id}`, rows: "2", placeholder: "why (optional)", class: "note-field" }) as HTMLTextAreaElement;
  const approve = el("button", { type: "button", class: "approve primary", "data-id": a.id }, "Approve…");
  const reject = el("button", { type: "button", class: "reject danger", "data-id": a.id }, "Reject…");
  const result = el("p", { class: "result", role: "status" });
  const steps = el("div", { class: "recent-steps" }, el("p", { class: "note" }, "loading the session's steps…"));
  const act = async (action: "approve" | "reject"): Promise<void> => {
    const confirmed = await confirmAnswer(a, action, note.value);
    if (confirmed === null) return;
    approve.setAttribute("disabled", "");
    reject.setAttribute("disabled", "");
    answeredHere.add(a.id);
    try {
      const done = await api<Approval>("/v1/approvals", { method: "POST", body: { id: a.id, action, ...(confirmed ? { note: confirmed } : {}) } });
      $("approval-result").textContent = `${a.tool ?? a.phase} for ${a.agent}: ${done.status} by ${done.decidedBy ?? "you"}`;
      answered(done);
    } catch (err) {
      if (err instanceof ApiError && err.code === "approval/already-decided") {
        // Someone (or the deadline) was first: ours was not recorded, and the page says so.
        await answeredElsewhere(a, ` Your ${action === "approve" ? "approval" : "rejection"} was not recorded${confirmed ? `, nor your note "${confirmed}"` : ""}.`);
        answered(a);
        return;
      }
      answeredHere.delete(a.id);
      result.textContent = advice(err);
      result.className = "result bad";
      approve.removeAttribute("disabled");
      reject.removeAttribute("disabled");
    }
  };
  approve.addEventListener("click", () => void act("approve"));
  reject.addEventListener("click", () => void act("reject"));
  void recentSteps(a, steps);
  return el("article", { class: "card approval", "data-approval": a.id, "aria-labelledby": `ap-${a.id}` },
    el("header", { class: "card-head" },
      el("h3", { id: `ap-${a.id}` }, el("code", {}, a.tool ?? a.phase), " ", el("span", { class: "muted" }, `${a.agent} / ${a.env}`)),
      el("span", { class: "expires", "data-expires": a.expiresAt }, expiresText(a)),
    ),
    el("dl", { class: "facts" },
      el("dt", {}, "why"), el("dd", {}, ...a.reasons.map((r) => el("div", {}, reasonText(r)))),
      el("dt", {}, "who may answer"), el("dd", {}, a.role ? `role ${a.role}` : "an admin"),
      el("dt", {}, "asked"), el("dd", {}, timeEl(a.createdAt)),
      el("dt", {}, "session"), el("dd", {}, a.session === null ? "none" : el("a", { href: sessionHref(a.session, a.agent) }, a.session)),
      el("dt", {}, "decision"), el("dd", {}, el("a", { href: `#/proof/${encodeURIComponent(a.decisionId)}` }, "its proof in the audit log")),
    ),
    jsonView(s.value, s.title, 3),
    el("details", { class: "recent" }, el("summary", {}, "the session's recent steps"), steps),
    el("label", { for: `note-${a.id}`, class: "label" }, "note"),
    note,
    el("div", { class: "bar" }, approve, reject),
    result,
  );
}

/**
 * Keeps `list`'s cards in step with the first `max` of `pending` (oldest first: the nearest
 * deadline leads): new ones added, answered ones removed, the rest untouched.
 */
export function syncCards(list: HTMLElement, all: readonly Approval[], answered: (a: Approval) => void, max = 100): void {
  const pending = all.slice(0, max);
  const want = new Set(pending.map((a) => a.id));
  const stillPending = new Set(all.map((a) => a.id));
  for (const c of [...list.querySelectorAll<HTMLElement>("[data-approval]")]) {
    const id = c.dataset.approval ?? "";
    if (want.has(id)) continue;
    c.remove();
    const shown = shownRequests.get(c);
    if (shown && !stillPending.has(id) && !answeredHere.has(id)) void answeredElsewhere(shown, c.querySelector<HTMLTextAreaElement>("textarea.note-field")?.value.trim() ? " Your note was not sent." : "");
  }
  const have = new Set([...list.querySelectorAll<HTMLElement>("[data-approval]")].map((c) => c.dataset.approval));
  for (const a of pending) if (!have.has(a.id)) list.append(approvalCard(a, answered));
  for (const e of list.querySelectorAll<HTMLElement>("[data-expires]")) {
    const left = Date.parse(e.dataset.expires ?? "") - Date.now();
    e.textContent = left > 0 ? `expires in ${fmtDuration(left)}` : "expired: fails closed";
  }
  list.querySelector("#no-approvals")?.remove();
  list.querySelector(".more")?.remove();
  if (all.length > max) list.append(el("p", { class: "more note" }, `and ${plural(all.length - max, "more request")}: `, el("a", { href: "#/approvals" }, "see all in Approvals")));
  if (pending.length === 0) list.append(el("p", { id: "no-approvals", class: "empty" }, "No request waits for an answer. Requests appear here as soon as a rule says require_approval."));
}

function historyRow(a: Approval): HTMLElement {
  return el("tr", { "data-answered": a.id },
    el("td", {}, a.decidedAt ? timeEl(a.decidedAt) : "–"),
    el("td", {}, badge(a.status === "approved" ? "allow" : "deny", a.status)),
    el("td", {}, a.decidedBy ?? (a.status === "expired" ? "the deadline" : "–")),
    el("td", { class: "wrap" }, a.note ?? ""),
    el("td", {}, el("code", {}, a.tool ?? a.phase)),
    el("td", {}, `${a.agent} / ${a.env}`),
    el("td", { class: "wrap" }, a.session === null ? "–" : el("a", { href: sessionHref(a.session, a.agent) }, a.session)),
    el("td", {}, el("a", { href: `#/proof/${encodeURIComponent(a.decisionId)}` }, "proof")),
  );
}

/** The answered requests, newest answer first. */
export function historyTable(all: readonly Approval[]): HTMLElement {
  const done = all.filter((a) => a.status !== "pending").sort((x, y) => ((y.decidedAt ?? "") < (x.decidedAt ?? "") ? -1 : 1));
  if (done.length === 0) return el("p", { class: "empty", id: "no-history" }, "No request has been answered yet.");
  return el("div", { class: "scroll" }, el("table", { id: "approval-history" },
    el("caption", { class: "sr-only" }, "answered approval requests"),
    el("thead", {}, el("tr", {}, ...["answered", "outcome", "by", "note", "tool", "agent / env", "session", "the decision"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...done.slice(0, 200).map(historyRow)),
  ), done.length > 200 ? el("p", { class: "note" }, `the latest 200 of ${plural(done.length, "answer")}`) : "");
}

/** The approvals view: pending cards and the history, refreshed by `refresh` on every tick. */
export function approvalsView(): { node: HTMLElement; refresh(): Promise<void> } {
  const list = el("div", { class: "cards", id: "approvals" });
  const history = el("div", { id: "history" });
  const node = el("div", {},
    el("section", { class: "panel", "aria-labelledby": "h-pending" }, el("h2", { id: "h-pending" }, "Waiting for an answer"), list),
    el("section", { class: "panel", "aria-labelledby": "h-history" }, el("h2", { id: "h-history" }, "Answered"), history),
  );
  const refresh = async (): Promise<void> => {
    const all = (await api<{ approvals: Approval[] }>("/v1/approvals")).approvals;
    syncCards(list, all.filter((a) => a.status === "pending"), () => void refresh());
    history.replaceChildren(historyTable(all));
  };
  return { node, refresh };
}
