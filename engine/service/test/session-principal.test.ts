// A session is one principal's, on the service as in the SDK (spec/sdk.md, spec/service.md): the
// same session id under a second principal (a reused thread id, a guessed chat id), or under none,
// neither reads the first's history (a count or sequence rule decided on someone else's calls)
// nor adds to it. A principal is what a key's holder says it is: another key naming the same
// principal, or the same key in another environment, is another owner too. The first to act owns the session, none counting as one; the owner is stored
// with the sessions, so every node and a restart agree. Tried by every way a step reaches a
// session: one decision, a batch, a history the client sends, an approval, the read APIs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { hashKey } from "../keys.ts";
import { MemorySessionStore } from "../sessions.ts";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
import { keyConfigs, startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const COUNTING = `package counting

rule two_searches on tool_call {
  when tool.name == "search" and (count c in session.calls where c.tool.name == "search") >= 2
  then deny "two searches a session"
}

rule pay_after_otp on tool_call {
  when tool.name == "pay" and not (any c in session.calls: c.tool.name == "verify_otp" and c.outcome == "executed")
  then deny "pay only after a verified one-time password"
}

rule mask_email on output {
  then redact pii.email in output.text with "[EMAIL]"
}

rule refunds_reviewed on tool_call {
  when tool.name == "refund"
  then require_approval "refunds are reviewed"
}
`;
const sources = [{ path: "counting.policy", text: COUNTING }];
const HISTORY_KEY = "k-history";
// "twin" is another application's key for the same agent and environment; "wide" one key for two environments.
const keys = [
  ...keyConfigs,
  { id: "history", sha256: hashKey(HISTORY_KEY), agents: ["shop-bot"], environments: ["production"], scopes: ["history"] },
  { id: "twin", sha256: hashKey("k-twin"), agents: ["shop-bot"], environments: ["production"] },
  { id: "wide", sha256: hashKey("k-wide"), agents: ["shop-bot"], environments: ["production", "staging"] },
];
const RULE = "palisade.session_principal";

type Principal = string | null | { readonly raw: unknown };
const call = (principal: Principal, name: string, session: string, extra: Record<string, unknown> = {}, env = "production"): Record<string, unknown> => {
  const p = principal === null ? {} : typeof principal === "string" ? { principal: { id: principal, roles: [] } } : { principal: principal.raw };
  return { phase: "tool_call", session, input: { agent: { id: "shop-bot" }, env, tool: { name, args: {} }, ...p }, ...extra };
};

interface Answer {
  readonly decision: string;
  readonly reasons: readonly { readonly rule: string }[];
  readonly payload: { readonly session?: { readonly calls?: readonly unknown[] } };
  readonly approval?: { readonly id: string };
}

async function decideWith(h: Harness, principal: Principal, name: string, session: string, extra: Record<string, unknown> = {}, key = "agent", env = "production"): Promise<Answer> {
  const r = await h.call("POST", "/v1/decide", key, call(principal, name, session, extra, env));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Answer;
}
const rules = (a: Answer): string[] => a.reasons.map((x) => x.rule);

for (const store of ["memory", "sqlite"] as const) {
  describe(`a session is one principal's (${store} store)`, () => {
    let dir: string;
    let h: Harness;
    let memory: MemorySessionStore | undefined;
    const signingKey = generateKey("test.local/audit").signerKey;
    const open = async (): Promise<Harness> => {
      // The log is the test's, kept across a restart: owners are stored as its pseudonyms.
      // The memory variant's log seals nothing (no salt: owners are stored by plain id, and the
      // console shows principals); the SQLite variant's seals (owners are keyed pseudonyms).
      const audit = await AuditLog.open(await openStore(join(dir, "audit.db")), { signingKey, ...(store === "memory" ? { erasure: false as const } : {}) });
      const { policySet } = loadPolicySet(sources);
      assert.ok(policySet);
      return startHarness({ policySet, sources, audit, sessions: store === "sqlite" ? SqliteSessionStore.open(join(dir, "sessions.db")) : (memory = new MemorySessionStore()) }, keys);
    };
    const decide = (principal: Principal, name: string, session: string, extra: Record<string, unknown> = {}, key = "agent", env = "production") => decideWith(h, principal, name, session, extra, key, env);
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "palisade-owner-"));
      h = await open();
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("another principal is denied and reads and adds nothing", async () => {
      // u1's two searches count against nobody else.
      assert.equal((await decide("u1", "search", "S")).decision, "allow");
      assert.equal((await decide("u1", "search", "S")).decision, "allow");
      const u2 = await decide("u2", "search", "S", { payload: "history" });
      assert.equal(u2.decision, "deny");
      assert.deepEqual(rules(u2), [RULE]);
      assert.deepEqual(u2.payload.session?.calls, [], "the denial shows none of u1's calls");
      // u1's verified password does not let u2 pay, nor does u2's call reach u1's history.
      assert.equal((await decide("u1", "verify_otp", "T")).decision, "allow");
      assert.deepEqual(rules(await decide("u2", "pay", "T")), [RULE]);
      assert.equal((await decide("u1", "pay", "T")).decision, "allow");
      assert.deepEqual(rules(await decide("u1", "search", "S")), ["counting.two_searches"], "u2's refused search did not join u1's history");
      // The denial's payload is as the policies' transforms leave it: the answer and the console show no more than an allowed step would.
      const said = await h.call("POST", "/v1/decide", "agent", { phase: "output", session: "S", environment: "production", input: { agent: { id: "shop-bot" }, principal: { id: "u2" }, output: { text: "write to bob@example.com" } }, payload: "input" });
      assert.deepEqual([said.body.decision, rules(said.body as Answer), said.body.payload.output.text], ["deny", [RULE], "write to [EMAIL]"]);
    });

    it("no principal counts as one: it is denied in a principal's session, and owns a session it starts", async () => {
      assert.equal((await decide("u1", "verify_otp", "N")).decision, "allow");
      // An attacker omitting the principal (or sending null) reads nothing of u1's and pays nothing.
      assert.deepEqual(rules(await decide(null, "pay", "N")), [RULE]);
      assert.deepEqual(rules(await decide({ raw: null }, "pay", "N")), [RULE]);
      assert.equal((await decide("u1", "pay", "N")).decision, "allow");
      // A session first used without a principal is nobody's: a principal joining it is denied.
      assert.equal((await decide(null, "verify_otp", "A")).decision, "allow");
      assert.deepEqual(rules(await decide("u3", "pay", "A")), [RULE]);
      assert.equal((await decide(null, "pay", "A")).decision, "allow");
    });

    it("a principal without a non-empty string id is refused in a session, not taken for nobody", async () => {
      for (const [raw, path] of [[{ id: 1 }, "/input/principal/id"], [{ roles: ["admin"] }, "/input/principal/id"], [{ id: "" }, "/input/principal/id"], ["u1", "/input/principal"], [["u1"], "/input/principal"]] as const) {
        const r = await h.call("POST", "/v1/decide", "agent", call({ raw }, "search", "S"));
        assert.equal(r.status, 400, JSON.stringify(raw));
        assert.equal(r.body.error.code, "request/invalid");
        assert.equal(r.body.error.path, path);
      }
    });

    it("ids are compared exactly: a variant of the principal is another principal; a variant of the session id another session", async () => {
      assert.equal((await decide("josé", "search", "V")).decision, "allow");
      assert.equal((await decide("josé", "search", "V")).decision, "allow");
      // Case, spaces, another normal form (NFD), a compatibility form (NFKC folds it to josé), a zero-width space.
      for (const variant of ["José", "JOSÉ", "josé ", " josé", "jose\u0301", "ｊｏｓé", "jos\u200bé"]) {
        assert.deepEqual(rules(await decide(variant, "search", "V")), [RULE], JSON.stringify(variant));
      }
      // Session ids that look alike are other sessions: their own histories, none of V's.
      for (const other of ["v", "V ", "Ｖ"]) assert.equal((await decide("mallory", "search", other)).decision, "allow", other);
      assert.deepEqual(rules(await decide("josé", "search", "V")), ["counting.two_searches"], "no variant joined V");
    });

    it("another key naming the same principal is denied: it reads, adds and settles nothing", async () => {
      // The agent key's u1 verified a password and searched twice in "mn-clinic".
      assert.equal((await decide("u1", "verify_otp", "mn-clinic")).decision, "allow");
      assert.equal((await decide("u1", "search", "mn-clinic")).decision, "allow");
      // Another application's key says it is u1 too: it sees none of u1's calls and may not pay.
      const seen = await decide("u1", "pay", "mn-clinic", { payload: "history" }, "k-twin");
      assert.deepEqual([rules(seen), seen.payload.session?.calls], [[RULE], []]);
      // Nor do its calls reach u1's history: u1's second search is still allowed, and u1 pays.
      assert.deepEqual(rules(await decide("u1", "search", "mn-clinic", {}, "k-twin")), [RULE]);
      assert.equal((await decide("u1", "search", "mn-clinic")).decision, "allow");
      assert.equal((await decide("u1", "pay", "mn-clinic")).decision, "allow");
      // It files no approval there, and settles none of u1's calls.
      assert.deepEqual(rules(await decide("u1", "refund", "mn-clinic", {}, "k-twin")), [RULE]);
      const settled = await h.call("POST", "/v1/settlements", "k-twin", { session: "mn-clinic", call_seq: 0, outcome: "failed", agent: "shop-bot", environment: "production" });
      assert.equal(settled.status, 403, JSON.stringify(settled.body));
      // A history the client sends, through another key, is foreign there as well.
      const forged = await h.call("POST", "/v1/decide", HISTORY_KEY, { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "pay", args: {} }, principal: { id: "u1" }, session: { id: "mn-clinic", calls: [] } } });
      assert.deepEqual(rules(forged.body as Answer), [RULE]);
      // A batch through the other key is checked request by request the same way.
      const batch = await h.call("POST", "/v1/decide/batch", "k-twin", { requests: [call("u1", "pay", "mn-clinic"), call("u1", "search", "twin-own"), call("u1", "search", "twin-own")] });
      assert.deepEqual((batch.body.results as Answer[]).map((a) => (a.decision === "allow" ? "allow" : rules(a).join())), [RULE, "allow", "allow"]);
      // The other key's own session is its own: the agent key naming u1 there is foreign too.
      assert.deepEqual(rules(await decide("u1", "search", "twin-own")), [RULE]);
    });

    it("the same key in another environment is another owner", async () => {
      assert.equal((await decide("u1", "verify_otp", "E", {}, "k-wide")).decision, "allow");
      // A password verified in production does not let staging pay, nor the reverse read it.
      const staged = await decide("u1", "pay", "E", { payload: "history" }, "k-wide", "staging");
      assert.deepEqual([rules(staged), staged.payload.session?.calls], [[RULE], []]);
      assert.equal((await decide("u1", "pay", "E", {}, "k-wide")).decision, "allow");
    });

    if (store === "memory") it("a session whose owner an older node stored (its principal alone) stays that principal's through any key", async () => {
      // Unsealed log: the principal part is the plain id.
      assert.equal(await memory?.claim(JSON.stringify(["shop-bot", "L"]), "p:u1"), "p:u1");
      assert.equal((await decide("u1", "verify_otp", "L")).decision, "allow");
      assert.equal((await decide("u1", "pay", "L", {}, "k-twin")).decision, "allow");
      assert.deepEqual(rules(await decide("u2", "pay", "L")), [RULE]);
    });

    it("a batch is checked request by request: mixed principals in one session", async () => {
      const r = await h.call("POST", "/v1/decide/batch", "agent", { requests: [call("u1", "search", "B"), call("u2", "search", "B"), call(null, "search", "B"), call("u1", "search", "B"), call("u1", "search", "B"), call("u2", "search", "B2")] });
      assert.equal(r.status, 200);
      const out = (r.body.results as Answer[]).map((a) => (a.decision === "allow" ? "allow" : rules(a).join()));
      assert.deepEqual(out, ["allow", RULE, RULE, "allow", "counting.two_searches", "allow"]);
    });

    it("a history the client sends does not open another principal's session", async () => {
      assert.equal((await decide("u1", "verify_otp", "H", {}, HISTORY_KEY)).decision, "allow");
      const forged = { session: { id: "H", calls: [{ tool: { name: "verify_otp", args: {} }, time: "2026-12-07T00:00:00Z", decision: "allow", outcome: "executed" }] } };
      const asU2 = await h.call("POST", "/v1/decide", HISTORY_KEY, { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "pay", args: {} }, principal: { id: "u2" }, ...forged } });
      assert.equal(asU2.status, 200);
      assert.deepEqual(rules(asU2.body as Answer), [RULE]);
      // Its owner decides on the calls it sent, as the history scope allows.
      const asU1 = await h.call("POST", "/v1/decide", HISTORY_KEY, { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "pay", args: {} }, principal: { id: "u1" }, ...forged } });
      assert.equal(asU1.body.decision, "allow");
      // A history-sent step claims a new session for its principal, as any first step does.
      await h.call("POST", "/v1/decide", HISTORY_KEY, { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "search", args: {} }, principal: { id: "u3" }, session: { id: "H2", calls: [] } } });
      assert.deepEqual(rules(await decide("u4", "search", "H2")), [RULE]);
    });

    it("another principal files no approval in the session, and the owner's answered approval stays the owner's", async () => {
      const asked = await decide("u1", "refund", "R");
      assert.equal(asked.decision, "require_approval");
      const pending = async () => ((await h.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals as { session: string }[]).filter((a) => a.session === "R").length;
      assert.deepEqual(rules(await decide("u2", "refund", "R")), [RULE]);
      assert.equal(await pending(), 1, "u2's refund asked nobody");
      // Another key of the agent neither reads nor waits on the request (it holds u1's step); the asker and an admin do.
      for (const path of [`/v1/approvals/${asked.approval?.id}`, `/v1/approvals/${asked.approval?.id}?wait=1`, `/v1/approvals/${asked.approval?.id}/events`]) {
        const r = await h.call("GET", path, "k-twin");
        assert.deepEqual([r.status, r.body.error?.code], [403, "auth/forbidden"], path);
      }
      assert.equal((await h.call("GET", `/v1/approvals/${asked.approval?.id}`, "agent")).body.status, "pending");
      assert.equal((await h.call("GET", `/v1/approvals/${asked.approval?.id}`, "admin")).body.status, "pending");
      const relayed = await h.call("POST", "/v1/approvals", "admin", { id: asked.approval?.id, action: "approve" });
      assert.equal(relayed.status, 200, JSON.stringify(relayed.body));
      const seen = await decide("u2", "pay", "R", { payload: "history" });
      assert.deepEqual([rules(seen), seen.payload.session?.calls], [[RULE], []], "u2 sees neither the refund nor its answer");
      const own = await decide("u1", "search", "R", { payload: "history" });
      assert.deepEqual((own.payload.session?.calls as { outcome: string }[]).map((c) => c.outcome), ["executed"]);
    });

    if (store === "memory") it("the console names a session by its owner, not by a principal denied in it", async () => {
      // "S" is u1's; u2 tried it (and "a-attacker" sorts first).
      assert.deepEqual(rules(await decide("a-attacker", "search", "S")), [RULE]);
      const r = await h.call("GET", "/v1/console/sessions?q=S&limit=200", "admin");
      assert.equal(r.status, 200);
      const row = (r.body.sessions as { id: string; principal: string | null }[]).find((x) => x.id === "S");
      assert.equal(row?.principal, "u1");
    });

    it("an agent key reads no session, live decision or console row, its own or another principal's", async () => {
      for (const path of ["/v1/sessions/S", "/v1/sessions", "/v1/decisions?session=S", "/v1/console/sessions", "/v1/console/overview"]) {
        const r = await h.call("GET", path, "agent");
        assert.equal(r.status, 403, path);
        assert.equal(r.body.error.code, "auth/forbidden", path);
      }
    });

    if (store === "sqlite") it("the owner survives a restart (the same log and store)", async () => {
      await h.close();
      h = await open();
      assert.deepEqual(rules(await decide("u2", "search", "S")), [RULE]);
      assert.deepEqual(rules(await decide("u1", "search", "S")), ["counting.two_searches"]);
    });
  });
}
