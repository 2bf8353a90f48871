// The policy packs and the controls catalogue held to their contract: every pack checks,
// formats canonically and passes its own tests under the real CLI; every rule carries a
// severity, at least one control, a doc comment, and tests that show it allowing and
// denying (or approving, warning, redacting); every control a rule cites is in the
// catalogue, every rule the catalogue names exists and cites that control, and each
// catalogue file validates against spec/controls/catalogue.schema.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { parse } from "../../language/index.ts";
import type { Expr, PolicyFile, RuleDecl, TestDecl } from "../../language/index.ts";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const packsRoot = join(repoRoot, "stdlib-policies");
const controlsRoot = join(repoRoot, "spec", "controls");

/** The pack folders: every folder of stdlib-policies/ except this test folder. */
const PACKS = readdirSync(packsRoot, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "test")
  .map((d) => d.name)
  .sort();

/** Runs the palisade CLI with Node 22 (the running one) from the repository root. */
function palisade(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine", "cli", "main.ts"), ...argv], { cwd: repoRoot, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One parsed pack: its package name, rules and tests. */
interface Pack {
  readonly name: string;
  readonly packageName: string;
  readonly rules: readonly RuleDecl[];
  readonly tests: readonly TestDecl[];
}

/** Parses every .policy file of a folder given as (path, text) pairs; throws on a parse error. */
function parsePack(name: string, sources: readonly { path: string; text: string }[]): Pack {
  const files: PolicyFile[] = [];
  for (const s of sources) {
    const r = parse(s.text, s.path);
    assert.ok(r.file, `${s.path} does not parse: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    files.push(r.file);
  }
  const packages = new Set(files.map((f) => f.package?.name.parts.map((p) => p.name).join(".")));
  assert.equal(packages.size, 1, `${name}: every file declares the same package, got ${[...packages].join(", ")}`);
  const rules = files.flatMap((f) => f.decls.filter((d): d is RuleDecl => d.kind === "Rule"));
  const tests = files.flatMap((f) => f.decls.filter((d): d is TestDecl => d.kind === "Test"));
  return { name, packageName: [...packages][0] ?? "", rules, tests };
}

function readPack(name: string): Pack {
  const dir = join(packsRoot, name);
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith(".policy"))
    .sort()
    .map((f) => ({ path: join(dir, f), text: readFileSync(join(dir, f), "utf8") }));
  assert.ok(sources.length > 0, `${name} has no .policy files`);
  return parsePack(name, sources);
}

/** The controls a rule cites, as written (`framework:id`). */
function controlsOf(rule: RuleDecl): string[] {
  return rule.meta.flatMap((m) => (m.kind === "Controls" ? m.values.map((c) => c.value) : []));
}

/** The dotted path of a member chain (`output.text` -> ["output", "text"]), or null. */
function pathOf(e: Expr): string[] | null {
  if (e.kind === "Name") return [e.name];
  if (e.kind === "Member") {
    const base = pathOf(e.object);
    return base ? [...base, e.property.name] : null;
  }
  return null;
}

/** The literal at a path of an object literal, or undefined when the path is not spelled out. */
function literalAt(e: Expr, keys: readonly string[]): Expr | undefined {
  let cur: Expr | undefined = e;
  for (const k of keys) {
    if (cur?.kind !== "Object") return undefined;
    cur = cur.entries.find((x) => x.key === k)?.value;
  }
  return cur;
}

/** Whether a payload expectation shows a transform: the expected string differs from the input's. */
function showsTransform(t: TestDecl): boolean {
  return t.expects.some((x) => {
    if (x.kind !== "ExpectPayload" || x.value.kind !== "String") return false;
    const p = pathOf(x.path);
    // The parser keeps the path after `payload.`: `expect payload.output.text` has path `output.text`.
    if (!p) return false;
    const before = literalAt(t.input, p);
    return before?.kind === "String" && before.value !== x.value.value;
  });
}

/** The rule names a test names in `by` (decision or warnings), bare. */
function namedRules(t: TestDecl): string[] {
  return t.expects.flatMap((x) => (x.kind === "ExpectPayload" ? [] : x.by.map((q) => q.parts[q.parts.length - 1]!.name)));
}

/**
 * What is missing for each rule of a pack: metadata (severity, controls, doc) and tests.
 * Tests are named `"<rule>: ..."`. A rule needs an allowing test (`expect allow`, not naming
 * the rule) and a non-allowing one (the rule named among the reasons or warnings, or a
 * payload expectation that differs from the input, for a transform).
 */
function ruleProblems(pack: Pack): string[] {
  const problems: string[] = [];
  const names = new Set(pack.rules.map((r) => r.name.name));
  for (const t of pack.tests) {
    const prefix = t.name.value.split(":")[0]!;
    if (!names.has(prefix)) problems.push(`test "${t.name.value}" does not start with a rule name and a colon`);
  }
  for (const rule of pack.rules) {
    const id = `${pack.packageName}.${rule.name.name}`;
    if (!rule.meta.some((m) => m.kind === "Severity")) problems.push(`${id} has no severity`);
    if (controlsOf(rule).length === 0) problems.push(`${id} cites no control`);
    if (rule.doc === null || rule.doc.trim() === "") problems.push(`${id} has no doc comment`);
    const own = pack.tests.filter((t) => t.name.value.startsWith(`${rule.name.name}: `));
    const transforms = rule.effects.some((e) => e.kind === "Redact" || e.kind === "Set");
    const allowing = own.filter((t) => t.expects.some((x) => x.kind === "ExpectDecision" && x.decision === "allow") && !namedRules(t).includes(rule.name.name) && !(transforms && showsTransform(t)));
    const acting = own.filter((t) => namedRules(t).includes(rule.name.name) || (transforms && showsTransform(t)));
    if (allowing.length === 0) problems.push(`${id} has no allowing test`);
    if (acting.length === 0) problems.push(`${id} has no test where it denies, asks for approval, warns or transforms`);
  }
  return problems;
}

/** One catalogue file. */
interface Catalogue {
  readonly framework: string;
  readonly controls: readonly { readonly id: string; readonly rules: readonly string[] }[];
}

function readCatalogues(): Map<string, Catalogue> {
  const out = new Map<string, Catalogue>();
  for (const f of readdirSync(controlsRoot).filter((f) => f.endsWith(".json") && f !== "catalogue.schema.json").sort()) {
    out.set(f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(controlsRoot, f), "utf8")) as Catalogue);
  }
  return out;
}

/** Mismatches between the rules' `controls` and the catalogue, both ways. */
function catalogueProblems(packs: readonly Pack[], catalogues: ReadonlyMap<string, Catalogue>): string[] {
  const problems: string[] = [];
  const cited = new Map<string, Set<string>>(); // "framework:id" -> rule ids citing it
  const ruleIds = new Set<string>();
  for (const pack of packs) {
    for (const rule of pack.rules) {
      const id = `${pack.packageName}.${rule.name.name}`;
      ruleIds.add(id);
      for (const c of controlsOf(rule)) {
        const at = c.indexOf(":");
        const framework = c.slice(0, at);
        const control = c.slice(at + 1);
        const cat = catalogues.get(framework);
        if (!cat) problems.push(`${id} cites ${c}: no catalogue spec/controls/${framework}.json`);
        else if (!cat.controls.some((x) => x.id === control)) problems.push(`${id} cites ${c}: not in spec/controls/${framework}.json`);
        if (!cited.has(c)) cited.set(c, new Set());
        cited.get(c)!.add(id);
      }
    }
  }
  for (const [file, cat] of catalogues) {
    if (cat.framework !== file) problems.push(`${file}.json declares framework ${cat.framework}`);
    const seen = new Set<string>();
    for (const control of cat.controls) {
      const key = `${cat.framework}:${control.id}`;
      if (seen.has(control.id)) problems.push(`${key} is listed twice`);
      seen.add(control.id);
      for (const r of control.rules) {
        if (!ruleIds.has(r)) problems.push(`${key} names ${r}, which no pack declares`);
        else if (!cited.get(key)?.has(r)) problems.push(`${key} names ${r}, which does not cite it`);
      }
      for (const r of cited.get(key) ?? []) if (!control.rules.includes(r)) problems.push(`${key} is cited by ${r} but does not list it`);
    }
  }
  return problems;
}

test("there are packs for every framework the catalogue covers", () => {
  for (const p of ["soc2", "hipaa", "gdpr", "pci-dss", "sox", "eu-ai-act", "nist-ai-rmf", "iso-42001"]) assert.ok(PACKS.includes(p), `missing pack ${p}`);
});

for (const name of PACKS) {
  test(`${name}: checks without diagnostics`, () => {
    const r = palisade("check", join("stdlib-policies", name));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, / 0 errors, 0 warnings/);
  });

  test(`${name}: is canonically formatted`, () => {
    const r = palisade("fmt", "--check", join("stdlib-policies", name));
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test(`${name}: its tests pass under palisade test, all of them`, () => {
    const pack = readPack(name);
    const r = palisade("test", join("stdlib-policies", name));
    const last = r.stdout.trim().split("\n").at(-1) ?? "";
    assert.equal(last, `${pack.tests.length} passed, 0 failed`, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });

  test(`${name}: every rule has severity, controls, a doc comment, allowing and non-allowing tests`, () => {
    const pack = readPack(name);
    assert.ok(pack.rules.length > 0, `${name} has no rules`);
    assert.ok(pack.packageName.startsWith("palisade."), pack.packageName);
    assert.deepEqual(ruleProblems(pack), []);
  });
}

test("all eight packs and the scenario suite load together, check clean, and every test passes against its own package", () => {
  const c = palisade("check", "stdlib-policies");
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, / 0 errors, 0 warnings/);
  const t = palisade("test", "--format", "json", "stdlib-policies");
  const out = JSON.parse(t.stdout) as { tests: { name: string; package: string; passed: boolean; failures: string[] }[]; passed: number; failed: number };
  const own = PACKS.reduce((n, p) => n + readPack(p).tests.length, 0);
  assert.equal(out.failed, 0, JSON.stringify(out.tests.filter((x) => !x.passed), null, 2));
  assert.ok(out.passed >= own + 8, `${out.passed} passed`);
  assert.equal(t.status, 0);
});

test("the combined scenario suite (SOC 2 + HIPAA + GDPR, configured once) decides coherently, with identities", () => {
  const t = palisade("test", "--format", "json", "stdlib-policies/soc2", "stdlib-policies/hipaa", "stdlib-policies/gdpr", "stdlib-policies/test/scenarios");
  const out = JSON.parse(t.stdout) as { tests: { name: string; package: string; passed: boolean; failures: string[] }[] };
  const scenarios = out.tests.filter((x) => x.package === "clinic.deploy");
  assert.ok(scenarios.length >= 8, `${scenarios.length} scenarios`);
  assert.deepEqual(scenarios.filter((x) => !x.passed), []);
  // The same scenarios hold against the whole combination too.
  const whole = JSON.parse(palisade("test", "--whole-set", "--format", "json", "stdlib-policies/soc2", "stdlib-policies/hipaa", "stdlib-policies/gdpr", "stdlib-policies/test/scenarios").stdout) as typeof out;
  assert.deepEqual(whole.tests.filter((x) => x.package === "clinic.deploy" && !x.passed), []);
});

test("no placeholder domain is left in a shipped default: destinations are trusted only once configured", () => {
  const placeholder = /\.example(\.|$)|\bacme\b|example\.(com|org|net)$/i;
  for (const name of PACKS) {
    for (const f of readdirSync(join(packsRoot, name)).filter((x) => x.endsWith(".policy") && x !== "tests.policy")) {
      const r = parse(readFileSync(join(packsRoot, name, f), "utf8"), f);
      assert.ok(r.file);
      for (const d of r.file.decls) {
        if (d.kind !== "Const") continue;
        const strings: string[] = [];
        const walk = (e: Expr): void => {
          if (e.kind === "String") strings.push(e.value);
          else if (e.kind === "List") e.items.forEach(walk);
          else if (e.kind === "Object") e.entries.forEach((x) => walk(x.value));
        };
        walk(d.value);
        assert.deepEqual(strings.filter((x) => placeholder.test(x)), [], `${name}/${f}: ${d.name.name}`);
        assert.ok(d.param, `${name}/${f}: ${d.name.name} configures the pack: it is a param, settable without forking`);
      }
    }
  }
});

test("every cited control is in the catalogue and every catalogue rule exists and cites it", () => {
  assert.deepEqual(catalogueProblems(PACKS.map(readPack), readCatalogues()), []);
});

test("every catalogue file validates against catalogue.schema.json", () => {
  const schema = JSON.parse(readFileSync(join(controlsRoot, "catalogue.schema.json"), "utf8")) as object;
  const ajv = new Ajv2020.default({ strict: true, allErrors: true, validateFormats: false });
  assert.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
  const validate = ajv.compile(schema);
  const catalogues = readCatalogues();
  assert.ok(catalogues.size >= 8);
  for (const [file, cat] of catalogues) {
    assert.ok(validate(cat), `${file}.json: ${JSON.stringify(validate.errors)}`);
    assert.doesNotThrow(() => new URL((cat as unknown as { source: string }).source), `${file}.json: source is not a URL`);
  }
  // The schema refuses what a consumer could not use: an unknown fact, a control without evidence.
  const bad = { framework: "x", name: "X", publisher: "P", version: "1", source: "https://x.example", controls: [{ id: "1", title: "t", rules: [], facts: ["vibes"] }] };
  assert.equal(validate(bad), false);
});

// The checks above must be able to fail: feed them packs and catalogues with known faults.
const FAULTY = `package palisade.faulty

rule no_doc on output {
  severity low
  controls "soc2:CC6.1"
  then redact pii.email in output.text
}

/// Has no controls and no severity.
rule bare on tool_call {
  when tool.name == "x"
  then deny
}

/// Cites a control nobody catalogued.
rule uncatalogued on tool_call {
  severity low
  controls "soc2:CC99.9", "nowhere:1"
  when tool.name == "y"
  then deny
}

test "no_doc: redaction that changes nothing proves nothing" {
  on output { output: { text: "a@b.example" } }
  expect payload.output.text == "a@b.example"
}

test "bare: only a denial" {
  on tool_call { tool: { name: "x" } }
  expect deny by bare
}

test "typo_rule: orphan" {
  on tool_call { tool: { name: "z" } }
  expect allow
}
`;

test("the rule checks report missing metadata and missing tests", () => {
  const pack = parsePack("faulty", [{ path: "faulty.policy", text: FAULTY }]);
  const problems = ruleProblems(pack);
  for (const want of [
    "palisade.faulty.no_doc has no doc comment",
    "palisade.faulty.no_doc has no allowing test",
    "palisade.faulty.no_doc has no test where it denies, asks for approval, warns or transforms",
    "palisade.faulty.bare has no severity",
    "palisade.faulty.bare cites no control",
    "palisade.faulty.bare has no allowing test",
    "palisade.faulty.uncatalogued has no allowing test",
    `test "typo_rule: orphan" does not start with a rule name and a colon`,
  ]) assert.ok(problems.includes(want), `expected "${want}" among ${JSON.stringify(problems, null, 2)}`);
  assert.ok(!problems.includes("palisade.faulty.bare has no test where it denies, asks for approval, warns or transforms"));
});

test("the catalogue checks report unknown controls, unknown rules and unlisted citations", () => {
  const pack = parsePack("faulty", [{ path: "faulty.policy", text: FAULTY }]);
  const catalogues = new Map<string, Catalogue>([
    ["soc2", { framework: "soc2", controls: [{ id: "CC6.1", rules: ["palisade.faulty.ghost"] }] }],
  ]);
  const problems = catalogueProblems([pack], catalogues);
  for (const want of [
    "palisade.faulty.uncatalogued cites soc2:CC99.9: not in spec/controls/soc2.json",
    "palisade.faulty.uncatalogued cites nowhere:1: no catalogue spec/controls/nowhere.json",
    "soc2:CC6.1 names palisade.faulty.ghost, which no pack declares",
    "soc2:CC6.1 is cited by palisade.faulty.no_doc but does not list it",
  ]) assert.ok(problems.includes(want), `expected "${want}" among ${JSON.stringify(problems, null, 2)}`);
});
