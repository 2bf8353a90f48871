// The pools of the service's shared PostgreSQL stores (sessions, approvals, the console's decisions).
import type pg from "pg";
import { QUERY_TIMEOUT_MS, openPool } from "../storage/postgres.ts";

export { QUERY_TIMEOUT_MS };

/** A pool of `max` connections with the statement deadline of every PostgreSQL store (a store past it is 503). */
export function servicePool(url: string, max: number, queryTimeoutMs = QUERY_TIMEOUT_MS): pg.Pool {
  return openPool(url, { max, queryTimeoutMs });
}
