// Durations and instants as the config file and the CLI write them: `90s`, `15m`, `1h`, `7d`,
// and ISO-8601 instants (or milliseconds since the epoch).

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds in `text` (`500ms`, `30s`, `15m`, `1h`, `7d`, `2w`, or `1h30m`), or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
  let total = 0;
  let at = 0;
  if (text.length === 0) return undefined;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]];
    at = re.lastIndex;
  }
  return total > 0 ? total : undefined;
}

/** Milliseconds since the epoch for an ISO-8601 instant (a date alone is midnight UTC) or a number of ms; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  if (/^\d{10,}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/** A duration as the shortest readable text (`1h`, `90s`, `1h30m`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [u, v] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const k = Math.floor(rest / v);
    if (k > 0) {
      out += `${k}${u}`;
      rest -= k * v;
    }
  }
  return out;
}
