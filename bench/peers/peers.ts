// `npm run bench -- peers`: Palisade against the peers a user would pick instead, natively, in
// the same run. Every set (the typical 20-rule policy, 10 to 10,000 rules, the session-sequence
// rule) is decided by Palisade, OPA's Go SDK (prepared query), OPA's Wasm from Node, Cedar
// natively (the Rust crate) and cedar-wasm; each peer must decide every input as Palisade did
// before its figures count. Then `palisade serve` against `opa run --server` behind the same
// load, and Palisade's detectors against Invariant's, LlamaFirewall's and Presidio's scanners
// on one corpus. A peer whose toolchain is missing is skipped, loudly, and only its rows.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { hashKey } from "../../engine/service/keys.ts";
import { getDetector } from "../../engine/runtime/stdlib/detectors.ts";
import { cannon, cpuSeconds, waitFor } from "../serve.ts";
import { cedarRequest } from "./cedar.ts";
import { buildCorpus, loadBenchPolicy, type Corpus, type CorpusSet } from "./corpus.ts";
import { detectorCorpus, KINDS, type Kind } from "./detector-corpus.ts";
import { interleaved, type Contestant } from "./measure.ts";
import { benchSets } from "./sets.ts";
import { buildCedar, buildOpa, buildPython, buildWasm, cacheDir, repoRoot, runJson, type Built } from "./toolchain.ts";

const TIMING = { batches: 9, batchMs: 100, warmupMs: 1000 };

/** A native harness's figures for one set. */
interface NativeFigure {
  readonly ns: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly memBytes: number;
  readonly checked: number;
}

interface NativeResult {
  readonly peer: string;
  readonly version: string;
  readonly sets: Readonly<Record<string, NativeFigure>>;
}

const skipped: { row: string; reason: string }[] = [];

function skip(row: string, reason: string): void {
  skipped.push({ row, reason });
  console.error(`\n*** bench peers: SKIPPED ${row}: ${reason}\n`);
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

// A heap measurement needs the collector on demand.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Builtins the typical policy uses that neither OPA's Wasm runtime nor its npm SDK implements; an OPA Wasm user supplies them. */
const OPA_WASM_BUILTINS = {
  "regex.replace": (s: string, pattern: string, value: string): string => s.replace(new RegExp(pattern, "g"), value),
  "regex.find_n": (pattern: string, s: string, n: number): string[] => {
    const all = [...s.matchAll(new RegExp(pattern, "g"))].map((m) => m[0]);
    return n < 0 ? all : all.slice(0, n);
  },
};

interface OpaWasmPolicy {
  evaluate(input: unknown): { result: { decision: string; reasons: string[]; warnings: string[] } }[];
  readonly mem: WebAssembly.Memory;
}

function sameDecision(set: CorpusSet, i: number, got: { decision: string; reasons: readonly string[]; warnings: readonly string[] }, peer: string): void {
  const want = set.expected[i];
  const a = JSON.stringify([got.decision, [...got.reasons].sort(), [...got.warnings].sort()]);
  const b = JSON.stringify([want.decision, want.reasons, want.warnings]);
  if (a !== b) throw new Error(`${peer} decides ${set.name} input ${i} as ${a}, Palisade as ${b}`);
}

/**
 * Bytes of JavaScript heap that `load` keeps alive, averaged over a few copies held at once (one
 * copy's share is lost in the collector's noise for small sets).
 */
function retainedBytes(load: () => unknown, copies = 4): number {
  const held: unknown[] = [];
  const before = heapUsed();
  for (let i = 0; i < copies; i++) held.push(load());
  const after = heapUsed();
  held.length = 0;
  return Math.max(0, (after - before) / copies);
}

/** Palisade, OPA Wasm and cedar-wasm on one set, in this process, their batches interleaved. */
async function inProcess(set: CorpusSet, palisadeSource: string, opaCli: Built): Promise<Record<string, number | undefined>> {
  const palisadeMem = retainedBytes(() => loadBenchPolicy(palisadeSource), set.name === "scale10000" ? 2 : 4);
  const policy = loadBenchPolicy(palisadeSource);
  const contestants: Record<string, Contestant> = { palisade: { fn: (i: (typeof set.inputs)[number]) => policy.decide("tool_call", i), inputs: set.inputs } };

  let opaWasmMem: number | undefined;
  if (opaCli.ok) {
    const wasmPath = buildWasm(opaCli.path, set.name, set.rego, set.query.replace(/^data\./, "").replaceAll(".", "/"), (p, t) => writeFileSync(p, t));
    const { loadPolicy } = createRequire(import.meta.url)("@open-policy-agent/opa-wasm") as { loadPolicy: (wasm: Buffer, memory?: unknown, builtins?: unknown) => Promise<OpaWasmPolicy> };
    const bytes = readFileSync(wasmPath);
    // The SDK starts memory at 5 pages, and a policy declares the pages it needs at least (the
    // 10,000-rule one, hundreds); the LinkError names that number.
    const wasm = await loadPolicy(bytes, undefined, OPA_WASM_BUILTINS).catch((err: unknown) => {
      const pages = /declared initial of (\d+)/.exec(String(err));
      if (!pages) throw err;
      return loadPolicy(bytes, { initial: Number(pages[1]) }, OPA_WASM_BUILTINS);
    });
    set.inputs.forEach((input, i) => sameDecision(set, i, wasm.evaluate(input)[0].result, "OPA Wasm"));
    // A Wasm policy lives in its own linear memory, not the JavaScript heap: its size once the
    // policy's data is loaded and every input evaluated once.
    opaWasmMem = wasm.mem.buffer.byteLength;
    contestants.opa_wasm = { fn: (i: unknown) => wasm.evaluate(i), inputs: set.inputs };
  }

  // cedar-wasm keeps preparsed sets inside one shared Wasm instance whose memory it does not
  // expose, so it has no memory figure here; the native Cedar row has one.
  if (set.cedar.policies !== null) {
    const id = `peers-${set.name}`;
    const parsed = cedar.preparsePolicySet(id, { staticPolicies: set.cedar.policies });
    if (parsed.type !== "success") throw new Error(`cedar-wasm: ${JSON.stringify(parsed.errors)}`);
    const calls = set.inputs.map((input) => cedarRequest(id, input));
    const expected = set.cedar.expected;
    calls.forEach((c, i) => {
      const res = cedar.statefulIsAuthorized(c);
      if (res.type !== "success" || res.response.decision !== expected[i]) throw new Error(`cedar-wasm decides ${set.name} request ${i} as ${JSON.stringify(res)}, Palisade implies ${expected[i]}`);
    });
    contestants.cedar_wasm = { fn: (c: (typeof calls)[number]) => cedar.statefulIsAuthorized(c), inputs: calls };
  }

  const t = interleaved(contestants, { ...TIMING, warmupMs: set.name === "scale10000" ? 5000 : TIMING.warmupMs });
  return { palisade_ns: t.palisade, opa_wasm_ns: t.opa_wasm, cedar_wasm_ns: t.cedar_wasm, palisade_mem_bytes: palisadeMem, opa_wasm_mem_bytes: opaWasmMem };
}

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once("error", ko);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => ok(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** Resolves with `base` once its `/health` answers 200 (OPA's health endpoint); fails after 30 s. */
async function healthy(base: string): Promise<string> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${base}/health`)).ok) return base;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} never became healthy`);
}

/** `palisade serve` and `opa run --server` on the typical policy, behind the same autocannon load. */
async function services(corpus: Corpus, palisadeSource: string, opaCli: Built): Promise<Record<string, number> | undefined> {
  if (!opaCli.ok) return undefined;
  const dir = join(tmpdir(), `palisade-peers-serve-${process.pid}`);
  mkdirSync(join(dir, "policies"), { recursive: true });
  try {
    const set = corpus.sets.find((s) => s.name === "typical20");
    if (!set) throw new Error("typical20 set missing");
    const input = { ...set.inputs[0], agent: { id: "bench-agent" } };
    writeFileSync(join(dir, "policies", "typical.policy"), palisadeSource);
    writeFileSync(join(dir, "typical.rego"), set.rego);
    const key = "pal_bench_peers";
    // The inputs bring their own session.calls (as OPA is given them): the key's history scope allows that.
    writeFileSync(join(dir, "config.json"), JSON.stringify({ keys: [{ id: "bench", sha256: hashKey(key), agents: ["*"], environments: ["*"], scopes: ["history"] }], rateLimit: { perSecond: 10_000_000, burst: 10_000_000 }, checkpointEveryMs: 1000 }));
    const measure = async (name: string, argv: string[], cmd: string, path: string, body: string, ready: (proc: ChildProcess) => Promise<string>) => {
      const proc = spawn(cmd, argv, { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
      try {
        const url = await ready(proc);
        await cannon(`${url}${path}`, body, key, 2);
        const c0 = cpuSeconds(proc.pid);
        const r = await cannon(`${url}${path}`, body, key, 10);
        const c1 = cpuSeconds(proc.pid);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name} answered ${r.non2xx} non-2xx and ${r.errors} errors under load`);
        return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs: c0 && c1 ? ((c1.all - c0.all) * 1e6) / r.requests.total : NaN };
      } finally {
        proc.kill("SIGTERM");
        await new Promise((ok) => proc.once("exit", ok));
      }
    };
    const pal = await measure("palisade serve", ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine/cli/main.ts"), "serve", join(dir, "policies"), "--port", "0", "--db", join(dir, "audit.db"), "--config", join(dir, "config.json")], process.execPath, "/v1/decide", JSON.stringify({ phase: "tool_call", input }), (p) => waitFor(p, /listening on (http:\/\/\S+)/));
    const port = await freePort();
    const opa = await measure("opa run --server", ["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "typical.rego"], opaCli.path, "/v1/data/bench/typical/result", JSON.stringify({ input }), () => healthy(`http://127.0.0.1:${port}`));
    return {
      palisade_serve_decisions_per_s: Math.round(pal.rps),
      palisade_serve_p50_ms: pal.p50,
      palisade_serve_p99_ms: pal.p99,
      palisade_serve_cpu_us_per_decision: Math.round(pal.cpuUs),
      opa_server_decisions_per_s: Math.round(opa.rps),
      opa_server_p50_ms: opa.p50,
      opa_server_p99_ms: opa.p99,
      opa_server_cpu_us_per_decision: Math.round(opa.cpuUs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Palisade's detectors against the Python scanners on one corpus: ns per KiB and agreement with the planted truth. */
function detectors(python: Built): Record<string, unknown> {
  const docs = detectorCorpus();
  const kinds = Object.keys(KINDS) as Kind[];
  const palisadeFound = docs.map((d) => kinds.filter((k) => getDetector(KINDS[k])!.test(d.text)));
  const kib = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0) / 1024;
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (const d of docs) for (const k of kinds) getDetector(KINDS[k])!.find(d.text);
    samples.push(Number(process.hrtime.bigint() - t0) / kib);
  }
  samples.sort((a, b) => a - b);
  const score = (found: readonly (readonly string[])[], over: readonly Kind[]) => {
    const per: Record<string, { tp: number; fp: number; fn: number; precision: number; recall: number }> = {};
    for (const k of over) {
      let tp = 0, fp = 0, fn = 0;
      docs.forEach((d, i) => {
        const truth = d.kinds.includes(k);
        const got = found[i].includes(k);
        if (truth && got) tp++;
        else if (got) fp++;
        else if (truth) fn++;
      });
      per[k] = { tp, fp, fn, precision: r2(tp / Math.max(1, tp + fp)), recall: r2(tp / Math.max(1, tp + fn)) };
    }
    return per;
  };
  const out: Record<string, unknown> = {
    corpus: { documents: docs.length, kib: r2(kib), planted: kinds.map((k) => `${k}:${docs.filter((d) => d.kinds.includes(k)).length}`).join(" ") },
    palisade: { ns_per_kib: Math.round(samples[2]), min: Math.round(samples[0]), max: Math.round(samples[4]), kinds: score(palisadeFound, kinds) },
  };
  if (!python.ok) return out;
  const file = join(cacheDir, "detector-corpus.json");
  writeFileSync(file, JSON.stringify(docs));
  const peers = runJson<Record<string, { kinds: Kind[]; found: string[][]; timing: { nsPerKiB: number; min: number; max: number } }>>(python.path, [join(repoRoot, "bench/peers/detectors.py"), file]);
  for (const [name, p] of Object.entries(peers)) {
    // Palisade timed on the same kinds the peer scans for, so ns/KiB compares like with like.
    const same: number[] = [];
    for (let round = 0; round < 5; round++) {
      const t0 = process.hrtime.bigint();
      for (const d of docs) for (const k of p.kinds) getDetector(KINDS[k])!.find(d.text);
      same.push(Number(process.hrtime.bigint() - t0) / kib);
    }
    same.sort((a, b) => a - b);
    out[name] = {
      ns_per_kib: Math.round(p.timing.nsPerKiB),
      min: Math.round(p.timing.min),
      max: Math.round(p.timing.max),
      palisade_same_kinds_ns_per_kib: Math.round(same[2]),
      peer_over_palisade: r2(p.timing.nsPerKiB / same[2]),
      kinds: score(p.found, p.kinds),
      palisade_kinds: score(palisadeFound, p.kinds),
    };
  }
  return out;
}

/** Runs the peers benchmark; returns what bench/results/peers.json holds. */
export async function benchPeers(): Promise<Record<string, unknown>> {
  mkdirSync(cacheDir, { recursive: true });
  const load0 = loadavg()[0];
  const opa = buildOpa();
  if (!opa.harness.ok) skip("OPA (Go SDK)", opa.harness.reason);
  if (!opa.cli.ok) skip("OPA Wasm and opa run --server", opa.cli.reason);
  const cedarNative = buildCedar();
  if (!cedarNative.ok) skip("Cedar (native)", cedarNative.reason);
  const python = buildPython();
  if (!python.ok) skip("Python detectors (Invariant, LlamaFirewall, Presidio)", python.reason);

  const sets = benchSets();
  const corpus = buildCorpus(sets, TIMING);
  const corpusFile = join(cacheDir, "corpus.json");
  writeFileSync(corpusFile, JSON.stringify(corpus));

  // The native peers first, each alone on the machine, then the in-process ones.
  const opaGo = opa.harness.ok ? runJson<NativeResult>(opa.harness.path, [corpusFile]) : undefined;
  const cedarGo = cedarNative.ok ? runJson<NativeResult>(cedarNative.path, [corpusFile]) : undefined;
  const perSet: Record<string, Record<string, unknown>> = {};
  for (const [i, set] of corpus.sets.entries()) {
    const local = await inProcess(set, sets[i].palisade, opa.cli);
    const row: Record<string, number | string | undefined> = {
      palisade_ns: local.palisade_ns,
      opa_go_ns: opaGo?.sets[set.name]?.ns,
      opa_wasm_ns: local.opa_wasm_ns,
      cedar_native_ns: cedarGo?.sets[set.name]?.ns,
      cedar_wasm_ns: local.cedar_wasm_ns,
      palisade_mem_bytes: local.palisade_mem_bytes,
      opa_go_mem_bytes: opaGo?.sets[set.name]?.memBytes,
      opa_wasm_mem_bytes: local.opa_wasm_mem_bytes,
      cedar_native_mem_bytes: cedarGo?.sets[set.name]?.memBytes,
    };
    if (set.cedar.policies === null) row.cedar = `cannot express: ${set.cedar.reason}`;
    for (const [k, v] of Object.entries(row)) if (typeof v === "number") row[k] = k.endsWith("_ns") ? r2(v) : Math.round(v);
    const base = local.palisade_ns;
    const ratios: Record<string, number> = {};
    for (const peer of ["opa_go", "opa_wasm", "cedar_native", "cedar_wasm"]) {
      const v = row[`${peer}_ns`];
      if (typeof v === "number" && base) ratios[`${peer}_over_palisade`] = r2(v / base);
    }
    perSet[set.name] = { ...row, ratios, inputs: set.inputs.length };
  }
  const service = await services(corpus, sets[0].palisade, opa.cli);
  const detectorRows = detectors(python);
  return {
    machine: { cores: availableParallelism(), load_average_start: r2(load0), load_average_end: r2(loadavg()[0]), node: process.version },
    versions: { opa: opaGo?.version, cedar_native: cedarGo?.version, cedar_wasm: "4.13.0", opa_wasm_sdk: "1.10.0" },
    sets: perSet,
    ...(service ? { service: { ...service, palisade_audits_every_decision: true, ratio_palisade_over_opa_rps: r2(service.palisade_serve_decisions_per_s / service.opa_server_decisions_per_s) } } : {}),
    detectors: detectorRows,
    skipped,
  };
}
