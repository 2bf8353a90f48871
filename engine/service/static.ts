// The playground and console pages: files from the built bundle folder, read once and kept in
// memory (a few hundred KB). They hold no data, so they are served without a key; every call
// they make to the API carries one.
import { ServiceError } from "./errors.ts";
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
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
    // Only an empty bundle folder is a build to run; a name it does not hold is no file of the pages.
    if (!f) return reply.code(404).send(new ServiceError("request/not-found", files.size === 0 ? `${name} is not built: run 'npm run build:playground'` : `the pages have no file '${name}'`).toJSON());
    return reply.type(f.type).header("cache-control", "no-cache").send(f.body);
  };
  const page = (summary: string, type = "text/html") => documented({ summary, tag: "pages", auth: "public", responses: { 200: { description: summary, type } } });
  app.get("/", documented({ summary: "Redirects to the playground", tag: "pages", auth: "public", responses: { 302: { description: "To /playground.", type: "" } } }), async (_req, reply) => reply.redirect("/playground"));
  app.get("/playground", page("The policy playground"), send("playground.html"));
  app.get("/console", page("The operator console"), send("console.html"));
  app.get(
    "/assets/:name",
    documented({ summary: "The pages' scripts and styles", tag: "pages", auth: "public", params: { name: { description: "A built file's name." } }, responses: { 200: { description: "The file.", type: "text/javascript", alternatives: { "text/css": { type: "string" } } }, 404: { description: "No such file (or the pages are not built).", schema: ref("Error") } } }),
    async (req, reply) => send((req.params as { name: string }).name)(req, reply),
  );
}
