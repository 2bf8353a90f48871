// `palisade/langchain`: the LangChain.js adapter, loaded once the app's `@langchain/core` and
// `langchain` (its agents' middleware) resolve (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/langchain/index.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/langchain", ["@langchain/core", "langchain"], "../sdk/langchain/index");
export const guardLangChainTool: typeof Adapter.guardLangChainTool = adapter.guardLangChainTool;
export const guardChatModel: typeof Adapter.guardChatModel = adapter.guardChatModel;
export const GuardedChatModel: typeof Adapter.GuardedChatModel = adapter.GuardedChatModel;
export const palisadeMiddleware: typeof Adapter.palisadeMiddleware = adapter.palisadeMiddleware;
export const contentText: typeof Adapter.contentText = adapter.contentText;
export type * from "../sdk/langchain/index.ts";
