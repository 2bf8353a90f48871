// The playground and console pages: files from the built bundle folder, read once and kept in
// memory (a few hundred KB). They hold no data, so they are served without a key; every call
// they make to the API carries one.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import type { FastifyInstance } from "fastify";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/** Registers `/playground` and `/console` over the files in `dir`. */
export function staticRoutes(app: FastifyInstance, dir: string): void {
  const files = new Map<string, { type: string; body: Buffer }>();
  if (existsSync(dir)) for (const name of readdirSync(dir)) files.set(name, { type: TYPES[extname(name)] ?? "application/octet-stream", body: readFileSync(join(dir, name)) });
  const send = (name: string) => async (_req: unknown, reply: import("fastify").FastifyReply) => {
    const f = files.get(name);
    if (!f) return reply.code(404).type("text/plain").send(`${name} is not built: run 'npm run build:playground'\n`);
    return reply.type(f.type).header("cache-control", "no-cache").send(f.body);
  };
  app.get("/", async (_req, reply) => reply.redirect("/playground"));
  app.get("/playground", send("playground.html"));
  app.get("/console", send("console.html"));
  app.get("/assets/:name", async (req, reply) => send((req.params as { name: string }).name)(req, reply));
}
