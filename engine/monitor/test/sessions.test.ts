// Rates count sessions: a session that retries a denied call ten times is one session with a
// denial, not ten independent ones (case 1: decisions of one session move together and were
// tested as independent).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBaseline } from "../baseline.ts";
import { parseMonitorConfig } from "../config.ts";
import type { TelemetryEvent } from "../event.ts";
import { Monitor } from "../monitor.ts";
import { runDrift } from "../run.ts";
import { SessionTracker } from "../sessions.ts";

const HOUR = 3_600_000;

test("the tracker counts each session-level event once per session, and every event without a session", () => {
  const t = new SessionTracker();
  const deny = (session: string | undefined, time: number): TelemetryEvent => ({ time, decision: "deny", session, rules: [{ rule: "r", effect: "deny" }] });
  assert.deepEqual(t.firsts(deny("a", 0)), ["session", "deny", "deny:r"]);
  assert.deepEqual(t.firsts(deny("a", 1)), [], "the retry adds nothing");
  assert.deepEqual(t.firsts({ time: 2, decision: "allow", session: "a" }), []);
  assert.deepEqual(t.firsts(deny(undefined, 3)), ["session", "deny", "deny:r"]);
  assert.deepEqual(t.firsts(deny(undefined, 4)), ["session", "deny", "deny:r"]);
  assert.deepEqual(t.firsts({ kind: "outcome", time: 5, session: "a", tool: "x", error: { source: "tool" } }), ["outcome", "outcome:x", "error", "error:x"]);
  assert.deepEqual(t.firsts({ kind: "outcome", time: 6, session: "a", tool: "x", error: { source: "tool" } }), []);
  assert.deepEqual(t.firsts(deny("a", 6 + 31 * 60_000)), ["session", "deny", "deny:r"], "idle for more than 30 minutes: a new session");
  const small = new SessionTracker({ cap: 2 });
  small.firsts(deny("s1", 0));
  small.firsts(deny("s2", 1));
  small.firsts(deny("s3", 2));
  assert.ok(small.size <= 2, "past the cap the earliest sessions are forgotten");
  assert.deepEqual(small.firsts(deny("s3", 3)), [], "the latest is still known");
});

test("one session denied a hundred times does not move the denial rate; a hundred sessions do", async () => {
  const start = Date.UTC(2026, 0, 5);
  const m = new Monitor({ flushIntervalMs: 0, retentionMs: 0, overflow: "backpressure" });
  // Baseline: 20 hours, 500 sessions an hour, one session in a thousand denied once.
  let n = 0;
  for (let h = 0; h < 20; h++) {
    for (let s = 0; s < 500; s++) {
      const session = `b${n++}`;
      const t = start + h * HOUR + s * 7_000;
      m.record({ time: t, decision: "allow", session, agent: "a", env: "e" });
      if (n % 1000 === 0) m.record({ time: t + 1, decision: "deny", session, agent: "a", env: "e", rules: [{ rule: "burst", effect: "deny" }] });
    }
  }
  const window = (deniedSessions: number, denialsEach: number, offset: number) => {
    for (let s = 0; s < 500; s++) {
      const session = `w${offset}-${s}`;
      const t = start + (20 + offset) * HOUR + s * 7_000;
      m.record({ time: t, decision: "allow", session, agent: "a", env: "e" });
      if (s < deniedSessions) for (let k = 0; k < denialsEach; k++) m.record({ time: t + 1 + k, decision: "deny", session, agent: "a", env: "e", rules: [{ rule: "burst", effect: "deny" }] });
    }
  };
  window(1, 100, 0); // one abusive session retrying a hundred times
  window(100, 1, 1); // a hundred sessions denied once each
  await m.flush();
  await createBaseline(m.store, "normal", { from: start, to: start + 20 * HOUR, agent: "a", env: "e" });
  const config = parseMonitorConfig({ defaults: { window: "1h" }, monitors: [{ name: "denials", metric: "denial_rate:*" }] });
  const one = await runDrift(m.store, config, { now: start + 21 * HOUR });
  const many = await runDrift(m.store, config, { now: start + 22 * HOUR });
  const rate = (r: typeof one) => r.results.find((x) => x.metric === "denial_rate:burst");
  assert.equal(rate(one)?.verdict, "ok", `one session: ${rate(one)?.summary}`);
  assert.equal(rate(one)?.summary, "0.1% → 0.2%", "1 session of 500");
  assert.equal(rate(many)?.verdict, "drift", `a hundred sessions: ${rate(many)?.summary}`);
  await m.close();
});
