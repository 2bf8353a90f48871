// Issue 19 on one node: the audit log and the session history in SQLite files, as \`palisade serve --db\` keeps them.
import { join } from "node:path";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
import { sessionEntriesSuite } from "./session-entries-suite.ts";

sessionEntriesSuite("SQLite", async (dir) => ({ audit: join(dir, "audit.db"), sessions: SqliteSessionStore.open(join(dir, "audit.db.state.db")) }));
