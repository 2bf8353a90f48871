// OpenAI adapters: the Agents SDK (function tools, input and output guardrails) and the
// `openai` client (chat completions).
export { TOOL_GUARDRAILS, guardAgentModel, guardAgentTool, palisadeInputGuardrail, palisadeOutputGuardrail } from "./agents.ts";
export type { AgentFunctionTool, GuardAgentToolOptions } from "./agents.ts";
export { guardOpenAI, guardedFetch } from "./client.ts";
