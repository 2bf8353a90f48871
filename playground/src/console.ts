// The console page: the approval queue, live decisions with filters, one session's steps, audit
// status, and the drift and environment panels. It reads the API with the key from the URL
// fragment (`#key=...`, kept in sessionStorage) and polls once a second.

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el(tag: string, attrs: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const fromHash = /(?:^#|&)key=([^&]+)/.exec(location.hash)?.[1];
if (fromHash) {
  sessionStorage.setItem("palisade-key", decodeURIComponent(fromHash));
  history.replaceState(null, "", location.pathname);
}
let key = sessionStorage.getItem("palisade-key") ?? "";

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { "content-type": "application/json" } : {}) } });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as T };
}

interface Reason { rule: string; effect: string; message?: string }
interface DecisionRec { id: string; time: string; agent: string; env: string; phase: string; session: string | null; tool: string | null; decision: string; reasons: Reason[]; warnings: Reason[]; changes: { path: string; before: unknown; after: unknown }[]; approval?: string }
interface Approval { id: string; status: string; role: string | null; agent: string; env: string; tool: string | null; reasons: Reason[]; createdAt: string; expiresAt: string; payload: unknown }

const rules = (rs: Reason[]) => rs.map((r) => `${r.effect} by ${r.rule}${r.message ? `: ${r.message}` : ""}`).join("; ") || "-";
const changed = (c: DecisionRec["changes"]) => c.map((x) => `${x.path}: ${JSON.stringify(x.before)} → ${JSON.stringify(x.after)}`).join("; ") || "-";

async function approvals(): Promise<void> {
  const r = await api<{ approvals: Approval[] }>("/v1/approvals?status=pending");
  if (r.status !== 200) return void $("approvals").replaceChildren(el("p", { class: "bad" }, r.status === 401 ? "enter an admin key" : `HTTP ${r.status}`));
  const rows = r.body.approvals.map((a) => {
    const approve = el("button", { class: "approve", "data-id": a.id }, "Approve");
    const reject = el("button", { class: "reject", "data-id": a.id }, "Reject");
    approve.addEventListener("click", () => void answer(a.id, "approve"));
    reject.addEventListener("click", () => void answer(a.id, "reject"));
    return el("tr", { "data-approval": a.id }, el("td", {}, a.agent, " / ", a.env), el("td", {}, a.tool ?? "-"), el("td", {}, rules(a.reasons)), el("td", {}, a.role ?? "admin"), el("td", {}, new Date(a.expiresAt).toLocaleTimeString()), el("td", {}, approve, " ", reject));
  });
  $("approvals").replaceChildren(rows.length === 0 ? el("p", { id: "no-approvals" }, "no pending requests") : el("table", {}, el("tr", {}, ...["agent / env", "tool", "why", "role", "expires", ""].map((h) => el("th", {}, h))), ...rows));
}

async function answer(id: string, action: "approve" | "reject"): Promise<void> {
  const r = await api<{ status?: string; error?: { message: string } }>("/v1/approvals", { method: "POST", body: JSON.stringify({ id, action }) });
  $("approval-result").textContent = r.status === 200 ? `${id.slice(0, 8)}: ${r.body.status}` : `error: ${r.body.error?.message ?? r.status}`;
  await approvals();
}

async function decisions(): Promise<void> {
  const q = new URLSearchParams();
  for (const f of ["agent", "env", "phase", "decision"]) {
    const v = ($(`f-${f}`) as HTMLInputElement).value;
    if (v) q.set(f, v);
  }
  const r = await api<{ decisions: DecisionRec[] }>(`/v1/decisions?${q}`);
  if (r.status !== 200) return;
  $("decisions").replaceChildren(
    el("table", {}, el("tr", {}, ...["time", "agent / env", "phase", "tool", "decision", "rules", "session"].map((h) => el("th", {}, h))),
      ...r.body.decisions.slice(0, 50).map((d) => {
        const s = el("a", { href: "#" }, d.session ?? "");
        s.addEventListener("click", (e) => {
          e.preventDefault();
          ($("session-id") as HTMLInputElement).value = d.session ?? "";
          void session();
        });
        return el("tr", { class: `d-${d.decision}` }, el("td", {}, d.time.slice(11, 23)), el("td", {}, `${d.agent} / ${d.env}`), el("td", {}, d.phase), el("td", {}, d.tool ?? "-"), el("td", {}, d.decision), el("td", {}, rules(d.reasons)), el("td", {}, s));
      })),
  );
}

async function session(): Promise<void> {
  const id = ($("session-id") as HTMLInputElement).value.trim();
  if (!id) return;
  const r = await api<{ steps: DecisionRec[] }>(`/v1/sessions/${encodeURIComponent(id)}`);
  $("session").replaceChildren(
    r.body.steps.length === 0 ? el("p", {}, "no steps recorded for this session on this node") :
    el("ol", {}, ...r.body.steps.map((s) => el("li", { class: `d-${s.decision}` }, el("strong", {}, `${s.phase}${s.tool ? ` ${s.tool}` : ""}: ${s.decision}`), el("div", {}, `rules: ${rules([...s.reasons, ...s.warnings])}`), el("div", {}, `redacted / rewritten: ${changed(s.changes)}`)))),
  );
}

async function audit(): Promise<void> {
  const r = await api<{ size: number; pending: number; checkpoint: { origin: string; size: number; root: string } | null; verification: { ok: boolean; detail: string } }>("/v1/audit/status");
  if (r.status !== 200) return;
  const b = r.body;
  $("audit").replaceChildren(
    el("p", {}, `${b.size} entries committed, ${b.pending} queued`),
    el("p", {}, b.checkpoint ? `latest checkpoint: ${b.checkpoint.origin}, size ${b.checkpoint.size}, root ${b.checkpoint.root}` : "no checkpoint signed yet"),
    el("p", { id: "audit-verification", class: b.verification.ok ? "good" : "bad" }, `${b.verification.ok ? "verified" : "not verified"}: ${b.verification.detail}`),
  );
}

async function optionalPanels(): Promise<void> {
  const env = await api<{ environments: unknown; configured: boolean }>("/v1/environments");
  $("environments").textContent = env.status === 200 && env.body.configured ? JSON.stringify(env.body.environments, null, 2) : "environments are not configured on this service";
  const drift = await api<unknown>("/v1/drift");
  $("drift").textContent = drift.status === 200 ? JSON.stringify(drift.body, null, 2) : "drift is not configured on this service (run it with a monitor)";
}

async function tick(): Promise<void> {
  try {
    await Promise.all([approvals(), decisions(), audit()]);
  } catch {
    // The next tick retries: a restarting service should not break the page.
  }
}

$("key").addEventListener("change", () => {
  key = ($("key") as HTMLInputElement).value.trim();
  sessionStorage.setItem("palisade-key", key);
  void tick();
});
for (const f of ["agent", "env", "phase", "decision"]) $(`f-${f}`).addEventListener("input", () => void decisions());
$("session-go").addEventListener("click", () => void session());
void tick();
void optionalPanels();
setInterval(() => void tick(), 1000);
