// Bundling the playground and the console with esbuild into playground/dist. The playground runs
// the language front end and the engine in the browser; the one node-only import on that path
// (node:crypto, for the policy digest) is swapped for a small SHA-256 of our own.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { join, resolve } from "node:path";

const here = import.meta.dirname;
/** Where the built pages go. */
export const distDir = join(here, "dist");
const srcDir = join(here, "src");

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds both pages into `out` (default playground/dist). */
export async function buildPlayground(out: string = distDir): Promise<void> {
  const esbuild = await import("esbuild");
  mkdirSync(out, { recursive: true });
  const shim = resolve(srcDir, "crypto-shim.ts");
  await esbuild.build({
    entryPoints: { playground: join(srcDir, "playground.ts"), console: join(srcDir, "console.ts") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    outdir: out,
    entryNames: "[name]",
    logLevel: "silent",
    plugins: [
      {
        name: "node-crypto-shim",
        setup(b) {
          b.onResolve({ filter: /^node:crypto$/ }, () => ({ path: shim }));
        },
      },
    ],
  });
  for (const f of ["playground.html", "console.html", "style.css", "favicon.svg"]) copyFileSync(join(srcDir, f), join(out, f));
  writeFileSync(join(out, "BUILT"), new Date().toISOString());
}

/** Builds the pages unless playground/dist is newer than every source; returns the folder. */
export async function ensurePlayground(): Promise<string> {
  const stamp = join(distDir, "BUILT");
  const stale = !existsSync(stamp) || statSync(stamp).mtimeMs < Math.max(newest(srcDir), newest(join(here, "..", "language")), newest(join(here, "..", "engine", "runtime")), newest(join(here, "..", "engine", "compile")), newest(join(here, "..", "engine", "audit")));
  if (stale) await buildPlayground();
  return distDir;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(here, "build.ts")) {
  await buildPlayground();
  console.log(`built ${distDir}`);
}
