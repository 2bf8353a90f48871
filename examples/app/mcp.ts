// MCP: the proxy sits between any MCP client and the server, deciding every tools/call. Here all
// three run in one process over the SDK's in-memory transports; `npx palisade mcp-proxy
// --upstream "node server.js" policies/` does the same over stdio.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { deleteFile, lookup } from "./tools.ts";

const server = new McpServer({ name: "files", version: "1.0.0" });
server.registerTool("delete_file", { inputSchema: { path: z.string() } }, async ({ path }) => ({ content: [{ type: "text", text: await deleteFile(path) }] }));
server.registerTool("lookup", { inputSchema: { id: z.string() } }, async ({ id }) => ({ content: [{ type: "text", text: (await lookup(id)).text }] }));
// readme:start
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { startMcpProxy } from "palisade/mcp";
import { guard } from "./guard.ts";

const [upstream, toServer] = InMemoryTransport.createLinkedPair();
const [downstream, toClient] = InMemoryTransport.createLinkedPair();
await server.connect(toServer); // the MCP server the app already has
const proxy = await startMcpProxy({ guard, upstream, downstream });
const client = new Client({ name: "support-bot", version: "1.0.0" });
await client.connect(toClient); // any MCP client, unaware of the proxy
// readme:end
for (const [name, args] of [["delete_file", { path: "/data" }], ["lookup", { id: "c42" }]] as const) {
  const r = (await client.callTool({ name, arguments: args })) as { content: { text?: string }[]; isError?: boolean };
  console.log(`${name} -> ${JSON.stringify(`${r.isError ? "error: " : ""}${r.content[0]?.text}`)}`);
}
await client.close();
await proxy.close();
await guard.flush();
