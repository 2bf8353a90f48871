// Small DOM helpers shared by the console's views: elements from data (never HTML strings, so
// nothing a client wrote is ever parsed as markup), times in one zone that the page names, and
// numbers for people.

/** An element with attributes and children; `on` attributes are not accepted (the CSP forbids them anyway). */
export function el(tag: string, attrs: Record<string, string | undefined> = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** `document.getElementById`, typed. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Which zone every time on the page is shown in (one at a time, named in the header). */
export type Zone = "UTC" | "local";

export function zone(): Zone {
  return localStorage.getItem("palisade-zone") === "local" ? "local" : "UTC";
}

export function setZone(z: Zone): void {
  localStorage.setItem("palisade-zone", z);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** `2026-12-07 08:15:03.120`, in the page's zone (the zone is named once, in the header). */
export function fmtTime(iso: string | number, ms = true): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const u = zone() === "UTC";
  const [y, mo, da, h, mi, s, milli] = u
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}${ms ? `.${pad(milli, 3)}` : ""}`;
}

/** A `<time>` element: the zone's text, the exact instant in `datetime` and the tooltip. */
export function timeEl(iso: string | number, ms = true): HTMLElement {
  const d = new Date(iso);
  const exact = Number.isNaN(d.getTime()) ? String(iso) : d.toISOString();
  return el("time", { datetime: exact, title: exact }, fmtTime(iso, ms));
}

/** The zone's name as shown: `UTC`, or the browser's zone with its offset. */
export function zoneLabel(): string {
  if (zone() === "UTC") return "UTC";
  const off = -new Date().getTimezoneOffset();
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `${name} (UTC${off >= 0 ? "+" : "−"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)})`;
}

/** `1.2 s`, `340 ms`, `3 min 20 s`. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;

/** The words shown for a decision (the class names keep the wire's). */
export const OUTCOME_WORD: Record<string, string> = { allow: "allow", deny: "deny", require_approval: "approval" };

/** A coloured outcome badge (colour and word both carry it, for those who cannot tell the colours apart). */
export function badge(decision: string, text = OUTCOME_WORD[decision] ?? decision): HTMLElement {
  return el("span", { class: `badge d-${decision}` }, text);
}

/** One line of what a rule did: `deny by shop.no_shell: no shell access`. */
export function reasonText(r: { rule: string; effect: string; message?: string }): string {
  return `${r.effect} by ${r.rule}${r.message ? `: ${r.message}` : ""}`;
}

/** A short id: the first 8 characters, the whole in the tooltip. */
export function shortId(id: string): HTMLElement {
  return el("code", { class: "id", title: id }, id.length > 12 ? `${id.slice(0, 8)}…` : id);
}
