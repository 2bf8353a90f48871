// The console's calls to the service: the admin key from the URL fragment (`#key=...`, read on
// load and whenever the fragment changes, then removed from the address bar) or the key field,
// kept in sessionStorage; and every failure turned into a sentence that says what to do.

let key = sessionStorage.getItem("palisade-key") ?? "";

export function currentKey(): string {
  return key;
}

export function setKey(k: string): void {
  key = k.trim();
  if (key) sessionStorage.setItem("palisade-key", key);
  else sessionStorage.removeItem("palisade-key");
}

/**
 * Takes `key=...` out of the fragment (keeping the rest, the view's route) and stores it.
 * Returns whether one was there.
 */
export function keyFromFragment(): boolean {
  const h = location.hash.replace(/^#/, "");
  const parts = h.split(/[&?]/);
  const found = parts.find((p) => p.startsWith("key="));
  if (found === undefined) return false;
  setKey(decodeURIComponent(found.slice(4)));
  const route = h.startsWith("/") ? h.replace(/([&?])key=[^&]*&?/, "$1").replace(/[&?]$/, "") : "";
  history.replaceState(null, "", `${location.pathname}${route ? `#${route}` : ""}`);
  return true;
}

/** A failed call, as an operator should read it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What to do about a failure: one sentence. */
export function advice(err: unknown): string {
  if (!(err instanceof ApiError)) return `the console failed: ${err instanceof Error ? err.message : String(err)}`;
  if (err.status === 0) return "the service does not answer: check that `palisade serve` is running; the console retries on its own";
  if (err.code === "auth/missing-key") return "enter an admin API key above (the one `palisade serve` printed at start, or one made with `palisade keys create --role admin`)";
  if (err.status === 401) return `the key was refused (${err.message}): paste a valid admin key above`;
  if (err.status === 403) return `this key may not read this (${err.message}): use a key with the admin role`;
  if (err.status === 429) return "too many requests from this page: it slows down and retries";
  if (err.status === 503) return `the service is unavailable (${err.message}): it retries on its own`;
  return `${err.message} (HTTP ${err.status})`;
}

/** GET or POST `path` with the key; resolves with the JSON body, rejects with an ApiError. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  if (!key) throw new ApiError(401, "auth/missing-key", "no key");
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch {
    throw new ApiError(0, "network", "no answer");
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? "http", e?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}
