// The package's shape, checked on the sources (test/package.pkg.test.ts checks the installed
// tarball): the exports map, the adapter entries, what the shipped code may import, the bin on
// an old Node, and the README's "Use it in your app" snippets against the files the package
// test runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { olderNode, repoRoot } from "./support.ts";

interface Manifest {
  exports: Record<string, { types: string; import: string; default: string }>;
  files: string[];
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Manifest;
const buildFiles = (JSON.parse(readFileSync(join(repoRoot, "tsconfig.build.json"), "utf8")) as { files: string[] }).files;

/** The adapter entries: subpath, the entry source, the adapter it loads, the framework it needs. */
const ADAPTERS = [
  ["./ai-sdk", "engine/exports/ai-sdk.ts", "engine/sdk/ai-sdk/index.ts", "ai"],
  ["./openai-agents", "engine/exports/openai-agents.ts", "engine/sdk/openai/agents.ts", "@openai/agents"],
  ["./openai", "engine/exports/openai.ts", "engine/sdk/openai/client.ts", "openai"],
  ["./langchain", "engine/exports/langchain.ts", "engine/sdk/langchain/index.ts", "@langchain/core"],
  ["./langchain", "engine/exports/langchain.ts", "engine/sdk/langchain/index.ts", "langchain"],
  ["./mcp", "engine/exports/mcp.ts", "engine/sdk/mcp/index.ts", "@modelcontextprotocol/sdk"],
] as const;

const source = (built: string) => built.replace(/^\.\/dist\//, "").replace(/\.d\.ts$|\.js$/, ".ts");

test("bin on a Node older than 22 prints one line and exits 2", () => {
  const old = olderNode();
  const r = spawnSync(old.path, [join(repoRoot, "bin", "palisade.js"), "check", "examples/policies"], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(r.stderr, `palisade needs Node.js 22 or later; this is ${old.version}\n`);
  assert.equal(r.stdout, "");
  assert.equal(r.status, 2);
});

test("bin runs the CLI from a checkout's sources", () => {
  const r = spawnSync(process.execPath, [join(repoRoot, manifest.bin.palisade!), "--version"], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "palisade 0.1.0\n");
});

test("exports: one entry per public part, each with types and import, built from a source the build compiles", () => {
  assert.deepEqual(Object.keys(manifest.exports), [".", "./ai-sdk", "./openai-agents", "./openai", "./langchain", "./mcp", "./audit", "./monitor", "./compliance", "./environments", "./service"]);
  for (const [subpath, entry] of Object.entries(manifest.exports)) {
    assert.deepEqual(Object.keys(entry), ["types", "import", "default"], `${subpath}: types first, then import; default for require()`);
    assert.equal(entry.default, entry.import);
    assert.match(entry.types, /^\.\/dist\/.+\.d\.ts$/);
    assert.match(entry.import, /^\.\/dist\/.+\.js$/);
    for (const built of [entry.types, entry.import]) {
      assert.ok(existsSync(join(repoRoot, source(built))), `${subpath}: ${source(built)} exists`);
      assert.ok(buildFiles.includes(source(built)), `${subpath}: tsconfig.build.json compiles ${source(built)}`);
    }
  }
  for (const [subpath, entrySource, adapter] of ADAPTERS) {
    assert.equal(source(manifest.exports[subpath]!.import), entrySource, `${subpath} loads through its checked entry`);
    assert.equal(source(manifest.exports[subpath]!.types), adapter, `${subpath} has its adapter's own types`);
  }
});

test("each adapter entry exports at run time exactly what its adapter does", async () => {
  for (const [subpath, entrySource, adapter] of ADAPTERS) {
    const entry = Object.keys(await import(join(repoRoot, entrySource))).sort();
    const own = Object.keys(await import(join(repoRoot, adapter))).sort();
    assert.deepEqual(entry, own, `palisade${subpath.slice(1)} and ${adapter} export the same names`);
  }
});

test("the frameworks are optional peers with a tested range, and development tools are not dependencies", () => {
  for (const [, , , peer] of ADAPTERS) {
    assert.equal(manifest.dependencies[peer], undefined, `${peer} is not a hard dependency`);
    assert.equal(manifest.peerDependencies[peer], manifest.devDependencies[peer], `${peer}'s peer range is the one the repository tests`);
    assert.equal(manifest.peerDependenciesMeta[peer]?.optional, true);
  }
  for (const dev of Object.keys(manifest.dependencies)) assert.doesNotMatch(dev, /^(@codemirror\/|@lezer\/|esbuild$|zod$|typescript$|canonicalize$)/);
});

test("every package the shipped code imports is a dependency or an optional peer", () => {
  const allowed = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
  const builtins = new Set(builtinModules);
  const strays: string[] = [];
  const scan = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "test") scan(p);
        continue;
      }
      if (!e.name.endsWith(".ts")) continue;
      const text = readFileSync(p, "utf8");
      // Static imports and re-exports (one line, or the closing line of a multi-line one), bare
      // side-effect imports, and dynamic import() of a literal.
      const pattern = /^\s*(?:(?:import|export)\b[^\n]*?\bfrom|\}\s*from|import)\s+["']([^"'./][^"']*)["']|\bimport\(\s*["']([^"'./][^"']*)["']\s*\)/gm;
      for (const m of text.matchAll(pattern)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith("node:") || builtins.has(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!allowed.has(name)) strays.push(`${relative(repoRoot, p)}: ${name}`);
      }
    }
  };
  scan(join(repoRoot, "language"));
  scan(join(repoRoot, "engine"));
  assert.deepEqual(strays, []);
});

test("the README's 'Use it in your app' snippets are the example app's files", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("## Use it in your app");
  assert.ok(start >= 0, "the README has a 'Use it in your app' section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const quoted = new Map<string, string>();
  for (const m of section.matchAll(/<!-- (examples\/app\/[^ ]+) -->\n```[a-z]*\n([\s\S]*?)```/g)) quoted.set(m[1]!, m[2]!);
  const dir = join(repoRoot, "examples", "app");
  const withRegion = readdirSync(dir).filter((f) => /\.(ts|cjs)$/.test(f) && readFileSync(join(dir, f), "utf8").includes("// readme:start"));
  assert.deepEqual([...quoted.keys()].sort(), withRegion.map((f) => `examples/app/${f}`).sort(), "every file with a readme region is quoted, and only those");
  for (const [file, block] of quoted) {
    const text = readFileSync(join(repoRoot, file), "utf8");
    const region = /\/\/ readme:start\n([\s\S]*?)\/\/ readme:end\n/.exec(text)?.[1];
    assert.equal(block, region, `the README's block for ${file} is its readme region, verbatim`);
  }
});
