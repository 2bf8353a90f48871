// The shared stores beside the log (sessions, approvals, the console's decisions) live in
// PostgreSQL or SQLite, and a dropped connection, a failover or a full disk rejects their calls
// with the driver's own error. Reaching a route as is, that was a 500 "internal error" (13 of 102
// decisions while PostgreSQL dropped its connections); it is the service's dependency being
// unavailable: 503 service/unavailable, retried elsewhere, and reported to the operator.
import { ServiceError } from "./errors.ts";

/**
 * `store` with every method's failure (a rejection or a throw that is not a ServiceError) turned
 * into 503 service/unavailable naming `what`, and reported through `onError`. Methods are bound
 * to the store itself (its private fields) and made once, not per call.
 */
export function guardStore<T extends object>(store: T, what: string, onError: (err: unknown) => void): T {
  const fail = (err: unknown): never => {
    if (err instanceof ServiceError) throw err;
    onError(new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`));
    throw new ServiceError("service/unavailable", `the ${what} cannot be reached: retry (on another node when there are several)`);
  };
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      let m = methods.get(prop);
      if (m === undefined) {
        const f = v as (...a: unknown[]) => unknown;
        m = (...args: unknown[]): unknown => {
          let out: unknown;
          try {
            out = f.apply(target, args);
          } catch (err) {
            return fail(err);
          }
          return out instanceof Promise ? out.catch(fail) : out;
        };
        methods.set(prop, m);
      }
      return m;
    },
  });
}

/**
 * Whether `err` is a database driver's failure to reach or use its store (PostgreSQL's connection
 * errors and SQLSTATE errors, SQLite's, the socket's), as opposed to a bug: those are 503.
 */
export function isStoreFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof e.code === "string") {
    if (/^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|SQLITE_|ERR_SQLITE_ERROR)/.test(e.code)) return true;
    if (typeof e.severity === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return true;
  }
  return typeof e.message === "string" && /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/.test(e.message);
}
