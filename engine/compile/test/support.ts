// Helpers shared by the compile tests: check policy text, and decide one input with both
// evaluators, capturing a thrown error as data so that "both threw the same" compares too.
import assert from "node:assert/strict";
import type { Phase } from "../../../language/ast.ts";
import type { CheckedProgram } from "../../../language/check/program.ts";
import { checkSources, renderDiagnostic } from "../../../language/index.ts";
import type { PhaseSettings } from "../../runtime/combine.ts";
import type { Decision } from "../../runtime/decision.ts";
import { CompiledProgram } from "../compile.ts";
import { ReferenceInterpreter } from "../reference.ts";
import type { Value } from "../values.ts";

/** The `policy` field every test decision carries. */
export const POLICY = { digest: "sha256:test" } as const;

/** Checks sources (`{ path: text }` or one text), failing the test with rendered diagnostics when they do not check. */
export function program(sources: string | Readonly<Record<string, string>>): CheckedProgram {
  const entries = typeof sources === "string" ? { "main.policy": sources } : sources;
  const list = Object.entries(entries).map(([path, text]) => ({ path, text }));
  const r = checkSources(list);
  assert.ok(r.program, `policy does not check:\n${r.diagnostics.map((d) => renderDiagnostic(d, entries[d.file])).join("\n")}`);
  return r.program;
}

/** The settings `combine` takes, from the program's merged settings. */
export function settingsOf(p: CheckedProgram, phase: Phase): PhaseSettings {
  return { defaultDecision: p.settings[phase].default, onError: p.settings[phase].onError };
}

/** A decision, or the message of what was thrown instead. */
export type Outcome = { readonly decision: Decision } | { readonly threw: string };

function capture(f: () => Decision): Outcome {
  try {
    return { decision: f() };
  } catch (err) {
    return { threw: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** Both evaluators of one program, ready to decide. */
export interface Pair {
  readonly program: CheckedProgram;
  readonly compiled: CompiledProgram;
  readonly reference: ReferenceInterpreter;
}

/** Builds both evaluators. */
export function pair(p: CheckedProgram): Pair {
  return { program: p, compiled: new CompiledProgram(p), reference: new ReferenceInterpreter(p) };
}

/** Decides with the compiled evaluator. */
export function decideCompiled(e: Pair, phase: Phase, input: unknown): Outcome {
  return capture(() => e.compiled.decide(phase, input as Value, settingsOf(e.program, phase), POLICY));
}

/** Decides with the reference interpreter and `combine`. */
export function decideReference(e: Pair, phase: Phase, input: unknown): Outcome {
  return capture(() => e.reference.decide(phase, input as Value, settingsOf(e.program, phase), POLICY));
}

/**
 * Asserts that both evaluators decide `input` identically: the same value (deeply) and the
 * same JSON text (so key order, which the CLI prints, agrees too), and that neither mutated it.
 */
export function assertSameDecision(e: Pair, phase: Phase, input: unknown, context: () => string): void {
  const before = structuredClone(input);
  const got = decideCompiled(e, phase, input);
  const want = decideReference(e, phase, input);
  const where = (): string => `${context()}\nphase ${phase}, input ${JSON.stringify(input)}\ncompiled:  ${JSON.stringify(got)}\nreference: ${JSON.stringify(want)}`;
  assert.deepStrictEqual(got, want, where());
  assert.equal(JSON.stringify(got), JSON.stringify(want), where());
  assert.deepStrictEqual(input, before, `the input was mutated\n${where()}`);
}
