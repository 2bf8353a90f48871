// OpenAI Agents SDK: function tools guarded like any tool (tool_call, tool_result), and
// input/output guardrails that trip on a `deny` (or a refused approval) of the `input` and
// `output` phases. Guardrails cannot rewrite text, so redaction of answers belongs to the model
// wrapper (`guardOpenAI`) or to the application.
import type { InputGuardrail, OutputGuardrail } from "@openai/agents";
import type { JSONSchemaObject } from "../../../language/index.ts";
import { PolicyDeniedError } from "../errors.ts";
import type { GuardScope, OnDeny } from "../scope.ts";

/** Options of `guardAgentTool`. */
export interface GuardAgentToolOptions {
  /** `message` (default here: the Agents SDK gives the model the text) or `throw`. */
  readonly onDeny?: OnDeny;
}

/** The part of an Agents SDK `FunctionTool` the guard needs. */
export interface AgentFunctionTool {
  readonly type: "function";
  readonly name: string;
  readonly parameters: unknown;
  readonly invoke: (runContext: never, input: string, details?: never) => Promise<unknown>;
}

/** `tool` (from the Agents SDK's `tool()`) with its `invoke` guarded; its JSON parameters schema is checked with ajv. */
export function guardAgentTool<T extends AgentFunctionTool>(scope: GuardScope, tool: T, options: GuardAgentToolOptions = {}): T {
  const invoke = tool.invoke as (ctx: unknown, input: string, details?: unknown) => Promise<unknown>;
  const wrapped = scope.wrapTool(tool.name, (args: unknown, ctx: unknown, details: unknown) => invoke.call(tool, ctx, JSON.stringify(args), details), {
    schema: tool.parameters as unknown as JSONSchemaObject,
    onDeny: options.onDeny ?? "message",
  });
  const guarded = async (ctx: unknown, input: string, details?: unknown): Promise<unknown> => {
    let args: unknown;
    try {
      args = input === "" ? {} : JSON.parse(input);
    } catch {
      return `invalid arguments for tool '${tool.name}': not JSON`;
    }
    return wrapped(args, ctx, details);
  };
  return { ...tool, invoke: guarded } as T;
}

function text(input: unknown): string {
  if (typeof input === "string") return input;
  if (!Array.isArray(input)) return JSON.stringify(input ?? "");
  // The newest user message is the input being decided.
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: string; content?: unknown };
    if (item?.role !== "user") continue;
    if (typeof item.content === "string") return item.content;
    if (Array.isArray(item.content)) return item.content.map((c: { text?: unknown }) => (typeof c?.text === "string" ? c.text : "")).join("");
  }
  return "";
}

async function trips(scope: GuardScope, phase: "input" | "output", value: string): Promise<{ tripwireTriggered: boolean; outputInfo: unknown }> {
  try {
    const g = await scope.enforceNow(phase, { [phase]: { text: value } });
    return { tripwireTriggered: false, outputInfo: { decision: g.decision.decision, reasons: g.decision.reasons } };
  } catch (err) {
    if (!(err instanceof PolicyDeniedError)) throw err;
    return { tripwireTriggered: true, outputInfo: { decision: err.decision.decision, message: err.message, reasons: err.decision.reasons } };
  }
}

/** An input guardrail deciding the user's message on the `input` phase. */
export function palisadeInputGuardrail(scope: GuardScope): InputGuardrail {
  return { name: "palisade_input", runInParallel: false, execute: async ({ input }) => trips(scope, "input", text(input)) };
}

/** An output guardrail deciding the agent's final answer on the `output` phase. */
export function palisadeOutputGuardrail(scope: GuardScope): OutputGuardrail {
  return { name: "palisade_output", execute: async ({ agentOutput }) => trips(scope, "output", typeof agentOutput === "string" ? agentOutput : JSON.stringify(agentOutput)) };
}
