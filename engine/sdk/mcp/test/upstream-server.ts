// A small real MCP server on stdio, started as a child process by the proxy's tests and the
// example: a file reader whose results carry an e-mail address, a delete tool, and a refund.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "upstream-files", version: "1.0.0" });
server.registerTool("read_file", { description: "read a file", inputSchema: { path: z.string() } }, async ({ path }) => ({
  content: [{ type: "text", text: `contents of ${path}: contact ann@example.com` }],
}));
server.registerTool("delete_file", { description: "delete a file", inputSchema: { path: z.string() } }, async ({ path }) => ({
  content: [{ type: "text", text: `deleted ${path}` }],
}));
server.registerTool("refund", { description: "refund an order", inputSchema: { amount: z.number() } }, async ({ amount }) => ({
  content: [{ type: "text", text: `refunded ${amount}` }],
}));
server.registerTool("search", { description: "search", inputSchema: { query: z.string(), limit: z.number() } }, async ({ query, limit }) => ({
  content: [{ type: "text", text: `${limit} results for ${query}` }],
}));
server.registerResource("notes", "file:///notes.txt", { description: "notes", mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "call ann@example.com about the refund" }] }));
server.registerResource("passwd", "file:///etc/passwd", { description: "system file", mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "root:x:0:0" }] }));
server.registerPrompt("summarise", { description: "summarise a ticket", argsSchema: { ticket: z.string() } }, async ({ ticket }) => ({
  messages: [{ role: "user", content: { type: "text", text: `Summarise ticket ${ticket} for bob@example.com` } }],
}));
await server.connect(new StdioServerTransport());
