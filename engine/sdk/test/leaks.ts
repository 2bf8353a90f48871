// What a framework's consumer was shown, searched for raw values it must never see: every string
// reachable from the values given (objects, arrays, maps, class instances, errors' messages and
// causes), so a part kind or a field nobody thought of is searched too.

/** Every string reachable from `values`, once each object. */
export function stringsIn(...values: unknown[]): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64) return;
    if (typeof v === "string") return void out.push(v);
    if (typeof v === "number" || typeof v === "bigint") return void out.push(String(v));
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Error) out.push(v.message, String(v.stack ?? ""));
    if (v instanceof Map) for (const [k, x] of v) (walk(k, depth + 1), walk(x, depth + 1));
    else if (v instanceof Set || Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (ArrayBuffer.isView(v)) out.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8"));
    else for (const k of Object.getOwnPropertyNames(v)) {
      let x: unknown;
      try {
        x = (v as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      out.push(k);
      walk(x, depth + 1);
    }
  };
  for (const v of values) {
    walk(v, 0);
    // As a server would send it: serialisers read fields of their own (LangChain's `lc_kwargs`).
    try {
      out.push(JSON.stringify(v) ?? "");
    } catch {
      // A cycle: the walk above has read every field.
    }
  }
  return out;
}

/** The raw values found in what a consumer was shown (none, when nothing leaked); digits are also searched without their separators. */
export function leaked(shown: readonly unknown[], raw: readonly string[]): string[] {
  const texts = stringsIn(...shown);
  const squeeze = (t: string) => t.replace(/[\s-]/g, "");
  return raw.filter((r) => texts.some((t) => t.includes(r) || (/\d/.test(r) && squeeze(t).includes(squeeze(r)))));
}
