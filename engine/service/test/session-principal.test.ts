// A session is one principal's, on the service as in the SDK (spec/sdk.md): the same session id
// under a second principal (a reused thread id, a guessed chat id) neither reads the first's
// history (a count or sequence rule decided on someone else's calls) nor adds to it. The first
// principal to act owns the session; the owner is stored with the sessions, so every node and a
// restart agree.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadPolicySet } from "../../runtime/index.ts";
import { MemorySessionStore } from "../sessions.ts";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
import { startHarness } from "./harness.ts";

const COUNTING = `package counting

rule two_searches on tool_call {
  when tool.name == "search" and (count c in session.calls where c.tool.name == "search") >= 2
  then deny "two searches a session"
}

rule pay_after_otp on tool_call {
  when tool.name == "pay" and not (any c in session.calls: c.tool.name == "verify_otp" and c.outcome == "executed")
  then deny "pay only after a verified one-time password"
}
`;

const call = (principal: string | null, name: string, session: string): Record<string, unknown> => ({
  phase: "tool_call",
  session,
  input: { agent: { id: "shop-bot" }, env: "production", tool: { name, args: {} }, ...(principal === null ? {} : { principal: { id: principal, roles: [] } }) },
});

describe("a session is one principal's", () => {
  for (const store of ["memory", "sqlite"] as const) {
    it(`another principal in the session is denied and reads and adds nothing (${store} store)`, async () => {
      const sources = [{ path: "counting.policy", text: COUNTING }];
      const { policySet } = loadPolicySet(sources);
      assert.ok(policySet);
      const dir = mkdtempSync(join(tmpdir(), "palisade-owner-"));
      const g = await startHarness({ policySet, sources, sessions: store === "sqlite" ? SqliteSessionStore.open(join(dir, "sessions.db")) : new MemorySessionStore() });
      try {
        const decide = async (principal: string | null, name: string, session: string) => {
          const r = await g.call("POST", "/v1/decide", "agent", call(principal, name, session));
          assert.equal(r.status, 200, JSON.stringify(r.body));
          return r.body as { decision: string; reasons: { rule: string }[] };
        };
        // u1's two searches count against nobody else.
        assert.equal((await decide("u1", "search", "S")).decision, "allow");
        assert.equal((await decide("u1", "search", "S")).decision, "allow");
        const u2 = await decide("u2", "search", "S");
        assert.equal(u2.decision, "deny");
        assert.deepEqual(u2.reasons.map((x) => x.rule), ["palisade.session_principal"]);
        // u1's verified password does not let u2 pay, nor does u2's call reach u1's history.
        assert.equal((await decide("u1", "verify_otp", "T")).decision, "allow");
        assert.equal((await decide("u2", "pay", "T")).reasons[0].rule, "palisade.session_principal");
        assert.equal((await decide("u1", "pay", "T")).decision, "allow");
        assert.equal((await decide("u1", "search", "S")).reasons[0].rule, "counting.two_searches", "u2's refused search did not join u1's history either");
        // A step without a principal (a tool's result, the client's own) is not checked; the
        // first principal named owns the session.
        assert.equal((await decide(null, "search", "A")).decision, "allow");
        assert.equal((await decide("u3", "search", "A")).decision, "allow");
        assert.equal((await decide("u4", "search", "A")).reasons[0].rule, "palisade.session_principal");
      } finally {
        await g.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
