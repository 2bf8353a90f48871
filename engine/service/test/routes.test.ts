// Route coverage by construction: every route the server registered (Service.routes, the list the
// OpenAPI document is built from) is tried here, so a route is covered the day it is added.
// - a keyed route refuses a missing, wrong or malformed key (401), and a public one answers without;
// - a keyed route refuses a key that may do nothing (no agents, environments, roles or scopes)
//   with 403, unless ANY_KEY lists it with the check it makes instead, and an admin gets through;
// - every error any route answers, to any caller, has the one error shape with a registered code
//   and the status that code carries.
// (Issue 27: with authentication removed from /v1/environments every test still passed, because the
// unauthenticated-route test listed routes by hand and left it out.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ensurePlayground } from "../../../playground/build.ts";
import { ServiceError } from "../errors.ts";
import { hashKey } from "../keys.ts";
import type { ApiKeyConfig } from "../keys.ts";
import type { ServiceErrorCode } from "../wire.ts";
import { ERROR_CODES } from "../schemas.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

/** Keyed routes any valid key may call, each with the check that replaces a role. */
const ANY_KEY: Readonly<Record<string, string>> = {
  "POST /v1/decide": "decides only for the key's agents and environments (checkScope)",
  "POST /v1/decide/batch": "decides only for the key's agents and environments (checkScope, per request)",
  "POST /v1/approvals": "the approval queue checks the answering key's roles against the request's",
  "POST /v1/approvals/requests": "files only for the key's agents and environments (checkScope)",
  "GET /v1/approvals/:id": "only requests of the key's agents",
  "GET /v1/approvals/:id/events": "only requests of the key's agents",
  "POST /v1/approvals/:id/answered": "only the key whose decision asked the request (askedBy) may relay its framework's answer; an approval needs the relay scope and the request's role",
  "GET /v1/audit/checkpoint": "the signed checkpoint is public data (also at /tlog/checkpoint)",
  "GET /v1/audit/proof": "proofs reveal only hashes",
  "GET /v1/status": "which policy digest this node decides with",
  "POST /v1/outcomes": "reports outcomes only for the key's agents and environments (checkScope, per outcome)",
  "POST /v1/settlements": "settles only a call the key's own decision made (the call keeps its deciding key), for the key's agents and environments (checkScope)",
};

const NOTHING = "k-nothing";
const ADMIN = "k-route-admin";
const keys: ApiKeyConfig[] = [
  { id: "nothing", sha256: hashKey(NOTHING), agents: [], environments: [] },
  { id: "route-admin", sha256: hashKey(ADMIN), agents: ["*"], environments: ["*"], roles: ["admin"] },
];

let h: Harness;
before(async () => {
  // Every route is tried with bad keys many times over: the failed-authentication limit would answer 429 first.
  const plenty = { perSecond: 1_000_000, burst: 1_000_000 };
  h = await startHarness({ pagesDir: await ensurePlayground(), approvalTimeoutMs: 2000, rateLimit: plenty, authFailureLimit: plenty }, keys);
});
after(async () => h?.close());

type Route = Harness["service"]["routes"][number];

/** The routes worth trying: HEAD is Fastify's twin of each GET. */
function routes(): Route[] {
  const rs = h.service.routes.filter((r) => r.method !== "HEAD");
  assert.ok(rs.length >= 25, `only ${rs.length} routes registered`);
  return rs;
}

const name = (r: Route): string => `${r.method} ${r.url}`;
const pathOf = (r: Route): string => r.url.replace(/:[^/]+/g, "x").replace("*", "0/000");

async function send(method: string, path: string, authorization: string | undefined, body?: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(h.url + path, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

const STATUS_OF = new Map<string, number>(ERROR_CODES.map((c) => [c, new ServiceError(c as ServiceErrorCode, "").status]));

/** Asserts an error answer has the one shape: JSON `{ error: { code, message, path? } }`, a registered code, its status. */
function assertErrorShape(where: string, r: { status: number; type: string; text: string }): string {
  assert.match(r.type, /^application\/json/, `${where}: ${r.status} answered as ${r.type}: ${r.text.slice(0, 200)}`);
  const body = JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown; path?: unknown } };
  assert.deepEqual(Object.keys(body), ["error"], `${where}: ${r.text.slice(0, 200)}`);
  const e = body.error!;
  assert.ok(typeof e.code === "string" && STATUS_OF.has(e.code), `${where}: unregistered code ${String(e.code)}`);
  assert.equal(r.status, STATUS_OF.get(e.code), `${where}: ${e.code} is sent with ${STATUS_OF.get(e.code)}, got ${r.status}`);
  assert.ok(typeof e.message === "string" && e.message.length > 0, `${where}: no message`);
  assert.doesNotMatch(e.message as string, /\n\s+at /, `${where}: a stack trace in the message`);
  assert.ok(e.path === undefined || (typeof e.path === "string" && e.path.startsWith("/")), `${where}: path ${String(e.path)}`);
  for (const k of Object.keys(e)) assert.ok(["code", "message", "path"].includes(k), `${where}: unexpected field ${k}`);
  assert.notEqual(e.code, "internal", `${where}: an internal error reached from a request: ${e.message as string}`);
  return e.code as string;
}

describe("every registered route", () => {
  it("ANY_KEY names only registered keyed routes", () => {
    const keyed = new Set(routes().filter((r) => r.doc?.auth === "key").map(name));
    for (const k of Object.keys(ANY_KEY)) assert.ok(keyed.has(k), `ANY_KEY lists '${k}', which is not a registered keyed route`);
  });

  it("has a doc saying whether it needs a key", () => {
    for (const r of routes()) assert.ok(r.doc?.auth === "key" || r.doc?.auth === "public", `${name(r)} says nothing of its key`);
  });

  it("refuses a missing, wrong or malformed key on every keyed route, and answers public ones without", async () => {
    let keyed = 0;
    for (const r of routes()) {
      const body = r.method === "POST" ? "{}" : undefined;
      for (const auth of [undefined, "Bearer wrong-key", `Basic ${ADMIN}`, "Bearer", `${ADMIN}`]) {
        const res = await send(r.method, pathOf(r), auth, body);
        const where = `${name(r)} with ${auth ?? "no key"}`;
        if (r.doc!.auth === "key") {
          assert.equal(res.status, 401, `${where}: ${res.status} ${res.text.slice(0, 200)}`);
          assert.match(assertErrorShape(where, res), /^auth\/(missing|invalid)-key$/);
        } else assert.notEqual(res.status, 401, `${name(r)} is public`);
      }
      if (r.doc!.auth === "key") keyed++;
    }
    assert.ok(keyed >= 15, `only ${keyed} keyed routes`);
  });

  it("refuses a key that may do nothing on every keyed route but those ANY_KEY lists; an admin gets through", async () => {
    const refused: string[] = [];
    for (const r of routes()) {
      if (r.doc!.auth !== "key") continue;
      const body = r.method === "POST" ? "{}" : undefined;
      const nothing = await send(r.method, pathOf(r), `Bearer ${NOTHING}`, body);
      const admin = await send(r.method, pathOf(r), `Bearer ${ADMIN}`, body);
      assert.ok(admin.status !== 401 && admin.status !== 403, `${name(r)} refuses an admin: ${admin.status} ${admin.text.slice(0, 200)}`);
      if (Object.hasOwn(ANY_KEY, name(r))) {
        assert.notEqual(nothing.status, 401, `${name(r)}: the key is valid`);
        continue;
      }
      assert.equal(nothing.status, 403, `${name(r)} answers a key that may do nothing: ${nothing.status} ${nothing.text.slice(0, 200)}`);
      assert.equal(assertErrorShape(name(r), nothing), "auth/forbidden");
      refused.push(name(r));
    }
    for (const console of ["GET /v1/environments", "GET /v1/decisions", "GET /v1/sessions", "GET /v1/sessions/:id", "GET /v1/drift", "GET /v1/reports", "GET /v1/reports/:name", "GET /v1/policies"]) {
      assert.ok(refused.includes(console), `${console} is not refused to a key without the admin role`);
    }
  });

  it("answers every error in the one shape, to every caller, bad input included", async () => {
    const codes = new Set<string>();
    for (const r of routes()) {
      const path = pathOf(r);
      const junk = `${path}?limit=abc&wait=-1&index=x&size=y&format=nope&from=yesterday&status=maybe&decision=1`;
      const tries: [string, string | undefined, string | undefined][] = [
        [path, undefined, r.method === "POST" ? "{}" : undefined],
        [path, `Bearer ${NOTHING}`, r.method === "POST" ? "{}" : undefined],
        [junk, `Bearer ${ADMIN}`, r.method === "POST" ? "{nope" : undefined],
        [path, `Bearer ${ADMIN}`, r.method === "POST" ? JSON.stringify({ requests: [{}], phase: "x", id: 1, action: "maybe" }) : undefined],
      ];
      for (const [p, auth, body] of tries) {
        const res = await send(r.method, p, auth, body);
        if (res.status >= 400) codes.add(assertErrorShape(`${r.method} ${p} (${auth ?? "no key"})`, res));
      }
      // The same path with a method it does not take.
      const other = r.method === "GET" ? "DELETE" : "GET";
      if (!routes().some((x) => x.method === other && x.url === r.url)) {
        const res = await send(other, path, `Bearer ${ADMIN}`);
        if (res.status >= 400) codes.add(assertErrorShape(`${other} ${path}`, res));
      }
    }
    const unknown = await send("GET", "/v1/nothing-here", `Bearer ${ADMIN}`);
    codes.add(assertErrorShape("an unknown route", unknown));
    for (const c of ["auth/missing-key", "auth/forbidden", "request/invalid", "request/not-found", "request/method-not-allowed"]) assert.ok(codes.has(c), `no route answered ${c}: the test lost its reach`);
  });

  it("keeps a scoped key to its agent on the routes open to any key", async () => {
    // ANY_KEY's routes check scope themselves: a key that may do nothing is refused once a request names an agent.
    const decide = await send("POST", "/v1/decide", `Bearer ${NOTHING}`, JSON.stringify({ ...toolCall("lookup"), environment: "production" }));
    assert.equal(decide.status, 403);
    assert.equal(assertErrorShape("decide", decide), "auth/forbidden");
  });
});
