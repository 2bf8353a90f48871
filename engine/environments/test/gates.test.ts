// The tests and replay gates on their own: a bundle's tests must exist and pass (a bundle without
// tests proves nothing), a gate not required passes saying so, and a replay with nothing to
// replay fails unless a waiver stands. promotion.test.ts and replay-gate.test.ts walk whole
// pipelines; these pin the gates' own verdicts and details, which no pipeline test decided.
import { test } from "node:test";
import assert from "node:assert/strict";
import { digest } from "../../audit/index.ts";
import type { JsonValue } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import type { PolicySet } from "../../runtime/policy-set.ts";
import { alertStatesInLog } from "../drift.ts";
import { driftGate, replayGate, testsGate } from "../gates.ts";

const RULE = `package p

rule big on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then deny "too big"
}
`;
function set(tests: string): PolicySet {
  const { policySet } = loadPolicySet([{ path: "p.policy", text: RULE + tests }]);
  assert.ok(policySet !== null);
  return policySet;
}
const passing = `
test "small refunds pass" {
  on tool_call { tool: { name: "refund", args: { amount: 5 } } }
  expect allow
}
`;
const failing = `
test "big refunds pass" {
  on tool_call { tool: { name: "refund", args: { amount: 900 } } }
  expect allow
}
`;

test("the tests gate: not required passes, no tests fails, every test must pass, and the detail says which failed", () => {
  assert.deepEqual(testsGate(false, set(failing)), { gate: "tests", passed: true, detail: "tests not required" });
  assert.deepEqual(testsGate(true, set("")), { gate: "tests", passed: false, detail: "the bundle has no tests" });
  assert.deepEqual(testsGate(true, set(passing)), { gate: "tests", passed: true, detail: "1 tests passed" });
  const r = testsGate(true, set(passing + failing));
  assert.deepEqual([r.gate, r.passed], ["tests", false]);
  assert.match(r.detail, /^1 of 2 tests failed: p\.policy:\d+ big refunds pass \(.+\)$/);
  const two = testsGate(true, set(passing + failing + failing.replace("big refunds pass", "huge refunds pass").replace("900", "901")));
  assert.match(two.detail, /^2 of 3 tests failed: p\.policy:\d+ big refunds pass \(.+\); p\.policy:\d+ huge refunds pass \(.+\)$/);
  assert.doesNotMatch(r.detail, /\(failed\)$/, "the first failure is quoted, not a placeholder");
});

const replay = { candidate: set(passing), windowMs: 3_600_000, now: Date.parse("2026-12-07T10:00:00Z") };

test("the replay gate: not required passes; no log or nothing to replay fails, unless a waiver stands", () => {
  assert.deepEqual(replayGate({ ...replay, max: null, target: { name: "production", records: null }, source: { name: "staging", records: null }, waiver: null }), { result: { gate: "replay", passed: true, detail: "replay not required" }, evidence: null });
  const noLog = replayGate({ ...replay, max: 0, target: { name: "production", records: null }, source: { name: "staging", records: null }, waiver: null });
  assert.deepEqual([noLog.result.passed, noLog.result.detail], [false, "'production' has no audit log to replay, and no signed waiver was given (approvers sign one with 'palisade promote sign --waive-replay REASON')"]);
  assert.deepEqual(noLog.evidence, { limit: 0, target: null, source: null, waiver: null });
  const empty = replayGate({ ...replay, max: 0, target: { name: "production", records: [] }, source: { name: "staging", records: [] }, waiver: null });
  assert.equal(empty.result.passed, false);
  assert.match(empty.result.detail, /^nothing to replay in 'production' \(0 decisions in the window, 0 without their input, 0 whose input does not match its digest\), and no signed waiver.*; in 'staging' 0 of 0 would change$/);
  const waiver = { reason: "new environment", approvers: ["alice", "bob"] };
  const waived = replayGate({ ...replay, max: 0, target: { name: "production", records: null }, source: { name: "staging", records: null }, waiver });
  assert.deepEqual(waived.result, { gate: "replay", passed: true, detail: "'production' has no audit log to replay; waived by alice and bob: new environment" });
  assert.deepEqual(waived.evidence?.waiver, waiver);
});

/** A recorded tool_call decision on a refund of `amount`, as the guard writes it (input kept unless `input` is false). */
function recorded(index: number, amount: number, decision: string, rules: string[] = [], input = true) {
  const i: Record<string, JsonValue> = { tool: { name: "refund", args: { amount } } };
  const record: Record<string, unknown> = { env: "production", phase: "tool_call", time: "2026-12-07T09:30:00.000Z", decision, reasons: rules.map((rule) => ({ rule, effect: decision })), input_digest: digest(i) };
  if (input) record.input = i;
  return { index, record };
}

test("the replay gate on recorded traffic: up to the limit passes, one over fails, by rule; at least half must be replayable", () => {
  const waiver = { reason: "unused", approvers: ["alice"] };
  const gate = (max: number, records: ReturnType<typeof recorded>[], w: typeof waiver | null = null) => replayGate({ ...replay, max, target: { name: "production", records }, source: { name: "staging", records: null }, waiver: w });
  // 900 recorded as allowed is denied by p.big now; 5 recorded as denied by p.old is allowed now.
  const traffic = [recorded(1, 900, "allow"), recorded(2, 5, "deny", ["p.old"]), recorded(3, 7, "allow")];
  const atLimit = gate(2, traffic, waiver);
  assert.deepEqual(atLimit.result, { gate: "replay", passed: true, detail: "2 of 3 of 'production''s decisions would change (limit 2) (by rule: p.big: 1, p.old: 1)" });
  assert.equal(atLimit.evidence?.waiver, null, "a waiver nobody needed is not recorded as used");
  assert.equal(atLimit.evidence?.target?.changed, 2);
  const over = gate(1, traffic, waiver);
  assert.deepEqual(over.result, { gate: "replay", passed: false, detail: "2 of 3 of 'production''s decisions would change (limit 1) (by rule: p.big: 1, p.old: 1)" });
  assert.equal(over.evidence?.waiver, null, "a waiver does not lift the limit");
  assert.deepEqual(gate(0, [recorded(1, 7, "allow")]).result, { gate: "replay", passed: true, detail: "0 of 1 of 'production''s decisions would change (limit 0)" });
  // Exactly half replayable is enough; under half needs a waiver.
  const half = [recorded(1, 7, "allow"), recorded(2, 8, "allow", [], false)];
  assert.equal(gate(0, half).result.passed, true);
  const third = [...half, recorded(3, 9, "allow", [], false)];
  assert.deepEqual(gate(0, third).result, { gate: "replay", passed: false, detail: "0 of 1 of 'production''s decisions would change (limit 0), but only 1 of its 3 decisions could be replayed, and no signed waiver was given (approvers sign one with 'palisade promote sign --waive-replay REASON')" });
  const waived = gate(0, third, waiver);
  assert.equal(waived.result.passed, true);
  assert.deepEqual(waived.evidence?.waiver, waiver);
});

test("alert states from the log: only this environment's records, drift_alert records by key and status, compliance events, the monitor's own 'resolved'", () => {
  const rec = (record: Record<string, unknown>, index = 0) => ({ index, record });
  const states = alertStatesInLog([
    rec({ env: "staging", phase: "drift_alert", drift_alert: { key: "k1", status: "open" } }),
    rec({ env: "other", phase: "drift_alert", drift_alert: { key: "k1", status: "resolved" } }),
    rec({ env: "staging", phase: "drift_alert", drift_alert: { key: "k2", status: 7 } }),
    rec({ env: "staging", phase: "drift_alert", drift_alert: null }),
    rec({ env: "staging", phase: "drift_alert", drift_alert: { key: 5, status: "open" } }),
    rec({ env: "staging", phase: "decision", drift_alert: { key: "k9", status: "open" } }),
    rec({ env: "staging", event: "drift_alert", alert: { key: "k3" } }),
    rec({ env: "staging", event: "drift_alert", alert: { key: 3 } }),
    rec({ env: "staging", event: "drift_alert" }),
    rec({ env: "staging", event: "other", alert: { key: "k8" }, handling: { key: "k8", action: "resolved" } }),
    rec({ env: "staging", event: "drift_alert_handled", handling: { key: "k3", action: "resolved", by: "palisade-monitor" } }),
    rec({ env: "staging", event: "drift_alert_handled", handling: { key: "k4", action: "resolved", by: "alice" } }),
    rec({ env: "staging", event: "drift_alert_handled", handling: { key: "k5", action: 1 } }),
    rec({ env: "staging", event: "drift_alert_handled", handling: { key: "k6", action: "dismissed", by: "palisade-monitor" } }),
    rec({ env: "staging", event: "drift_alert_handled" }),
  ], "staging");
  assert.deepEqual(Object.fromEntries([...states].map(([k, s]) => [k, s])), {
    k1: { out: true, seen: false, words: ["open"] },
    k2: { out: true, seen: false, words: ["7"] },
    k3: { out: false, seen: false, words: ["open", "recovered"] },
    k4: { out: false, seen: true, words: ["resolved"] },
    k5: { out: true, seen: false, words: ["1"] },
    k6: { out: false, seen: true, words: ["dismissed"] },
  });
});

test("the drift gate not required passes saying so; with neither store nor log it cannot tell", async () => {
  const env = { name: "staging" } as unknown as Parameters<typeof driftGate>[1];
  assert.deepEqual(await driftGate(false, env, undefined), { gate: "drift", passed: true, detail: "drift check not required" });
  assert.deepEqual(await driftGate(true, env, undefined), { gate: "drift", passed: false, detail: "environment 'staging' has no monitor store or audit log to check for drift alerts" });
});
