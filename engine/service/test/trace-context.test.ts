// A client's `traceparent` parents its own decision's span and no other request's, through the
// service's single onRequest hook.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { TelemetryEvent } from "../../monitor/index.ts";
import { startMonitored } from "./sources-support.ts";
import type { MonitoredHarness } from "./sources-support.ts";
import { KEYS, toolCall } from "./harness.ts";

let h: MonitoredHarness;
const seen: TelemetryEvent[] = [];
before(async () => {
  h = await startMonitored();
  const record = h.monitor.record.bind(h.monitor);
  h.monitor.record = (e: TelemetryEvent) => {
    seen.push(e);
    return record(e);
  };
});
after(async () => h.close());

it("gives a decision the span its traceparent names, and requests without one none, however they interleave", async () => {
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const post = (i: number, traceparent?: string) =>
    fetch(`${h.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.agent}`, ...(traceparent ? { traceparent } : {}) }, body: JSON.stringify(toolCall(`t${i}`)) }).then((r) => assert.equal(r.status, 200));
  await Promise.all(Array.from({ length: 20 }, (_, i) => post(i, i % 2 === 0 ? `00-${traceId}-${(i + 1).toString(16).padStart(16, "0")}-01` : undefined)));
  assert.equal(seen.length, 20);
  for (const e of seen) {
    const i = Number((e as { tool?: string }).tool?.slice(1));
    const parent = (e as { parent?: unknown }).parent;
    if (i % 2 === 0) assert.deepEqual(parent, { traceId, spanId: (i + 1).toString(16).padStart(16, "0"), traceFlags: 1 }, `t${i}`);
    else assert.equal(parent, undefined, `t${i}`);
  }
});
