// `palisade/ai-sdk`: the Vercel AI SDK adapter, loaded once the app's `ai` resolves (peer.ts).
// Its types are the adapter's own (package.json points `types` at them).
import type * as Adapter from "../sdk/ai-sdk/index.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/ai-sdk", ["ai"], "../sdk/ai-sdk/index");
export const guardTools: typeof Adapter.guardTools = adapter.guardTools;
export const guardMiddleware: typeof Adapter.guardMiddleware = adapter.guardMiddleware;
export const guardModel: typeof Adapter.guardModel = adapter.guardModel;
export type * from "../sdk/ai-sdk/index.ts";
