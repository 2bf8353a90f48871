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
 * Whether `err` is a store's failure to be reached or used (the database driver's, the socket's,
 * the file system's), as opposed to a bug: those are 503. Reached outside the guarded stores (the
 * audit log's reads, a principal's pseudonym), the driver's own error arrives as it is, so what it
 * looks like is all there is to go on: PostgreSQL's SQLSTATE errors and its driver's connection
 * messages, SQLite's codes, and Node's system and stream errors (a socket or file that failed).
 */
export function isStoreFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; severity?: unknown; message?: unknown; syscall?: unknown; errno?: unknown };
  if (typeof e.code === "string") {
    if (/^(SQLITE_|ERR_SQLITE_ERROR$|ERR_STREAM_(DESTROYED|WRITE_AFTER_END|PREMATURE_CLOSE)$|ERR_SOCKET_)/.test(e.code)) return true;
    // Node's system errors (ECONNRESET, EPIPE, ENOTFOUND, EIO, ENOSPC...): a call to the system failed.
    if (/^E[A-Z0-9]+$/.test(e.code) && (typeof e.syscall === "string" || typeof e.errno === "number")) return true;
    if (/^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND)$/.test(e.code)) return true;
    if (typeof e.severity === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return true;
  }
  return typeof e.message === "string" && PG_CONNECTION.test(e.message);
}

// What node-postgres and its pool say when a connection is lost, cannot be made in time or was
// closed (their errors carry no code).
const PG_CONNECTION = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client was closed and is not queryable|Cannot use a pool after calling end on the pool)/;
