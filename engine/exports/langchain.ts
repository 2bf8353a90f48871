// `palisade/langchain`: the LangChain.js adapter, loaded once the app's `@langchain/core`
// resolves (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/langchain/index.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/langchain", "@langchain/core", "../sdk/langchain/index");
/** See the adapter's `guardLangChainTool`. */
export const guardLangChainTool: typeof Adapter.guardLangChainTool = adapter.guardLangChainTool;
/** See the adapter's `guardChatModel`. */
export const guardChatModel: typeof Adapter.guardChatModel = adapter.guardChatModel;
export type * from "../sdk/langchain/index.ts";
