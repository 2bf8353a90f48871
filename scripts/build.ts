// `npm run build` (run by `prepack`): the installable package in dist/. tsc emits the JavaScript,
// declarations and source maps from the same sources the repository runs directly (relative
// `.ts` imports rewritten to `.js`, the phase schemas copied where the checker imports them),
// from the entry points tsconfig.build.json lists, so only what an entry reaches is shipped.
// Types are checked by `npm run typecheck`, not again here (`noCheck` halves the build). Then
// the playground and console pages are bundled into dist/playground, where an installed
// `palisade serve` finds them without esbuild or CodeMirror.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildPlayground } from "../playground/build.ts";

const root = resolve(import.meta.dirname, "..");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (tsc.status !== 0) {
  console.error("build: tsc failed");
  process.exit(1);
}
// serve.ts reaches playground/build.ts (the checkout's on-demand bundler) through a dynamic
// import, so tsc emitted it; the package carries the bundle instead.
const pages = join(dist, "playground");
rmSync(pages, { recursive: true, force: true });
await buildPlayground(pages);
console.error(`built ${dist}`);
