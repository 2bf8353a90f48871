// An MCP client talking to an upstream server through `palisade mcp-proxy`: the proxy is the
// only change; the client and the server are unaware of it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const root = `${import.meta.dirname}/../..`;
const node = `${process.execPath} --disable-warning=ExperimentalWarning`;
const upstream = `${node} ${root}/engine/sdk/mcp/test/upstream-server.ts`;

const client = new Client({ name: "example", version: "1.0.0" });
await client.connect(new StdioClientTransport({
  command: process.execPath,
  args: ["--disable-warning=ExperimentalWarning", `${root}/engine/cli/main.ts`, "mcp-proxy", "--upstream", upstream, `${import.meta.dirname}/agent.policy`],
}));
for (const [name, args] of [["read_file", { path: "notes.txt" }], ["delete_file", { path: "/data" }], ["refund", { amount: 900 }]] as const) {
  const r = (await client.callTool({ name, arguments: args })) as { content: { text?: string }[]; isError?: boolean };
  console.log(`${name} -> ${r.isError ? "error: " : ""}${r.content[0]?.text}`);
}
await client.close();
