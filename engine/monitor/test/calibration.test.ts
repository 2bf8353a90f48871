// The session-aware methods against SciPy (engine/monitor/test/vectors/generate.py): the
// dispersion a baseline's chunks give each metric kind, the tests corrected by it end to end, and
// the two-sample Poisson rate test; then what calibration is for: clustered traffic gets a
// dispersion above 1, independent traffic about 1, and a too-short baseline none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyAggregate } from "../aggregate.ts";
import type { Aggregate } from "../aggregate.ts";
import { calibrate, dispersionOf } from "../calibration.ts";
import { compare } from "../comparisons.ts";
import type { MetricValue } from "../metrics.ts";
import { seededRandom } from "../random.ts";
import { poissonRateTest } from "../stats/exact.ts";
import type { BucketRecord } from "../store.ts";
import { PVAL, assertClose } from "./drift-vectors.ts";
import { num, vectors } from "./monitor-vectors.ts";

const HOUR = 3_600_000;
const TOOLS = ["a", "b", "c", "d", "e"];

function bucket(hour: number, fill: (a: Aggregate) => void): BucketRecord {
  const a = emptyAggregate();
  fill(a);
  return { start: hour * HOUR, agent: "x", agentVersion: "", env: "e", aggregate: a };
}

test(`dispersions from a baseline's chunks match the SciPy/NumPy computation (${vectors.dispersion.length} references)`, () => {
  for (const c of vectors.dispersion) {
    const buckets =
      c.kind === "categorical"
        ? c.chunks.map((counts, h) => bucket(h, (a) => counts.forEach((n, i) => a.tools.set(TOOLS[i], n))))
        : c.x.map((x, h) => bucket(h, (a) => (a.firsts.set("session", c.n[h]), a.firsts.set("deny", x))));
    const hours = buckets.length;
    const cal = calibrate(buckets, 0, hours * HOUR, HOUR);
    const metric = c.kind === "categorical" ? "tools" : "denial_rate";
    assertClose(cal.dispersion[metric] ?? null, c.phi, { rel: 1e-12, abs: 1e-12 }, `${c.kind} over ${hours} chunks`);
    assert.equal(cal.chunks, hours);
  }
});

function categorical(counts: readonly number[]): MetricValue {
  return { kind: "categorical", counts: new Map(counts.map((n, i) => [TOOLS[i], n])), n: counts.reduce((x, y) => x + y, 0) };
}

function numeric(values: readonly number[]): MetricValue {
  return { kind: "numeric", n: values.length, sample: { count: values.length, sum: values.reduce((x, y) => x + y, 0), min: Math.min(...values), max: Math.max(...values), values: [...values] } };
}

test(`tests corrected by a dispersion match SciPy end to end (${vectors.corrected.length} cases)`, () => {
  for (const c of vectors.corrected) {
    let p: number | undefined;
    if (c.test === "chi2") p = compare("chi2", categorical(c.reference), categorical(c.current), c.phi).pValue;
    else if (c.test === "ks") p = compare("ks", numeric(c.reference), numeric(c.current), c.phi).pValue;
    else p = compare(c.test, { kind: "proportion", x: c.x1, n: c.n1 }, { kind: "proportion", x: c.x2, n: c.n2 }, c.phi).pValue;
    assertClose(p ?? null, num(c.pvalue), PVAL, `${c.test} φ ${c.phi}`);
  }
});

test("the two-sample Poisson rate test matches R's poisson.test (by SciPy's binomtest)", () => {
  for (const c of vectors.poisson) assertClose(poissonRateTest(c.x1, c.t1, c.x2, c.t2).pValue, num(c.pvalue), PVAL, `poisson ${JSON.stringify(c)}`);
});

function traffic(hours: number, sessionSize: number, seed: number): BucketRecord[] {
  const rand = seededRandom(seed);
  const out: BucketRecord[] = [];
  for (let h = 0; h < hours; h++) {
    out.push(
      bucket(h, (a) => {
        // 600 tool calls an hour in sessions of `sessionSize`, each session keeping to one tool.
        for (let s = 0; s < 600 / sessionSize; s++) {
          const tool = TOOLS[Math.floor(rand() * 3)];
          a.tools.set(tool, (a.tools.get(tool) ?? 0) + sessionSize);
        }
      }),
    );
  }
  return out;
}

test("clustered traffic gets a dispersion near its cluster size; independent traffic about 1; a short baseline none", () => {
  const independent = calibrate(traffic(48, 1, 1), 0, 48 * HOUR, HOUR).dispersion.tools;
  const clustered = calibrate(traffic(48, 6, 2), 0, 48 * HOUR, HOUR).dispersion.tools;
  assert.ok(independent !== undefined && independent < 1.4, `independent ${independent}`);
  assert.ok(clustered !== undefined && clustered > 4 && clustered < 8, `sessions of 6 calls: ${clustered}`);
  const short = calibrate(traffic(6, 6, 3), 0, 6 * HOUR, HOUR);
  assert.equal(short.dispersion.tools, undefined, "6 chunks are too few to say");
  assert.deepEqual(dispersionOf(short, "tools"), { phi: 1, calibrated: false });
  assert.deepEqual(dispersionOf({ windowMs: HOUR, chunks: 20, dispersion: { denial_rate: 2.5 } }, "denial_rate:new.rule"), { phi: 2.5, calibrated: true }, "a rule never seen takes its family's");
  const day = calibrate(traffic(7 * 24, 6, 4), 0, 7 * 24 * HOUR, 24 * HOUR);
  assert.equal(day.chunks, 25, "a day's window slides by 6 h over a week");
});
