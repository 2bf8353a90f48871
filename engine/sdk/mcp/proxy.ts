// An MCP gateway: a server facing any MCP client, a client facing the upstream server, and the
// guard between them on `tools/call`. Arguments are decided (`tool_call`) before the upstream
// sees them; results (`tool_result`) before the client does. `tools/list` passes through, and
// each tool's input schema is kept so that bad arguments are refused before they travel.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { JSONSchemaObject } from "../../../language/index.ts";
import { PolicyDeniedError } from "../errors.ts";
import type { GuardScope } from "../scope.ts";
import { deniedToolMessage } from "../scope.ts";

/** How the proxy is wired. */
export interface McpProxyOptions {
  /** The guard (or a session of it) deciding every call. */
  readonly guard: GuardScope;
  /** Transport to the upstream server (stdio child process or streamable HTTP). */
  readonly upstream: Transport;
  /** Transport to the client (stdio for `palisade mcp-proxy`). */
  readonly downstream: Transport;
  /** The name the proxy reports to clients. */
  readonly name?: string;
}

/** A running proxy. */
export interface McpProxy {
  readonly client: Client;
  readonly server: Server;
  /** Closes both sides. */
  close(): Promise<void>;
}

/**
 * What policies see as `tool.result`: the text parts joined by newlines as `text`, plus
 * `isError` and any `structuredContent`. A rewritten `text` replaces the text parts.
 */
interface PolicyResult {
  readonly text: string;
  readonly isError: boolean;
  readonly structuredContent?: unknown;
}

function forPolicies(r: CallToolResult): PolicyResult {
  const text = r.content.filter((c) => c.type === "text").map((c) => (c as { text: string }).text).join("\n");
  return { text, isError: r.isError === true, ...(r.structuredContent !== undefined ? { structuredContent: r.structuredContent } : {}) };
}

function fromPolicies(original: CallToolResult, seen: PolicyResult, decided: PolicyResult): CallToolResult {
  if (decided === seen || (decided.text === seen.text && decided.structuredContent === seen.structuredContent)) return original;
  const others = original.content.filter((c) => c.type !== "text");
  const content = decided.text === seen.text ? original.content : [{ type: "text" as const, text: decided.text }, ...others];
  return { ...original, content, ...(decided.structuredContent !== undefined ? { structuredContent: decided.structuredContent as Record<string, unknown> } : {}) };
}

/** Connects to the upstream server, then serves clients on `downstream`, guarding every tool call. */
export async function startMcpProxy(options: McpProxyOptions): Promise<McpProxy> {
  const { guard } = options;
  const client = new Client({ name: `${options.name ?? "palisade-mcp-proxy"}-client`, version: "0.1.0" });
  await client.connect(options.upstream);
  const server = new Server({ name: options.name ?? "palisade-mcp-proxy", version: "0.1.0" }, { capabilities: { tools: {} } });

  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    let decided = guard.enforceNow("tool_call", { tool: { name, args } });
    if (decided instanceof Promise) decided = await decided;
    const finalArgs = (decided.payload.tool as { args: Record<string, unknown> }).args;
    const original = (await client.callTool({ name, arguments: finalArgs })) as CallToolResult;
    const seen = forPolicies(original);
    let checked = guard.enforceNow("tool_result", { tool: { name, args: finalArgs, result: seen } });
    if (checked instanceof Promise) checked = await checked;
    return fromPolicies(original, seen, (checked.payload.tool as { result: PolicyResult }).result);
  };

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const listed = await client.listTools(request.params);
    for (const t of listed.tools) guard.toolSchema(t.name, t.inputSchema as JSONSchemaObject);
    return listed;
  });
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    try {
      return await call(request.params.name, request.params.arguments ?? {});
    } catch (err) {
      // The client's model reads a tool error it can act on, rather than a protocol failure.
      if (err instanceof PolicyDeniedError) return { content: [{ type: "text", text: deniedToolMessage(err) }], isError: true };
      throw err;
    }
  });
  await server.connect(options.downstream);
  return {
    client,
    server,
    close: async () => {
      await server.close();
      await client.close();
    },
  };
}
