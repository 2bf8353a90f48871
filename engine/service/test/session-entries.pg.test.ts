// Issue 19 on PostgreSQL: the audit log and the shared session history in one throwaway database.
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import { sessionEntriesSuite } from "./session-entries-suite.ts";

sessionEntriesSuite("PostgreSQL", async () => {
  const db = await freshDatabase("entries");
  return { audit: db, sessions: await PostgresSessionStore.open(db) };
});
