// A simulated support agent for the drift tests: a seeded stream of tool-call decisions, each
// followed by the outcome of the call (wall time, tokens, output size, an occasional error),
// whose tool mix and refusal rate change at a chosen instant while everything else (decisions,
// rule denials, approvals, latency, tokens, errors, categories, labels, PII leaks, answer
// length) keeps the same distribution. Refusals and answers are padded to the same length on
// purpose, so that answer length does not drift as a side effect of the refusal rate.
import type { DecisionEvent, TelemetryEvent } from "../event.ts";
import { seededRandom } from "../random.ts";
import type { Random } from "../random.ts";

/** Tools and their normal weights. */
export const TOOLS = ["search", "lookup_order", "send_email", "refund", "escalate_ticket"] as const;
const NORMAL_MIX = [0.4, 0.25, 0.15, 0.1, 0.1];
const SHIFTED_MIX = [0.25, 0.2, 0.15, 0.3, 0.1];

const REFUSAL = "I'm sorry, but I can't help with that request.";
const ANSWER = "Here is what I found about your order, below.".padEnd(REFUSAL.length, ".");
const FILLER = ["order", "shipping", "status", "invoice", "account", "delivery", "item", "return", "policy", "today"];

/** The simulation's knobs. */
export interface SimOptions {
  readonly seed: number;
  readonly start: number;
  /** Events in the run, one every `stepMs`. */
  readonly events: number;
  readonly stepMs: number;
  /** From this instant on, the tool mix and refusal rate are shifted. Infinity: never. */
  readonly shiftAt: number;
  readonly refusalBefore?: number;
  readonly refusalAfter?: number;
}

function pick(rand: Random, weights: readonly number[]): number {
  let r = rand();
  for (let i = 0; i < weights.length - 1; i++) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.length - 1;
}

function logNormal(rand: Random, median: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(rand() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(sigma * z);
}

/** The run's events, in time order: `events` decisions, each but the denied followed by its outcome. */
export function simulate(o: SimOptions): TelemetryEvent[] {
  const rand = seededRandom(o.seed);
  const out: TelemetryEvent[] = [];
  for (let i = 0; i < o.events; i++) {
    const time = o.start + i * o.stepMs;
    const shifted = time >= o.shiftAt;
    const tool = TOOLS[pick(rand, shifted ? SHIFTED_MIX : NORMAL_MIX)];
    // Rules fire independently of the tool, so a new tool mix leaves their rates alone.
    const r = rand();
    const rules: { rule: string; effect: string }[] = [];
    let decision: DecisionEvent["decision"] = "allow";
    if (r < 0.02) {
      decision = "deny";
      rules.push({ rule: "acme.pii.email_external", effect: "deny" });
    } else if (r < 0.03) {
      decision = "deny";
      rules.push({ rule: "acme.rate.limit", effect: "deny" });
    } else if (r < 0.08) {
      decision = "require_approval";
      rules.push({ rule: "acme.refunds.large_refund", effect: "require_approval" });
    }
    const refused = rand() < (shifted ? (o.refusalAfter ?? 0.12) : (o.refusalBefore ?? 0.03));
    const words: string[] = [];
    const k = 5 + Math.floor(rand() * 30);
    for (let w = 0; w < k; w++) words.push(FILLER[Math.floor(rand() * FILLER.length)]);
    const leak = rand() < 0.01 ? " Contact jane.doe@example.com." : " Contact us via the portal.";
    const subject = { agent: "support-bot", agentVersion: "1.4.0", env: "production", phase: "tool_call", tool };
    out.push({
      ...subject,
      time,
      decision,
      rules,
      latencyMs: 0.002,
      category: rand() < 0.9 ? "answer" : "clarification",
      labels: { channel: rand() < 0.7 ? "web" : "email" },
      output: `${refused ? REFUSAL : ANSWER} ${words.join(" ")}${leak.padEnd(31, " ")}`,
      policyDigest: "sha256:0f3c",
    });
    const durationMs = Math.round(logNormal(rand, 120, 0.5) * 1000) / 1000;
    const tokens = { input: 200 + Math.floor(rand() * 600), output: 50 + Math.floor(rand() * 250) };
    const failed = rand() < 0.02;
    if (decision !== "deny") out.push({ ...subject, kind: "outcome", time: time + 1, durationMs, tokens, ...(failed ? { error: { source: "tool" as const, type: "Timeout" } } : { outputSize: 300 + Math.floor(rand() * 900) }) });
  }
  return out;
}
