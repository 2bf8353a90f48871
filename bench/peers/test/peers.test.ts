// The peers benchmark's own correctness, without building the peers: the sets say the same
// thing in every language they are written in (as far as Palisade can tell), the Cedar subset is
// exactly the rules it names, the detector corpus plants what it claims, and the README's table
// is the one the committed results render.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getDetector } from "../../../engine/runtime/stdlib/detectors.ts";
import { repoRoot } from "../../../test/support.ts";
import { buildCorpus, loadBenchPolicy, withoutRules } from "../corpus.ts";
import { detectorCorpus, KINDS, type Kind } from "../detector-corpus.ts";
import { benchSets, scalingCedar, scalingRego, scalingSource } from "../sets.ts";
import { TABLE_BEGIN, TABLE_END, renderPeersTable, withTable } from "../table.ts";

test("every set's Palisade policy checks and its inputs decide both ways", () => {
  const corpus = buildCorpus(benchSets(), { batches: 1, batchMs: 1, warmupMs: 1 });
  for (const set of corpus.sets) {
    const outcomes = new Set(set.expected.map((e) => e.decision));
    assert.ok(outcomes.has("allow") && outcomes.size >= 2, `${set.name} must have inputs that are allowed and inputs that are not: ${[...outcomes]}`);
    assert.equal(set.expected.length, set.inputs.length);
    if (set.cedar.policies !== null) {
      assert.equal(set.cedar.requests.length, set.inputs.length);
      assert.ok(set.cedar.expected.includes("deny") && set.cedar.expected.includes("allow"), `${set.name}: Cedar's expected decisions must go both ways`);
    }
  }
});

test("the scaling sets hold one rule per Palisade rule in Rego and in Cedar", () => {
  for (const n of [10, 100, 1000]) {
    assert.equal((scalingSource(n).match(/^rule /gm) ?? []).length, n);
    assert.equal((scalingRego(n).match(/^fired contains /gm) ?? []).length, n);
    assert.equal((scalingCedar(n).match(/^@id\(/gm) ?? []).length, n);
  }
});

test("withoutRules removes exactly the named rules, multi-line ones and messages with braces included", () => {
  const src = `package p\n\nrule a on tool_call {\n  when tool.name == "x"\n  then deny "over {tool.args.amount}"\n}\nrule b on tool_call { when tool.name == "y" then deny "b" }\nrule c on tool_call { when tool.name == "z" then deny "c {tool.name}" }\n`;
  const out = withoutRules(src, ["a", "c"]);
  assert.doesNotMatch(out, /rule a |rule c /);
  assert.match(out, /rule b on tool_call \{ when tool.name == "y" then deny "b" \}/);
  assert.ok(loadBenchPolicy(out));
  assert.throws(() => withoutRules(src, ["missing"]), /rule missing is not in the source/);
});

test("the detector corpus plants valid items where it says and near-misses elsewhere", () => {
  const docs = detectorCorpus(400);
  const kinds = Object.keys(KINDS) as Kind[];
  for (const k of ["credit_card", "iban", "aws_key", "github_token", "email"] as const) {
    const det = getDetector(KINDS[k])!;
    for (const d of docs) assert.equal(det.test(d.text), d.kinds.includes(k), `${k} in ${JSON.stringify(d.text)}`);
  }
  assert.ok(kinds.every((k) => docs.some((d) => d.kinds.includes(k))), "every kind is planted somewhere");
  assert.deepEqual(detectorCorpus(50), detectorCorpus(50), "the corpus is the same on every run");
});

test("the README's peers table is the one bench/results/peers.json renders", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const results = JSON.parse(readFileSync(join(repoRoot, "bench", "results", "peers.json"), "utf8")) as Record<string, unknown>;
  assert.equal(withTable(readme, renderPeersTable(results)), readme, "run `npm run bench -- peers --json` to regenerate the table");
  assert.ok(readme.includes(TABLE_BEGIN) && readme.includes(TABLE_END));
});

test("a skipped peer and a set Cedar cannot express show as such in the table", () => {
  const table = renderPeersTable({
    sets: { typical20: { palisade_ns: 130, opa_go_ns: 13000 }, sequence20: { palisade_ns: 200, cedar: "cannot express: unordered" } },
    skipped: [{ row: "Cedar (native)", reason: "cargo is missing (install Rust with rustup)\nmore" }],
  });
  assert.match(table, /\| typical20 \| 130 ns \| 13.0 µs \(100x\) \| skipped \| skipped \| skipped \|/);
  assert.match(table, /\| sequence20 \| 200 ns \| skipped \| skipped \| cannot express \| cannot express \|/);
  assert.match(table, /Skipped: Cedar \(native\): cargo is missing \(install Rust with rustup\)$/m);
});
