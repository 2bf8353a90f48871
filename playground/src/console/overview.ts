// The overview: what waits for an answer, decisions by outcome over time, the rules that fired
// most, open drift alerts with the metric that moved, the environments with the bundle each
// serves, and the audit log's state.
import { driftChart } from "../drift-chart.ts";
import { ApiError, api, advice } from "./api.ts";
import { badge, el, fmtTime, plural, timeEl, zoneLabel } from "./dom.ts";
import { syncCards } from "./approvals.ts";
import { openCheckpoint } from "../../../engine/audit/checkpoint.ts";
import { pinnedLogKeys } from "./proof-view.ts";
import type { Approval, Overview } from "./types.ts";

const NS = "http://www.w3.org/2000/svg";
const COLOURS: Record<string, string> = { allow: "#1b7f3b", require_approval: "#9a6200", deny: "#b3261e" };
const ORDER = ["deny", "require_approval", "allow"];

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Stacked bars of decisions per outcome per bucket. */
function outcomeChart(o: Overview): SVGElement {
  const W = 640;
  const H = 180;
  const left = 40;
  const bottom = 24;
  const max = Math.max(1, ...o.buckets.map((b) => Object.values(b.counts).reduce((a, c) => a + c, 0)));
  const bw = (W - left - 8) / Math.max(1, o.buckets.length);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", class: "outcome-chart", "aria-labelledby": "outcome-chart-title" });
  root.append(svg("title", { id: "outcome-chart-title" }, `decisions per outcome, ${o.buckets.length} buckets of ${o.bucketMs / 1000} s`));
  root.append(svg("text", { x: left - 6, y: 12, "text-anchor": "end", "font-size": 10, fill: "#3d4451" }, String(max)), svg("text", { x: left - 6, y: H - bottom, "text-anchor": "end", "font-size": 10, fill: "#3d4451" }, "0"));
  root.append(svg("line", { x1: left, y1: H - bottom, x2: W - 4, y2: H - bottom, stroke: "#6b7280" }));
  o.buckets.forEach((b, i) => {
    let y = H - bottom;
    const x = left + i * bw + 1;
    for (const d of ORDER) {
      const n = b.counts[d] ?? 0;
      if (n === 0) continue;
      const h = (n / max) * (H - bottom - 16);
      y -= h;
      const r = svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: h.toFixed(1), fill: COLOURS[d] ?? "#555", class: `bar-${d}` });
      r.append(svg("title", {}, `${fmtTime(b.start, false)}: ${n} ${d}`));
      root.append(r);
    }
  });
  if (o.buckets.length > 0) {
    root.append(svg("text", { x: left, y: H - 6, "font-size": 10, fill: "#3d4451" }, fmtTime(o.buckets[0].start, false)));
    root.append(svg("text", { x: W - 4, y: H - 6, "font-size": 10, "text-anchor": "end", fill: "#3d4451" }, fmtTime(o.buckets[o.buckets.length - 1].start, false)));
  }
  return root;
}

function decisionsPanel(o: Overview): Element[] {
  if (o.decisions === 0) return [el("p", { class: "empty", id: "no-decisions" }, "No decisions yet. Send one with POST /v1/decide (see /openapi.json), or run `palisade demo`.")];
  return [
    el("p", { class: "totals", id: "totals" }, `${plural(o.decisions, "decision")} from `, timeEl(o.from ?? "", false), " to ", timeEl(o.to ?? "", false), ": ", ...ORDER.filter((d) => o.totals[d]).flatMap((d) => [badge(d, `${o.totals[d].toLocaleString("en-US")} ${d === "require_approval" ? "asked approval" : d === "deny" ? "denied" : "allowed"}`), " "])),
    outcomeChart(o),
    el("p", { class: "legend" }, ...ORDER.flatMap((d) => [el("span", { class: `swatch s-${d}`, "aria-hidden": "true" }), ` ${d === "require_approval" ? "approval" : d}  `])),
  ];
}

function rulesPanel(o: Overview): HTMLElement {
  if (o.topRules.length === 0) return el("p", { class: "empty" }, "No rule has fired in these decisions.");
  return el("table", { id: "top-rules" },
    el("caption", { class: "sr-only" }, "rules that fired most"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "rule"), el("th", { scope: "col" }, "effect"), el("th", { scope: "col", class: "num" }, "times"))),
    el("tbody", {}, ...o.topRules.map((r) => el("tr", {}, el("td", { class: "wrap" }, el("code", {}, r.rule)), el("td", {}, r.effect), el("td", { class: "num" }, r.count.toLocaleString("en-US"))))),
  );
}

interface DriftResult { key: string; monitor: string; metric: string; windowMs: number; runs?: number; test: string; statistic: number | null; pValue?: number; adjustedP?: number; distance?: number; threshold: number; verdict: "drift" | "ok" | "insufficient"; referenceN: number; currentN: number; summary: string; chart: { labels: string[]; reference: number[]; current: number[] }; note?: string }
interface DriftBody { status: "ok" | "no-baseline" | "error"; message?: string; hint?: string | null; monitors: string[]; baseline?: { name: string; createdAt: number; count: number }; window?: { from: number; to: number; count: number }; results?: DriftResult[]; drifted?: number }
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

function measure(r: DriftResult): string {
  if (r.verdict === "insufficient" && r.statistic === null) return r.test;
  if (P_TESTS.has(r.test)) return `${r.test}: statistic ${num(r.statistic)} · p ${num(r.pValue)} · q ${num(r.adjustedP)} (drift when q ≤ ${r.threshold})`;
  return `${r.test}: distance ${num(r.distance)} (drift when ≥ ${r.threshold})`;
}

function metricCard(r: DriftResult): HTMLElement {
  const word = r.verdict === "drift" ? "drifted" : r.verdict === "ok" ? "no drift" : "not enough data";
  return el("div", { class: `metric verdict-${r.verdict}`, "data-metric": r.metric, "data-window": windowLabel(r), "data-verdict": r.verdict },
    el("div", { class: "metric-head" }, el("strong", {}, r.monitor), r.monitor === r.metric ? "" : ` · ${r.metric}`, ` · last ${windowLabel(r)}`, el("span", { class: "mbadge" }, word)),
    el("div", { class: "metric-test" }, measure(r)),
    el("div", { class: "metric-n" }, `baseline n=${r.referenceN.toLocaleString("en-US")}, current n=${r.currentN.toLocaleString("en-US")}${r.summary ? ` · ${r.summary}` : ""}`),
    r.chart.labels.length > 0 ? driftChart(r.chart.labels, r.chart.reference, r.chart.current, { drifted: r.verdict === "drift", title: `${r.metric}: baseline against the current window` }) : el("p", { class: "note" }, r.note ?? "nothing to chart"),
  );
}

async function drift(out: HTMLElement): Promise<void> {
  let b: DriftBody;
  try {
    b = await api<DriftBody>("/v1/drift");
  } catch (err) {
    const off = (err as { status?: number }).status === 404;
    return void out.replaceChildren(el("p", { id: "drift-status", class: off ? "empty" : "bad" }, off ? "Drift is off on this service (its config says monitor: false): turn the monitor on to compare traffic with a baseline." : advice(err)));
  }
  if (b.status !== "ok") {
    return void out.replaceChildren(
      el("p", { id: "drift-status", class: b.status === "no-baseline" ? "empty" : "bad" }, b.message ?? b.status),
      b.hint ? el("p", {}, el("code", { class: "wrap" }, b.hint)) : "",
      el("p", { class: "note" }, `monitors: ${b.monitors.join(", ")}`),
    );
  }
  const results = (b.results ?? []).slice().sort((x, y) => Number(y.verdict === "drift") - Number(x.verdict === "drift"));
  const base = b.baseline as NonNullable<DriftBody["baseline"]>;
  const win = b.window as NonNullable<DriftBody["window"]>;
  const alerts = results.filter((r) => r.verdict === "drift");
  out.replaceChildren(
    el("p", { id: "drift-status", class: b.drifted ? "bad" : "good" },
      `${b.drifted ? `${plural(b.drifted, "metric")} drifted` : "no drift"}: baseline '${base.name}' (${plural(base.count, "decision")}, made `, timeEl(base.createdAt, false), ") against ", timeEl(win.from, false), " → ", timeEl(win.to, false), ` (${plural(win.count, "decision")})`),
    alerts.length > 0 ? el("ul", { id: "drift-alerts" }, ...alerts.map((r) => el("li", { class: "bad" }, el("strong", {}, `${r.monitor}${r.monitor === r.metric ? "" : ` · ${r.metric}`}`), ` moved: ${measure(r)}`))) : "",
    el("div", { class: "metrics" }, ...results.map(metricCard)),
  );
}

async function environments(out: HTMLElement): Promise<void> {
  const [r, status] = await Promise.all([
    api<{ environments: EnvRow[]; configured: boolean; file?: string; hint?: string }>("/v1/environments"),
    api<{ policy: { digest: string; version: string | null }; environment: { env?: string; bundle?: { digest?: string; version?: string | null } } | null }>("/v1/status").catch(() => null),
  ]);
  const node = status ? el("p", { id: "node-status", class: "note wrap" }, `This node decides with policy ${status.policy.version ?? "(no version)"} `, el("code", { title: status.policy.digest }, `${status.policy.digest.slice(0, 19)}…`), status.environment ? ` for environment ${String((status.environment as { env?: string }).env ?? "")}` : "") : "";
  if (!r.configured) return void out.replaceChildren(el("p", { id: "no-environments", class: "empty" }, "No environments configured: ", r.hint ?? ""), node);
  const rows = r.environments.map((e) =>
    el("tr", { "data-env": e.name },
      el("th", { scope: "row" }, e.name),
      el("td", {}, e.mode),
      el("td", {}, e.bundle ? e.bundle.version ?? "(no version)" : "–"),
      el("td", { class: "digest" }, e.bundle ? el("code", { title: e.bundle.digest }, `${e.bundle.digest.slice(0, 19)}…`) : "–"),
      el("td", {}, e.installed ? el("span", {}, `${e.installed.action === "rollback" ? "rolled back" : "promoted"} `, timeEl(e.installed.time, false)) : "never promoted"),
      el("td", {}, e.installed ? e.installed.by.join(", ") : "–"),
      el("td", { class: e.problem ? "bad wrap" : "wrap" }, e.problem ? `${e.problem.code}: ${e.problem.message}${e.problem.hint ? ` (${e.problem.hint})` : ""}` : ""),
    ));
  out.replaceChildren(
    el("div", { class: "scroll" }, el("table", {}, el("caption", { class: "sr-only" }, "environments"), el("thead", {}, el("tr", {}, ...["environment", "mode", "version", "bundle digest", "installed", "by", "problem"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ...rows))),
    el("p", { class: "note wrap" }, `from ${r.file ?? "the service's config"}`),
    node,
  );
}

interface AuditStatus { size: number; pending: number; checkpoint: { origin: string; size: number; root: string; note?: string } | null; verification: { ok: boolean; detail: string } }

/**
 * The service checks its own log with the keys its database names, which vouches for nothing if
 * it is the thing tampered with: its word is shown as its word, and the checkpoint's signature is
 * checked here against the log keys the operator pinned.
 */
function checkedHere(b: AuditStatus): HTMLElement {
  const pinned = pinnedLogKeys();
  if (!b.checkpoint?.note) return el("p", { id: "audit-verification", class: b.verification.ok ? "pending" : "bad", "data-trust": "service" }, `the service reports: ${b.verification.ok ? "verified" : "not verified"}: ${b.verification.detail}`);
  if (pinned.length === 0) return el("p", { id: "audit-verification", class: b.verification.ok ? "pending" : "bad", "data-trust": "service" }, `the service reports: ${b.verification.ok ? "verified" : "not verified"}: ${b.verification.detail}. Not checked against a key of yours: pin the log's verifier key on any decision's proof page.`);
  const opened = openCheckpoint(b.checkpoint.note, pinned, b.checkpoint.origin);
  return el("p", { id: "audit-verification", class: opened.ok ? "good" : "bad", "data-trust": "pinned" }, opened.ok ? `checked in this page: the latest checkpoint is signed by the log key you pinned${b.verification.ok ? "" : `; the service reports a problem: ${b.verification.detail}`}` : `the latest checkpoint does NOT verify with the log key you pinned: ${opened.error.message}`);
}

async function audit(out: HTMLElement): Promise<void> {
  const b = await api<AuditStatus>("/v1/audit/status");
  out.replaceChildren(
    el("p", {}, `${plural(b.size, "entry", "entries")} committed, ${b.pending.toLocaleString("en-US")} queued`),
    el("p", { class: "wrap" }, b.checkpoint ? `latest checkpoint: ${b.checkpoint.origin}, size ${b.checkpoint.size.toLocaleString("en-US")}, root ${b.checkpoint.root}` : "no checkpoint signed yet: the service signs one within seconds of new decisions"),
    checkedHere(b),
  );
}

/** Runs `fn` into `out`, turning a failure into the panel's error state; returns the failure. */
async function guarded(out: HTMLElement, fn: (out: HTMLElement) => Promise<void>): Promise<unknown> {
  try {
    await fn(out);
    return undefined;
  } catch (err) {
    out.replaceChildren(el("p", { class: "bad error-state" }, advice(err)));
    return err;
  }
}

/** The overview view. Drift and environments refresh every tenth tick (they cost more). */
export function overviewView(): { node: HTMLElement; refresh(): Promise<void> } {
  const pending = el("div", { class: "cards", id: "approvals" });
  const chart = el("div", { id: "outcomes" }, el("p", { class: "note" }, "loading…"));
  const rules = el("div", { id: "rules" });
  const auditOut = el("div", { id: "audit" });
  const driftOut = el("div", { id: "drift" });
  const envOut = el("div", { id: "environments" });
  const refreshDrift = el("button", { type: "button", id: "drift-refresh", class: "small" }, "refresh");
  refreshDrift.addEventListener("click", () => void guarded(driftOut, drift));
  const node = el("div", { class: "grid" },
    el("section", { class: "panel wide", "aria-labelledby": "h-waiting" }, el("h2", { id: "h-waiting" }, "Waiting for an answer"), pending),
    el("section", { class: "panel wide", "aria-labelledby": "h-outcomes" }, el("h2", { id: "h-outcomes" }, "Decisions by outcome ", el("span", { class: "note" }, `(times in ${zoneLabel()})`)), chart),
    el("section", { class: "panel", "aria-labelledby": "h-rules" }, el("h2", { id: "h-rules" }, "Rules that fired most"), rules),
    el("section", { class: "panel", "aria-labelledby": "h-audit" }, el("h2", { id: "h-audit" }, "Audit log"), auditOut),
    el("section", { class: "panel wide", "aria-labelledby": "h-drift" }, el("h2", { id: "h-drift" }, "Drift ", refreshDrift), driftOut),
    el("section", { class: "panel wide", "aria-labelledby": "h-env" }, el("h2", { id: "h-env" }, "Environments"), envOut),
  );
  let ticks = 0;
  const refresh = async (): Promise<void> => {
    const slow = ticks++ % 10 === 0;
    const failed = await Promise.all([
      guarded(pending, async () => syncCards(pending, (await api<{ approvals: Approval[] }>("/v1/approvals?status=pending")).approvals, () => void refresh(), 4)),
      guarded(chart, async (out) => {
        const o = await api<Overview>("/v1/console/overview");
        out.replaceChildren(...decisionsPanel(o));
        rules.replaceChildren(rulesPanel(o));
      }),
      guarded(auditOut, audit),
      ...(slow ? [guarded(driftOut, drift), guarded(envOut, environments)] : []),
    ]);
    // A refused key or a silent service concerns the whole page: the page's banner says it too.
    const global = failed.find((e) => e instanceof ApiError && (e.status === 0 || e.status === 401 || e.status === 403));
    if (global) throw global;
  };
  return { node, refresh };
}
