// Palisade as a user installs it: the tarball `npm pack` makes, installed into a throwaway app
// beside the frameworks (test/package-app.ts), driven from that app the way the README says.
// The app's files are examples/app/, the very files the README's "Use it in your app" quotes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { statusFile } from "./package-app.ts";
import { installedApp, olderNode, repoRoot } from "./support.ts";
import type { InstalledApp } from "./support.ts";

const run = promisify(execFile);
const FRAMEWORKS = ["ai", "@openai/agents", "openai", "@langchain/core", "@modelcontextprotocol/sdk"];
const ENTRIES = ["palisade", "palisade/ai-sdk", "palisade/openai-agents", "palisade/openai", "palisade/langchain", "palisade/mcp", "palisade/audit", "palisade/monitor", "palisade/compliance", "palisade/environments", "palisade/service"];

let app: InstalledApp;
let work: string; // the example app, copied into the installed app's folder
let typecheck: Promise<{ code: number | null; out: string }>;

before(async () => {
  app = await installedApp();
  work = mkdtempSync(join(app.dir, "readme-"));
  cpSync(join(repoRoot, "examples", "app"), work, { recursive: true });
  // The strict type-check is the slowest step: it runs while the other tests do.
  typecheck = new Promise((resolve) => {
    const tsc = spawn(process.execPath, [join(app.dir, "node_modules", "typescript", "bin", "tsc"), "-p", work, "--listFiles"], { cwd: work, env: app.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    tsc.stdout.on("data", (d: Buffer) => (out += d));
    tsc.stderr.on("data", (d: Buffer) => (out += d));
    tsc.on("exit", (code) => resolve({ code, out }));
  });
});

/** What every tool-calling adapter must show: the denied tool's body never ran, the allowed one did, and its result reached the model redacted. */
function assertGuardedTools(out: string, denied: RegExp, allowed: RegExp): void {
  assert.doesNotMatch(out, /ran deleteFile/);
  assert.match(out, denied);
  assert.match(out, /ran lookup c42/);
  assert.match(out, allowed);
}

const DENIED = /delete_file -> "blocked by policy: deleting files is not allowed"/;
const REDACTED = /lookup -> \{"text":"c42: \[EMAIL\]"\}/;

async function node(file: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, ["--disable-warning=ExperimentalWarning", file, ...args], { cwd: work, env: app.env, timeout: 60_000 });
  return stdout;
}

test("the tarball holds the build, the README, the licence, the schemas and the packs; no tests, bench or sources", () => {
  const listing = spawnSync("tar", ["-tzf", app.tarball], { encoding: "utf8" });
  assert.equal(listing.status, 0, listing.stderr);
  const files = listing.stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
  for (const f of ["package.json", "README.md", "LICENSE", "bin/palisade.js", "dist/engine/exports/index.js", "dist/engine/exports/index.d.ts", "dist/engine/exports/index.js.map", "dist/engine/cli/main.js", "dist/playground/playground.js", "dist/playground/playground.html", "stdlib-policies/hipaa/hipaa.policy", "spec/controls/soc2.json"]) {
    assert.ok(files.includes(f), `${f} is missing from the tarball`);
  }
  for (const phase of ["input", "model_call", "tool_call", "tool_result", "output"]) assert.ok(files.includes(`dist/spec/schemas/${phase}.schema.json`), `the ${phase} schema is missing`);
  const stray = files.filter((f) => /(^|\/)(test|tests|bench|node_modules)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.startsWith("playground/") || f.includes("/src/") || f.endsWith(".test.js"));
  assert.deepEqual(stray, [], "tests, benchmarks and sources stay out of the package");
  assert.equal(files.length, app.entryCount);
  console.log(`tarball: ${(app.size / 1000).toFixed(0)} kB, ${app.entryCount} files`);
});

test("the frameworks are optional peers, so the app holds one copy of each", () => {
  const pkg = JSON.parse(readFileSync(join(app.dir, "node_modules", "palisade", "package.json"), "utf8")) as Record<string, Record<string, unknown> | undefined>;
  for (const f of FRAMEWORKS) {
    assert.equal(pkg.dependencies?.[f], undefined, `${f} is not a hard dependency`);
    assert.equal(typeof pkg.peerDependencies?.[f], "string", `${f} is a peer dependency with the range it is tested on`);
    assert.deepEqual(pkg.peerDependenciesMeta?.[f], { optional: true });
  }
  for (const dev of ["esbuild", "@codemirror/view", "@codemirror/state", "zod", "canonicalize"]) assert.equal(pkg.dependencies?.[dev], undefined, `${dev} is not a dependency`);
  const copies = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const names = e.name.startsWith("@") ? readdirSync(join(dir, e.name)).map((n) => `${e.name}/${n}`) : [e.name];
      for (const name of names) {
        if (FRAMEWORKS.includes(name)) copies.set(name, [...(copies.get(name) ?? []), join(dir, name)]);
        if (existsSync(join(dir, name, "node_modules"))) walk(join(dir, name, "node_modules"));
      }
    }
  };
  walk(join(app.dir, "node_modules"));
  for (const f of FRAMEWORKS) assert.deepEqual(copies.get(f), [join(app.dir, "node_modules", f)], `one copy of ${f}`);
});

const DEEP = ["palisade/engine/sdk/index.ts", "palisade/dist/engine/exports/index.js", "palisade/dist/engine/sdk/ai-sdk/index.js", "palisade/sdk", "palisade/package.json", "palisade/bin/palisade.js", "palisade/spec/schemas/input.schema.json", "palisade/stdlib-policies/hipaa/hipaa.policy", "palisade/./dist/engine/exports/index.js", "palisade/ai-sdk/../dist/engine/exports/index.js", "palisade/%2e/dist/engine/exports/index.js", "palisade/ai-sdk/"];

test("every exports entry imports from ESM and require()s from CommonJS as the same module, and no other path does either way", async () => {
  const script = `
    import { createRequire } from "node:module";
    const require = createRequire(process.cwd() + "/");
    const out = {};
    for (const e of ${JSON.stringify(ENTRIES)}) {
      const ns = await import(e);
      out[e] = { esm: Object.keys(ns).sort(), cjs: Object.keys(require(e)).sort(), same: ns === require(e) };
    }
    for (const e of ${JSON.stringify(DEEP)}) {
      out[e] = {};
      try { await import(e); out[e].esm = "imported"; } catch (err) { out[e].esm = err.code; }
      try { require(e); out[e].cjs = "required"; } catch (err) { out[e].cjs = err.code; }
    }
    console.log(JSON.stringify(out));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: work, env: app.env });
  const got = JSON.parse(stdout) as Record<string, { esm: string[] | string; cjs: string[] | string; same?: boolean }>;
  const has = (entry: string, ...names: string[]) => {
    for (const n of names) assert.ok((got[entry]!.esm as string[]).includes(n), `${entry} exports ${n}`);
  };
  has("palisade", "createGuard", "Guard", "PolicyDeniedError", "GuardConfigError", "loadPolicySet", "PolicySet", "DecisionInputError", "MissingPeerError");
  has("palisade/ai-sdk", "guardTools", "guardModel", "guardMiddleware");
  has("palisade/openai-agents", "guardAgentTool", "guardAgentModel", "palisadeInputGuardrail", "palisadeOutputGuardrail");
  has("palisade/openai", "guardOpenAI", "guardedFetch");
  has("palisade/langchain", "palisadeMiddleware", "guardLangChainTool", "guardChatModel");
  has("palisade/mcp", "startMcpProxy");
  has("palisade/audit", "AuditLog", "openStore", "verifyInclusion");
  has("palisade/monitor", "Monitor", "runDrift");
  has("palisade/compliance", "buildReport", "verifyReport");
  has("palisade/environments", "EnvironmentHandle", "loadBundle", "promote");
  has("palisade/service", "createService", "serviceApprover");
  for (const e of ENTRIES) {
    assert.deepEqual(got[e]!.cjs, got[e]!.esm, `require("${e}") gives the names import gives`);
    // One module, not a CommonJS twin: an error class caught with instanceof is the one thrown.
    assert.equal(got[e]!.same, true, `require("${e}") is the very module import loads`);
  }
  for (const deep of DEEP) assert.deepEqual(got[deep], { esm: "ERR_PACKAGE_PATH_NOT_EXPORTED", cjs: "ERR_PACKAGE_PATH_NOT_EXPORTED" }, `${deep} is neither importable nor requirable`);
});

test("CommonJS: require() of every entry, and a guarded call", async () => {
  const out = await node("require.cjs");
  for (const e of ENTRIES) assert.match(out, new RegExp(`require ${e}: [1-9]\\d* exports`));
  assert.match(out, DENIED);
});

test("Vercel AI SDK: through the SDK's mock model, the denied tool's body never runs, the allowed one does", async () => {
  const out = await node("ai-sdk.ts");
  assertGuardedTools(out, DENIED, REDACTED);
  assert.match(out, /answer: Done\./);
});

test("OpenAI Agents SDK: through a Model of the SDK's own interface, the same", async () => {
  const out = await node("openai-agents.ts");
  // The SDK's tool output guardrail replaces a result with text: the redacted object reaches the model as its JSON.
  assertGuardedTools(out, DENIED, /lookup -> "\{\\"text\\":\\"c42: \[EMAIL\]\\"\}"/);
  assert.match(out, /answer: Done\./);
});

test("openai client: a denied request never leaves the process; an allowed answer is redacted", async () => {
  const out = await node("openai.ts");
  assert.equal(out.match(/ran chat\.completions/g)?.length, 1, "only the allowed request reached the transport");
  assert.match(out, /denied: 403 prompt injection/);
  assert.match(out, /answer: you said: mail me at \[EMAIL\]/);
});

test("LangChain.js: through an agent's middleware and LangChain's fake model, the same, and the answer is redacted", async () => {
  const out = await node("langchain.ts");
  assertGuardedTools(out, /delete_file -> blocked by policy: deleting files is not allowed/, REDACTED);
  assert.match(out, /answer: Write to \[EMAIL\]\./);
});

test("MCP: through the proxy, the upstream never sees the denied call and the allowed result is redacted", async () => {
  const out = await node("mcp.ts");
  assertGuardedTools(out, /delete_file -> "error: blocked by policy: deleting files is not allowed"/, /lookup -> "c42: \[EMAIL\]"/);
});

test("npx palisade check, test, eval, demo and report run from the app", async () => {
  const npx = (args: string[]) => spawnSync("npx", ["--no-install", "palisade", ...args], { cwd: work, env: app.env, encoding: "utf8", timeout: 60_000 });
  const check = npx(["check", "policies/"]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /ok: 1 file checked, 0 errors/);
  const tests = npx(["test", "policies/"]);
  assert.equal(tests.status, 0, tests.stderr);
  assert.match(tests.stdout, /2 passed, 0 failed/);
  const evaluated = npx(["eval", "policies/", "--phase", "tool_call", "--input", "inputs/delete.json"]);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.equal((JSON.parse(evaluated.stdout) as { decision: string }).decision, "deny");
  // The files the CLI reads beside its code: the example policies and inputs, the controls
  // catalogue and the policy packs.
  const demo = npx(["demo"]);
  assert.equal(demo.status, 0, demo.stderr);
  assert.match(demo.stdout, /the policies in \.\.\/node_modules\/palisade\/examples\/policies\n/);
  const coverage = npx(["report", "coverage", "--framework", "gdpr"]);
  assert.equal(coverage.status, 0, coverage.stderr);
  assert.match(coverage.stdout, /node_modules\/palisade\/stdlib-policies\/gdpr /, "the coverage is of the pack shipped in the package");
  const pack = npx(["test", "../node_modules/palisade/stdlib-policies/hipaa"]);
  assert.equal(pack.status, 0, pack.stderr);
  assert.match(pack.stdout, /[1-9]\d* passed, 0 failed/);
});

test("the installed bin on a Node older than 22 says so in one line and exits 2", () => {
  const old = olderNode();
  const r = spawnSync(old.path, [join(app.dir, "node_modules", "palisade", "bin", "palisade.js"), "check", "policies/"], { cwd: work, encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `palisade needs Node.js 22 or later; this is ${old.version}\n`);
  assert.equal(r.stdout, "");
});

test("palisade serve from the app serves the playground built into the package", async () => {
  const dir = mkdtempSync(join(work, "serve-"));
  const serve = spawn(process.execPath, [join(app.dir, "node_modules", "palisade", "bin", "palisade.js"), "serve", join(work, "policies"), "--port", "0"], { cwd: dir, env: app.env, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      serve.stdout.on("data", (d: Buffer) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      serve.stderr.on("data", (d: Buffer) => (err += d));
      serve.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    });
    const page = await fetch(`${url}/playground`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const bundle = await fetch(`${url}/assets/playground.js`);
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.arrayBuffer()).byteLength > 10_000);
    assert.ok(!existsSync(join(app.dir, "node_modules", "esbuild")), "the app has no esbuild: the pages were built at pack time");
  } finally {
    serve.kill("SIGTERM");
  }
});

// Dependencies only the service, a postgres:// store or the OpenTelemetry export load, on first use.
const LAZY = new Set(["fastify", "pg", "@opentelemetry/exporter-metrics-otlp-proto", "@opentelemetry/exporter-trace-otlp-proto", "@opentelemetry/resources", "@opentelemetry/sdk-metrics", "@opentelemetry/sdk-trace-base"]);

test("without the frameworks, fastify, pg or the OpenTelemetry SDK installed: the core works and each adapter names the package to install", async () => {
  // A second app holding a copy of the installed package and links to its dependencies, less the
  // lazy ones, and none of the frameworks: what a user who needs only the core gets.
  const bare = mkdtempSync(join(tmpdir(), "palisade-bare-"));
  try {
    const modules = join(bare, "node_modules");
    mkdirSync(modules);
    cpSync(join(app.dir, "node_modules", "palisade"), join(modules, "palisade"), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(modules, "palisade", "package.json"), "utf8")) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies)) {
      if (LAZY.has(dep)) continue;
      if (dep.includes("/")) mkdirSync(join(modules, dep.split("/")[0]!), { recursive: true });
      symlinkSync(join(app.dir, "node_modules", dep), join(modules, dep));
    }
    cpSync(join(work, "policies"), join(bare, "policies"), { recursive: true });
    const script = `
      import { createGuard } from "palisade";
      import { AuditLog } from "palisade/audit";
      await import("palisade/monitor"); await import("palisade/compliance"); await import("palisade/environments");
      const log = await AuditLog.open("audit.db");
      const guard = createGuard({ policies: "policies", env: "production", agent: "core", audit: log });
      const del = guard.session("s1", "u1").wrapTool("delete_file", async () => "deleted", { onDeny: "message" });
      console.log("delete_file -> " + await del({ path: "/data" }));
      await guard.flush(); console.log("audited " + await log.size()); await log.close();
      for (const e of ["palisade/ai-sdk", "palisade/openai-agents", "palisade/openai", "palisade/langchain", "palisade/mcp"]) {
        try { await import(e); console.log(e + ": imported"); } catch (err) { console.log(err.code + " " + err.message); }
      }`;
    // A file, not `--input-type=module -e`: the audit store's worker thread inherits execArgv.
    writeFileSync(join(bare, "core.mjs"), script);
    const { stdout } = await run(process.execPath, ["--disable-warning=ExperimentalWarning", "core.mjs"], { cwd: bare, env: app.env });
    assert.match(stdout, /delete_file -> blocked by policy: deleting files is not allowed/);
    assert.match(stdout, /audited 1/);
    const lines = stdout.split("\n");
    for (const [entry, peer] of [["ai-sdk", "ai"], ["openai-agents", "@openai/agents"], ["openai", "openai"], ["langchain", "@langchain/core"], ["mcp", "@modelcontextprotocol/sdk"]] as const) {
      const line = `package/missing-peer palisade/${entry} needs the package '${peer}', which is not installed: run npm install ${peer}@${pkg.peerDependencies[peer]}`;
      assert.ok(lines.includes(line), `expected the line:\n${line}\ngot:\n${stdout}`);
    }
    const bin = join(modules, "palisade", "bin", "palisade.js");
    const check = spawnSync(process.execPath, [bin, "check", "policies"], { cwd: bare, env: app.env, encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    const evaluated = spawnSync(process.execPath, [bin, "eval", "policies", "--phase", "tool_call", "--input", "-"], { cwd: bare, env: app.env, encoding: "utf8", input: '{"tool":{"name":"lookup","args":{"id":"c1"}}}' });
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.equal((JSON.parse(evaluated.stdout) as { decision: string }).decision, "allow");
    const proxy = spawnSync(process.execPath, [bin, "mcp-proxy", "--upstream", "node server.js", "policies"], { cwd: bare, env: app.env, encoding: "utf8" });
    assert.equal(proxy.stderr, `palisade mcp-proxy: needs the package '@modelcontextprotocol/sdk', which is not installed: run npm install @modelcontextprotocol/sdk@${pkg.peerDependencies["@modelcontextprotocol/sdk"]}\n`);
    assert.equal(proxy.status, 1);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test("the adapters' suites run against the installed package: a build whose palisade/ai-sdk loses its guard fails them", async () => {
  // test/run.ts runs engine/sdk/<adapter>/test/*.test.ts through test/installed-hooks.ts. Here
  // the AI SDK's suite runs against a copy of the app whose built entry hands tools back unguarded.
  const base = mkdtempSync(join(tmpdir(), "palisade-broken-"));
  try {
    const broken = join(base, "app");
    const modules = join(broken, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const name of readdirSync(join(app.dir, "node_modules"))) if (name !== "palisade" && name !== ".bin") symlinkSync(join(app.dir, "node_modules", name), join(modules, name));
    cpSync(join(app.dir, "node_modules", "palisade"), join(modules, "palisade"), { recursive: true });
    const entry = join(modules, "palisade", "dist", "engine", "exports", "ai-sdk.js");
    const built = readFileSync(entry, "utf8");
    const unguarded = built.replace("export const guardTools = adapter.guardTools;", "export const guardTools = (_guard, tools) => tools;");
    assert.notEqual(unguarded, built, "the built entry exports guardTools as expected");
    writeFileSync(entry, unguarded);
    writeFileSync(statusFile(broken), readFileSync(statusFile(app.dir)));
    const suite = join(repoRoot, "engine", "sdk", "ai-sdk", "test", "ai-sdk.test.ts");
    const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", `--import=${join(repoRoot, "test", "installed-hooks.ts")}`, "--test", "--test-reporter=tap", "--test-name-pattern=a denied tool call|middleware: input denied", suite], { cwd: repoRoot, env: { ...app.env, PALISADE_TEST_APP: broken, NODE_TEST_CONTEXT: undefined }, encoding: "utf8", timeout: 120_000 });
    assert.notEqual(r.status, 0, "the suite fails on the broken build");
    assert.match(r.stdout, /^not ok \d+ - AI SDK: a denied tool call reaches the model as a tool error and the tool never runs$/m);
    assert.match(r.stdout, /^ok \d+ - AI SDK middleware: input denied, model checked, output redacted$/m, "a test that needs no guardTools still passes");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("a strict TypeScript app (module nodenext, skipLibCheck false, an ES module and a CommonJS file) using every adapter type-checks with zero errors against the package's declarations", { timeout: 600_000 }, async () => {
  const { code, out } = await typecheck;
  const lines = out.split("\n").filter(Boolean);
  assert.deepEqual(lines.filter((l) => !l.startsWith("/")), [], "tsc reported errors");
  assert.equal(code, 0);
  const checked = new Set(lines);
  for (const f of readdirSync(work).filter((f) => /\.c?ts$/.test(f))) assert.ok(checked.has(join(work, f)), `tsc checked ${f}`);
  const installed = join(app.dir, "node_modules", "palisade");
  for (const types of ["dist/engine/exports/index.d.ts", "dist/engine/sdk/ai-sdk/index.d.ts", "dist/engine/sdk/openai/agents.d.ts", "dist/engine/sdk/openai/client.d.ts", "dist/engine/sdk/langchain/index.d.ts", "dist/engine/sdk/mcp/index.d.ts"]) assert.ok(checked.has(join(installed, types)), `the app's types come from ${types}`);
  assert.deepEqual(lines.filter((l) => l.startsWith(installed) && !l.endsWith(".d.ts") && !l.endsWith(".json")), [], "no source of Palisade is type-checked, only its declarations");
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});
