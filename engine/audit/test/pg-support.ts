// Fresh PostgreSQL databases on the throwaway server test/run.ts started, one per caller, so
// suites running side by side never see each other's tables.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { pgUrl } from "../../../test/support.ts";

/** Creates an empty database named after `prefix` and returns its URL. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: pgUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(pgUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs SQL against the database at `url` (tests use it to tamper with rows directly). */
export async function sql(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}
