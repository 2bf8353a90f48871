// The tamper suite against PostgreSQL: each case damages its own copy (CREATE DATABASE ... TEMPLATE).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresStore } from "../postgres-store.ts";
import { freshDatabase, sql } from "./pg-support.ts";
import { tamperSuite } from "./tamper-suite.ts";

/** `?` placeholders to `$n`, byte strings to Buffers. */
function adapt(text: string, params: unknown[]): [string, unknown[]] {
  let i = 0;
  return [text.replace(/\?/g, () => `$${++i}`), params.map((p) => (p instanceof Uint8Array ? Buffer.from(p) : p))];
}

tamperSuite("postgres", {
  nodeLevel: "level",
  nodeIndex: "idx",
  async fresh() {
    const location = await freshDatabase("audit_tamper");
    return { location, store: await PostgresStore.open(location) };
  },
  async copy(from) {
    const src = new URL(from);
    const name = `audit_tamper_case_${randomBytes(6).toString("hex")}`;
    await sql(from.replace(src.pathname, "/postgres"), `CREATE DATABASE ${name} TEMPLATE ${src.pathname.slice(1)}`);
    const location = from.replace(src.pathname, `/${name}`);
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    return {
      location,
      db: {
        run: async (text, ...params) => void (await client.query(...adapt(text, params))),
        all: async (text, ...params) => (await client.query(...adapt(text, params))).rows as Record<string, unknown>[],
      },
      close: () => client.end(),
    };
  },
});
