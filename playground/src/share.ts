// The share link: policy, phase and input in the URL fragment (never sent to a server), as
// base64url of UTF-8 JSON.

/** What a share link holds. */
export interface Shared {
  readonly policy: string;
  readonly phase: string;
  readonly input: string;
}

/** The fragment (without '#') for `s`. */
export function encodeShare(s: Shared): string {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `s=${btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** The shared state in a fragment, or null when there is none or it is damaged. */
export function decodeShare(fragment: string): Shared | null {
  const m = /(?:^|&)s=([A-Za-z0-9_-]+)/.exec(fragment.replace(/^#/, ""));
  if (!m) return null;
  try {
    const bin = atob(m[1].replace(/-/g, "+").replace(/_/g, "/"));
    const v = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as Partial<Shared>;
    if (typeof v.policy !== "string" || typeof v.phase !== "string" || typeof v.input !== "string") return null;
    return { policy: v.policy, phase: v.phase, input: v.input };
  } catch {
    return null;
  }
}
