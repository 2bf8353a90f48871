// The MCP gateway: `startMcpProxy` guards `tools/call` between any MCP client and an upstream
// server; `palisade mcp-proxy` (engine/cli/mcp-proxy.ts) runs it on stdio.
export { startMcpProxy } from "./proxy.ts";
export type { McpProxy, McpProxyOptions } from "./proxy.ts";
