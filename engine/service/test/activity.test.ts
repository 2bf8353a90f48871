import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../runtime/index.ts";
import { Activity } from "../activity.ts";
import type { DecisionRecordV1 } from "../wire.ts";

const allow: Decision = { decision: "allow", reasons: [], warnings: [], payload: null, errors: [], policy: { digest: `sha256:${"0".repeat(64)}` } };

function note(a: Activity, n: number, session: string | null, extra: Partial<DecisionRecordV1> = {}): void {
  const input = { n, session };
  a.add({ id: `d-${n}`, time: "2026-11-25T10:00:00.000Z", agent: "bot", env: "production", phase: "tool_call", session, tool: "search", decision: "allow", reasons: [], warnings: [], input, payload: input, ...extra }, allow);
}

const ns = (records: readonly DecisionRecordV1[]) => records.map((r) => (r.input as { n: number }).n);

describe("activity", () => {
  it("lists the latest decisions newest first, within the ring", () => {
    const a = new Activity(4);
    for (let n = 0; n < 10; n++) note(a, n, null);
    assert.deepEqual(ns(a.recent({})), [9, 8, 7, 6]);
    assert.deepEqual(ns(a.recent({}, 2)), [9, 8]);
    assert.deepEqual(a.recent({ agent: "other" }), []);
  });

  it("shows a session's steps still in the ring, oldest first, and forgets a session once all are gone", () => {
    const a = new Activity(6);
    for (let n = 0; n < 6; n++) note(a, n, n % 2 === 0 ? "even" : "odd");
    assert.deepEqual(ns(a.session("even")), [0, 2, 4]);
    assert.deepEqual(a.sessions(), ["even", "odd"]);
    // Four more without a session push 0..3 out of the ring.
    for (let n = 6; n < 10; n++) note(a, n, null);
    assert.deepEqual(ns(a.session("even")), [4]);
    assert.deepEqual(ns(a.session("odd")), [5]);
    for (let n = 10; n < 12; n++) note(a, n, null);
    assert.deepEqual(a.session("even"), []);
    assert.deepEqual(a.sessions(), []);
  });

  it("keeps a long session's newest steps, and holds a number per step rather than the step", () => {
    const a = new Activity(100, 10, 3);
    // At every step, across the trims of its list (every few steps).
    for (let n = 0; n < 20; n++) {
      note(a, n, "long");
      const want = Array.from({ length: Math.min(n + 1, 3) }, (_, i) => n - Math.min(n, 2) + i);
      assert.deepEqual(ns(a.session("long")), want, `after step ${n}`);
      assert.deepEqual(ns(a.session("long", "bot")), want, `after step ${n}, by agent`);
    }
  });

  it("drops the oldest session past the session limit", () => {
    const a = new Activity(100, 2);
    note(a, 0, "a");
    note(a, 1, "b");
    note(a, 2, "c");
    assert.deepEqual(a.sessions(), ["b", "c"]);
    assert.deepEqual(a.session("a"), []);
  });

  it("marks the decision that asked for an approval, and gives back what a transform changed", () => {
    const a = new Activity(10);
    note(a, 0, "s");
    a.link("d-0", "ap-1");
    assert.equal(a.session("s")[0].approval, "ap-1");
    const before = { output: { text: "mail ann@example.com" } };
    const after = { output: { text: "mail [EMAIL]" } };
    const redacted: Decision = { ...allow, reasons: [{ rule: "shop.mask", effect: "redact" }], payload: after };
    a.add({ id: "d-1", time: "2026-11-25T10:00:00.000Z", agent: "bot", env: "production", phase: "output", session: "s", tool: null, decision: "allow", reasons: redacted.reasons, warnings: [], input: before, payload: after }, redacted, { input: JSON.stringify(before), payload: JSON.stringify(after) });
    const [latest] = a.recent({ phase: "output" });
    assert.deepEqual(latest.changes, [{ path: "output.text", before: "mail ann@example.com", after: "mail [EMAIL]" }]);
    assert.deepEqual(latest.input, before);
    assert.deepEqual(latest.payload, after);
  });
});
