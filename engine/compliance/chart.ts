// An inline SVG bar chart of decisions over time, stacked by outcome. Plain shapes and text
// only, no script or external font, so it prints and renders anywhere the report is opened.
import type { Timeline } from "./collect.ts";

const COLORS = { allow: "#4c9a6a", require_approval: "#d9a21b", deny: "#c0392b" } as const;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function label(iso: string, bucketMs: number): string {
  return bucketMs < 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** The SVG of a timeline, `width` by `height` user units, with an accessible title. */
export function timelineSvg(t: Timeline, width = 720, height = 220): string {
  const left = 44;
  const bottom = 36;
  const top = 24;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...t.buckets.map((b) => b.allow + b.deny + b.require_approval));
  const n = Math.max(1, t.buckets.length);
  const slot = plotW / n;
  const barW = Math.max(1, slot * 0.8);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="chart-title">`);
  parts.push(`<title id="chart-title">Decisions over time, stacked by outcome (allow, require approval, deny)</title>`);
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    parts.push(`<line x1="${left}" x2="${width - 8}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 4}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#555">${Math.round(f * max).toLocaleString("en-US")}</text>`);
  }
  t.buckets.forEach((b, i) => {
    let y = top + plotH;
    const x = left + i * slot + (slot - barW) / 2;
    for (const k of ["allow", "require_approval", "deny"] as const) {
      const h = (b[k] / max) * plotH;
      if (h <= 0) continue;
      y -= h;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[k]}"><title>${esc(label(b.start, t.bucket_ms))}: ${b[k].toLocaleString("en-US")} ${k.replace("_", " ")}</title></rect>`);
    }
  });
  const every = Math.max(1, Math.ceil(n / 8));
  t.buckets.forEach((b, i) => {
    if (i % every !== 0) return;
    const x = left + i * slot + slot / 2;
    parts.push(`<text x="${x.toFixed(1)}" y="${height - bottom + 14}" font-size="10" text-anchor="middle" fill="#555">${esc(label(b.start, t.bucket_ms))}</text>`);
  });
  let lx = left;
  for (const [k, c] of Object.entries(COLORS)) {
    parts.push(`<rect x="${lx}" y="6" width="10" height="10" fill="${c}"/><text x="${lx + 14}" y="15" font-size="11" fill="#333">${k.replace("_", " ")}</text>`);
    lx += 130;
  }
  parts.push("</svg>");
  return parts.join("");
}
