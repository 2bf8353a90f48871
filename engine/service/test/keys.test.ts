// API keys on their own: how a key is presented, what a configuration may hold, and what each
// kind of caller may do. The route suites reach these through HTTP; these pin the edges (headers
// sent twice, expiry to the millisecond, scopes) that mutation testing found no route test decides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { checkScope, hashKey, isScoped, KeyRing, mayRead, newKey, presentedKey, requireAdmin, requireScope, SCOPES } from "../keys.ts";
import type { ApiKeyConfig } from "../keys.ts";

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  }
  return "passed";
}

test("a key is presented as `Authorization: Bearer KEY` in any case, or as X-Api-Key", () => {
  assert.equal(presentedKey({ authorization: "Bearer abc" }), "abc");
  assert.equal(presentedKey({ authorization: "bEaReR \tabc \t" }), "abc");
  assert.equal(presentedKey({ "x-api-key": "xyz" }), "xyz");
  assert.equal(presentedKey({ authorization: "Basic abc", "x-api-key": "xyz" }), "xyz", "another scheme: the X-Api-Key header");
  assert.equal(presentedKey({ authorization: "Bearer abc", "x-api-key": "xyz" }), "abc", "the bearer token first");
  assert.equal(presentedKey({}), undefined);
  assert.equal(presentedKey({ authorization: "Bearer a b" }), undefined, "one token only");
  // A header sent twice is ambiguous: refused, whether it arrives as a list or (Authorization,
  // of which Node keeps the first) only in the raw headers.
  assert.equal(code(() => presentedKey({ authorization: ["Bearer abc"] })), "auth/invalid-key");
  assert.equal(code(() => presentedKey({ "x-api-key": ["a", "b"] })), "auth/invalid-key");
  assert.equal(code(() => presentedKey({ authorization: "Bearer abc" }, ["Authorization", "Bearer abc", "AUTHORIZATION", "Bearer other"])), "auth/invalid-key");
  assert.equal(presentedKey({ authorization: "Bearer abc" }, ["Host", "x", "Authorization", "Bearer abc"]), "abc");
});

test("keys are stored as their SHA-256; a new key is pal_ and 43 base64url characters", () => {
  assert.equal(hashKey("k"), createHash("sha256").update("k").digest("hex"));
  const a = newKey();
  const b = newKey();
  assert.match(a.key, /^pal_[A-Za-z0-9_-]{43}$/);
  assert.equal(a.sha256, hashKey(a.key));
  assert.notEqual(a.key, b.key);
});

const cfg = (id: string, extra: Partial<ApiKeyConfig> = {}): ApiKeyConfig => ({ id, sha256: hashKey(`key-${id}`), agents: ["*"], environments: ["*"], ...extra });

test("a configuration with a malformed digest or expiry is refused, naming the key", () => {
  assert.throws(() => new KeyRing([cfg("a", { sha256: "ABC" })]), /key 'a': sha256 must be 64 lowercase hex digits/);
  assert.throws(() => new KeyRing([cfg("a", { sha256: hashKey("x").toUpperCase() })]), /key 'a': sha256/);
  // Two keys under one id would own each other's sessions, settlements and approvals.
  assert.throws(() => new KeyRing([cfg("a"), cfg("a", { sha256: hashKey("other"), agents: ["shop-bot"] })]), /key 'a' is configured twice/);
  // 64 hex digits somewhere in it are not enough: exactly 64, nothing before or after.
  for (const bad of [`${hashKey("x")}0`, `0${hashKey("x")}`, `${hashKey("x")} `, `sha256:${hashKey("x")}`]) {
    assert.throws(() => new KeyRing([cfg("a", { sha256: bad })]), /key 'a': sha256 must be 64 lowercase hex digits/, bad);
  }
  assert.throws(() => new KeyRing([cfg("b", { expires: "soon" })]), /key 'b': expires must be an ISO-8601 instant/);
});

test("authenticate: missing, unknown, expired (to the millisecond) and valid keys", () => {
  const past = new Date(Date.now() - 1).toISOString();
  const ring = new KeyRing([
    cfg("plain"),
    cfg("old", { expires: past }),
    cfg("later", { expires: new Date(Date.now() + 3_600_000).toISOString(), principal: "pat@example.com" }),
    cfg("boss", { roles: ["admin", "supervisor"] }),
    cfg("scoped", { agents: ["bot"], environments: ["staging"], roles: ["supervisor"], scopes: ["metrics"] }),
  ]);
  assert.equal(code(() => ring.authenticate(undefined)), "auth/missing-key");
  assert.equal(code(() => ring.authenticate("")), "auth/missing-key");
  assert.equal(code(() => ring.authenticate("key-nobody")), "auth/invalid-key");
  assert.throws(() => ring.authenticate("key-old"), (e: Error & { code?: string }) => e.code === "auth/expired-key" && e.message.includes(`key 'old' expired at ${past}`));
  const later = ring.authenticate("key-later");
  assert.deepEqual([later.id, later.principal, later.admin, later.agents, later.environments, [...later.roles], [...later.scopes]], ["later", "pat@example.com", false, null, null, [], []]);
  assert.equal(ring.authenticate("key-plain").principal, "plain", "the principal defaults to the key's id");
  assert.equal(ring.authenticate("key-plain").expiresAt, Infinity);
  const boss = ring.authenticate("key-boss");
  assert.equal(boss.admin, true);
  assert.deepEqual([...boss.scopes].sort(), [...SCOPES].sort(), "an administrator holds every scope");
  const scoped = ring.authenticate("key-scoped");
  assert.deepEqual([scoped.admin, [...(scoped.agents ?? [])], [...(scoped.environments ?? [])], [...scoped.scopes]], [false, ["bot"], ["staging"], ["metrics"]]);
});

test("what a caller may do: decide within its agents and environments, read the same, scopes, admin", () => {
  const ring = new KeyRing([cfg("any"), cfg("bot", { agents: ["bot"], environments: ["*"] }), cfg("stg", { agents: ["*"], environments: ["staging"] }), cfg("boss", { roles: ["admin"] }), cfg("m", { scopes: ["metrics"] })]);
  const [any, bot, stg, boss, m] = ["any", "bot", "stg", "boss", "m"].map((id) => ring.authenticate(`key-${id}`));
  assert.equal(code(() => checkScope(any, "x", "production", { agent: "/agent", env: "/env" })), "passed");
  assert.equal(code(() => checkScope(bot, "bot", "production", { agent: "/agent", env: "/env" })), "passed");
  assert.equal(code(() => checkScope(bot, "other", "production", { agent: "/agent", env: "/env" })), "auth/forbidden");
  assert.equal(code(() => checkScope(stg, "bot", "production", { agent: "/agent", env: "/env" })), "auth/forbidden");
  assert.equal(code(() => checkScope(stg, "bot", "staging", { agent: "/agent", env: "/env" })), "passed");
  assert.deepEqual([mayRead(any, { agent: "x", env: "y" }), mayRead(bot, { agent: "bot", env: "y" }), mayRead(bot, { agent: "x", env: "y" }), mayRead(stg, { agent: "x", env: "staging" }), mayRead(stg, { agent: "x", env: "production" })], [true, true, false, true, false]);
  assert.deepEqual([isScoped(any), isScoped(bot), isScoped(stg)], [false, true, true]);
  assert.equal(code(() => requireScope(m, "metrics")), "passed");
  assert.equal(code(() => requireScope(m, "history")), "auth/forbidden");
  assert.equal(code(() => requireScope(boss, "history")), "passed");
  assert.equal(code(() => requireAdmin(boss)), "passed");
  assert.equal(code(() => requireAdmin(m)), "auth/forbidden");
});

test("a key is valid up to its expiry instant, and refused the millisecond after", (t) => {
  const at = Date.parse("2026-12-07T10:00:00.000Z");
  t.mock.timers.enable({ apis: ["Date"], now: at });
  const ring = new KeyRing([cfg("k", { expires: new Date(at).toISOString() })]);
  assert.equal(ring.authenticate("key-k").id, "k");
  t.mock.timers.tick(1);
  assert.equal(code(() => ring.authenticate("key-k")), "auth/expired-key");
});
