// What every answer carries whatever its route: security headers, and the methods a path allows
// (405 with Allow rather than 404 when the path exists under another method).
import type { FastifyReply } from "fastify";

/**
 * The pages' policy: their own scripts only, styles inline too (CodeMirror and the reports' <style>
 * inject them), calls to this origin only, and never framed.
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The playground's policy: the pages' plus 'unsafe-eval', because the engine it runs compiles
 * policies to JavaScript (new Function) in the browser. The playground holds no key and no data;
 * the console, which holds a key, keeps the strict policy.
 */
export const PLAYGROUND_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'");

/** Everything else (JSON, text, tiles) loads nothing and is never framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

function headers(csp: string): Readonly<Record<string, string>> {
  return Object.freeze({
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  });
}

// Made once: every answer carries one of the two.
const PAGE_HEADERS = headers(PAGE_CSP);
const API_HEADERS = headers(API_CSP);
const PLAYGROUND_HEADERS = headers(PLAYGROUND_CSP);

/** The headers every answer carries, raw responses (event streams) included. */
export function baseSecurityHeaders(html: boolean): Readonly<Record<string, string>> {
  return html ? PAGE_HEADERS : API_HEADERS;
}

/** Sets the security headers on a reply about to be sent, by its content type (and page). */
export function securityHeaders(reply: FastifyReply): void {
  const type = reply.getHeader("content-type");
  if (typeof type !== "string" || !type.startsWith("text/html")) reply.headers(API_HEADERS);
  else reply.headers(reply.request.routeOptions.url === "/playground" ? PLAYGROUND_HEADERS : PAGE_HEADERS);
}

const patterns = new Map<string, RegExp>();

function pattern(url: string): RegExp {
  let re = patterns.get(url);
  if (re === undefined) {
    const body = url
      .split("/")
      .map((seg) => (seg === "*" ? ".*" : seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    patterns.set(url, (re = new RegExp(`^${body}$`)));
  }
  return re;
}

/** The methods registered for routes matching `path`, HEAD beside GET; empty when none is. */
export function allowedMethods(routes: readonly { readonly method: string; readonly url: string }[], path: string): string[] {
  const out = new Set<string>();
  for (const r of routes) if (pattern(r.url).test(path)) out.add(r.method);
  if (out.has("GET")) out.add("HEAD");
  return [...out].sort();
}

/**
 * Which of Host and Content-Type `raw` (name, value, name, value...) holds twice, if any. Node
 * keeps the first of each and drops the other; a proxy or gateway in front may have routed or
 * judged the request by the other (RFC 9112 §3.2 refuses a second Host outright), so the request
 * is ambiguous and refused rather than read one way. Authorization is counted in keys.ts.
 */
export function repeatedHeader(raw: readonly string[]): string | undefined {
  let host = 0;
  let type = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Lengths first: nearly every header is neither, and a lower-cased copy costs more than the test.
    if (name.length === 4 && name.toLowerCase() === "host" && ++host > 1) return "Host";
    if (name.length === 12 && name.toLowerCase() === "content-type" && ++type > 1) return "Content-Type";
  }
  return undefined;
}
