// A JSON viewer: objects and arrays fold (<details>, so the keyboard and screen readers know
// them), scalars are typed by colour and by form (strings quoted), long strings wrap, and a
// "copy" button gives the exact JSON.
import { el } from "./dom.ts";

function scalar(v: unknown): HTMLElement {
  if (v === null) return el("span", { class: "j-null" }, "null");
  if (typeof v === "string") return el("span", { class: "j-str" }, JSON.stringify(v));
  if (typeof v === "number") return el("span", { class: "j-num" }, String(v));
  if (typeof v === "boolean") return el("span", { class: "j-bool" }, String(v));
  return el("span", { class: "j-null" }, String(v));
}

function node(label: HTMLElement | null, v: unknown, depth: number, openTo: number): HTMLElement {
  if (v === null || typeof v !== "object") return el("div", { class: "j-row" }, label, scalar(v));
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
  const open = Array.isArray(v) ? "[" : "{";
  const close = Array.isArray(v) ? "]" : "}";
  if (entries.length === 0) return el("div", { class: "j-row" }, label, el("span", { class: "j-punct" }, `${open}${close}`));
  const d = el("details", depth < openTo ? { open: "" } : {});
  d.append(el("summary", {}, label, el("span", { class: "j-punct" }, `${open} ${entries.length} ${Array.isArray(v) ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"} ${close}`)));
  const body = el("div", { class: "j-body" });
  for (const [k, x] of entries) body.append(node(el("span", { class: "j-key" }, Array.isArray(v) ? `${k}: ` : `${JSON.stringify(k)}: `), x, depth + 1, openTo));
  d.append(body);
  return d;
}

/** A viewer for `value`, unfolded `openTo` levels deep. */
export function jsonView(value: unknown, title: string, openTo = 2): HTMLElement {
  const copy = el("button", { type: "button", class: "small" }, "copy JSON");
  copy.addEventListener("click", () => {
    void navigator.clipboard?.writeText(JSON.stringify(value, null, 2)).then(() => (copy.textContent = "copied"), () => (copy.textContent = "copy failed"));
  });
  return el("div", { class: "json", "data-json": title }, el("div", { class: "json-head" }, el("strong", {}, title), copy), node(null, value, 0, openTo));
}
