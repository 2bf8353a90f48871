// Finding and reading policy files named on the command line: a PATH is a `.policy` file or a
// folder searched recursively for them (hidden folders and node_modules skipped).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, isAbsolute } from "node:path";
import { UsageError } from "./args.ts";
import { diagnostic, type Diagnostic } from "../../language/index.ts";
import { fileStart } from "../../language/span.ts";

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

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a file that must be UTF-8; throws a NotUtf8 error when it is not. */
function readUtf8(abs: string): string {
  const bytes = readFileSync(abs);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NotUtf8();
  }
}

class NotUtf8 extends Error {
  override readonly name = "NotUtf8";
}

/** Reads the files under `paths` as UTF-8 text. */
export function readPolicyFiles(paths: readonly string[], cwd: string): SourceFile[] {
  return findPolicyFiles(paths, cwd).map((abs) => {
    try {
      return { path: displayPath(abs, cwd), text: readUtf8(abs) };
    } catch (err) {
      throw new UsageError(`cannot read '${displayPath(abs, cwd)}': ${err instanceof NotUtf8 ? "it is not UTF-8 text" : ((err as NodeJS.ErrnoException).code ?? "read error")}`);
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

/**
 * Reads the files under `paths` for the commands that report on files (check, fmt, test,
 * eval): a PATH that cannot be read is an E604 diagnostic rather than a usage error, so it is
 * reported beside the other files' findings. No PATH at all is still a usage error.
 */
export function readPolicySources(paths: readonly string[], cwd: string): { sources: SourceFile[]; diagnostics: Diagnostic[] } {
  if (paths.length === 0) throw new UsageError("no PATH given: name a .policy file or a folder of them");
  const sources: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    let files: string[];
    try {
      files = findPolicyFiles([p], cwd);
    } catch (err) {
      const reason = err instanceof UsageError ? err.message : `cannot read '${p}'`;
      diagnostics.push(diagnostic("E604", p, fileStart, reason, "check the path, or name a folder that holds .policy files"));
      continue;
    }
    for (const abs of files) {
      if (seen.has(abs)) continue;
      seen.add(abs);
      const path = displayPath(abs, cwd);
      try {
        sources.push({ path, text: readUtf8(abs) });
      } catch (err) {
        if (err instanceof NotUtf8) diagnostics.push(diagnostic("E604", path, fileStart, `cannot read '${path}': it is not UTF-8 text`, "save the file as UTF-8 (policy files are text)"));
        else diagnostics.push(diagnostic("E604", path, fileStart, `cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? "read error"}`, "check the file's permissions"));
      }
    }
  }
  return { sources, diagnostics };
}
