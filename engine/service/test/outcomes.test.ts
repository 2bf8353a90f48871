// POST /v1/outcomes and the service's signals for drift (case 2: nothing from the service ever
// carried a tool's wall time, an error, token counts, or the answer's text): outcomes are
// checked field by field, scoped like decisions, and land in the monitor as latency, error rate,
// tokens and output size; /v1/decide passes the answer's text, so the descriptors run there.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mergeAggregates, seededRandom } from "../../monitor/index.ts";
import type { MonitorStore } from "../../monitor/index.ts";
import { OUTCOME_SCHEMA } from "../routes-outcomes.ts";
import { startHarness } from "./harness.ts";
import { startMonitored } from "./sources-support.ts";
import type { MonitoredHarness } from "./sources-support.ts";

async function everything(store: MonitorStore) {
  const buckets = await store.buckets({ from: 0, to: Number.MAX_SAFE_INTEGER });
  return mergeAggregates(buckets.map((b) => b.aggregate), 1000, seededRandom(1));
}

describe("outcomes", () => {
  let h: MonitoredHarness;
  before(async () => {
    h = await startMonitored();
  });
  after(async () => {
    await h?.close();
  });

  it("records a tool's wall time, a tool that threw, a model's tokens and output size", async () => {
    const one = await h.call("POST", "/v1/outcomes", "agent", { phase: "tool_call", tool: "search", session: "s1", durationMs: 120.5, outputSize: 900 });
    assert.equal(one.status, 202);
    assert.deepEqual(one.body, { accepted: 1, recorded: true });
    const batch = await h.call("POST", "/v1/outcomes", "agent", {
      outcomes: [
        { phase: "tool_call", tool: "search", session: "s1", durationMs: 5000, error: { source: "tool", type: "TimeoutError", message: "upstream timed out" } },
        { phase: "model_call", model: { provider: "openai", name: "gpt-4.1-mini" }, session: "s1", durationMs: 800, tokens: { input: 1200, output: 80 }, outputSize: 320, output: "Lo siento, no puedo ayudar con esa solicitud." },
      ],
    });
    assert.equal(batch.status, 202);
    assert.equal(batch.body.accepted, 2);
    await h.monitor.flush();
    const a = await everything(h.monitor.store);
    assert.deepEqual([...a.outcomes].sort(), [["model:gpt-4.1-mini", 1], ["search", 2]]);
    assert.deepEqual([...a.errors], [["search", 1]]);
    assert.deepEqual(a.numeric.get("latency:search")?.values.sort((x, y) => x - y), [120.5, 5000]);
    assert.deepEqual(a.numeric.get("input_tokens")?.values, [1200]);
    assert.deepEqual(a.numeric.get("output_size")?.values.sort((x, y) => x - y), [320, 900]);
    assert.equal(a.evaluations.get("refusal")?.get("refusal"), 1, "the descriptors read the model's answer");
    assert.equal(a.evaluations.get("language")?.get("es"), 1);
    const buckets = await h.monitor.store.buckets({ from: 0, to: Number.MAX_SAFE_INTEGER });
    assert.deepEqual([...new Set(buckets.map((b) => `${b.agent}/${b.env}`))], ["shop-bot/production"], "agent and environment from the key's scope");
  });

  it("passes the answer's text of /v1/decide to the descriptors", async () => {
    await h.call("POST", "/v1/decide", "agent", { phase: "output", session: "s2", input: { agent: { id: "shop-bot" }, env: "production", output: { text: "I'm sorry, but I can't help with that." } } });
    await h.monitor.flush();
    const a = await everything(h.monitor.store);
    assert.equal(a.evaluations.get("refusal")?.get("refusal"), 2);
    assert.equal(a.evaluations.get("language")?.get("en"), 1);
    assert.ok((a.numeric.get("score:answer_length")?.count ?? 0) >= 2);
  });

  it("takes the scores a client computed on an answer as score:<name> samples", async () => {
    const r = await h.call("POST", "/v1/outcomes", "agent", { outcomes: [0.1, 0.3].map((d) => ({ phase: "model_call", model: { name: "m" }, session: "s3", scores: { answer_drift: d } })) });
    assert.equal(r.status, 202);
    await h.monitor.flush();
    assert.deepEqual((await everything(h.monitor.store)).numeric.get("score:answer_drift")?.values.sort(), [0.1, 0.3]);
  });

  it("refuses what is not an outcome, naming the field, and what the key may not report", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ tool: "x" }, "/phase", /'phase' must be "tool_call"/],
      [{ phase: "tool_call" }, "/tool", /names its 'tool'/],
      [{ phase: "tool_call", tool: "x", durationMs: -1 }, "/durationMs", /at least 0/],
      [{ phase: "model_call", tokens: { input: 1.5 } }, "/tokens/input", /whole number/],
      [{ phase: "tool_call", tool: "x", error: { source: "oops" } }, "/error/source", /one of tool, model, timeout, cancelled/],
      [{ phase: "tool_call", tool: "x", colour: "red" }, "/colour", /unknown field 'colour'/],
      [{ phase: "tool_call", tool: "x", time: "2026-01-01T00:00:00Z" }, "/time", /unknown field 'time'/],
      [{ outcomes: [{ phase: "tool_call", tool: "x" }, { phase: "nope" }] }, "/outcomes/1/phase", /'phase'/],
      [{ outcomes: "x" }, "/outcomes", /must be a list/],
      [{ phase: "model_call", scores: { drift: "high" } }, "/scores/drift", /finite number/],
      [{ phase: "model_call", scores: { "a b": 1 } }, "/scores", /letters, digits/],
      [{ phase: "model_call", scores: [1] }, "/scores", /names to numbers/],
    ];
    for (const [body, path, message] of cases) {
      const r = await h.call("POST", "/v1/outcomes", "agent", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, "request/invalid");
      assert.equal(r.body.error.path, path, JSON.stringify(body));
      assert.match(r.body.error.message, message);
    }
    const forbidden = await h.call("POST", "/v1/outcomes", "agent", { phase: "tool_call", tool: "x", agent: "other-bot" });
    assert.equal(forbidden.status, 403);
    assert.equal((await h.call("POST", "/v1/outcomes", undefined, { phase: "tool_call", tool: "x" })).status, 401);
    await h.monitor.flush();
    assert.equal((await everything(h.monitor.store)).outcomes.get("x"), undefined, "a refused request queues nothing, not even its valid outcomes");
  });

  it("states its body as a JSON Schema for the API document", () => {
    assert.deepEqual(OUTCOME_SCHEMA.required, ["phase"]);
    assert.ok(Object.keys(OUTCOME_SCHEMA.properties).includes("durationMs"));
  });
});

it("without a monitor, outcomes are checked and acknowledged, not kept", async () => {
  const h = await startHarness();
  try {
    const r = await h.call("POST", "/v1/outcomes", "agent", { phase: "tool_call", tool: "search", durationMs: 3 });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { accepted: 1, recorded: false });
  } finally {
    await h.close();
  }
});
