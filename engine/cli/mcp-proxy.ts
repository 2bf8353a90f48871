// `palisade mcp-proxy --upstream "CMD ARGS" | --upstream-url URL PATH...`: an MCP server on
// stdio that forwards to an upstream MCP server and enforces the policies under PATH on every
// `tools/call`. Standard output is the protocol; everything a person reads goes to stderr.
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { AuditLog } from "../audit/index.ts";
import { createGuard, GuardConfigError } from "../sdk/index.ts";
import type { GuardMode } from "../sdk/index.ts";
import { startMcpProxy } from "../sdk/mcp/index.ts";
import { parseArgs, stringFlag, UsageError } from "./args.ts";
import type { Command } from "./command.ts";

const help = `usage: palisade mcp-proxy (--upstream "CMD ARGS" | --upstream-url URL) PATH...

Serves MCP on stdio, forwards to the upstream server, and enforces the policies under PATH
on everything that passes: tools/call (tool_call, tool_result), resources/read (a tool_call
named "resources/read", its text a tool_result), prompts/get (input), log notifications. A
denied call returns a tool error the client's model can read; require_approval asks the
client's user through MCP elicitation when the client supports it, else it is refused.

options:
  --upstream CMD          start the upstream server: a command line, split on spaces
                          ("quoted words" kept together)
  --upstream-url URL      an upstream server over streamable HTTP
  --env ENV               the environment policies see (default: production)
  --agent ID              the agent id policies and the audit log see (default: mcp-proxy)
  --mode MODE             enforce (default) or shadow
  --audit FILE            append every decision to this SQLite audit log
  --session ID            the session id (default: a new one per client connection)
  --approval-timeout MS   how long the user has to answer an approval (default 60000)
  --principal ID          the principal the client acts for
  -h, --help              show this help

exit status: 0 when the client disconnects, 2 for unusable policies or arguments`;

/** Splits a command line on spaces, keeping "double" or 'single' quoted words together. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3] ?? "");
  return words;
}

/** The mcp-proxy command. */
export const command: Command = {
  name: "mcp-proxy",
  summary: "guard an MCP server's tool calls (stdio proxy)",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      upstream: { type: "string" },
      "upstream-url": { type: "string" },
      env: { type: "string" },
      agent: { type: "string" },
      mode: { type: "string" },
      audit: { type: "string" },
      session: { type: "string" },
      principal: { type: "string" },
      "approval-timeout": { type: "string" },
    });
    const upstreamCmd = stringFlag(args, "upstream");
    const upstreamUrl = stringFlag(args, "upstream-url");
    if ((upstreamCmd === undefined) === (upstreamUrl === undefined)) throw new UsageError("give exactly one of --upstream \"CMD ARGS\" and --upstream-url URL");
    if (args.positionals.length === 0) throw new UsageError("no PATH given: name a .policy file or a folder of them");
    const mode = (stringFlag(args, "mode") ?? "enforce") as GuardMode;
    if (mode !== "enforce" && mode !== "shadow") throw new UsageError(`unknown mode '${mode}': expected enforce or shadow`);
    let upstream: Transport;
    if (upstreamCmd !== undefined) {
      const [cmd, ...rest] = splitCommand(upstreamCmd);
      if (cmd === undefined) throw new UsageError("--upstream is empty: give the command that starts the upstream server");
      upstream = new StdioClientTransport({ command: cmd, args: rest, stderr: "inherit" });
    } else {
      let url: URL;
      try {
        url = new URL(upstreamUrl ?? "");
      } catch {
        throw new UsageError(`--upstream-url '${upstreamUrl}' is not a URL`);
      }
      upstream = new StreamableHTTPClientTransport(url);
    }
    const auditFile = stringFlag(args, "audit");
    const audit = auditFile !== undefined ? await AuditLog.open(auditFile) : undefined;
    let guard;
    try {
      guard = createGuard({
        policies: args.positionals.map((p) => (p.startsWith("/") ? p : `${io.cwd}/${p}`)),
        env: stringFlag(args, "env") ?? "production",
        agent: stringFlag(args, "agent") ?? "mcp-proxy",
        mode,
        ...(audit !== undefined ? { audit } : {}),
        onError: (err) => io.stderr(`palisade mcp-proxy: recording a decision failed: ${err instanceof Error ? err.message : String(err)}\n`),
      });
    } catch (err) {
      if (err instanceof GuardConfigError) {
        io.stderr(`palisade mcp-proxy: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const principal = stringFlag(args, "principal");
    const sessionId = stringFlag(args, "session");
    const scope = sessionId !== undefined ? guard.session(sessionId, principal) : guard.anonymous(principal);
    const timeoutText = stringFlag(args, "approval-timeout");
    const approvalTimeoutMs = timeoutText === undefined ? undefined : Number(timeoutText);
    if (approvalTimeoutMs !== undefined && !(Number.isInteger(approvalTimeoutMs) && approvalTimeoutMs > 0)) throw new UsageError(`--approval-timeout '${timeoutText}' is not a positive number of milliseconds`);
    const downstream = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      downstream.onclose = () => resolve();
      process.stdin.once("end", () => resolve());
    });
    const proxy = await startMcpProxy({ guard: scope, upstream, downstream, ...(approvalTimeoutMs !== undefined ? { approvalTimeoutMs } : {}) });
    io.stderr(`palisade mcp-proxy: guarding ${upstreamCmd ?? upstreamUrl} (${mode}, policy ${guard.policySet.digest.slice(0, 19)})\n`);
    await closed;
    await guard.flush();
    await proxy.close().catch(() => undefined);
    await audit?.close();
    return 0;
  },
};
