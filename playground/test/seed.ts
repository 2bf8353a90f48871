// A seeded generator of agent traffic for the console's suites: sessions of a few steps each
// (input, model call, tool calls with their results, output), across agents, environments and
// principals, sent through the real decision API in batches, as agents would send them.

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENTS = ["shop-bot", "billing-bot", "triage-bot"];
const ENVS = ["production", "staging"];

/** The decision requests of `n` sessions named `${prefix}-<i>`, steps in order within each session. */
export function sessionRequests(n: number, prefix: string, seed = 7, approvalShare = 0.01): Record<string, unknown>[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const session = `${prefix}-${String(i).padStart(5, "0")}`;
    const agent = pick(AGENTS);
    const environment = pick(ENVS);
    const base = { agent: { id: agent }, principal: { id: `u-${Math.floor(r() * 200)}`, roles: ["customer"] } };
    const step = (phase: string, input: Record<string, unknown>) => out.push({ phase, environment, session, input: { ...base, ...input } });
    step("input", { input: { text: `order question ${i}`, attachments: [] } });
    step("model_call", { model: { provider: "openai", name: "gpt-4o", messages: [{ role: "user", content: "hi" }], tokens: 100 + Math.floor(r() * 900) } });
    const x = r();
    const tool = x < approvalShare ? "refund" : x < 0.1 ? "shell" : x < 0.55 ? "search" : "lookup";
    const args = tool === "refund" ? { amount: 900, order: `A-${i}` } : tool === "shell" ? { cmd: "cat /etc/passwd" } : { order: `A-${i}` };
    step("tool_call", { tool: { name: tool, args } });
    if (tool !== "shell" && tool !== "refund") step("tool_result", { tool: { name: tool, args, result: { status: pick(["shipped", "pending", "lost"]) } } });
    step("output", { output: { text: r() < 0.3 ? `we wrote to customer${i}@example.com` : "your order is on its way" } });
  }
  return out;
}

/** Sends `requests` through POST /v1/decide/batch, 1,000 at a time; throws on any refusal. */
export async function send(call: (method: string, path: string, key: string, body: unknown) => Promise<{ status: number; body: { results?: { error?: unknown }[] } }>, key: string, requests: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 1000) {
    const res = await call("POST", "/v1/decide/batch", key, { requests: requests.slice(i, i + 1000) });
    const bad = res.body.results?.find((x) => x.error !== undefined);
    if (res.status !== 200 || bad) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(bad ?? res.body).slice(0, 300)}`);
  }
}
