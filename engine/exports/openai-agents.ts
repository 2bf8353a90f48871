// `palisade/openai-agents`: the OpenAI Agents SDK adapter, loaded once the app's
// `@openai/agents` resolves (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/openai/agents.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/openai-agents", "@openai/agents", "../sdk/openai/agents");
/** See the adapter's `guardAgentTool`. */
export const guardAgentTool: typeof Adapter.guardAgentTool = adapter.guardAgentTool;
/** See the adapter's `palisadeInputGuardrail`. */
export const palisadeInputGuardrail: typeof Adapter.palisadeInputGuardrail = adapter.palisadeInputGuardrail;
/** See the adapter's `palisadeOutputGuardrail`. */
export const palisadeOutputGuardrail: typeof Adapter.palisadeOutputGuardrail = adapter.palisadeOutputGuardrail;
export type * from "../sdk/openai/agents.ts";
