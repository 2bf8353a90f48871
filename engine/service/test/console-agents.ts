// Shared by the memory and PostgreSQL suites: a session is keyed by agent and id, so two agents'
// sessions named alike are listed and opened apart, each with its own owner and steps.
import assert from "node:assert/strict";
import type { Harness } from "./harness.ts";

const step = (agent: string, env: string, principal: string, tool: string) => ({ phase: "tool_call", session: "same-id", environment: env, input: { agent: { id: agent }, principal: { id: principal, roles: [] }, tool: { name: tool, args: {} } } });

interface Row {
  readonly id: string;
  readonly agent: string;
  readonly principal: string | null;
  readonly steps: number;
}

export async function twoAgentsOneId(h: Harness): Promise<void> {
  for (const r of [
    await h.call("POST", "/v1/decide", "agent", step("shop-bot", "production", "ann", "lookup")),
    await h.call("POST", "/v1/decide", "other", step("other-bot", "staging", "olga", "search")),
    await h.call("POST", "/v1/decide", "agent", step("shop-bot", "production", "ann", "search")),
  ]) assert.equal(r.status, 200, JSON.stringify(r.body));
  let rows: Row[] = [];
  // A shared store writes in the background.
  for (let i = 0; i < 100; i++) {
    rows = (await h.call("GET", "/v1/console/sessions?q=same-id", "admin")).body.sessions;
    if (rows.length >= 2 && rows.reduce((n, r) => n + r.steps, 0) >= 3) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(rows.map((r) => [r.id, r.agent, r.principal, r.steps]).sort(), [["same-id", "other-bot", "olga", 1], ["same-id", "shop-bot", "ann", 2]], "one row per agent's session, each with its own owner and steps");
  const other = await h.call("GET", "/v1/sessions/same-id?agent=other-bot", "admin");
  assert.equal(other.body.agent, "other-bot");
  assert.deepEqual(other.body.steps.map((s: { agent: string; tool: string }) => `${s.agent}:${s.tool}`), ["other-bot:search"]);
  const shop = await h.call("GET", "/v1/sessions/same-id?agent=shop-bot", "admin");
  assert.deepEqual(shop.body.steps.map((s: { agent: string; tool: string }) => `${s.agent}:${s.tool}`), ["shop-bot:lookup", "shop-bot:search"]);
  assert.deepEqual((await h.call("GET", "/v1/sessions/same-id?agent=no-bot", "admin")).body.steps, []);
  // Without an agent: every agent's steps under the id, in order, each naming its agent.
  assert.deepEqual((await h.call("GET", "/v1/sessions/same-id", "admin")).body.steps.map((s: { agent: string }) => s.agent), ["shop-bot", "other-bot", "shop-bot"]);
}
