// A deliberately naive RFC 9162 §2.1 reference, written straight from the definitions (MTH, PATH,
// SUBPROOF) over the full list of leaves, so the real implementation has something dumb to agree with.
import { createHash } from "node:crypto";

function h(...parts: Uint8Array[]): Uint8Array {
  const x = createHash("sha256");
  for (const p of parts) x.update(p);
  return new Uint8Array(x.digest());
}

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

/** MTH(D[n]). */
export function refRoot(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return h();
  if (d.length === 1) return h(Uint8Array.of(0), d[0]);
  const s = k(d.length);
  return h(Uint8Array.of(1), refRoot(d.slice(0, s)), refRoot(d.slice(s)));
}

/** PATH(m, D[n]). */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s ? [...refPath(m, d.slice(0, s)), refRoot(d.slice(s))] : [...refPath(m - s, d.slice(s)), refRoot(d.slice(0, s))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refRoot(d)];
  const s = k(d.length);
  return m <= s ? [...subproof(m, d.slice(0, s), b), refRoot(d.slice(s))] : [...subproof(m - s, d.slice(s), false), refRoot(d.slice(0, s))];
}

/** PROOF(m, D[n]) for 0 < m <= n; empty otherwise. */
export function refConsistency(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return m === 0 || m === d.length ? [] : subproof(m, d, true);
}
