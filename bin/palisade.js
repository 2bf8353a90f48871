#!/usr/bin/env node
// The installed entry point. Palisade is TypeScript that Node 22+ runs directly, so older Nodes
// get a clear message instead of a loader error.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(`palisade: needs Node.js 22 or later, this is ${process.version}; run it through the project's npm scripts or npx inside the project (which use the pinned Node 22), or upgrade Node\n`);
  process.exit(2);
}
await import("../engine/cli/main.ts");
