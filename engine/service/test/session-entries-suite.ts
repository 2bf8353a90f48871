// Issue 19: an audit entry records the decided call and a reference to the session's history,
// never the history itself, so a long session neither outgrows the log's 64 KiB entry limit (503
// for every later call) nor makes the log grow quadratically; replay rebuilds the history from
// the session's earlier entries and reaches the same decisions. An input the entry cannot hold is
// refused 413 before anything is decided.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import type { SessionStore } from "../sessions.ts";
import { replayRecords } from "../../environments/replay.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { POLICY, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const CALLS = 1000;
// Three UTF-8 bytes a character: the old entries passed 64 KiB long before 48 Ki characters.
const NOTE = "記録".repeat(40);

/** The suite over a log and a session store that `open` makes (SQLite here, PostgreSQL in the .pg test). */
export function sessionEntriesSuite(name: string, open: (dir: string) => Promise<{ audit: string; sessions: SessionStore }>): void {
  describe(`session history in audit entries (issue 19, ${name})`, () => {
    let h: Harness;
    let audit: AuditLog;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "palisade-entries-"));
      const where = await open(dir);
      audit = await AuditLog.open(await openStore(where.audit), { signingKey: generateKey("test.local/audit").signerKey });
      h = await startHarness({ audit, sessions: where.sessions });
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function entries(from: number): Promise<{ size: number; record: Readonly<Record<string, unknown>>; index: number }[]> {
      const out = [];
      for (let i = from, n = await audit.size(); i < n; i++) {
        const e = await audit.read(i);
        out.push({ size: e.data.length, record: e.record, index: i });
      }
      return out;
    }

    it("decides and records 1,000 calls of one session, with entries that do not grow", async () => {
      const start = await audit.size();
      const s = "long-session";
      const decisions: string[] = [];
      for (let b = 0; b < CALLS / 100; b++) {
        const requests = [];
        for (let i = b * 100; i < (b + 1) * 100; i++) requests.push({ ...toolCall(i % 50 === 7 ? "search" : "lookup", { i, note: NOTE }, s), payload: "input" });
        const r = await h.call("POST", "/v1/decide/batch", "agent", { requests });
        assert.equal(r.status, 200);
        for (const [j, x] of (r.body.results as { decision?: string; error?: { code: string } }[]).entries()) {
          assert.ok(x.decision !== undefined, `call ${b * 100 + j}: ${JSON.stringify(x)}`);
          decisions.push(x.decision);
        }
      }
      // Two searches are allowed, every later one denied by the session rule: history was read.
      assert.deepEqual([decisions[7], decisions[57], decisions[107], decisions[957]], ["allow", "allow", "deny", "deny"]);
      const log = (await entries(start)).filter((e) => e.record.session === s);
      assert.equal(log.length, CALLS);
      const sizes = log.map((e) => e.size);
      // The same kinds of call give the same size at call 1,000 as at call 10 (the digits of the
      // numbers aside): the entry does not hold the history.
      const early = Math.max(...sizes.slice(0, 200));
      const late = Math.max(...sizes.slice(-200));
      assert.ok(late <= early + 8 && late < 2048, `entries of ${early} bytes early, ${late} late`);
      const last = log[log.length - 1].record;
      assert.deepEqual((last.input as { session: unknown }).session, { id: s, calls_before: CALLS - 1 });
      assert.deepEqual([last.call_seq, last.outcome], [CALLS - 1, "executed"]);

      // A verifier rebuilds each decision's history from the session's earlier entries and decides
      // again: the same decisions, none unverifiable.
      const { policySet } = loadPolicySet([{ path: "shop.policy", text: POLICY }]);
      assert.ok(policySet);
      const { summary } = replayRecords(policySet, log, { env: "production", windowMs: 3_600_000 });
      assert.deepEqual([summary.decisions, summary.replayed, summary.unverifiable, summary.withoutInput, summary.changed], [CALLS, CALLS, 0, 0, 0]);
      // A history that lost an entry is caught, not replayed on a shorter history.
      const gap = replayRecords(policySet, log.filter((e) => e.record.call_seq !== 3), { env: "production", windowMs: 3_600_000 });
      assert.equal(gap.summary.unverifiable, CALLS - 4);
    });

    it("refuses an input the entry cannot hold with 413, before deciding or growing the session", async () => {
      const s = "big-input";
      const start = await audit.size();
      for (const big of ["x".repeat(50_000), "記".repeat(23_000)]) {
        const r = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { big }, s));
        assert.deepEqual([r.status, r.body.error.code, r.body.error.path], [413, "request/too-large", "/input"]);
      }
      // The entry repeats ids beside the input: a long tool name or session id counts twice.
      const longName = await h.call("POST", "/v1/decide", "agent", toolCall("t".repeat(21_000), {}, "s".repeat(100)));
      assert.ok([400, 413].includes(longName.status), JSON.stringify(longName.body));
      const longSession = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, "s".repeat(21_000)));
      assert.ok([400, 413].includes(longSession.status), JSON.stringify(longSession.body));
      // Also in a batch: the request gets its error in place, the others are decided.
      const batch = await h.call("POST", "/v1/decide/batch", "agent", { requests: [toolCall("lookup", { big: "記".repeat(23_000) }, s), toolCall("lookup", {}, s)] });
      assert.equal(batch.body.results[0].error.code, "request/too-large");
      assert.equal(batch.body.results[1].decision, "allow");
      const log = await entries(start);
      assert.equal(log.length, 1);
      assert.deepEqual((log[0].record.input as { session: unknown }).session, { id: s, calls_before: 0 });
    });
  });
}
