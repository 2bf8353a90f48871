// The report as one self-contained, printable HTML file for an auditor: the summary per control,
// the decisions chart, every exception with its evidence, approvals, the policy history, and
// how to re-verify it. The report's JSON rides along in a data block, which is what
// `palisade report verify` reads back; nothing is fetched from anywhere.
import { timelineSvg } from "./chart.ts";
import type { DecisionCitation, ExceptionCitation } from "./collect.ts";
import type { ControlStatus, Report } from "./report.ts";

/** The id of the `<script type="application/json">` element holding the report. */
export const EMBEDDED_REPORT_ID = "palisade-report";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const STATUS_TEXT: Record<ControlStatus, string> = {
  satisfied: "satisfied",
  exceptions: "exceptions",
  "not-covered": "not covered",
  "no-evidence": "no evidence yet",
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;max-width:1000px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #1d1d1f;padding-bottom:3px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;table-layout:auto}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f2f2f2}
td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
.meta{color:#555}.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
.satisfied{background:#dff3e4;color:#1e6b37}.exceptions{background:#fde8d4;color:#8a4b00}.not-covered{background:#f8d7d7;color:#8b1c1c}.no-evidence{background:#e9e9ee;color:#444}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:130px}.card b{display:block;font-size:22px}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,tr,.card,svg{break-inside:avoid}a{color:inherit;text-decoration:none}.noprint{display:none}@page{margin:14mm}}
`;

function who(d: DecisionCitation): string {
  return `${esc(d.agent)}${d.principal ? ` for ${esc(d.principal)}` : ""}`;
}

function rulesOf(d: DecisionCitation): string {
  return d.reasons
    .filter((r) => r.effect === d.decision || r.effect === "deny" || r.effect === "require_approval")
    .map((r) => `<code>${esc(r.rule)}</code>${r.message ? `: ${esc(r.message)}` : ""}`)
    .join("<br>");
}

function exceptionRow(e: ExceptionCitation): string {
  switch (e.kind) {
    case "denial":
    case "approval-refused": {
      const d = e.decision;
      const what = e.kind === "denial" ? "denied" : `approval refused${d.approval?.by ? ` by ${esc(d.approval.by)}` : ""}${d.approval?.cause ? ` (${esc(d.approval.cause)})` : ""}`;
      return `<tr><td>${esc(d.time)}</td><td>${what}</td><td>${who(d)}<br><span class="meta">${esc(d.env)} · ${esc(d.phase)}${d.tool ? ` · ${esc(d.tool)}` : ""}</span></td><td>${rulesOf(d)}</td><td class="n">#${d.entry}</td></tr>`;
    }
    case "test-failure":
      return `<tr><td>${esc(e.test_run.time)}</td><td>pack tests failed</td><td>${esc(e.test_run.pack)}</td><td>${e.test_run.failed} failed: ${e.test_run.failures.map(esc).join(", ")}</td><td class="n">#${e.test_run.entry}</td></tr>`;
    case "drift-alert-open":
      return `<tr><td>${esc(e.alert.time)}</td><td>drift alert not handled</td><td>${esc(e.alert.alert.monitor)}</td><td>${esc(e.alert.alert.message)}</td><td class="n">#${e.alert.entry}</td></tr>`;
  }
}

function table(head: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="meta">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The report as one HTML document. */
export function toHtml(report: Report): string {
  const ev = report.evidence;
  const s = report.summary;
  const title = `${report.framework.name}: compliance report`;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(title)}</h1>`);
  out.push(`<p class="meta">${esc(report.framework.publisher)}, ${esc(report.framework.version)} · period ${esc(report.period.from)} to ${esc(report.period.to)} (end exclusive) · generated ${esc(report.generated)} by Palisade</p>`);
  if (report.framework.notes) out.push(`<p class="meta">${esc(report.framework.notes)}</p>`);

  out.push(`<h2>Summary</h2><div class="cards">`);
  for (const k of ["satisfied", "exceptions", "not-covered", "no-evidence"] as const) out.push(`<div class="card"><b>${s[k]}</b><span class="badge ${k}">${STATUS_TEXT[k]}</span></div>`);
  out.push(`<div class="card"><b>${ev.decisions.total}</b>decisions (${ev.decisions.deny} denied, ${ev.decisions.require_approval} for approval)</div></div>`);
  out.push(
    `<p class="meta">Policies: ${report.policies.paths.map((p) => `<code>${esc(p)}</code>`).join(", ") || "none"}${report.policies.digest ? ` (<code>${esc(report.policies.digest)}</code>)` : ""}, ${report.policies.rules} rule(s) mapped to this framework.</p>`,
  );
  const rows = report.controls.map((c) => {
    const f = ev.controls[c.id];
    return `<tr><td><b>${esc(c.id)}</b></td><td>${esc(c.title)}<br><span class="meta">${esc(c.evidence_required)}</span></td><td><span class="badge ${c.status}">${STATUS_TEXT[c.status]}</span></td><td class="n">${f.decisions.total}</td><td class="n">${f.denials}</td><td class="n">${f.approvals.approved}/${f.approvals.refused}/${f.approvals.pending}</td><td class="n">${f.exceptions_total}</td></tr>`;
  });
  out.push(table(["control", "title and evidence required", "status", "decisions", "denials", "approvals ok/refused/pending", "exceptions"], rows, "The catalogue lists no controls."));

  out.push(`<h2>Decisions over time</h2>${timelineSvg(ev.timeline)}`);
  out.push(`<p class="meta">${ev.decisions.allow} allowed, ${ev.decisions.require_approval} sent for approval, ${ev.decisions.deny} denied; one bar per ${ev.timeline.bucket_ms >= 86_400_000 ? `${ev.timeline.bucket_ms / 86_400_000} day(s)` : `${ev.timeline.bucket_ms / 3_600_000} hour(s)`}.</p>`);

  out.push(`<h2>Exceptions and their evidence</h2>`);
  let anyException = false;
  for (const c of report.controls) {
    const f = ev.controls[c.id];
    if (f.exceptions.length === 0) continue;
    anyException = true;
    out.push(`<h3>${esc(c.id)} ${esc(c.title)}</h3>`);
    out.push(table(["time", "what", "who, where", "rule", "entry"], f.exceptions.map(exceptionRow), ""));
    if (f.exceptions_total > f.exceptions.length) out.push(`<p class="meta">${f.exceptions_total - f.exceptions.length} more exception(s) are counted but not listed.</p>`);
  }
  if (!anyException) out.push(`<p class="meta">No exceptions in the period.</p>`);

  out.push(`<h2>Approvals</h2>`);
  const approvals = new Map<number, DecisionCitation>();
  for (const f of Object.values(ev.controls)) for (const d of f.approved) approvals.set(d.entry, d);
  out.push(
    table(
      ["time", "approved by", "who, where", "rule", "entry"],
      [...approvals.values()].sort((a, b) => a.entry - b.entry).map((d) => `<tr><td>${esc(d.time)}</td><td>${esc(d.approval?.by ?? "(not named)")}</td><td>${who(d)}<br><span class="meta">${esc(d.env)}${d.tool ? ` · ${esc(d.tool)}` : ""}</span></td><td>${rulesOf(d)}</td><td class="n">#${d.entry}</td></tr>`),
      "No approvals recorded in the period.",
    ),
  );

  out.push(`<h2>Policy history</h2><h3>Policy versions in force</h3>`);
  out.push(
    table(
      ["policy digest", "first decision", "last decision", "decisions", "environments", "entry"],
      ev.policy_versions.map((v) => `<tr><td><code>${esc(v.policy_digest)}</code></td><td>${esc(v.first_seen)}</td><td>${esc(v.last_seen)}</td><td class="n">${v.decisions}</td><td>${v.envs.map(esc).join(", ")}</td><td class="n">#${v.first_entry}</td></tr>`),
      "No decisions in the period: no policy version is evidenced.",
    ),
  );
  out.push(`<h3>Promotions between environments</h3>`);
  out.push(
    table(
      ["time", "action", "from → to", "policy", "approvers", "gates", "entry"],
      ev.promotions.map(
        (p) =>
          `<tr><td>${esc(p.time)}</td><td>${esc(p.action)}</td><td>${esc(p.from ?? "—")} → ${esc(p.to)}</td><td><code>${esc(p.policy_digest)}</code>${p.version ? `<br>${esc(p.version)}` : ""}</td><td>${p.approvers.map((a) => `${esc(a.id)}${a.role ? ` (${esc(a.role)})` : ""}`).join("<br>") || "none"}</td><td>${p.gates.map((g) => `${g.passed ? "✓" : "✗"} ${esc(g.name)}`).join("<br>")}</td><td class="n">#${p.entry}</td></tr>`,
      ),
      "No promotions recorded in the period.",
    ),
  );
  out.push(`<h3>Pack test runs</h3>`);
  const runs = [
    ...ev.test_runs.map((t) => `<tr><td>${esc(t.time)}</td><td>${esc(t.pack)}</td><td><code>${esc(t.policy_digest)}</code></td><td class="n">${t.passed}</td><td class="n">${t.failed}</td><td class="n">#${t.entry}</td></tr>`),
    ...report.test_runs_at_report.map((t) => `<tr><td>${esc(t.time)}</td><td>${esc(t.pack)}</td><td><code>${esc(t.policy_digest)}</code></td><td class="n">${t.passed}</td><td class="n">${t.failed}</td><td>run for this report</td></tr>`),
  ];
  out.push(table(["time", "pack", "policy", "passed", "failed", "entry"], runs, "No pack test runs recorded in the period."));
  out.push(`<h3>Drift alerts and their handling</h3>`);
  out.push(
    table(
      ["time", "monitor", "alert", "handled", "entry"],
      ev.drift_alerts.map(
        (a) =>
          `<tr><td>${esc(a.time)}</td><td>${esc(a.alert.monitor)}</td><td>${esc(a.alert.message)}</td><td>${a.handled ? `${esc(a.handled.action)} by ${esc(a.handled.by)} at ${esc(a.handled.time)}${a.handled.note ? `: ${esc(a.handled.note)}` : ""} (#${a.handled.entry})` : "<b>open</b>"}</td><td class="n">#${a.entry}</td></tr>`,
      ),
      "No drift alerts in the period.",
    ),
  );

  out.push(`<h2>Verifying this report</h2>`);
  if (report.log) {
    out.push(
      `<p>Every entry cited above (#N) is included in this report with its Merkle inclusion proof in the signed audit-log checkpoint below (tree size ${report.log.size}, root <code>${esc(report.log.root)}</code>). Re-check them all, and the checkpoint's signature, with <code>palisade report verify THIS-FILE --db &lt;the audit log&gt;</code>.</p>`,
    );
    out.push(`<p>Verifier key: <code>${esc(report.log.verifier_key)}</code> · ${report.entries.length} cited entries</p><pre>${esc(report.log.checkpoint)}</pre>`);
  } else out.push(`<p>The audit log was empty when this report was built: it cites no entries and embeds no checkpoint.</p>`);
  // `<` is escaped so that no entry text can close the data block early.
  out.push(`<script type="application/json" id="${EMBEDDED_REPORT_ID}">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>`);
  out.push(`</body></html>\n`);
  return out.join("\n");
}
