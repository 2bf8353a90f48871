// `palisade/openai-agents`: the OpenAI Agents SDK adapter, loaded once the app's
// `@openai/agents` resolves (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/openai/agents.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/openai-agents", ["@openai/agents"], "../sdk/openai/agents");
export const guardAgentTool: typeof Adapter.guardAgentTool = adapter.guardAgentTool;
export const guardAgentModel: typeof Adapter.guardAgentModel = adapter.guardAgentModel;
export const palisadeInputGuardrail: typeof Adapter.palisadeInputGuardrail = adapter.palisadeInputGuardrail;
export const palisadeOutputGuardrail: typeof Adapter.palisadeOutputGuardrail = adapter.palisadeOutputGuardrail;
export const TOOL_GUARDRAILS: typeof Adapter.TOOL_GUARDRAILS = adapter.TOOL_GUARDRAILS;
export type * from "../sdk/openai/agents.ts";
