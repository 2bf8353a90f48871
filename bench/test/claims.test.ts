// Figures in the README and spec/ are traced to the benchmark results they come from: every
// paragraph, list item or table that quotes a measurement (a time in ns, µs or ms, a rate per
// second, a ratio like 2x) cites `bench/results/NAME.json: field, field...`, or sits in a block
// generated from a results file; each cited field exists there. So a figure cannot be quoted from
// no benchmark, and a benchmark renamed or dropped breaks the test instead of leaving prose behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");

/** A measured figure: a duration, a rate per second, or a ratio. Inline code (policy literals, units of the language) is not prose. */
const FIGURE = /\d(?:[\d,.]*\d)?\s?(?:ns|µs|us|ms)\b|\d(?:[\d,.]*\d)?\s?(?:decisions|calls|requests|r|appends|entries)?\/s\b|\b\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?x\b/;
/** A limit or delay the code sets ("default 5/s", "200 ms after a change") is a setting, not a measurement. */
const SETTING = /default \d+\/s|\d+ ms after/g;
/** `bench/results/NAME.json: a.b, c` — the fields a comma-separated list of paths, up to the first other punctuation. */
const CITATION = /bench\/results\/([\w-]+)\.json:\s*((?:`?[\w.]+`?,\s*)*`?[\w.]+`?)/g;
const GENERATED = /<!-- [^>]*generated[^>]*from bench\/results\/([\w-]+)\.json -->([\s\S]*?)<!-- end of [^>]*-->/g;

/** Blank-line separated blocks, a list item being a block of its own. */
function blocks(text: string): string[] {
  return text.split(/\n\s*\n|\n(?=\s*[-*] )/).map((b) => b.trim()).filter(Boolean);
}

/** The value at a dotted path; a key may hold dots itself (stdlib.json's "regex.linear.digits"), the longest one wins. */
function field(obj: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return obj;
  if (typeof obj !== "object" || obj === null) return undefined;
  for (let i = path.length; i > 0; i--) {
    const k = path.slice(0, i).join(".");
    if (Object.hasOwn(obj, k)) {
      const v = field((obj as Record<string, unknown>)[k], path.slice(i));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/** The problems of one document: uncited figures and citations of fields that do not exist. */
export function untraced(text: string, resultsDir: string): string[] {
  const problems: string[] = [];
  const results = (name: string): unknown => {
    const f = join(resultsDir, `${name}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as unknown) : undefined;
  };
  const body = text.replace(GENERATED, (_all, name: string) => {
    if (results(name) === undefined) problems.push(`a block generated from bench/results/${name}.json, which does not exist`);
    return "";
  });
  for (const b of blocks(body)) {
    const prose = b.replace(/`[^`]*`/g, "").replace(SETTING, "");
    const figure = FIGURE.exec(prose);
    const cites = [...prose.matchAll(CITATION)];
    for (const [, name, list] of cites) {
      const r = results(name);
      if (r === undefined) problems.push(`cites bench/results/${name}.json, which does not exist: ${b.slice(0, 80)}`);
      const fields = list.split(",").map((f) => f.replace(/[`\s]/g, "").replace(/\.$/, "")).filter(Boolean);
      if (fields.length === 0) problems.push(`cites bench/results/${name}.json without naming a field: ${b.slice(0, 80)}`);
      for (const f of fields) if (r !== undefined && field(r, f.split(".")) === undefined) problems.push(`bench/results/${name}.json has no field ${f}: ${b.slice(0, 80)}`);
    }
    if (figure !== null && cites.length === 0) problems.push(`'${figure[0]}' names no benchmark field: ${b.slice(0, 100).replace(/\n/g, " ")}`);
  }
  return problems;
}

const resultsDir = join(root, "bench", "results");

test("every figure in README.md and spec/*.md cites the results field it comes from, and the field exists", () => {
  const docs = ["README.md", ...readdirSync(join(root, "spec")).filter((f) => f.endsWith(".md")).map((f) => `spec/${f}`)];
  const problems = docs.flatMap((d) => untraced(readFileSync(join(root, d), "utf8"), resultsDir).map((p) => `${d}: ${p}`));
  assert.deepEqual(problems, []);
});

test("what counts as a figure, a setting, a citation and a generated block", () => {
  assert.equal(untraced("A decision takes ~130 ns.", resultsDir).length, 1);
  assert.equal(untraced("Appends ran 1.8-3.0x slower.", resultsDir).length, 1);
  assert.equal(untraced("It serves 472 decisions/s.", resultsDir).length, 1);
  assert.deepEqual(untraced("Failed keys: default 5/s, bursts of 50. A literal `10x` is an error.", resultsDir), []);
  assert.deepEqual(untraced("A decision takes ~130 ns (bench/results/engine.json: typical20.palisade_ns).", resultsDir), []);
  assert.equal(untraced("A decision takes ~130 ns (bench/results/engine.json: typical20.nothing).", resultsDir).length, 1);
  assert.equal(untraced("A decision takes ~130 ns (bench/results/nowhere.json: x).", resultsDir).length, 1);
  // A citation written as code is an example, not a citation.
  assert.deepEqual(untraced("Cite `bench/results/NAME.json: field`.", resultsDir), []);
  assert.deepEqual(untraced("<!-- table: generated by x from bench/results/peers.json -->\n| a | 3 µs |\n<!-- end of table -->", resultsDir), []);
});
