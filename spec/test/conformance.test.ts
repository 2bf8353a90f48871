// Runs the conformance corpus (spec/conformance/*.json) against both evaluators, the compiled one
// (what users run) and the reference interpreter, and the checker: one subtest per case and
// evaluator, named after the case. Command-line cases run once (the CLI decides with the compiled
// evaluator). Cases listed in known-failures.json
// must still fail (so a fix forces the list to shrink). Also holds the corpus to its promises:
// at least MIN_CASES cases, no empty file, every diagnostic code expected by some case, every
// construct of the coverage table exercised by a case that runs, and spec/conformance.md's
// counts in step with the files.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LINT_CODES, CODES, checkSources, parse } from "../../language/index.ts";
import { loadPolicySet, runTests } from "../../engine/runtime/index.ts";
import { main } from "../../engine/cli/main.ts";
import {
  compareDiagnostics,
  constructsOf,
  corpusFiles,
  loadCaseFile,
  loadCorpus,
  loadKnownFailures,
  MIN_CASES,
  runSetCase,
  severityMismatches,
  sourcesOf,
  type ActualDiagnostic,
  type Evaluator,
  type LoadedCase,
} from "./corpus.ts";

/** The evaluator `kind` as a corpus Evaluator; every set it loads is checked to decide with that evaluator. */
function evaluator(kind: "compiled" | "reference", name: string): Evaluator & { readonly loaded: { count: number } } {
  const loaded = { count: 0 };
  return {
    name,
    loaded,
    load(sources, toolSchemas) {
      const { policySet, diagnostics } = loadPolicySet(sources, { evaluator: kind, ...(toolSchemas ? { toolSchemas: toolSchemas as never } : {}) });
      if (!policySet) return { diagnostics, set: null };
      assert.equal(policySet.evaluator, kind, `the corpus meant for the ${name} ran on the ${policySet.evaluator} evaluator`);
      loaded.count++;
      return { diagnostics, set: { decide: (phase, input) => policySet.decide(phase, input), runTests: (wholeSet) => runTests(policySet, { wholeSet }) } };
    },
  };
}

const EVALUATORS = [evaluator("compiled", "compiled evaluator"), evaluator("reference", "reference interpreter")] as const;

// ---------------------------------------------------------------------------------------------

async function runCliCase(c: LoadedCase): Promise<string[]> {
  const cli = c.cli!;
  const dir = mkdtempSync(join(tmpdir(), "palisade-conformance-"));
  try {
    for (const [p, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    let stdout = "";
    let stderr = "";
    let code: number;
    try {
      code = await main(cli.args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => "", cwd: dir, isTTY: false });
    } catch (err) {
      return [`the command threw: ${err instanceof Error ? err.stack : String(err)}`];
    }
    const out: string[] = [];
    if (code !== cli.exit) out.push(`exit: wanted ${cli.exit}, got ${code} (stderr ${JSON.stringify(stderr.slice(0, 600))})`);
    for (const s of cli.stdout ?? []) if (!stdout.includes(s)) out.push(`stdout lacks ${JSON.stringify(s)}: ${JSON.stringify(stdout.slice(0, 600))}`);
    for (const s of cli.stderr ?? []) if (!stderr.includes(s)) out.push(`stderr lacks ${JSON.stringify(s)}: ${JSON.stringify(stderr.slice(0, 600))}`);
    if (c.diagnostics !== undefined) {
      // With `--error-format json` each diagnostic is one JSON line on stderr.
      const diags: ActualDiagnostic[] = [];
      for (const line of stderr.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const j = JSON.parse(line) as { code: string; severity: string; message: string; file: string; line: number; col: number; help?: string };
          diags.push({ code: j.code, severity: j.severity, message: j.message, file: j.file, span: { start: { line: j.line, col: j.col } }, ...(j.help ? { help: j.help } : {}) });
        } catch {
          out.push(`stderr line is not JSON: ${line}`);
        }
      }
      out.push(...compareDiagnostics(c.diagnostics, diags, LINT_CODES), ...severityMismatches(diags, CODES));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one case: the command line for `cli` cases, the evaluator for the others. */
async function runCase(c: LoadedCase, ev: Evaluator): Promise<string[]> {
  return c.kind === "cli" ? runCliCase(c) : runSetCase(c, ev, CODES);
}

// ---------------------------------------------------------------------------------------------
// The coverage table: every construct of the language, and the AST feature (see constructsOf)
// that shows a case exercises it. A construct counts only when a case that runs (evaluations or
// tests) contains it, so it is evaluated, not just parsed.

const CONSTRUCTS: Record<string, string> = {
  "package declaration": "Package",
  "import (alias = last segment)": "Import:plain",
  "import with an alias": "Import:alias",
  "default allow": "Default:allow",
  "default deny": "Default:deny",
  "default per phase": "Default:deny:phases",
  "on_error allow": "OnError:allow",
  "on_error deny": "OnError:deny",
  "on_error per phase": "OnError:allow:phases",
  const: "Const",
  def: "Def",
  rule: "Rule",
  "rule on several phases": "Rule:several-phases",
  "rule without when": "Rule:no-when",
  unless: "Rule:unless",
  "braced effect list": "Rule:effect-list",
  "severity metadata": "Severity",
  "controls metadata": "Controls",
  "tags metadata": "Tags",
  "owner metadata": "Owner",
  "deny effect": "Deny",
  "require_approval effect": "RequireApproval",
  "require_approval from a role": "RequireApproval:from",
  "allow effect": "Allow",
  "warn effect": "Warn",
  "effect without a message": "Effect:no-message",
  "redact with a regex": "Redact:regex",
  "redact with a detector": "Redact:detector",
  "redact with a replacement": "Redact:with",
  "set effect": "Set",
  "message interpolation": "Template:interpolation",
  "test block": "Test",
  "expect decision": "ExpectDecision",
  "expect warn": "ExpectWarn",
  "expect payload": "ExpectPayload",
  "line comment": "Comment:plain",
  "block comment": "Comment:block",
  "doc comment": "Comment:doc",
  "doc comment kept on the item": "Doc:attached",
  "number literal": "Number",
  "decimal / exponent number": "Number:decimal-or-exponent",
  "string literal": "String",
  "boolean literal": "Bool",
  "null literal": "Null",
  "duration literal": "Duration",
  "regex literal": "Regex",
  "regex flags": "Regex:flags",
  "list literal": "List",
  "object literal": "Object",
  "quoted object key": "Object:quoted-key",
  "keyword as an object key": "Object:keyword-key",
  "keyword as a field name": "Member:keyword-field",
  "member access": "Member",
  "index access": "Index",
  call: "Call",
  parentheses: "Paren",
  or: "Binary:or",
  and: "Binary:and",
  not: "Unary:not",
  "unary minus": "Unary:-",
  "==": "Binary:==",
  "!=": "Binary:!=",
  "<": "Binary:<",
  "<=": "Binary:<=",
  ">": "Binary:>",
  ">=": "Binary:>=",
  in: "Binary:in",
  "not in": "Binary:not in",
  contains: "Binary:contains",
  matches: "Binary:matches",
  like: "Binary:like",
  "starts with": "Binary:starts with",
  "ends with": "Binary:ends with",
  "+": "Binary:+",
  "-": "Binary:-",
  "*": "Binary:*",
  "/": "Binary:/",
  "%": "Binary:%",
  "any quantifier": "Quantifier:any",
  "all quantifier": "Quantifier:all",
  "count quantifier": "Quantifier:count",
  "count without where": "Quantifier:count-without-where",
  "ordered any a then b": "Quantifier:ordered",
  "ordered any a then b then c": "Quantifier:ordered-3",
};

// ---------------------------------------------------------------------------------------------

const corpus = loadCorpus();
const known = new Map(loadKnownFailures().map((k) => [k.name, k.reason]));

for (const ev of EVALUATORS) {
  // The checker's verdicts and the command line do not depend on the evaluator: they run once, with the compiled one.
  const cases = ev === EVALUATORS[0] ? corpus : corpus.filter((c) => c.kind === "evaluations" || c.kind === "tests");
  describe(`conformance corpus on the ${ev.name}`, () => {
    for (const file of corpusFiles()) {
      describe(file, () => {
        for (const c of cases.filter((x) => x.source === file)) {
          const reason = known.get(c.name);
          test(c.name, async () => {
            const mismatches = await runCase(c, ev);
            if (reason === undefined) assert.deepEqual(mismatches, [], `${c.name}: ${c.description}\n  ${mismatches.join("\n  ")}`);
            else assert.ok(mismatches.length > 0, `${c.name} is listed in known-failures.json (${reason}) but now passes: remove it from the list`);
          });
        }
      });
    }
  });
}

describe("conformance corpus: its promises", () => {
  test("both evaluators decided every case that runs", () => {
    const running = corpus.filter((c) => c.kind === "evaluations" || c.kind === "tests").length;
    assert.ok(running > 0);
    for (const ev of EVALUATORS) assert.ok(ev.loaded.count >= running, `the ${ev.name} loaded ${ev.loaded.count} policy sets for ${running} running cases`);
  });

  test("every file has cases, and there are at least MIN_CASES in all", () => {
    for (const f of corpusFiles()) assert.ok(loadCaseFile(f).length > 0, `${f} has zero cases`);
    assert.ok(corpus.length >= MIN_CASES, `the corpus has ${corpus.length} cases; the issue asks for at least ${MIN_CASES}`);
  });

  test("every known failure names a case of the corpus", () => {
    const names = new Set(corpus.map((c) => c.name));
    for (const name of known.keys()) assert.ok(names.has(name), `known-failures.json lists '${name}', which is not a case`);
  });

  test("every registered diagnostic code is expected by some case", () => {
    const expected = new Set(corpus.flatMap((c) => (c.diagnostics ?? []).map((d) => d.code)));
    const missing = Object.keys(CODES).filter((code) => !expected.has(code));
    assert.deepEqual(missing, [], `codes no case expects: ${missing.join(", ")}`);
    const unknown = [...expected].filter((code) => !Object.hasOwn(CODES, code));
    assert.deepEqual(unknown, [], `cases expect codes that are not registered: ${unknown.join(", ")}`);
  });

  test("every construct of the coverage table is exercised by a case that runs", () => {
    const seen = new Set<string>();
    for (const c of corpus) {
      if (c.kind !== "evaluations" && c.kind !== "tests") continue;
      for (const [path, text] of Object.entries(c.files)) {
        const r = parse(text, path);
        if (r.file) for (const f of constructsOf(r.file, text)) seen.add(f);
      }
    }
    const missing = Object.entries(CONSTRUCTS)
      .filter(([, feature]) => !seen.has(feature))
      .map(([name, feature]) => `${name} (${feature})`);
    assert.deepEqual(missing, [], `constructs no running case exercises: ${missing.join(", ")}`);
  });

  test("every diagnostics-only case parses or checks to exactly what it says (no accidental crash)", () => {
    for (const c of corpus.filter((x) => x.kind === "diagnostics")) {
      assert.doesNotThrow(() => checkSources(sourcesOf(c)), `${c.name}: the checker threw`);
    }
  });

  test("spec/conformance.md states the case count of every file and the total", () => {
    const doc = readFileSync(resolve(import.meta.dirname, "..", "conformance.md"), "utf8");
    const rows = new Map<string, number>();
    for (const m of doc.matchAll(/^\|\s*`([a-z0-9-]+\.json)`\s*\|\s*(\d+)\s*\|/gm)) rows.set(m[1], Number(m[2]));
    const actual = new Map(corpusFiles().map((f) => [f, loadCaseFile(f).length]));
    assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(actual), "the table in spec/conformance.md must list every corpus file with its case count");
    const total = /^\|\s*\*\*total\*\*\s*\|\s*\*\*(\d+)\*\*\s*\|/m.exec(doc);
    assert.ok(total, "spec/conformance.md must have a '| **total** | **N** |' row");
    assert.equal(Number(total[1]), corpus.length, "the total in spec/conformance.md");
    const kinds = ["diagnostics", "evaluations", "tests", "cli"] as const;
    for (const k of kinds) {
      const m = new RegExp(`^\\|\\s*${k}\\s*\\|\\s*(\\d+)\\s*\\|`, "m").exec(doc);
      assert.ok(m, `spec/conformance.md must have a row for the ${k} kind`);
      assert.equal(Number(m[1]), corpus.filter((c) => c.kind === k).length, `the ${k} count in spec/conformance.md`);
    }
  });
});
