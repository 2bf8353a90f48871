// `palisade/mcp`: the MCP proxy, loaded once the app's `@modelcontextprotocol/sdk` resolves
// (peer.ts). Its types are the adapter's own.
import type * as Adapter from "../sdk/mcp/index.ts";
import { loadAdapter } from "./peer.ts";

const adapter = loadAdapter<typeof Adapter>("palisade/mcp", ["@modelcontextprotocol/sdk"], "../sdk/mcp/index");
export const startMcpProxy: typeof Adapter.startMcpProxy = adapter.startMcpProxy;
export type * from "../sdk/mcp/index.ts";
