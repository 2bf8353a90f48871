// The console's drift chart: per label (a category or a value bin) the baseline's share beside
// the current window's, as paired horizontal bars in an inline SVG. Hand-drawn shapes keep the
// page free of a chart library; labels past `rows` are summed into one "other" row.

const NS = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 2 : 1)}%`;
const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Colours of the two sides; the current side turns red when the metric drifted. */
const BASELINE = "#9aa5b1";
const CURRENT = "#2f6fdf";
const DRIFTED = "#c0392b";

/** An SVG comparing `reference` and `current` shares label by label. */
export function driftChart(labels: readonly string[], reference: readonly number[], current: readonly number[], options: { readonly drifted?: boolean; readonly rows?: number; readonly title?: string } = {}): SVGElement {
  const rows = options.rows ?? 8;
  let ls = labels.slice();
  let ref = reference.slice();
  let cur = current.slice();
  if (ls.length > rows) {
    const sum = (xs: number[]) => xs.slice(rows - 1).reduce((a, b) => a + b, 0);
    ls = [...ls.slice(0, rows - 1), `other (${ls.length - rows + 1})`];
    ref = [...ref.slice(0, rows - 1), sum(ref)];
    cur = [...cur.slice(0, rows - 1), sum(cur)];
  }
  const width = 420;
  const labelW = 120;
  const valueW = 52;
  const rowH = 24;
  const top = 22;
  const plotW = width - labelW - valueW - 8;
  const height = top + ls.length * rowH + 4;
  const max = Math.max(1e-9, ...ref, ...cur);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "drift-chart" });
  root.append(svg("title", {}, options.title ?? "baseline and current shares per label"));
  const now = options.drifted ? DRIFTED : CURRENT;
  root.append(svg("rect", { x: labelW, y: 4, width: 10, height: 8, fill: BASELINE }), svg("text", { x: labelW + 14, y: 12, "font-size": 10, fill: "#555" }, "baseline"));
  root.append(svg("rect", { x: labelW + 70, y: 4, width: 10, height: 8, fill: now }), svg("text", { x: labelW + 84, y: 12, "font-size": 10, fill: "#555" }, "current window"));
  ls.forEach((label, i) => {
    const y = top + i * rowH;
    const row = svg("g", { class: "drift-row", "data-label": label });
    row.append(svg("text", { x: labelW - 6, y: y + 14, "font-size": 11, "text-anchor": "end", fill: "#1d2430" }, clip(label, 18)));
    const bar = (v: number, dy: number, fill: string, side: string) => {
      const w = Math.max(v > 0 ? 1 : 0, (v / max) * plotW);
      const r = svg("rect", { x: labelW, y: y + dy, width: w.toFixed(1), height: 9, fill });
      r.append(svg("title", {}, `${label}: ${pct(v)} ${side}`));
      row.append(r, svg("text", { x: labelW + w + 4, y: y + dy + 8, "font-size": 9, fill: "#555" }, pct(v)));
    };
    bar(ref[i] ?? 0, 2, BASELINE, "in the baseline");
    bar(cur[i] ?? 0, 12, now, "in the current window");
    root.append(row);
  });
  return root;
}
