// `palisade eval` on bad input: 10,000 levels of nesting is a clear error (exit 2, no stack
// trace), 10 MB decides, both within a bounded time, from a file and from standard input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_INPUT_DEPTH, nestsDeeperThan } from "../eval.ts";
import { repoRoot } from "../../../test/support.ts";
import { run, runProcess, tempTree } from "./support.ts";

/** runProcess with room for a 10 MB decision on stdout. */
function runBig(argv: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "bin", "palisade.js"), ...argv], { cwd, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024, timeout: 120_000, killSignal: "SIGKILL" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const policy = `package b

rule same on tool_call {
  when tool.args.x != null and tool.args.x == tool.args.y
  then deny "same"
}

rule mask on tool_call {
  then redact pii.email in tool.args.text with "[EMAIL]"
}
`;

const deepText = (n: number) => `{"tool":{"name":"t","args":{"x":${"[".repeat(n)}1${"]".repeat(n)},"y":${'{"a":'.repeat(n)}1${"}".repeat(n)}}}}`;

test("an input nested 10,000 levels deep exits 2 with a clear message and no stack trace", () => {
  const dir = tempTree({ "b.policy": policy, "deep.json": deepText(10_000), "deeper.json": `{"meta":${"[".repeat(200_000)}${"]".repeat(200_000)}}` });
  for (const file of ["deep.json", "deeper.json"]) {
    const r = runProcess(["eval", "b.policy", "--phase", "tool_call", "--input", file], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^palisade eval: the input nests lists and objects more than ${MAX_INPUT_DEPTH} levels deep`));
    assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|internal error/);
  }
});

test("the depth limit is generous: an input at the limit decides", async () => {
  const n = MAX_INPUT_DEPTH - 4; // the tool/args/x levels count too
  const dir = tempTree({ "b.policy": policy, "ok.json": deepText(n).replace(/"y":.*$/, `"y":${"[".repeat(n)}1${"]".repeat(n)}}}}`) });
  const r = await run(["eval", "b.policy", "--phase", "tool_call", "--compact", "--input", "ok.json"], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { decision: string }).decision, "deny");
  assert.equal(nestsDeeperThan({ a: [[{}]] }, 4), false);
  assert.equal(nestsDeeperThan({ a: [[{}]] }, 3), true);
  assert.equal(nestsDeeperThan("text", 0), false);
});

test("a 10 MB input decides (redacted) from a file and from standard input, in bounded time", () => {
  const text = "mail a@example.com now ".repeat(460_000);
  const input = JSON.stringify({ tool: { name: "t", args: { text } } });
  assert.ok(input.length > 10_000_000);
  const dir = tempTree({ "b.policy": policy });
  writeFileSync(join(dir, "huge.json"), input);
  for (const [args, stdin] of [[["--input", "huge.json"], undefined], [["--input", "-"], input]] as const) {
    const r = runBig(["eval", "b.policy", "--phase", "tool_call", "--compact", ...args], dir, stdin);
    assert.equal(r.code, 0, r.stderr.slice(0, 500));
    const d = JSON.parse(r.stdout) as { decision: string; payload: { tool: { args: { text: string } } } };
    assert.equal(d.decision, "allow");
    assert.ok(d.payload.tool.args.text.startsWith("mail [EMAIL] now "));
    assert.ok(!d.payload.tool.args.text.includes("@example.com"));
  }
});

test("huge input that is not JSON is a usage error, exit 2", () => {
  const dir = tempTree({ "b.policy": policy });
  writeFileSync(join(dir, "bad.json"), `{"x": "${"y".repeat(10_000_000)}`);
  const r = runProcess(["eval", "b.policy", "--phase", "tool_call", "--input", "bad.json"], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not valid JSON/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("a reader that closes the pipe early ends the command quietly: no EPIPE stack trace", async () => {
  const dir = tempTree({ "p.policy": policy });
  const big = JSON.stringify({ tool: { name: "t", args: { text: "a@b.io ".repeat(200_000) } } });
  writeFileSync(join(dir, "in.json"), big);
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "bin", "palisade.js"), "eval", "p.policy", "--phase", "tool_call", "--input", "in.json"], { cwd: dir });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  // Read one chunk, then close the pipe, like `| head -c 10`.
  child.stdout.once("data", () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  assert.doesNotMatch(stderr, /EPIPE|at \w+ \(|node:internal/, stderr);
  assert.equal(code, 0);
});
