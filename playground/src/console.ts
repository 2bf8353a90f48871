// The console page: the approval queue, live decisions with filters, one session's steps, audit
// status, drift per monitor against the baseline, and the environments with their bundles. It
// reads the API with the key from the URL fragment (`#key=...`, kept in sessionStorage) and
// polls once a second (drift and environments, which cost more to compute, every ten).
import { driftChart } from "./drift-chart.ts";

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

interface DriftResult { key: string; monitor: string; metric: string; windowMs: number; runs?: number; test: string; statistic: number | null; pValue?: number; adjustedP?: number; distance?: number; threshold: number; verdict: "drift" | "ok" | "insufficient"; referenceN: number; currentN: number; summary: string; chart: { labels: string[]; reference: number[]; current: number[] }; note?: string }
interface DriftBody { status: "ok" | "no-baseline" | "error"; code?: string; message?: string; hint?: string | null; monitors: string[]; baseline?: { name: string; createdAt: number; count: number }; window?: { from: number; to: number; count: number }; results?: DriftResult[]; drifted?: number }
interface EnvRow { name: string; mode: string; bundle: { digest: string; version: string | null; signers: string[] } | null; installed: { time: string; by: string[]; action: string } | null; problem: { code: string; message: string; hint: string | null } | null }

const P_TESTS = new Set(["chi2", "chi2_gof", "fisher", "poisson", "z", "ks"]);
/** A window as the report writes it: 1h, 6h, 1d, or N runs. */
const windowLabel = (r: DriftResult): string => (r.runs !== undefined ? `${r.runs} runs` : r.windowMs % 86_400_000 === 0 ? `${r.windowMs / 86_400_000}d` : r.windowMs % 3_600_000 === 0 ? `${r.windowMs / 3_600_000}h` : `${Math.round(r.windowMs / 60_000)}m`);
const num = (x: number | null | undefined): string => {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3);
};
const when = (ms: number | string): string => new Date(ms).toLocaleString();
const plural = (n: number, word: string): string => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;

function measure(r: DriftResult): string {
  if (r.verdict === "insufficient" && r.statistic === null) return r.test;
  if (P_TESTS.has(r.test)) return `${r.test}: statistic ${num(r.statistic)} · p ${num(r.pValue)} · q ${num(r.adjustedP)} (drift when q ≤ ${r.threshold})`;
  return `${r.test}: distance ${num(r.distance)} (drift when ≥ ${r.threshold})`;
}

function metricCard(r: DriftResult): HTMLElement {
  const word = r.verdict === "drift" ? "drifted" : r.verdict === "ok" ? "no drift" : "not enough data";
  return el("div", { class: `metric verdict-${r.verdict}`, "data-metric": r.metric, "data-window": windowLabel(r), "data-verdict": r.verdict },
    el("div", { class: "metric-head" }, el("strong", {}, r.monitor), r.monitor === r.metric ? "" : ` · ${r.metric}`, ` · last ${windowLabel(r)}`, el("span", { class: "badge" }, word)),
    el("div", { class: "metric-test" }, measure(r)),
    el("div", { class: "metric-n" }, `baseline n=${r.referenceN.toLocaleString()}, current n=${r.currentN.toLocaleString()}${r.summary ? ` · ${r.summary}` : ""}`),
    r.chart.labels.length > 0 ? driftChart(r.chart.labels, r.chart.reference, r.chart.current, { drifted: r.verdict === "drift", title: `${r.metric}: baseline against the current window` }) : el("p", { class: "note" }, r.note ?? "nothing to chart"),
  );
}

async function drift(): Promise<void> {
  const r = await api<DriftBody & { error?: { message: string } }>("/v1/drift");
  const out = $("drift");
  if (r.status !== 200) return void out.replaceChildren(el("p", { class: "bad" }, r.status === 404 ? "drift is off on this service (its config says monitor: false)" : `HTTP ${r.status}: ${r.body.error?.message ?? ""}`));
  const b = r.body;
  if (b.status !== "ok") {
    return void out.replaceChildren(
      el("p", { id: "drift-status", class: b.status === "no-baseline" ? "" : "bad" }, b.message ?? b.status),
      b.hint ? el("p", {}, el("code", {}, b.hint)) : "",
      el("p", { class: "note" }, `monitors: ${b.monitors.join(", ")}`),
    );
  }
  const results = (b.results ?? []).slice().sort((x, y) => Number(y.verdict === "drift") - Number(x.verdict === "drift"));
  const base = b.baseline as NonNullable<DriftBody["baseline"]>;
  const win = b.window as NonNullable<DriftBody["window"]>;
  out.replaceChildren(
    el("p", { id: "drift-status", class: b.drifted ? "bad" : "good" },
      `${b.drifted ? `${plural(b.drifted, "metric")} drifted` : "no drift"}: baseline '${base.name}' (${plural(base.count, "decision")}, made ${when(base.createdAt)}) against ${when(win.from)} → ${when(win.to)} (${plural(win.count, "decision")})`),
    el("div", { class: "metrics" }, ...results.map(metricCard)),
  );
}

async function environments(): Promise<void> {
  const r = await api<{ environments: EnvRow[]; configured: boolean; file?: string; hint?: string }>("/v1/environments");
  const out = $("environments");
  if (r.status !== 200) return;
  if (!r.body.configured) return void out.replaceChildren(el("p", { id: "no-environments" }, "no environments configured: ", r.body.hint ?? ""));
  const rows = r.body.environments.map((e) =>
    el("tr", { "data-env": e.name },
      el("td", {}, el("strong", {}, e.name)),
      el("td", {}, e.mode),
      el("td", {}, e.bundle ? e.bundle.version ?? "(no version)" : "-"),
      el("td", { class: "digest", title: e.bundle?.digest ?? "" }, e.bundle ? `${e.bundle.digest.slice(0, 19)}…` : "-"),
      el("td", {}, e.installed ? `${e.installed.action === "rollback" ? "rolled back" : "promoted"} ${when(e.installed.time)}` : "never promoted"),
      el("td", {}, e.installed ? e.installed.by.join(", ") : "-"),
      el("td", { class: e.problem ? "bad" : "" }, e.problem ? `${e.problem.code}: ${e.problem.message}${e.problem.hint ? ` (${e.problem.hint})` : ""}` : ""),
    ));
  out.replaceChildren(
    el("table", {}, el("tr", {}, ...["environment", "mode", "version", "bundle digest", "installed", "by", ""].map((h) => el("th", {}, h))), ...rows),
    el("p", { class: "note" }, `from ${r.body.file ?? "the service's config"}`),
  );
}

async function optionalPanels(): Promise<void> {
  try {
    await Promise.all([drift(), environments()]);
  } catch {
    // As for tick: the next round retries.
  }
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
$("drift-refresh").addEventListener("click", () => void optionalPanels());
void tick();
void optionalPanels();
setInterval(() => void tick(), 1000);
setInterval(() => void optionalPanels(), 10_000);
