// API keys: only their SHA-256 digests are kept, so a leaked config or database does not leak a
// usable key. A presented key is hashed and its digest looked up in a Map. That lookup is not
// constant-time, and need not be: what its timing could tell is how a digest the caller computed
// compares with the stored digests, and a digest opens nothing (the config holds the same ones;
// finding a key from its digest is a SHA-256 preimage). The key itself is never compared.
import { createHash, hash, randomBytes } from "node:crypto";
import { ServiceError } from "./errors.ts";

/** One API key as configured: its digest and what it may do. */
export interface ApiKeyConfig {
  /** A name for logs and metrics (never the key). */
  readonly id: string;
  /** Hex SHA-256 of the key. */
  readonly sha256: string;
  /** Agent ids the key may decide for; `["*"]` for any. */
  readonly agents: readonly string[];
  /** Environments the key may decide in; `["*"]` for any. */
  readonly environments: readonly string[];
  /** Roles: `admin` (approvals, configuration, the console) and approver roles named by rules (`from "supervisor"`). */
  readonly roles?: readonly string[];
  /** Who answers approvals with this key; default the key's id. */
  readonly principal?: string;
  /** Extra rights (SCOPES); `admin` holds them all. */
  readonly scopes?: readonly string[];
  /** ISO-8601 instant after which the key is refused. */
  readonly expires?: string;
}

/**
 * Rights a key can be given beside its agents, environments and roles: `metrics` reads /metrics;
 * `history` may send its own `session.calls`, which otherwise come only from the service's record
 * of the session (a client sending `session.calls: []` would erase its own history); `relay` may
 * relay an approval its framework's own human gave (`POST /v1/approvals/{id}/answered`), which
 * otherwise only an approver gives: without it, a key's relayed "yes" would be the agent approving
 * itself.
 */
export const SCOPES = ["metrics", "history", "relay"] as const;

/** One of SCOPES. */
export type Scope = (typeof SCOPES)[number];

/** An authenticated caller. */
export interface Caller {
  readonly id: string;
  readonly principal: string;
  readonly agents: ReadonlySet<string> | null;
  readonly environments: ReadonlySet<string> | null;
  readonly roles: ReadonlySet<string>;
  /** Whether the key may act as an administrator. */
  readonly admin: boolean;
  readonly scopes: ReadonlySet<string>;
  /** Milliseconds since the epoch after which the key is refused; Infinity when it never expires. */
  readonly expiresAt: number;
}

/**
 * The key a request presents: `Authorization: Bearer KEY` (the scheme in any case, RFC 9110
 * §11.1) or `X-Api-Key: KEY`; the bearer token first. A header sent twice is ambiguous (a proxy
 * in front may have checked or logged the other one) and refused: Node keeps only the first of
 * two Authorization headers in `headers`, so they are counted in `rawHeaders`.
 */
export function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>, rawHeaders?: readonly string[]): string | undefined {
  const h = headers.authorization;
  const k = headers["x-api-key"];
  if (Array.isArray(h) || Array.isArray(k) || (rawHeaders !== undefined && h !== undefined && twice(rawHeaders))) throw new ServiceError("auth/invalid-key", "the request sends its Authorization or X-Api-Key header twice: send one key, once");
  if (typeof h === "string") {
    const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
    if (m) return m[1];
  }
  return typeof k === "string" ? k : undefined;
}

/** Whether `raw` (name, value, name, value...) holds two Authorization headers. */
function twice(raw: readonly string[]): boolean {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === "authorization") n++;
  return n > 1;
}

/** Hex SHA-256 of a key, as stored in the configuration. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new random key (`pal_` and 43 base64url characters) and its digest. */
export function newKey(): { key: string; sha256: string } {
  const key = `pal_${randomBytes(32).toString("base64url")}`;
  return { key, sha256: hashKey(key) };
}

function scope(list: readonly string[]): ReadonlySet<string> | null {
  return list.includes("*") ? null : new Set(list);
}

/** The configured keys, by digest. */
export class KeyRing {
  readonly #byDigest = new Map<string, Caller>();

  constructor(keys: readonly ApiKeyConfig[]) {
    const ids = new Set<string>();
    for (const k of keys) {
      if (!/^[0-9a-f]{64}$/.test(k.sha256)) throw new Error(`key '${k.id}': sha256 must be 64 lowercase hex digits`);
      // The id is the key's identity: it owns sessions, settles calls and relays approvals by it.
      if (ids.has(k.id)) throw new Error(`key '${k.id}' is configured twice: each key needs its own id (its sessions, settlements and approvals are the id's)`);
      ids.add(k.id);
      const roles = new Set(k.roles ?? []);
      const admin = roles.has("admin");
      const expiresAt = k.expires === undefined ? Infinity : Date.parse(k.expires);
      if (Number.isNaN(expiresAt)) throw new Error(`key '${k.id}': expires must be an ISO-8601 instant`);
      const caller: Caller = { id: k.id, principal: k.principal ?? k.id, agents: scope(k.agents), environments: scope(k.environments), roles, admin, scopes: new Set(admin ? SCOPES : k.scopes ?? []), expiresAt };
      this.#byDigest.set(k.sha256, caller);
    }
  }

  /** The caller a presented key belongs to; throws auth/missing-key or auth/invalid-key. */
  authenticate(presented: string | undefined): Caller {
    if (presented === undefined || presented === "") throw new ServiceError("auth/missing-key", "an API key is required: send 'Authorization: Bearer <key>'");
    // One-shot hashing: every request pays for it, and a Hash object costs several times more.
    const caller = this.#byDigest.get(hash("sha256", presented, "hex"));
    if (caller === undefined) throw new ServiceError("auth/invalid-key", "the API key is not valid");
    if (Date.now() > caller.expiresAt) throw new ServiceError("auth/expired-key", `key '${caller.id}' expired at ${new Date(caller.expiresAt).toISOString()}: mint a new one with 'palisade keys create'`);
    return caller;
  }
}

/** Throws auth/forbidden unless the caller may decide for `agent` in `env`. */
export function checkScope(caller: Caller, agent: string, env: string, paths: { readonly agent: string; readonly env: string }): void {
  // Each refusal points at the field that named what the key may not act for.
  if (caller.agents !== null && !caller.agents.has(agent)) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not decide for agent '${agent}'`, paths.agent);
  if (caller.environments !== null && !caller.environments.has(env)) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not decide in environment '${env}'`, paths.env);
}

/** Whether a key scoped to some agents or environments may read what was decided for `agent` in `env`. */
export function mayRead(caller: Caller, r: { readonly agent: string; readonly env: string }): boolean {
  return (caller.agents === null || caller.agents.has(r.agent)) && (caller.environments === null || caller.environments.has(r.env));
}

/** Whether the key is limited to some agents or environments. */
export function isScoped(caller: Caller): boolean {
  return caller.agents !== null || caller.environments !== null;
}

/** Throws auth/forbidden unless the caller holds `scope` (administrators hold every scope). */
export function requireScope(caller: Caller, scope: Scope): void {
  if (!caller.scopes.has(scope)) throw new ServiceError("auth/forbidden", `key '${caller.id}' lacks the '${scope}' scope`);
}

/** Throws auth/forbidden unless the caller is an administrator. */
export function requireAdmin(caller: Caller): void {
  if (!caller.admin) throw new ServiceError("auth/forbidden", `key '${caller.id}' lacks the admin role`);
}
