// The approval queue on its own, over the memory store and a clock the test moves: who may answer,
// that expiry means no (on read, on list, by the sweep, and while a client waits), that a race
// lost to another node is reported, and that a waiter hears an answer from this node at once and
// from another node by polling. The HTTP suites (approvals.test.ts) cover the routes; these pin the
// queue's own rules, which mutation testing found the route tests left open.
import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryApprovalStore } from "../approval-store.ts";
import type { ApprovalStore, StoredApproval } from "../approval-store.ts";
import { ApprovalQueue, toWire } from "../approvals.ts";
import type { NewApproval } from "../approvals.ts";
import { ServiceError } from "../errors.ts";
import type { Caller } from "../keys.ts";
import type { ApprovalV1 } from "../wire.ts";

const T0 = Date.parse("2026-12-07T10:00:00.000Z");

function caller(id: string, o: { roles?: string[]; admin?: boolean; agents?: string[]; environments?: string[]; scopes?: string[] } = {}): Caller {
  const roles = new Set([...(o.roles ?? []), ...(o.admin === true ? ["admin"] : [])]);
  return { id, principal: `${id}@example.com`, agents: o.agents ? new Set(o.agents) : null, environments: o.environments ? new Set(o.environments) : null, roles, admin: o.admin === true, scopes: new Set(o.admin === true ? ["metrics", "history", "relay"] : o.scopes ?? []), expiresAt: Infinity };
}
/** A key whose framework's own humans answer, as supervisors (the default request's role). */
const RELAYS = { roles: ["supervisor"], scopes: ["relay"] };
const admin = caller("root", { admin: true });
const supervisor = caller("sam", { roles: ["supervisor"] });

function request(reasons: NewApproval["reasons"] = [{ rule: "shop.big_refund", effect: "require_approval", approver_role: "supervisor" }], extra: Partial<NewApproval> = {}): NewApproval {
  return { phase: "tool_call", agent: "bot", env: "production", session: "s1", tool: "refund", reasons, payload: { amount: 900 }, policy: `sha256:${"0".repeat(64)}`, decisionId: "d-1", ...extra };
}

/** A queue on a clock the test sets; `settled` collects what onSettled was given. */
function clocked(o: { timeoutMs?: number; store?: ApprovalStore } = {}): { q: ApprovalQueue; store: ApprovalStore; settled: ApprovalV1[]; at: (ms: number) => void } {
  let now = T0;
  const settled: ApprovalV1[] = [];
  const store = o.store ?? new MemoryApprovalStore();
  const q = new ApprovalQueue(store, { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), now: () => now, onSettled: (a) => void settled.push(a) });
  return { q, store, settled, at: (ms) => void (now = T0 + ms) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return "resolved";
}

/** The error's code, message and path, or "resolved". */
async function refusal(p: Promise<unknown>): Promise<[string, string, string | undefined] | "resolved"> {
  try {
    await p;
  } catch (e) {
    const x = e as { code?: string; message: string; path?: string };
    return [x.code ?? "", x.message, x.path];
  }
  return "resolved";
}

/** Lets pending promise callbacks run (setImmediate comes after them, and is never mocked here). */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The promise's value if it has settled once pending callbacks ran, else "waiting". */
function settledNow<T>(p: Promise<T>): Promise<T | "waiting"> {
  return Promise.race([p, new Promise<"waiting">((r) => setImmediate(() => r("waiting")))]);
}

test("the wire outcome: allow only once approved, deny once rejected or expired", () => {
  const base = toWire({ ...request(), id: "a", status: "pending", role: null, createdAt: "", expiresAt: "" } as StoredApproval);
  assert.equal(base.outcome, "pending");
  for (const [status, outcome] of [["approved", "allow"], ["rejected", "deny"], ["expired", "deny"]] as const) {
    assert.equal(toWire({ ...base, status }).outcome, outcome, status);
  }
});

test("a request names the role of the first require_approval reason that names one, and lives timeoutMs", async () => {
  const { q } = clocked({ timeoutMs: 60_000 });
  const a = await q.create(request([
    { rule: "shop.other", effect: "deny", approver_role: "auditor" },
    { rule: "shop.any", effect: "require_approval" },
    { rule: "shop.big_refund", effect: "require_approval", approver_role: "supervisor" },
    { rule: "shop.later", effect: "require_approval", approver_role: "finance" },
  ]));
  assert.equal(a.role, "supervisor");
  assert.equal(a.status, "pending");
  assert.equal(a.createdAt, new Date(T0).toISOString());
  assert.equal(Date.parse(a.expiresAt) - Date.parse(a.createdAt), 60_000);
  assert.equal((await q.create(request([{ rule: "shop.any", effect: "require_approval" }]))).role, null, "no role named: any administrator answers");
  assert.equal((await q.create(request([{ rule: "shop.x", effect: "deny", approver_role: "auditor" }]))).role, null, "a role on another effect is no approver role");
  await q.close();
  const d = new ApprovalQueue(new MemoryApprovalStore());
  const b = await d.create(request());
  assert.equal(Date.parse(b.expiresAt) - Date.parse(b.createdAt), 300_000, "five minutes by default");
  await d.close();
});

test("who may answer: the named role or an administrator, within the key's agents and environments", async () => {
  const { q, settled } = clocked();
  const a = await q.create(request());
  assert.equal(await code(q.answer(caller("eve"), a.id, "approve")), "auth/forbidden", "no role");
  assert.equal(await code(q.answer(caller("fin", { roles: ["finance"] }), a.id, "approve")), "auth/forbidden", "another role");
  assert.equal(await code(q.answer(caller("sam2", { roles: ["supervisor"], agents: ["other"] }), a.id, "approve")), "auth/forbidden", "the role, for another agent");
  assert.equal(await code(q.answer(caller("sam3", { roles: ["supervisor"], environments: ["staging"] }), a.id, "approve")), "auth/forbidden", "the role, in another environment");
  assert.equal((await q.get(a.id)).status, "pending", "refusals answered nothing");
  const ok = await q.answer(supervisor, a.id, "approve", "fine");
  assert.deepEqual([ok.status, ok.outcome, ok.decidedBy, ok.note, ok.decidedAt], ["approved", "allow", "sam@example.com", "fine", new Date(T0).toISOString()]);
  assert.deepEqual(settled.map((s) => s.id), [a.id]);
  assert.equal(await code(q.answer(admin, a.id, "reject")), "approval/already-decided");

  const open = await q.create(request([{ rule: "shop.any", effect: "require_approval" }]));
  assert.equal(await code(q.answer(supervisor, open.id, "approve")), "auth/forbidden", "no role named: only an administrator");
  const r = await q.answer(admin, open.id, "reject");
  assert.deepEqual([r.status, r.outcome, r.decidedBy, "note" in r], ["rejected", "deny", "root@example.com", false]);
  const byAdmin = await q.create(request());
  assert.equal((await q.answer(admin, byAdmin.id, "approve")).status, "approved", "an administrator answers for any role");
  assert.equal(await code(q.answer(admin, "nope", "approve")), "approval/not-found");
  assert.equal(await code(q.get("nope")), "approval/not-found");
  await q.close();
});

test("expired means no: at the deadline on read, on list and on answer, settled once", async () => {
  const { q, settled, at } = clocked({ timeoutMs: 1_000 });
  const a = await q.create(request());
  at(999);
  assert.equal((await q.get(a.id)).status, "pending", "a millisecond before the deadline");
  at(1_000);
  const e = await q.get(a.id);
  assert.deepEqual([e.status, e.outcome, e.note, e.decidedBy], ["expired", "deny", "no answer before the deadline", undefined]);
  assert.equal((await q.get(a.id)).status, "expired");
  assert.deepEqual(settled.map((s) => s.status), ["expired"], "settled once");
  assert.equal(await code(q.answer(admin, a.id, "approve")), "approval/already-decided");

  const b = await q.create(request());
  const c = await q.create(request());
  at(1_999);
  assert.deepEqual((await q.list("pending")).map((x) => x.id), [b.id, c.id]);
  at(2_000);
  assert.deepEqual(await q.list("pending"), [], "list expires what is due before it answers");
  assert.deepEqual((await q.list("expired")).map((x) => x.id), [a.id, b.id, c.id]);
  assert.equal(await code(q.answer(admin, b.id, "approve")), "approval/already-decided", "an answer after the deadline");
  assert.equal(settled.length, 3);
  await q.close();
});

test("expireDue leaves requests before their deadline and answered ones alone", async () => {
  const { q, store, at } = clocked({ timeoutMs: 1_000 });
  const early = await q.create(request());
  at(500);
  const late = await q.create(request());
  const answered = await q.create(request());
  await q.answer(admin, answered.id, "approve");
  at(1_000);
  await q.expireDue();
  assert.deepEqual([(await store.get(early.id))?.status, (await store.get(late.id))?.status, (await store.get(answered.id))?.status], ["expired", "pending", "approved"]);
  at(1_500);
  await q.expireDue();
  assert.equal((await store.get(late.id))?.status, "expired", "exactly at its deadline");
  await q.close();
});

test("a race lost to another node: an answer is already-decided, an expiry returns the winner's answer", async () => {
  // A store whose reads lag: get and list show the request still pending after another node answered it.
  class Lagging extends MemoryApprovalStore {
    stale = new Map<string, StoredApproval>();
    override async get(id: string): Promise<StoredApproval | undefined> {
      return this.stale.get(id) ?? super.get(id);
    }
  }
  const store = new Lagging();
  const { q, settled, at } = clocked({ timeoutMs: 1_000, store });
  const a = await q.create(request());
  store.stale.set(a.id, (await store.get(a.id))!);
  await store.answer(a.id, { status: "rejected", by: "other-node", at: new Date(T0).toISOString() });
  assert.equal(await code(q.answer(supervisor, a.id, "approve")), "approval/already-decided");
  at(1_000);
  const seen = await q.get(a.id);
  assert.deepEqual([seen.status, seen.decidedBy], ["rejected", "other-node"], "the expiry lost: the winner's answer stands");
  assert.deepEqual(settled, [], "the losing node settles nothing");

  // A request deleted between the read and the answer.
  const gone = await q.create(request());
  store.stale.set(gone.id, (await store.get(gone.id))!);
  const missing = new MemoryApprovalStore();
  store.answer = (id, ans) => missing.answer(id, ans);
  assert.equal(await code(q.answer(admin, gone.id, "approve")), "approval/not-found");
  await q.close();
});

test("an answer is given only once onSettled has finished (the audit entry is durable)", async () => {
  const order: string[] = [];
  const q = new ApprovalQueue(new MemoryApprovalStore(), {
    onSettled: async (a) => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(`settled ${a.status}`);
    },
  });
  const a = await q.create(request());
  await q.answer(admin, a.id, "approve");
  order.push("answered");
  assert.deepEqual(order, ["settled approved", "answered"]);
  await q.close();
});

test("a waiter: answered at once, pending after its wait, expired at the deadline, released on abort", async () => {
  const q = new ApprovalQueue(new MemoryApprovalStore(), { timeoutMs: 150 });
  // Already answered: returned as it stands.
  const done = await q.create(request());
  await q.answer(admin, done.id, "reject");
  assert.equal((await q.wait(done.id, 10_000)).status, "rejected");

  // Answered on this node while waiting: the waiter hears it long before its wait is over.
  const a = await q.create(request());
  const started = Date.now();
  const waiting = q.wait(a.id, 10_000);
  setTimeout(() => void q.answer(supervisor, a.id, "approve"), 20);
  assert.equal((await waiting).status, "approved");
  assert.ok(Date.now() - started < 140, "heard the answer, not the deadline");

  // Nobody answers: the wait ends as the request stands, still pending.
  const b = await q.create(request());
  const w = await q.wait(b.id, 30);
  assert.deepEqual([w.id, w.status], [b.id, "pending"]);
  // The deadline comes before the wait ends: the waiter gets the expiry.
  const e = await q.wait(b.id, 10_000);
  assert.deepEqual([e.status, e.outcome], ["expired", "deny"]);

  // Aborted: resolves at once with the request as first read.
  const c = await q.create(request());
  const ac = new AbortController();
  const aborted = q.wait(c.id, 10_000, ac.signal);
  setTimeout(() => ac.abort(), 10);
  assert.deepEqual([(await aborted).status, (await q.get(c.id)).status], ["pending", "pending"]);
  // A waiter that finished answers no later event.
  await q.answer(admin, c.id, "approve");
  await q.close();
});

test("a waiter on a shared store sees another node's answer by polling, and a store failure rejects the wait", async () => {
  // Another node's writes reach this store directly; this node hears of them only by reading.
  class Shared implements ApprovalStore {
    readonly shared = true;
    readonly inner = new MemoryApprovalStore();
    fail = false;
    create(a: StoredApproval): Promise<void> {
      return this.inner.create(a);
    }
    async get(id: string): Promise<StoredApproval | undefined> {
      if (this.fail) throw new Error("store down");
      return this.inner.get(id);
    }
    list(status?: ApprovalV1["status"]): Promise<StoredApproval[]> {
      return this.inner.list(status);
    }
    answer(id: string, ans: Parameters<ApprovalStore["answer"]>[1]): ReturnType<ApprovalStore["answer"]> {
      return this.inner.answer(id, ans);
    }
    close(): Promise<void> {
      return this.inner.close();
    }
  }
  const store = new Shared();
  const q = new ApprovalQueue(store, { pollMs: 20 });
  const a = await q.create(request());
  const started = Date.now();
  const waiting = q.wait(a.id, 10_000);
  // The other node writes to the store: this node emits no event.
  setTimeout(() => void store.answer(a.id, { status: "approved", by: "other", at: new Date().toISOString() }), 30);
  const got = await waiting;
  assert.deepEqual([got.status, got.decidedBy], ["approved", "other"]);
  assert.ok(Date.now() - started < 5_000, "polled, not waited out");

  const b = await q.create(request());
  const failing = q.wait(b.id, 10_000);
  setTimeout(() => void (store.fail = true), 30);
  await assert.rejects(failing, /store down/);
  await q.close();
});

test("many waiters on one request are no leak warning, and each hears the answer", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on("warning", onWarning);
  const q = new ApprovalQueue(new MemoryApprovalStore());
  const a = await q.create(request());
  const waiters = Array.from({ length: 12 }, () => q.wait(a.id, 10_000));
  await new Promise((r) => setTimeout(r, 10));
  await q.answer(admin, a.id, "approve");
  assert.deepEqual((await Promise.all(waiters)).map((w) => w.status), Array(12).fill("approved"));
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(warnings, []);
  await q.close();
});

test("the sweep expires due requests nobody reads, and close stops it and closes the store", async () => {
  let closed = false;
  class Closing extends MemoryApprovalStore {
    override async close(): Promise<void> {
      closed = true;
    }
  }
  const settled: ApprovalV1[] = [];
  const store = new Closing();
  const q = new ApprovalQueue(store, { timeoutMs: 50, onSettled: (a) => void settled.push(a) });
  const a = await q.create(request());
  for (let i = 0; i < 40 && settled.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal((await store.get(a.id))?.status, "expired", "swept at most a timeout after its deadline");
  await q.close();
  assert.equal(closed, true);
  const b = await q.create(request());
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await store.get(b.id))?.status, "pending", "no sweep after close");
});

// A queue nobody closes does not keep the process alive: its sweep timer is unref'd. (Were it not,
// this file would never exit and fail on the runner's timeout.)
test("an unclosed queue holds no process open", async () => {
  const q = new ApprovalQueue(new MemoryApprovalStore());
  await q.create(request());
});

test("refusals say why, naming the key, the role and the request", async () => {
  const { q, at } = clocked({ timeoutMs: 1_000 });
  const a = await q.create(request());
  assert.deepEqual(await refusal(q.answer(caller("eve"), a.id, "approve")), ["auth/forbidden", "approving this request needs the role 'supervisor', which key 'eve' lacks", undefined]);
  assert.deepEqual(await refusal(q.answer(caller("bob", { roles: ["supervisor"], agents: ["other"] }), a.id, "approve")), ["auth/forbidden", "key 'bob' may not answer this request: it is for an agent or environment outside the key's scope", undefined]);
  const open = await q.create(request([{ rule: "shop.any", effect: "require_approval" }]));
  assert.deepEqual(await refusal(q.answer(supervisor, open.id, "approve")), ["auth/forbidden", "key 'sam' lacks the admin role", undefined]);
  await q.answer(admin, a.id, "reject");
  assert.deepEqual(await refusal(q.answer(admin, a.id, "approve")), ["approval/already-decided", `approval request '${a.id}' is already rejected`, "/id"]);
  assert.deepEqual(await refusal(q.get("nope")), ["approval/not-found", "there is no approval request 'nope'", "/id"]);
  // Swept, not read: the sweep writes the same note as a read past the deadline.
  at(1_000);
  await q.expireDue();
  assert.deepEqual([(await q.store.get(open.id))?.status, (await q.store.get(open.id))?.note], ["expired", "no answer before the deadline"]);
  await q.close();
});

test("a lost race is reported with the request's id and where it stands", async () => {
  class Lagging extends MemoryApprovalStore {
    stale = new Map<string, StoredApproval>();
    override async get(id: string): Promise<StoredApproval | undefined> {
      return this.stale.get(id) ?? super.get(id);
    }
  }
  const store = new Lagging();
  const { q } = clocked({ store });
  const a = await q.create(request());
  store.stale.set(a.id, (await store.get(a.id))!);
  await store.answer(a.id, { status: "approved", by: "other-node", at: new Date(T0).toISOString() });
  assert.deepEqual(await refusal(q.answer(admin, a.id, "reject")), ["approval/already-decided", `approval request '${a.id}' is already approved`, "/id"]);
  const gone = await q.create(request());
  store.stale.set(gone.id, (await store.get(gone.id))!);
  const empty = new MemoryApprovalStore();
  store.answer = (id, ans) => empty.answer(id, ans);
  assert.deepEqual(await refusal(q.answer(admin, gone.id, "approve")), ["approval/not-found", `there is no approval request '${gone.id}'`, "/id"]);
  await q.close();
});

test("a wait ends without any timer when the request is already answered, or its wait is already over", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const q = new ApprovalQueue(new MemoryApprovalStore());
  const done = await q.create(request());
  await q.answer(admin, done.id, "approve");
  assert.equal(((await settledNow(q.wait(done.id, 10_000))) as ApprovalV1).status, "approved");
  const a = await q.create(request());
  assert.equal(((await settledNow(q.wait(a.id, 0))) as ApprovalV1).status, "pending", "a zero wait answers at once");
  await q.close();
});

test("a waiter finishes at the exact end of its wait, and releases its abort listener", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let now = T0;
  const q = new ApprovalQueue(new MemoryApprovalStore(), { now: () => now });
  const a = await q.create(request());
  const ac = new AbortController();
  const w = q.wait(a.id, 1_000, ac.signal);
  await flush();
  assert.equal(await settledNow(w), "waiting");
  now = T0 + 1_000;
  t.mock.timers.tick(1_000);
  await flush();
  assert.equal(((await settledNow(w)) as ApprovalV1).status, "pending");
  assert.equal(getEventListeners(ac.signal, "abort").length, 0, "the finished waiter no longer listens for an abort");
  await q.close();
});

test("a waiter on a shared store re-reads it every pollMs", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let reads = 0;
  class Shared extends MemoryApprovalStore {
    override async get(id: string): Promise<StoredApproval | undefined> {
      reads++;
      return super.get(id);
    }
  }
  const store = new Shared();
  Object.defineProperty(store, "shared", { value: true });
  const q = new ApprovalQueue(store, { pollMs: 20 });
  const a = await q.create(request());
  const w = q.wait(a.id, 10_000);
  await flush();
  const before = reads;
  t.mock.timers.tick(19);
  await flush();
  assert.equal(reads, before, "not before pollMs");
  t.mock.timers.tick(1);
  await flush();
  assert.equal(reads, before + 1, "once per pollMs");
  await store.answer(a.id, { status: "rejected", by: "other", at: new Date().toISOString() });
  t.mock.timers.tick(20);
  await flush();
  assert.equal(((await settledNow(w)) as ApprovalV1).status, "rejected");
  await q.close();
});

test("the sweep runs every min(1 s, timeoutMs)", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  let now = T0;
  const q = new ApprovalQueue(new MemoryApprovalStore(), { timeoutMs: 50, now: () => now });
  const a = await q.create(request());
  now = T0 + 50;
  t.mock.timers.tick(49);
  await flush();
  assert.equal((await q.store.get(a.id))?.status, "pending");
  t.mock.timers.tick(1);
  await flush();
  assert.equal((await q.store.get(a.id))?.status, "expired");
  await q.close();
});

test("a relayed framework answer: only the asking key, settles a pending request once, and says when it came too late", async () => {
  const { q, settled, at } = clocked({ timeoutMs: 1_000 });
  const bot = caller("bot-key", { agents: ["bot"], ...RELAYS });
  const a = await q.create(request(undefined, { askedBy: "bot-key" }));
  // The asking key approves only when trusted to relay, and as the role the request names.
  const noScope = await refusal(q.relay(caller("bot-key", { agents: ["bot"], roles: ["supervisor"] }), a.id, true, undefined, undefined));
  assert.deepEqual(noScope === "resolved" ? noScope : [noScope[0], noScope[2]], ["auth/forbidden", "/approved"]);
  assert.equal(await code(q.relay(caller("bot-key", { agents: ["bot"], scopes: ["relay"] }), a.id, true, undefined, undefined)), "auth/forbidden");
  // Nor through the queue with an approver's role and no relay scope; an administrator who asked may.
  assert.equal(await code(q.answer(caller("bot-key", { roles: ["supervisor"] }), a.id, "approve")), "auth/forbidden");
  const forbidden = (key: string) => ["auth/forbidden", `key '${key}' did not ask for approval request '${a.id}': only the key whose decision asked may relay its framework's answer`, undefined];
  assert.deepEqual(await refusal(q.relay(caller("other-key"), a.id, true, undefined, undefined)), forbidden("other-key"), "another key, even unscoped");
  assert.deepEqual(await refusal(q.relay(admin, a.id, true, undefined, undefined)), forbidden("root"), "an administrator did not ask either");
  // The asker's id on a key now scoped away from the request's agent.
  assert.equal(await code(q.relay(caller("bot-key", { agents: ["other"] }), a.id, true, undefined, undefined)), "auth/forbidden");
  assert.equal(await code(q.relay(caller("bot-key", { environments: ["staging"] }), a.id, true, undefined, undefined)), "auth/forbidden");
  assert.equal(await code(q.relay(bot, "nope", true, undefined, undefined)), "approval/not-found");
  assert.equal((await q.get(a.id)).status, "pending", "refusals settled nothing");

  const r = await q.relay(bot, a.id, true, "ann@example.com", "looked fine");
  assert.equal(r.settled, true);
  assert.deepEqual([r.approval.status, r.approval.outcome, r.approval.decidedBy, r.approval.note, r.approval.via], ["approved", "allow", "ann@example.com", "looked fine", "framework"]);
  assert.deepEqual(settled.map((s) => [s.id, s.status, s.via]), [[a.id, "approved", "framework"]]);
  // Again, or the opposite answer: the first stands, and nothing is settled twice.
  const again = await q.relay(bot, a.id, false, "ann@example.com", undefined);
  assert.deepEqual([again.settled, again.approval.status, again.approval.decidedBy], [false, "approved", "ann@example.com"]);
  assert.equal(settled.length, 1);

  // A rejection, by the key's own principal when the framework names nobody, with no note.
  const b = await q.create(request(undefined, { askedBy: "bot-key" }));
  const no = await q.relay(bot, b.id, false, undefined, undefined);
  assert.deepEqual([no.settled, no.approval.status, no.approval.outcome, no.approval.decidedBy, "note" in no.approval], [true, "rejected", "deny", "bot-key@example.com", false]);

  // An approver first: their answer stands; the deadline first: expired stands.
  const c = await q.create(request(undefined, { askedBy: "bot-key" }));
  await q.answer(supervisor, c.id, "reject");
  const late = await q.relay(bot, c.id, true, undefined, undefined);
  assert.deepEqual([late.settled, late.approval.status, late.approval.decidedBy, "via" in late.approval], [false, "rejected", "sam@example.com", false]);
  const d = await q.create(request(undefined, { askedBy: "bot-key" }));
  at(1_000);
  const expired = await q.relay(bot, d.id, true, undefined, undefined);
  assert.deepEqual([expired.settled, expired.approval.status], [false, "expired"]);
  // A request no key asked for (filed before relays existed) cannot be relayed.
  const e = await q.create(request());
  assert.equal(await code(q.relay(bot, e.id, true, undefined, undefined)), "auth/forbidden");
  await q.close();
});

test("a relay whose answer cannot be recorded fails: the service's refusal is thrown, not taken for a lost race", async () => {
  const q = new ApprovalQueue(new MemoryApprovalStore(), {
    onSettled: () => {
      throw new ServiceError("audit/unavailable", "the audit log is unavailable");
    },
  });
  const a = await q.create(request(undefined, { askedBy: "bot-key" }));
  assert.deepEqual(await refusal(q.relay(caller("bot-key", RELAYS), a.id, true, undefined, undefined)), ["audit/unavailable", "the audit log is unavailable", undefined]);
  await q.close();
});

test("a relay that loses the race to another node returns the winner's answer; another failure is thrown", async () => {
  class Lagging extends MemoryApprovalStore {
    stale = new Map<string, StoredApproval>();
    override async get(id: string): Promise<StoredApproval | undefined> {
      const s = this.stale.get(id);
      this.stale.delete(id);
      return s ?? super.get(id);
    }
  }
  const store = new Lagging();
  const { q, settled } = clocked({ store });
  const bot = caller("bot-key", RELAYS);
  const a = await q.create(request(undefined, { askedBy: "bot-key" }));
  store.stale.set(a.id, (await store.get(a.id))!);
  await store.answer(a.id, { status: "rejected", by: "other-node", at: new Date(T0).toISOString() });
  const r = await q.relay(bot, a.id, true, undefined, undefined);
  assert.deepEqual([r.settled, r.approval.status, r.approval.decidedBy], [false, "rejected", "other-node"]);
  assert.deepEqual(settled, []);
  const b = await q.create(request(undefined, { askedBy: "bot-key" }));
  store.answer = async () => {
    throw new Error("store down");
  };
  await assert.rejects(q.relay(bot, b.id, true, undefined, undefined), /store down/);
  await q.close();
});

// A long-poll that ended must leave nothing behind: a listener kept on the queue's emitter would
// keep each finished waiter (and the request it read) alive until the request is answered, which
// for an expired or abandoned one is never.
test("a finished waiter is released: nothing the queue keeps still reaches it", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const q = new ApprovalQueue(new MemoryApprovalStore());
  const a = await q.create(request());
  const waited = async (): Promise<WeakRef<ApprovalV1>> => {
    const ac = new AbortController();
    const w = q.wait(a.id, 10_000, ac.signal);
    ac.abort();
    return new WeakRef(await w);
  };
  const ref = await waited();
  for (let i = 0; i < 3 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  assert.equal(ref.deref(), undefined, "the finished waiter is still reachable from the queue");
  await q.close();
});
