// Where the files Palisade ships beside its code live: package.json, spec/controls,
// stdlib-policies and the example policies the CLI falls back on. From the sources that is the
// repository's root; installed, the code runs from dist/ one level deeper, so the root is found
// by walking up to the nearest package.json instead of counting folders.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: Palisade's files are incomplete`);
  }
}

/** The folder holding Palisade's package.json (the repository root, or the installed package). */
export const PACKAGE_ROOT: string = findRoot(import.meta.dirname);

/**
 * The command that installs `pkg` at the range Palisade declares for it (a dependency, or an
 * optional peer: the range its adapter is tested on). Read only when something is missing.
 */
export function installCommand(pkg: string): string {
  let range: string | undefined;
  try {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    range = manifest.peerDependencies?.[pkg] ?? manifest.dependencies?.[pkg];
  } catch {
    range = undefined;
  }
  return `npm install ${range ? `${pkg}@${range}` : pkg}`;
}
