// The project's test command: finds every `*.test.ts` beside the code, brings up the real
// servers the suites need (a throwaway PostgreSQL on loopback, Debian's Chromium), runs
// node:test over them, and tears the servers down. A missing server fails the run with the
// command that installs it: no suite is skipped silently.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { nodeTestArgs } from "./node-args.ts";
import { ensureChromium, startPostgres } from "./servers.ts";
import type { Postgres } from "./servers.ts";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));

function findTests(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) findTests(p, out);
    else if (entry.name.endsWith(".test.ts") && p.includes(`${"/"}test${"/"}`)) out.push(p);
  }
  return out;
}

let files = findTests(root, []).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const needsPostgres = files.some((f) => /\.pg\.test\.ts$/.test(f) || f.includes("postgres"));
const needsChromium = files.some((f) => /\.browser\.test\.ts$/.test(f));
const env: NodeJS.ProcessEnv = { ...process.env, PALISADE_TEST: "1" };
let pg: Postgres | undefined;
if (needsPostgres) {
  pg = await startPostgres();
  env.PALISADE_TEST_PG_URL = pg.url;
}
if (needsChromium) env.PALISADE_CHROMIUM = ensureChromium();

const cleanup = () => pg?.stop();
process.on("SIGINT", () => { cleanup(); process.exit(130); });
process.on("SIGTERM", () => { cleanup(); process.exit(143); });

const nodeArgs = nodeTestArgs(files, args.filter((a) => a.startsWith("--")), env);
const child = spawn(process.execPath, nodeArgs, { stdio: "inherit", env, cwd: root });
child.on("exit", (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
