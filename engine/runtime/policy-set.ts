// A loaded policy set: checked sources, their digest, and the evaluator that decides. This is
// what the CLI, the SDK and the service hold; it does no I/O after loading.
import { createHash } from "node:crypto";
import { PHASES, type Phase } from "../../language/ast.ts";
import { checkSources, formatSource } from "../../language/index.ts";
import type { CheckedProgram, Diagnostic, JSONSchemaObject } from "../../language/index.ts";
import { ReferenceInterpreter } from "../compile/reference.ts";
import { CompiledProgram } from "../compile/compile.ts";
import { INPUT_RULE, inputChecks, ToolSchemaError, type InputCheck } from "../compile/input-check.ts";
import type { Value } from "../compile/values.ts";
import type { Firing } from "./combine.ts";
import { snapshotInput } from "./input-snapshot.ts";
import { diagnostic } from "../../language/diagnostics.ts";
import { fileStart } from "../../language/span.ts";
import { TOOL_SCHEMAS } from "../../language/check/index.ts";
import type { Decision } from "./decision.ts";
import { boundMessages } from "./messages.ts";

/** A source file of a policy set. */
export interface PolicySource {
  readonly path: string;
  readonly text: string;
}

/** Options for loading a policy set. */
export interface LoadOptions {
  /** JSON Schemas of tools' args, by tool name, for the checker. */
  readonly toolSchemas?: Record<string, JSONSchemaObject>;
  /** A version label reported in decisions (`policy.version`). */
  readonly version?: string;
  /** Which evaluator decides: the compiled one (default) or the reference interpreter (for differential checks and debugging). */
  readonly evaluator?: Evaluator;
}

/** The evaluators a policy set can decide with; they give identical decisions (a differential test holds them in step). */
export type Evaluator = "compiled" | "reference";

/** Options of `PolicySet.decide`. */
export interface DecideOptions {
  /**
   * The caller vouches that the input is JSON data it alone holds (what `JSON.parse` returns, or
   * a copy such as the SDK's snapshot), so the engine decides on it directly instead of copying
   * it first. If a read throws all the same, the input is decided again on a copy; a value that
   * is not JSON but reads without throwing (a cycle, a Map, a proxy that answers differently on
   * each read) then decides as the evaluators happen to read it, so only a caller that made the
   * value itself should say so.
   */
  readonly json?: boolean;
}

/** Whether `v` is a list; a revoked proxy (which makes `Array.isArray` throw) counts as an object, refused by the copy. */
function isList(v: object): boolean {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

/** Bad input to `decide` (not a rule error): an unknown phase or an input that is not an object. */
export class DecisionInputError extends Error {
  readonly code: "input/unknown-phase" | "input/not-an-object";
  constructor(code: DecisionInputError["code"], message: string) {
    super(message);
    this.name = "DecisionInputError";
    this.code = code;
  }
}

/**
 * The digest of a policy set: SHA-256 over the canonical (formatted) text of each source,
 * sorted, so that neither file names, file order nor layout change it, and any change of
 * meaning does; and over the tools' args schemas the set checks calls against (canonical
 * JSON), since they decide too.
 */
export function policyDigest(sources: readonly PolicySource[], toolSchemas: Readonly<Record<string, unknown>> = {}): string {
  const canonical = sources.map((s) => formatSource(s.text, s.path).text ?? s.text).sort();
  const h = createHash("sha256");
  for (const text of canonical) h.update(`${Buffer.byteLength(text)}\n`).update(text);
  if (Object.keys(toolSchemas).length > 0) {
    const json = canonicalJson(toolSchemas);
    h.update(`tool-schemas ${Buffer.byteLength(json)}\n`).update(json);
  }
  return `sha256:${h.digest("hex")}`;
}

/** JSON with object keys sorted, so that equal schemas digest alike. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** Whether `name` is a phase. */
export function isPhase(name: string): name is Phase {
  return (PHASES as readonly string[]).includes(name);
}

/** A checked, ready policy set. */
export class PolicySet {
  readonly program: CheckedProgram;
  readonly digest: string;
  readonly version: string | undefined;
  /** Which evaluator decides. */
  readonly evaluator: Evaluator;
  private interpreter: ReferenceInterpreter | null = null;
  private readonly compiled: CompiledProgram | null;
  private readonly checks: Readonly<Record<Phase, InputCheck>>;
  private readonly policy: Decision["policy"];
  private readonly settings: Readonly<Record<Phase, { readonly defaultDecision: "allow" | "deny"; readonly onError: "allow" | "deny" }>>;

  constructor(program: CheckedProgram, digest: string, version?: string, evaluator: Evaluator = "compiled") {
    this.program = program;
    this.digest = digest;
    this.version = version;
    this.evaluator = evaluator;
    this.policy = version === undefined ? { digest } : { digest, version };
    const settings = {} as Record<Phase, { defaultDecision: "allow" | "deny"; onError: "allow" | "deny" }>;
    for (const p of PHASES) settings[p] = { defaultDecision: program.settings[p].default, onError: program.settings[p].onError };
    this.settings = settings;
    this.checks = inputChecks(program);
    this.compiled = evaluator === "compiled" ? new CompiledProgram(program, this.checks) : null;
    if (evaluator === "reference") this.interpreter = new ReferenceInterpreter(program, this.checks);
  }

  /**
   * Decides one phase's input. Throws DecisionInputError for an unknown phase or a non-object
   * input; anything else is a decision. The input is copied as JSON data first (input-snapshot.ts):
   * a value that is not JSON (a BigInt, a cycle, a Map, a getter that throws...) is left out of
   * the copy and reported as an error of `palisade.input` (`runtime/invalid-input`, with its
   * path), which the phase's `on_error` decides. `options.json` skips the copy (see DecideOptions).
   */
  decide(phase: string, input: unknown, options?: DecideOptions): Decision {
    if (!isPhase(phase)) throw new DecisionInputError("input/unknown-phase", `unknown phase '${phase}': expected one of ${PHASES.join(", ")}`);
    if (typeof input !== "object" || input === null || isList(input)) {
      throw new DecisionInputError("input/not-an-object", `the input must be a JSON object, got ${input === null ? "null" : typeof input === "object" ? "a list" : `a ${typeof input}`}`);
    }
    if (options?.json === true) {
      try {
        return this.evaluate(phase, input as never, null);
      } catch {
        // The caller's promise did not hold (a getter threw, a value was not JSON): decided again
        // on a copy, which finds and reports what it was.
      }
    }
    const copy = snapshotInput(input);
    const refused: Firing | null =
      copy.fault === null ? null : { rule: { id: INPUT_RULE }, error: `${copy.fault.message} at ${copy.fault.path}${copy.fault.count > 1 ? ` (and ${copy.fault.count - 1} more such values)` : ""}: pass JSON data (plain objects, lists, strings, finite numbers, booleans, null)`, code: "runtime/invalid-input", path: copy.fault.path };
    try {
      return this.evaluate(phase, copy.value, refused);
    } catch (err) {
      // JSON data reached a fault of the engine's own (a resource limit, a bug): no rule decided,
      // so nothing may pass.
      const message = `the policy set could not decide this input (${err instanceof Error ? `${err.name}: ${err.message}` : "a non-error was thrown"})`;
      return boundMessages({ decision: "deny", reasons: [], warnings: [], payload: copy.value, errors: [{ rule: INPUT_RULE, message, code: "runtime/error" }], policy: this.policy });
    }
  }

  private evaluate(phase: Phase, input: Value, refused: Firing | null): Decision {
    return boundMessages(this.compiled !== null ? this.compiled.decide(phase, input, this.settings[phase], this.policy, refused) : this.reference.decide(phase, input, this.settings[phase], this.policy, refused));
  }

  /** The reference interpreter, for tests and for evaluating test inputs (built on first use when the compiled evaluator decides). */
  get reference(): ReferenceInterpreter {
    this.interpreter ??= new ReferenceInterpreter(this.program, this.checks);
    return this.interpreter;
  }
}

/** Parses and checks `sources`; the policy set is null when there are errors. */
export function loadPolicySet(sources: readonly PolicySource[], options: LoadOptions = {}): { policySet: PolicySet | null; diagnostics: readonly Diagnostic[] } {
  const { program, diagnostics } = checkSources(sources, options.toolSchemas ? { toolSchemas: options.toolSchemas } : {});
  if (!program) return { policySet: null, diagnostics };
  try {
    return { policySet: new PolicySet(program, policyDigest(sources, program.toolSchemas), options.version, options.evaluator), diagnostics };
  } catch (err) {
    if (!(err instanceof ToolSchemaError)) throw err;
    return { policySet: null, diagnostics: [...diagnostics, diagnostic("E605", TOOL_SCHEMAS, fileStart, err.message, "fix the schema so that a JSON Schema validator accepts it")] };
  }
}
