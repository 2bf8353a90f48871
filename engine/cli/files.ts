// Finding and reading policy files named on the command line: a PATH is a `.policy` file or a
// folder searched recursively for them (hidden folders and node_modules skipped).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, isAbsolute } from "node:path";
import { UsageError } from "./args.ts";

/** One source file as read from disk; `path` is as the user should see it (relative to cwd when inside it). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith(".policy")) out.push(p);
  }
}

/** The `.policy` files under `paths`, in a stable order, each once. Missing paths are usage errors. */
export function findPolicyFiles(paths: readonly string[], cwd: string): string[] {
  if (paths.length === 0) throw new UsageError("no PATH given: name a .policy file or a folder of them");
  const found: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new UsageError(`cannot read '${p}': no such file or folder`);
    }
    if (st.isDirectory()) {
      const before = found.length;
      walk(abs, found);
      if (found.length === before) throw new UsageError(`no .policy files in folder '${p}'`);
    } else found.push(abs);
  }
  return [...new Set(found)];
}

/** Reads the files under `paths` as UTF-8 text. */
export function readPolicyFiles(paths: readonly string[], cwd: string): SourceFile[] {
  return findPolicyFiles(paths, cwd).map((abs) => {
    try {
      return { path: displayPath(abs, cwd), text: readFileSync(abs, "utf8") };
    } catch (err) {
      throw new UsageError(`cannot read '${displayPath(abs, cwd)}': ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
    }
  });
}

/** Reads and parses a JSON file (or stdin for `-`), as a usage error when it is not JSON. */
export async function readJsonArg(file: string, cwd: string, readStdin: () => Promise<string>): Promise<unknown> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : readFileSync(resolve(cwd, file), "utf8");
  } catch {
    throw new UsageError(`cannot read '${file}': no such file`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`'${file === "-" ? "stdin" : file}' is not valid JSON: ${(err as Error).message}`);
  }
}
