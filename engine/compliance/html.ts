// The report as one self-contained, printable HTML file for an auditor: what the report covers
// and leaves out, each control's status with what it did and how often its rules ran, every
// exception with its evidence (paged on screen, all printed), the change, drift and policy
// history, and how to re-verify it. The report's JSON rides along in a data block, which is what
// `palisade report verify` reads back; nothing is fetched from anywhere.
import { timelineSvg } from "./chart.ts";
import type { ChangeCitation, ControlFacts, DecisionCitation, ExceptionCitation, OperatingKind } from "./collect.ts";
import type { ControlReport, Report } from "./report.ts";
import { STATUSES } from "./report.ts";
import { EXCEPTION_TEXT, STATUS_TEXT, activityPhrase, count, exceptionDetail, num, operatingPhrases } from "./words.ts";

/** The id of the `<script type="application/json">` element holding the report. */
export const EMBEDDED_REPORT_ID = "palisade-report";

/** Rows per page of an exceptions table on screen (print shows them all). */
export const PAGE_ROWS = 50;

const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// Digests are 71 characters with no break: shown short, whole in the tooltip and in the JSON.
const DIGEST = /sha256:([0-9a-f]{12})[0-9a-f]{52}/g;

/**
 * Text for the page: escaped, digests shortened, and each word holding punctuation kept on one
 * line (browsers break after hyphens, slashes and brackets, which splits ids, dates and names
 * like "no-open-drift-alert" or "Art.5(1)(c)" across lines).
 */
function esc(s: string): string {
  return s
    .split(/(\s+)/)
    .map((w) => {
      if (/^\s*$/.test(w)) return w;
      const e = attr(w);
      if (DIGEST.test(w)) {
        DIGEST.lastIndex = 0;
        return e.replace(DIGEST, (full, head: string) => `<abbr class="digest" title="${full}">sha256:${head}…</abbr>`);
      }
      return /[^\p{L}\p{N}]./u.test(w) ? `<span class="nw">${e}</span>` : e;
    })
    .join("");
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;max-width:1180px;margin:24px auto;padding:0 20px}
h1{font-size:23px;margin:0 0 4px}h2{font-size:18px;border-bottom:2px solid #1d1d1f;padding-bottom:3px;margin-top:32px}h3{font-size:15px;margin:22px 0 6px}
p,li{overflow-wrap:break-word}
.wrap{overflow-x:auto;margin:6px 0 12px}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:4px 7px;text-align:left;vertical-align:top;word-break:normal;overflow-wrap:normal;hyphens:none}
th{background:#f2f2f2;white-space:nowrap;font-weight:600}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.entry{white-space:nowrap;font-variant-numeric:tabular-nums;color:#444}
td.id,td.when{white-space:nowrap}
code,pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
.nw{white-space:nowrap}
abbr.digest{text-decoration:none;font:12px ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.meta{color:#555}.small{font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
.satisfied{background:#dff3e4;color:#1e6b37}.in-force{background:#e3edf9;color:#1f4f85}.exceptions{background:#fde8d4;color:#8a4b00}.no-evidence{background:#e9e9ee;color:#444}.not-covered{background:#f8d7d7;color:#8b1c1c}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0}.card{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:140px}.card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}
.scope{border-left:4px solid #1f4f85;background:#f4f7fb;padding:8px 12px}
tr.page-hidden{display:none}
.pager{display:flex;gap:8px;align-items:center;margin:4px 0 14px}.pager button{font:inherit;padding:2px 10px}
ul.did{margin:2px 0;padding-left:18px}
details{margin:6px 0}summary{cursor:pointer}
@media print{
 body{margin:0;max-width:none;font-size:10.5px;padding:0}
 h2{break-after:avoid}h3{break-after:avoid}tr,.card,svg{break-inside:avoid}
 .wrap{overflow:visible}
 a{color:inherit;text-decoration:none}
 .noprint,.pager{display:none!important}
 tr.page-hidden{display:table-row!important}
 @page{margin:12mm}
}
`;

// Pages long tables on screen: one page of rows at a time with previous/next buttons. Without
// scripts, and in print, every row shows.
const SCRIPT = `
for (const t of document.querySelectorAll("table.paged")) {
  const rows = [...t.tBodies[0].rows], size = ${PAGE_ROWS}, pages = Math.ceil(rows.length / size);
  if (pages < 2) continue;
  const nav = document.createElement("div"); nav.className = "pager";
  const prev = document.createElement("button"), next = document.createElement("button"), label = document.createElement("span");
  prev.textContent = "‹ previous"; next.textContent = "next ›"; prev.type = next.type = "button";
  nav.append(prev, label, next); t.closest(".wrap").after(nav);
  let page = 0;
  const show = () => {
    rows.forEach((r, i) => r.classList.toggle("page-hidden", Math.floor(i / size) !== page));
    label.textContent = "page " + (page + 1) + " of " + pages + " (" + rows.length.toLocaleString("en-US") + " rows)";
    prev.disabled = page === 0; next.disabled = page === pages - 1;
  };
  prev.onclick = () => { page--; show(); }; next.onclick = () => { page++; show(); };
  show();
}
addEventListener("beforeprint", () => { for (const d of document.querySelectorAll("details")) d.open = true; });
`;

function table(head: readonly (string | [string, string])[], rows: readonly string[], empty: string, cls = ""): string {
  if (rows.length === 0) return `<p class="meta">${esc(empty)}</p>`;
  const th = head.map((h) => (Array.isArray(h) ? `<th class="${h[1]}">${esc(h[0])}</th>` : `<th>${esc(h)}</th>`)).join("");
  return `<div class="wrap"><table${cls ? ` class="${cls}"` : ""}><thead><tr>${th}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

const entryCell = (i: number) => `<td class="entry">#${i}</td>`;
const when = (iso: string) => `<td class="when">${esc(iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC"))}</td>`;

function who(d: DecisionCitation): string {
  return `${esc(d.agent)}${d.principal ? ` for ${esc(d.principal)}` : ""}<br><span class="meta small">${esc(d.env)} · ${esc(d.phase)}${d.tool ? ` · ${esc(d.tool)}` : ""}${d.mode === "shadow" ? " · shadow mode" : ""}</span>`;
}

function rulesOf(d: DecisionCitation): string {
  return d.reasons
    .filter((r) => r.effect !== "allow")
    .map((r) => `<code>${esc(r.rule)}</code> ${esc(r.effect)}${r.replacements !== undefined ? ` (${count(r.replacements, "match", "matches")})` : ""}${r.message && r.message !== r.rule ? `: ${esc(r.message)}` : ""}`)
    .join("<br>");
}

function exceptionRow(e: ExceptionCitation): string {
  const entry = (() => {
    switch (e.kind) {
      case "unpromoted-policy":
        return { time: e.first.time, entry: e.first.entry };
      case "unapproved-change":
      case "gate-bypassed":
      case "skipped-environment":
        return { time: e.change.time, entry: e.change.entry };
      case "unacknowledged-alert":
        return { time: e.alert.time, entry: e.alert.entry };
      case "test-failure":
        return { time: e.test_run.time, entry: e.test_run.entry };
      case "unreadable-entry":
        return { time: "", entry: e.entry };
      case "unanchored-entries":
      case "log-gap":
      case "log-unverifiable":
        return { time: "", entry: null };
      default:
        return { time: e.decision.time, entry: e.decision.entry };
    }
  })();
  return `<tr>${entry.time ? when(entry.time) : "<td></td>"}<td>${esc(EXCEPTION_TEXT[e.kind])}</td><td>${esc(exceptionDetail(e))}</td>${entry.entry === null ? `<td class="entry">entries ${"from" in e ? `#${e.from}–#${e.to - 1}` : ""}</td>` : entryCell(entry.entry)}</tr>`;
}

const SAMPLE_TEXT: Readonly<Record<OperatingKind, string>> = {
  denial: "denied",
  approved: "approved",
  refused: "approval refused",
  held: "held, no outcome recorded",
  transform: "replaced",
  warning: "flagged",
  "failed-closed": "failed closed",
};

function controlSection(c: ControlReport, f: ControlFacts): string {
  const out: string[] = [];
  out.push(`<h3 id="c-${attr(c.id)}">${esc(c.label)} ${esc(c.title)} <span class="badge ${c.status}">${STATUS_TEXT[c.status]}</span></h3>`);
  out.push(`<p class="meta">${esc(c.evidence_required)}</p>`);
  const did = operatingPhrases(f);
  const ran = c.covered_by === "rules" || f.rules.length > 0 ? `Its rules were ${activityPhrase(f)}.` : "Fed by operational facts (no rule).";
  out.push(`<p>${esc(ran)}${did.length > 0 ? " What it did:" : " It recorded no action in the period."}</p>`);
  if (did.length > 0) out.push(`<ul class="did">${did.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  if (f.rules.length > 0) {
    out.push(
      table(
        ["rule", ["evaluated on", "n"], ["triggered on", "n"]],
        f.rules.map((r) => `<tr><td><code>${esc(r.rule)}</code></td><td class="n">${r.evaluated === null ? "not given" : num(r.evaluated)}</td><td class="n">${num(r.triggered)}</td></tr>`),
        "",
      ),
    );
  }
  if (f.exceptions.length > 0) {
    out.push(`<p id="x-${attr(c.id)}"><b>${count(f.exceptions.length, "exception")}</b>, all listed:</p>`);
    out.push(table(["time", "exception", "what", "entry"], f.exceptions.map(exceptionRow), "", "paged"));
  }
  if (f.samples.length > 0) {
    const rows = f.samples.map((s) => `<tr>${when(s.decision.time)}<td>${SAMPLE_TEXT[s.kind]}${s.decision.approval?.by ? ` by ${esc(s.decision.approval.by)}` : ""}</td><td>${who(s.decision)}</td><td>${rulesOf(s.decision)}</td>${entryCell(s.decision.entry)}</tr>`);
    out.push(`<details><summary>Decisions cited as evidence (${num(f.samples.length)}, the first of each kind)</summary>${table(["time", "what", "who, where", "rule", "entry"], rows, "")}</details>`);
  }
  return out.join("");
}

function changeRow(p: ChangeCitation): string {
  const gates = p.gates.map((g) => `${g.passed ? "✓" : "✗"} ${esc(g.name)}`).join("<br>") || "none recorded";
  const approvers = p.approvers.map((a) => `${esc(a.id)}${a.role ? ` (${esc(a.role)})` : ""}`).join("<br>") || "none";
  return `<tr>${when(p.time)}<td>${esc(p.action)} ${p.outcome === "refused" ? "<b>refused</b>" : "granted"}</td><td>${esc(p.from ?? "—")} → ${esc(p.to)}${p.skipped.length > 0 ? `<br><span class="meta small">skipped ${esc(p.skipped.join(", "))}</span>` : ""}</td><td>${esc(p.policy_digest)}${p.version ? `<br>${esc(p.version)}` : ""}</td><td>${approvers}</td><td>${gates}</td>${entryCell(p.entry)}</tr>`;
}

/** The report as one HTML document. */
export function toHtml(report: Report): string {
  const ev = report.evidence;
  const s = report.summary;
  const scope = report.scope;
  const units = scope.addressed.length + scope.out_of_scope.length;
  const labels = new Map(report.controls.map((c) => [c.id, c.label]));
  const labelOf = (id: string) => labels.get(id) ?? id;
  const title = `${report.framework.name}: evidence report`;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(title)}</h1>`);
  out.push(`<p class="meta">${esc(report.framework.publisher)}, ${esc(report.framework.version)} · period ${esc(report.period.from)} to ${esc(report.period.to)} (end exclusive) · generated ${esc(report.generated)} by Palisade</p>`);
  out.push(
    `<p class="scope"><b>Scope:</b> this report addresses ${num(report.controls.length)} controls within ${num(scope.addressed.length)} of the framework's ${num(units)} ${esc(scope.units_name)}; the other ${num(scope.out_of_scope.length)} are <a href="#out-of-scope">out of scope</a> and listed at the end. It is evidence for those controls, not a statement of compliance with the framework.</p>`,
  );
  if (report.framework.notes) out.push(`<p class="meta small">${esc(report.framework.notes)}</p>`);

  out.push(`<h2>Summary</h2><div class="cards">`);
  for (const k of STATUSES) out.push(`<div class="card"><b>${num(s[k])}</b><span class="badge ${k}">${STATUS_TEXT[k]}</span></div>`);
  out.push(`<div class="card"><b>${num(ev.decisions.total)}</b>decisions (${num(ev.decisions.deny)} denied, ${num(ev.decisions.require_approval)} held for approval)</div></div>`);
  out.push(
    `<p class="meta small">Operating: the control acted and met no exception. In force: its rules were evaluated on the period's decisions and never had to act. Exceptions: something went through that should not have, or the log cannot prove the period. Denials and refused approvals are the controls working, never exceptions (spec/compliance-evidence.md).</p>`,
  );
  out.push(
    `<p class="meta small">Policies: ${report.policies.paths.map((p) => `<code>${esc(p)}</code>`).join(", ") || "none"}${report.policies.digest ? ` (${esc(report.policies.digest)})` : ""}, ${count(report.policies.rules.length, "rule")} mapped to this framework.</p>`,
  );
  const rows = report.controls.map((c) => {
    const f = ev.controls[c.id];
    const did = operatingPhrases(f);
    return `<tr><td class="id"><a href="#c-${attr(c.id)}"><b>${esc(c.label)}</b></a></td><td>${esc(c.title)}</td><td><span class="badge ${c.status}">${STATUS_TEXT[c.status]}</span></td><td class="n">${num(f.activity.evaluated)}</td><td class="n">${num(f.activity.triggered)}</td><td>${did.length > 0 ? esc(did.join("; ")) : '<span class="meta">nothing recorded</span>'}</td><td class="n">${f.exceptions.length > 0 ? `<a href="#x-${attr(c.id)}">${num(f.exceptions.length)}</a>` : "0"}</td></tr>`;
  });
  out.push(table(["control", "title", "status", ["evaluated", "n"], ["triggered", "n"], "what it did", ["exceptions", "n"]], rows, "The catalogue lists no controls."));

  out.push(`<h2>Decisions over time</h2>${timelineSvg(ev.timeline)}`);
  out.push(`<p class="meta">${num(ev.decisions.allow)} allowed, ${num(ev.decisions.require_approval)} held for approval, ${num(ev.decisions.deny)} denied; one bar per ${ev.timeline.bucket_ms >= 86_400_000 ? count(ev.timeline.bucket_ms / 86_400_000, "day") : count(ev.timeline.bucket_ms / 3_600_000, "hour")}.</p>`);

  out.push(`<h2>Controls</h2>`);
  for (const c of report.controls) out.push(controlSection(c, ev.controls[c.id]));

  out.push(`<h2>Changes to the policies in force</h2>`);
  out.push(table(["time", "change", "from → to", "policy", "approvers", "gates", "entry"], ev.changes.map(changeRow), "No promotion, rollback or build was recorded in the period."));
  out.push(`<h3>Policy versions that decided</h3>`);
  out.push(
    table(
      ["policy digest", "first decision", "last decision", ["decisions", "n"], "environments", "rules in force", "entry"],
      ev.policy_versions.map((v) => `<tr><td>${esc(v.policy_digest)}</td>${when(v.first_seen)}${when(v.last_seen)}<td class="n">${num(v.decisions)}</td><td>${esc(v.envs.join(", "))}</td><td>${v.rules_in_force === "given" ? "the given policies" : v.rules_in_force === "inferred" ? "inferred from its decisions" : "unknown (not counted)"}</td>${entryCell(v.first_entry)}</tr>`),
      "No decisions in the period: no policy version is evidenced.",
    ),
  );
  out.push(`<h3>Pack test runs</h3>`);
  const runs = [
    ...ev.test_runs.map((t) => `<tr>${when(t.time)}<td>${esc(t.pack)}</td><td>${esc(t.policy_digest)}</td><td class="n">${num(t.passed)}</td><td class="n">${num(t.failed)}</td>${entryCell(t.entry)}</tr>`),
    ...report.test_runs_at_report.map((t) => `<tr>${when(t.time)}<td>${esc(t.pack)}</td><td>${esc(t.policy_digest)}</td><td class="n">${num(t.passed)}</td><td class="n">${num(t.failed)}</td><td>run for this report</td></tr>`),
  ];
  out.push(table(["time", "pack", "policy", ["passed", "n"], ["failed", "n"], "entry"], runs, "No pack test runs recorded in the period."));
  out.push(`<h3>Drift alerts and their handling</h3>`);
  out.push(
    table(
      ["time", "monitor", "alert", "handled", "entry"],
      ev.drift_alerts.map(
        (a) =>
          `<tr>${when(a.time)}<td>${esc(a.alert.monitor)}</td><td>${esc(a.alert.message)}</td><td>${a.handled ? `${esc(a.handled.action)}${a.handled.by ? ` by ${esc(a.handled.by)}` : ""} at ${esc(a.handled.time)}${a.handled.note ? `: ${esc(a.handled.note)}` : ""} (#${a.handled.entry})` : "<b>not acknowledged</b>"}</td>${entryCell(a.entry)}</tr>`,
      ),
      "No drift alerts in the period.",
    ),
  );

  out.push(`<h2 id="scope">Scope</h2>`);
  out.push(`<p>${esc(scope.basis)}</p>`);
  out.push(
    table(
      [scope.unit, "title", "addressed by"],
      scope.addressed.map((u) => `<tr><td class="id">${esc(u.label ?? u.id)}</td><td>${esc(u.title)}</td><td>${u.in_part ? `in part: ${esc(u.controls.map(labelOf).join(", "))}` : "in full"}</td></tr>`),
      "The report addresses none of the framework's units.",
    ),
  );
  out.push(`<h3 id="out-of-scope">Out of scope (${num(scope.out_of_scope.length)})</h3>`);
  out.push(table([scope.unit, "title"], scope.out_of_scope.map((u) => `<tr><td class="id">${esc(u.label ?? u.id)}</td><td>${esc(u.title)}</td></tr>`), "Nothing is out of scope."));

  out.push(`<h2>Verifying this report</h2>`);
  if (report.log) {
    out.push(
      `<p>Every entry cited above (#N) is included in this report with its Merkle inclusion proof in the signed audit-log checkpoint below (tree size ${num(report.log.size)}). Re-check the signature with a key you trust, every proof and claim, and (with the log) every entry the counts rest on: <code>palisade report verify THIS-FILE --db &lt;the audit log&gt;</code> or <code>--vkey &lt;the log's verifier key&gt;</code>.</p>`,
    );
    out.push(`<p>Verifier key named by the report: <code>${esc(report.log.verifier_key)}</code> · ${count(report.entries.length, "cited entry", "cited entries")}</p><pre>${esc(report.log.checkpoint)}</pre>`);
  } else out.push(`<p>The audit log was empty when this report was built: it cites no entries and embeds no checkpoint.</p>`);
  // `<` is escaped so that no entry text can close the data block early.
  out.push(`<script type="application/json" id="${EMBEDDED_REPORT_ID}">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>`);
  out.push(`<script>${SCRIPT}</script>`);
  out.push(`</body></html>\n`);
  return out.join("\n");
}
