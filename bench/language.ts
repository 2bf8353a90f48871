// How long the language front end takes on a large policy set: parse, check and format a
// generated 10,000-rule file in-process, and `palisade check` on it as a user runs it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkSources, parse, formatSource } from "../language/index.ts";

/** A policy file of `n` rules over many tool names, with the constructs a real set uses. */
export function largePolicy(n: number): string {
  const out = ["package bench.large", "", "const LIMIT = 500", 'const TRUSTED = ["acme.com", "acme.io"]', "", "def external(a) = not (domain(a) in TRUSTED)", ""];
  for (let i = 0; i < n; i++) {
    const tool = `tool_${i % 997}`;
    switch (i % 4) {
      case 0:
        out.push(`/// Rule ${i}.`, `rule r${i} on tool_call {`, "  severity high", `  controls "soc2:CC6.${i % 8}"`, `  when tool.name == "${tool}" and tool.args.amount > LIMIT + ${i}`, `  then deny "amount {tool.args.amount} over the limit"`, "}", "");
        break;
      case 1:
        out.push(`rule r${i} on tool_call {`, `  when tool.name == "${tool}" and external(tool.args.to)`, `   and any c in session.calls: c.tool.name == "read_${i % 50}"`, `  then require_approval "external send" from "lead"`, "}", "");
        break;
      case 2:
        out.push(`rule r${i} on tool_call {`, `  when tool.name == "${tool}" and tool.args.path matches /^\\/etc\\/[a-z]+$/`, `  then warn "system path"`, "}", "");
        break;
      default:
        out.push(`rule r${i} on output {`, `  when output.text contains "ticket-${i}"`, `  then redact pii.email in output.text with "[EMAIL]"`, "}", "");
    }
  }
  return out.join("\n");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMs(f: () => void, runs: number): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/** The language suite: figures in milliseconds for a 10,000-rule file. */
export async function benchLanguage(): Promise<Record<string, number>> {
  const text = largePolicy(10_000);
  const src = [{ path: "large.policy", text }];
  const parseMs = timeMs(() => void parse(text, "large.policy"), 3);
  const checkMs = timeMs(() => {
    const r = checkSources(src);
    if (!r.program) throw new Error(`the generated policy does not check: ${r.diagnostics[0]?.message}`);
  }, 3);
  const fmtMs = timeMs(() => void formatSource(text, "large.policy"), 3);
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-"));
  writeFileSync(join(dir, "large.policy"), text);
  const root = resolve(import.meta.dirname, "..");
  const cliRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(root, "engine/cli/main.ts"), "check", join(dir, "large.policy")], { encoding: "utf8" });
    cliRuns.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`palisade check failed on the generated file:\n${r.stderr.slice(0, 2000)}`);
  }
  return {
    rules: 10_000,
    file_bytes: Buffer.byteLength(text),
    parse_ms: parseMs,
    parse_and_check_ms: checkMs,
    format_ms: fmtMs,
    palisade_check_cli_ms: median(cliRuns),
  };
}
