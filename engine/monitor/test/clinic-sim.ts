// A simulated clinic agent for the false-alarm simulation: sessions (one run of the agent each)
// arrive with a daily and weekly cycle; each session has a latent kind (scheduling, records,
// billing, clinical) that sets its tool preferences, a latency factor, a chance of a flaky
// backend, a language and whether it ends in a refusal, so decisions of one session move
// together, as real ones do. Every step is a model call (decision + outcome with tokens and wall
// time) that may ask for a tool (tool_call decision, then the tool's outcome and a tool_result
// decision); the session ends with an answer (output decision with its text). About 111,000
// decisions a week, like the clinic-agent traffic the issue measured.
//
// A `shift` changes one signal from a given instant on; everything else keeps its distribution.
import type { DecisionEvent, OutcomeEvent, TelemetryEvent } from "../event.ts";
import { seededRandom } from "../random.ts";
import type { Random } from "../random.ts";

/** The signals a shifted day can move, one at a time. */
export type Shift =
  | "tool_mix" // send_email from about 3.5% to about 9.6% of tool calls
  | "denials" // the external-email denial rule fires four times as often, on every tool
  | "escalations" // refills need approval three times as often
  | "errors" // tools fail three times as often
  | "latency" // tools take 1.5 times as long
  | "tokens" // the model writes 1.5 times as many tokens
  | "output_size" // tool results are twice as large
  | "refusals" // sessions end in a refusal 3% -> 10%
  | "language"; // Spanish sessions 10% -> 30%

/** What the simulation produces. */
export interface SimOptions {
  readonly seed: number;
  /** Start, ms since the epoch (use a Monday 00:00 UTC for the weekly cycle to read naturally). */
  readonly start: number;
  readonly hours: number;
  /** The shifted signal and when it starts; none by default. */
  readonly shift?: { readonly signal: Shift; readonly at: number };
  /** The agent and environment; default clinic-agent in production. */
  readonly agent?: string;
  readonly env?: string;
}

const HOUR = 3_600_000;
const KINDS = ["scheduling", "records", "billing", "clinical"] as const;
type Kind = (typeof KINDS)[number];
const TOOLS: Readonly<Record<Kind, readonly [string, number][]>> = {
  scheduling: [["check_availability", 0.35], ["book_appointment", 0.35], ["lookup_patient", 0.27], ["send_email", 0.03]],
  records: [["lookup_patient", 0.4], ["get_lab_results", 0.3], ["summarize_chart", 0.27], ["send_email", 0.03]],
  billing: [["lookup_invoice", 0.4], ["update_insurance", 0.3], ["lookup_patient", 0.27], ["send_email", 0.03]],
  clinical: [["prescribe_refill", 0.4], ["get_lab_results", 0.27], ["lookup_patient", 0.25], ["send_email", 0.08]],
};
const TOOL_MS: Readonly<Record<string, number>> = {
  check_availability: 180, book_appointment: 320, lookup_patient: 120, send_email: 650, get_lab_results: 400, summarize_chart: 900, lookup_invoice: 150, update_insurance: 500, prescribe_refill: 450,
};
const ANSWERS_EN = [
  "Your appointment is booked for Tuesday at 10:30 with Dr. Patel. You will receive a reminder the day before.",
  "The latest lab results are in your chart: all values are within the normal range. Your doctor will follow up if needed.",
  "Your invoice has been updated with the new insurance details. The remaining balance is shown on the billing page.",
  "I found two open slots this week: Wednesday at 9:00 and Friday at 14:15. Which one would you like?",
  "The refill request has been sent to the pharmacy and should be ready for pickup tomorrow afternoon.",
];
const ANSWERS_ES = [
  "Su cita está reservada para el martes a las 10:30 con la doctora Patel. Recibirá un recordatorio el día anterior.",
  "Los resultados del laboratorio están en su historial y todos los valores son normales. Su médico le llamará si es necesario.",
  "He actualizado su factura con los datos del nuevo seguro. El saldo pendiente aparece en la página de pagos.",
];
const REFUSAL_EN = "I'm sorry, but I can't help with that request. Please contact the clinic directly.";
const REFUSAL_ES = "Lo siento, no puedo ayudar con esa solicitud. Por favor, contacte directamente con la clínica.";

function pick(rand: Random, weighted: readonly [string, number][]): string {
  let total = 0;
  for (const [, w] of weighted) total += w;
  let r = rand() * total;
  for (const [v, w] of weighted) {
    if (r < w) return v;
    r -= w;
  }
  return weighted[weighted.length - 1][0];
}

function normal(rand: Random): number {
  return Math.sqrt(-2 * Math.log(rand() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * rand());
}

function logNormal(rand: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rand));
}

function poisson(rand: Random, mean: number): number {
  // Knuth's method: the hourly means here are below 200.
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

/** Relative traffic at an hour of the week: office hours on weekdays, little at night, less at weekends. */
export function load(t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const day = d.getUTCDay();
  const office = Math.exp(-((h - 13) ** 2) / (2 * 3.2 ** 2));
  return (0.08 + office) * (day === 0 || day === 6 ? 0.45 : 1);
}

/** The simulated events, sessions in order of their start (events of concurrent sessions interleave in time, not in the list). */
export function simulateClinic(o: SimOptions): TelemetryEvent[] {
  const rand = seededRandom(o.seed);
  const agent = o.agent ?? "clinic-agent";
  const env = o.env ?? "production";
  const out: TelemetryEvent[] = [];
  let sessionNo = 0;
  // Sessions per hour at load 1, set for about 111,000 decisions in a week.
  const perHour = 194;
  for (let hour = 0; hour < o.hours; hour++) {
    const hourStart = o.start + hour * HOUR;
    const sessions = poisson(rand, perHour * load(hourStart + HOUR / 2));
    for (let s = 0; s < sessions; s++) {
      const t0 = hourStart + Math.floor(rand() * HOUR);
      const on = (signal: Shift) => o.shift !== undefined && o.shift.signal === signal && t0 >= o.shift.at;
      const session = `s${o.seed}-${++sessionNo}`;
      const night = load(t0) < 0.2;
      const kind = pick(rand, [["scheduling", night ? 0.3 : 0.4], ["records", night ? 0.38 : 0.3], ["billing", 0.2], ["clinical", night ? 0.12 : 0.1]]) as Kind;
      let tools = TOOLS[kind];
      if (on("tool_mix")) tools = tools.map(([n, w]) => [n, n === "send_email" ? w * 3 : w] as [string, number]);
      const slow = logNormal(rand, 1, 0.25) * (1 + 0.25 * load(t0)) * (on("latency") ? 1.5 : 1);
      const flaky = rand() < 0.05;
      const errorRate = (flaky ? 0.2 : 0.01) * (on("errors") ? 3 : 1);
      const spanish = rand() < (on("language") ? 0.3 : 0.1);
      const refuses = rand() < (on("refusals") ? 0.1 : 0.03);
      const abusive = rand() < 0.001;
      const injected = rand() < 0.003;
      const tokenScale = on("tokens") ? 1.5 : 1;
      const base = { agent, env, session };
      let t = t0;
      const decide = (phase: string, decision: DecisionEvent["decision"], extra: Partial<DecisionEvent> = {}): void => {
        out.push({ ...base, time: t, phase, decision, rules: [], latencyMs: 0.002 + rand() * 0.004, policyDigest: "sha256:c1in1c", ...extra });
        t += 1;
      };
      const outcome = (o2: Omit<OutcomeEvent, "kind" | "time" | keyof typeof base>): void => {
        t += Math.round(o2.durationMs ?? 0);
        out.push({ kind: "outcome", ...base, time: t, ...o2 });
      };
      if (injected) {
        decide("input", "deny", { rules: [{ rule: "clinic.input.prompt_injection", effect: "deny" }] });
        continue;
      }
      decide("input", "allow");
      const steps = 1 + Math.min(7, Math.floor(-Math.log(rand() || Number.MIN_VALUE) * 2.2));
      let context = 900;
      const model = "gpt-4.1-mini";
      for (let step = 0; step < steps; step++) {
        decide("model_call", "allow", { model, provider: "openai" });
        const outTokens = Math.round(logNormal(rand, 90, 0.5) * tokenScale);
        context += 350 + Math.round(rand() * 200);
        const modelFails = rand() < 0.004;
        outcome({ phase: "model_call", model, provider: "openai", durationMs: Math.round((600 + 14 * outTokens) * logNormal(rand, 1, 0.2)), tokens: { input: context, output: outTokens }, ...(modelFails ? { error: { source: "model", type: "APIConnectionError" } } : {}) });
        if (modelFails || rand() > 0.8) continue;
        const tool = pick(rand, tools);
        const rules: { rule: string; effect: string }[] = [];
        let decision: DecisionEvent["decision"] = "allow";
        if (abusive && step > 0) {
          decision = "deny";
          rules.push({ rule: "palisade.soc2.denial_burst", effect: "deny" });
        } else if (tool === "send_email" && rand() < 0.08) {
          decision = "deny";
          rules.push({ rule: "clinic.phi.external_email", effect: "deny" });
        } else if (on("denials") && rand() < 0.012) {
          decision = "deny";
          rules.push({ rule: "clinic.phi.external_email", effect: "deny" });
        } else if (tool === "lookup_patient" && rand() < 0.005) {
          decision = "deny";
          rules.push({ rule: "clinic.records.bulk_export", effect: "deny" });
        } else if (tool === "prescribe_refill" && rand() < (on("escalations") ? 0.6 : 0.2)) {
          decision = "require_approval";
          rules.push({ rule: "clinic.rx.controlled_needs_approval", effect: "require_approval" });
        }
        decide("tool_call", decision, { tool, rules });
        if (decision === "deny") continue;
        const fails = rand() < errorRate;
        const size = Math.round(logNormal(rand, 1400, 0.7) * (on("output_size") ? 2 : 1));
        outcome({ phase: "tool_call", tool, durationMs: Math.round(logNormal(rand, TOOL_MS[tool], 0.35) * slow), ...(fails ? { error: { source: "tool", type: "UpstreamTimeout" } } : { outputSize: size }) });
        decide("tool_result", "allow", { tool });
      }
      const answers = spanish ? ANSWERS_ES : ANSWERS_EN;
      const text = refuses ? (spanish ? REFUSAL_ES : REFUSAL_EN) : answers[Math.floor(rand() * answers.length)];
      const finalTokens = Math.round(logNormal(rand, 160, 0.4) * tokenScale);
      decide("model_call", "allow", { model, provider: "openai" });
      outcome({ phase: "model_call", model, provider: "openai", durationMs: Math.round((600 + 14 * finalTokens) * logNormal(rand, 1, 0.2)), tokens: { input: context, output: finalTokens }, outputSize: text.length });
      decide("output", "allow", { output: text });
    }
  }
  return out;
}
