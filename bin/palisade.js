#!/usr/bin/env node
// The `palisade` command. Installed, it runs the built CLI in dist/; in a checkout (where the
// TypeScript sources sit beside it) it runs those, so it never serves a stale build. Written for
// any Node that can parse it (no top-level await): an older Node gets one line and exit 2, not a
// loader error or a stack trace.
// "fs", not "node:fs": Nodes before 14.18 know only the bare name, and they must reach the check.
import { existsSync } from "fs";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(`palisade needs Node.js 22 or later; this is ${process.versions.node}\n`);
  process.exit(2);
}
const sources = new URL("../engine/cli/main.ts", import.meta.url);
import(existsSync(sources) ? sources.href : new URL("../dist/engine/cli/main.js", import.meta.url).href).catch((err) => {
  process.stderr.write(`palisade: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(70);
});
