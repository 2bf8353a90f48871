// `palisade/openai`: the `openai` client adapter, loaded once the app's `openai` resolves
// (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/openai/client.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/openai", ["openai"], "../sdk/openai/client");
export const guardOpenAI: typeof Adapter.guardOpenAI = adapter.guardOpenAI;
export const guardedFetch: typeof Adapter.guardedFetch = adapter.guardedFetch;
export type * from "../sdk/openai/client.ts";
