// Fresh PostgreSQL databases on the throwaway server test/run.ts started, one per caller, so
// suites running side by side never see each other's tables.
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
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

/** A TCP relay to the database at `url` that a test can cut, as a failover or a network fault would. */
export interface PgRelay {
  /** `url` with the relay's port: what the code under test connects to. */
  readonly url: string;
  /** Drops every open connection; new ones are still relayed. */
  cut(): void;
  /** Frozen, bytes are held both ways and nothing is closed (a partition, a frozen failover); unfrozen, they flow again. */
  freeze(frozen: boolean): void;
  /** Drops every open connection and refuses new ones. */
  close(): Promise<void>;
}

/** Starts a relay on loopback in front of the database at `url`. */
export async function pgRelay(url: string): Promise<PgRelay> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    // Held bytes are dropped, not queued: a frozen peer never sees them, as in a partition.
    client.on("data", (d: Buffer) => void (frozen || upstream.write(d)));
    upstream.on("data", (d: Buffer) => void (frozen || client.write(d)));
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const via = new URL(url);
  via.port = String((server.address() as { port: number }).port);
  const cut = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: via.toString(),
    cut,
    freeze: (on) => void (frozen = on),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        cut();
      }),
  };
}
