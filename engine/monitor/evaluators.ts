// Semantic quality: evaluators read an agent's output and return a score (a number) or a
// category (a string). The monitor runs them at flush time, on a sample of outputs, so a slow
// judge (an LLM call) never sits on the decision path; their results drift like any metric
// (`score:<name>` samples, `eval:<name>` category counts).
import { getDetector } from "../runtime/stdlib/detectors.ts";
import type { Detector } from "../runtime/stdlib/detectors.ts";
import type { TelemetryEvent } from "./event.ts";

/** What an evaluator returns: a score, a category, or undefined to abstain. */
export type EvaluationResult = number | string | undefined;

/** A pluggable output evaluator. */
export interface Evaluator {
  /** The metric name: `score:<name>` for numbers, `eval:<name>` for categories. */
  readonly name: string;
  /** Fraction of outputs evaluated, in (0, 1]; default 1. */
  readonly sampleRate?: number;
  /** Scores or classifies one output; may be async (a judge model), the flusher awaits it. */
  evaluate(output: string, event: TelemetryEvent): EvaluationResult | Promise<EvaluationResult>;
}

/** Options every built-in accepts. */
export interface EvaluatorOptions {
  readonly name?: string;
  readonly sampleRate?: number;
}

// Phrases assistants use to decline. Each alternative is a bounded literal sequence, so the
// scan stays linear on any output.
const REFUSAL = /\b(?:I(?:'m| am) (?:sorry|afraid|unable|not able)|I (?:can(?:'|no)t|cannot|won'?t|will not) (?:help|assist|provide|do|comply|share|answer)|(?:as an AI|that request)(?: model)?,? I\b|I must (?:decline|refuse))/i;

/** Classifies an output as `refusal` or `answer`, by the phrases assistants decline with (or your own). */
export function refusalEvaluator(options: EvaluatorOptions & { readonly patterns?: readonly RegExp[] } = {}): Evaluator {
  const patterns = options.patterns ?? [REFUSAL];
  return {
    name: options.name ?? "refusal",
    sampleRate: options.sampleRate,
    evaluate: (output) => (patterns.some((p) => p.test(output)) ? "refusal" : "answer"),
  };
}

/** The detectors `piiLeakEvaluator` runs unless told otherwise. */
export const DEFAULT_PII_DETECTORS: readonly string[] = ["pii.email", "pii.phone", "pii.ssn", "pii.credit_card", "pii.iban", "pii.passport"];

/** Classifies an output as `leak` (a PII detector of the standard library matched) or `clean`. */
export function piiLeakEvaluator(options: EvaluatorOptions & { readonly detectors?: readonly string[] } = {}): Evaluator {
  const detectors: Detector[] = (options.detectors ?? DEFAULT_PII_DETECTORS).map((n) => {
    const d = getDetector(n);
    if (!d) throw new Error(`unknown detector '${n}'`);
    return d;
  });
  return {
    name: options.name ?? "pii_leak",
    sampleRate: options.sampleRate,
    evaluate: (output) => (detectors.some((d) => d.test(output)) ? "leak" : "clean"),
  };
}

/** Scores an output by its length: characters by default, or words. */
export function answerLengthEvaluator(options: EvaluatorOptions & { readonly unit?: "chars" | "words" } = {}): Evaluator {
  const words = options.unit === "words";
  return {
    name: options.name ?? "answer_length",
    sampleRate: options.sampleRate,
    evaluate: (output) => (words ? output.split(/\s+/).filter((w) => w.length > 0).length : output.length),
  };
}

/** An evaluator from your own function: an LLM judge, a groundedness check, a classifier. */
export function customEvaluator(
  name: string,
  fn: (output: string, event: TelemetryEvent) => EvaluationResult | Promise<EvaluationResult>,
  options: { readonly sampleRate?: number } = {},
): Evaluator {
  return { name, sampleRate: options.sampleRate, evaluate: fn };
}
