// The tamper suite against SQLite: each case damages its own copy of the database file.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { SqliteStore } from "../sqlite-store.ts";
import { tamperSuite } from "./tamper-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-tamper-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

tamperSuite("sqlite", {
  nodeLevel: "(id & 63)",
  nodeIndex: "((id >> 6) + 1) / (1 << (id & 63)) - 1",
  async fresh() {
    const location = join(dir, `base${++n}.db`);
    return { location, store: SqliteStore.open(location) };
  },
  async copy(from) {
    const location = join(dir, `case${++n}.db`);
    copyFileSync(from, location);
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${location}-wal`);
    const db = new DatabaseSync(location);
    type Param = null | number | bigint | string | Uint8Array;
    return {
      location,
      db: {
        run: async (sql, ...params) => void db.prepare(sql).run(...(params as Param[])),
        all: async (sql, ...params) => db.prepare(sql).all(...(params as Param[])) as Record<string, unknown>[],
      },
      close: async () => db.close(),
    };
  },
});
