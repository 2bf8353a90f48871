// Running the CLI in-process with captured output, and as a real child process.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../main.ts";
import { repoRoot } from "../../../test/support.ts";

/** What a CLI run printed and returned. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `palisade ...argv` in-process in `cwd`, with `stdin` as standard input. */
export async function run(argv: string[], cwd: string = repoRoot, stdin = ""): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => stdin,
    cwd,
    isTTY: false,
  });
  return { code, stdout, stderr };
}

/** Runs the installed entry point as a child process. */
export function runProcess(argv: string[], cwd: string = repoRoot, input?: string): Run {
  const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "bin", "palisade.js"), ...argv], { cwd, encoding: "utf8", input, timeout: 120_000, killSignal: "SIGKILL" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder holding `files` (path -> text). */
export function tempTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "palisade-cli-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
