// `palisade serve --config FILE`: a JSON file with the keys (digests only), limits, TLS, the
// checkpoint signing key, the audit log's origin and witnesses, the drift monitors and the environments file. Every field is checked on load with the path of the bad one, so a
// typo stops the service at start rather than opening it wider than meant.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseVerifierKey } from "../audit/index.ts";
import type { WitnessConfig } from "../audit/index.ts";
import { MonitorError, loadMonitorConfig, parseMonitorConfig } from "../monitor/index.ts";
import type { MonitorConfig } from "../monitor/index.ts";
import { SCOPES } from "./keys.ts";
import type { ApiKeyConfig } from "./keys.ts";
import type { RateLimit } from "./rate-limit.ts";
import type { Timeouts } from "./server.ts";

/** The configuration file's contents, paths resolved against the file's folder. */
export interface ServiceConfig {
  readonly keys: readonly ApiKeyConfig[];
  readonly rateLimit?: RateLimit;
  readonly bodyLimit?: number;
  readonly approvalTimeoutMs?: number;
  readonly checkpointEveryMs?: number;
  /** PEM files. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** A file holding the checkpoint signing key (`PRIVATE+KEY+...`). */
  readonly signingKeyFile?: string;
  /**
   * The drift monitors (engine/monitor's config format, inline or as a file), or false to record
   * no telemetry at all. Absent: the service's default monitors.
   */
  readonly monitor?: MonitorConfig | false;
  /** A `palisade.environments.json` whose environments the console lists. */
  readonly environments?: string;
  /**
   * The audit log's settings: what a decision whose entry fails gets (`onFailure`, `deny`: 503, the
   * default), how long it waits for the commit (`timeoutMs`), and whether entry bundles are served
   * under /tlog/ (`publicEntries`, default false: hashes and checkpoints only), the origin a new
   * log's key is named with (`origin`), and the C2SP witnesses asked to cosign every checkpoint
   * (`witnesses`: submission URL and cosignature verifier key).
   */
  readonly audit?: {
    readonly onFailure?: "deny" | "allow";
    readonly timeoutMs?: number;
    readonly publicEntries?: boolean;
    readonly origin?: string;
    readonly witnesses?: readonly WitnessConfig[];
  };
  readonly timeouts?: Timeouts;
  /** Failed authentications allowed per client address. */
  readonly authFailureLimit?: RateLimit;
}

/** A mistake in the configuration file. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function posInt(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ConfigError(`${path} must be a non-negative integer`);
  return v;
}

function strings(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new ConfigError(`${path} must be a list of strings ("*" for any)`);
  return v as string[];
}

/** Parses configuration text; `base` resolves relative file paths. */
export function parseServiceConfig(text: string, base: string): ServiceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the configuration is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(raw)) throw new ConfigError("the configuration must be a JSON object");
  if (!Array.isArray(raw.keys)) throw new ConfigError("/keys must be a list of keys");
  const keys = raw.keys.map((k, i): ApiKeyConfig => {
    const at = `/keys/${i}`;
    if (!isObject(k)) throw new ConfigError(`${at} must be an object`);
    if (typeof k.id !== "string" || k.id === "") throw new ConfigError(`${at}/id must be a non-empty string`);
    if (typeof k.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(k.sha256)) throw new ConfigError(`${at}/sha256 must be the key's SHA-256 in 64 lowercase hex digits (never the key itself)`);
    if (k.principal !== undefined && typeof k.principal !== "string") throw new ConfigError(`${at}/principal must be a string`);
    const scopes = k.scopes === undefined ? undefined : strings(k.scopes, `${at}/scopes`);
    for (const [i, sc] of (scopes ?? []).entries()) if (!(SCOPES as readonly string[]).includes(sc)) throw new ConfigError(`${at}/scopes/${i} must be one of ${SCOPES.join(", ")}, got ${JSON.stringify(sc)}`);
    if (k.expires !== undefined && (typeof k.expires !== "string" || Number.isNaN(Date.parse(k.expires)))) throw new ConfigError(`${at}/expires must be an ISO-8601 instant, e.g. 2027-01-31T00:00:00Z`);
    for (const f of Object.keys(k)) if (!["id", "sha256", "agents", "environments", "roles", "principal", "scopes", "expires"].includes(f)) throw new ConfigError(`${at}/${f} is not a key field`);
    return {
      id: k.id,
      sha256: k.sha256,
      agents: strings(k.agents, `${at}/agents`),
      environments: strings(k.environments, `${at}/environments`),
      roles: k.roles === undefined ? [] : strings(k.roles, `${at}/roles`),
      ...(typeof k.principal === "string" ? { principal: k.principal } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
      ...(typeof k.expires === "string" ? { expires: k.expires } : {}),
    };
  });
  const ids = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (ids.has(k.id)) throw new ConfigError(`/keys/${i}/id '${k.id}' is used by an earlier key: ids name keys in logs and metrics`);
    ids.add(k.id);
  }
  const rateLimit = limitSection(raw.rateLimit, "/rateLimit", 1000);
  const authFailureLimit = limitSection(raw.authFailureLimit, "/authFailureLimit", 5);
  const audit = auditSection(raw.audit);
  let timeouts: Timeouts | undefined;
  if (raw.timeouts !== undefined) {
    if (!isObject(raw.timeouts)) throw new ConfigError("/timeouts must be an object with requestMs, headersMs, keepAliveMs, idleMs");
    const t: Record<string, number> = {};
    for (const [f, v] of Object.entries(raw.timeouts)) {
      if (!["requestMs", "headersMs", "keepAliveMs", "idleMs"].includes(f)) throw new ConfigError(`/timeouts/${f} is not a timeout (requestMs, headersMs, keepAliveMs, idleMs)`);
      const n = posInt(v, `/timeouts/${f}`);
      if (n === 0 || n === undefined) throw new ConfigError(`/timeouts/${f} must be a positive number of milliseconds: a connection with no deadline can be held open forever`);
      t[f] = n;
    }
    timeouts = t;
  }
  let tls: ServiceConfig["tls"];
  if (raw.tls !== undefined) {
    if (!isObject(raw.tls) || typeof raw.tls.cert !== "string" || typeof raw.tls.key !== "string") throw new ConfigError("/tls must be an object with cert and key file paths");
    tls = { cert: resolve(base, raw.tls.cert), key: resolve(base, raw.tls.key) };
  }
  if (raw.signingKeyFile !== undefined && typeof raw.signingKeyFile !== "string") throw new ConfigError("/signingKeyFile must be a file path");
  if (raw.environments !== undefined && (typeof raw.environments !== "string" || raw.environments === "")) throw new ConfigError("/environments must be the path of a palisade.environments.json");
  const monitor = monitorSection(raw.monitor, base);
  const known = new Set(["keys", "rateLimit", "authFailureLimit", "bodyLimit", "approvalTimeoutMs", "checkpointEveryMs", "tls", "signingKeyFile", "monitor", "environments", "audit", "timeouts"]);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new ConfigError(`/${k} is not a configuration field`);
  const out: { -readonly [K in keyof ServiceConfig]: ServiceConfig[K] } = { keys };
  if (rateLimit) out.rateLimit = rateLimit;
  if (authFailureLimit) out.authFailureLimit = authFailureLimit;
  if (audit) out.audit = audit;
  if (timeouts) out.timeouts = timeouts;
  const bodyLimit = posInt(raw.bodyLimit, "/bodyLimit");
  if (bodyLimit !== undefined) out.bodyLimit = bodyLimit;
  const at = posInt(raw.approvalTimeoutMs, "/approvalTimeoutMs");
  if (at !== undefined) out.approvalTimeoutMs = at;
  const ce = posInt(raw.checkpointEveryMs, "/checkpointEveryMs");
  if (ce !== undefined) out.checkpointEveryMs = ce;
  if (tls) out.tls = tls;
  if (typeof raw.signingKeyFile === "string") out.signingKeyFile = resolve(base, raw.signingKeyFile);
  if (monitor !== undefined) out.monitor = monitor;
  if (typeof raw.environments === "string") out.environments = resolve(base, raw.environments);
  return out;
}

const AUDIT_FIELDS = ["onFailure", "timeoutMs", "publicEntries", "origin", "witnesses"];

/** `/audit`: every field checked, so a mistyped witness stops the start instead of going unwitnessed. */
function auditSection(v: unknown): ServiceConfig["audit"] {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new ConfigError(`/audit must be an object with ${AUDIT_FIELDS.join(", ")}`);
  for (const f of Object.keys(v)) if (!AUDIT_FIELDS.includes(f)) throw new ConfigError(`/audit/${f} is not an audit setting (${AUDIT_FIELDS.join(", ")})`);
  const onFailure = v.onFailure;
  if (onFailure !== undefined && onFailure !== "deny" && onFailure !== "allow") throw new ConfigError(`/audit/onFailure must be "deny" (refuse a decision that cannot be recorded, the default) or "allow", got ${JSON.stringify(onFailure)}`);
  const timeoutMs = posInt(v.timeoutMs, "/audit/timeoutMs");
  const publicEntries = v.publicEntries;
  if (publicEntries !== undefined && typeof publicEntries !== "boolean") throw new ConfigError("/audit/publicEntries must be true or false");
  const origin = v.origin;
  // C2SP: the origin is the checkpoint's first line and the key's name: no spaces, no '+'.
  if (origin !== undefined && (typeof origin !== "string" || !/^[\x21-\x2a\x2c-\x7e]+$/.test(origin))) {
    throw new ConfigError(`/audit/origin must name the log without spaces or '+', e.g. "example.com/audit", got ${JSON.stringify(origin)}`);
  }
  let witnesses: WitnessConfig[] | undefined;
  if (v.witnesses !== undefined) {
    if (!Array.isArray(v.witnesses)) throw new ConfigError("/audit/witnesses must be a list of { url, vkey }");
    witnesses = v.witnesses.map((w, i): WitnessConfig => {
      const at = `/audit/witnesses/${i}`;
      if (!isObject(w)) throw new ConfigError(`${at} must be an object with url and vkey`);
      for (const f of Object.keys(w)) if (f !== "url" && f !== "vkey") throw new ConfigError(`${at}/${f} is not a witness field (url, vkey)`);
      let url: URL | undefined;
      try {
        url = typeof w.url === "string" ? new URL(w.url) : undefined;
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "") {
        throw new ConfigError(`${at}/url must be the witness's http(s) submission prefix without credentials, e.g. "https://witness.example.com", got ${JSON.stringify(w.url)}`);
      }
      if (typeof w.vkey !== "string") throw new ConfigError(`${at}/vkey must be the witness's verifier key, <name>+<8 hex digits>+<base64 key>`);
      try {
        parseVerifierKey(w.vkey.trim());
      } catch (err) {
        throw new ConfigError(`${at}/vkey is not a verifier key: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { url: w.url as string, vkey: w.vkey.trim() };
    });
    const names = new Set<string>();
    for (const [i, w] of witnesses.entries()) {
      if (names.has(w.vkey)) throw new ConfigError(`/audit/witnesses/${i}/vkey is listed twice: one witness counts once`);
      names.add(w.vkey);
    }
  }
  return {
    ...(onFailure !== undefined ? { onFailure } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(publicEntries !== undefined ? { publicEntries } : {}),
    ...(typeof origin === "string" ? { origin } : {}),
    ...(witnesses !== undefined ? { witnesses } : {}),
  };
}

function limitSection(v: unknown, at: string, perSecondDefault: number): RateLimit | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new ConfigError(`${at} must be an object with perSecond and burst`);
  const perSecond = posInt(v.perSecond, `${at}/perSecond`) ?? perSecondDefault;
  return { perSecond, burst: posInt(v.burst, `${at}/burst`) ?? perSecond * 2 };
}

/** `/monitor`: false, a monitor config file's path, or the config itself (`baseline`, `defaults`, `monitors`, `alerts`). */
function monitorSection(v: unknown, base: string): MonitorConfig | false | undefined {
  if (v === undefined) return undefined;
  if (v === false) return false;
  try {
    if (typeof v === "string" && v !== "") return loadMonitorConfig(resolve(base, v));
    if (isObject(v)) return parseMonitorConfig(v, "/monitor");
  } catch (err) {
    if (err instanceof MonitorError) throw new ConfigError(`${err.message.startsWith("/monitor") ? "" : "/monitor: "}${err.message}${err.hint ? ` (${err.hint})` : ""}`);
    throw err;
  }
  throw new ConfigError("/monitor must be false, a monitor config file's path, or an object with monitors (see examples/monitors.json)");
}

/** Reads and checks a configuration file. */
export function loadServiceConfig(path: string): ServiceConfig {
  return parseServiceConfig(readFileSync(path, "utf8"), dirname(resolve(path)));
}
