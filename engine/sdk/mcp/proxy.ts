// An MCP gateway: a full MCP server facing any client, a client facing the upstream server, and
// the guard between them. Everything the upstream offers passes through its phase:
// - tools: `tools/call` arguments on `tool_call` before the upstream sees them, results on
//   `tool_result` (one shape: text, json, isError) before the client does; `tools/list` (and the
//   prompt and resource lists) decided on `input`, since the client's model reads them as
//   instructions, each input schema kept so that bad arguments are refused before they travel;
// - resources: `resources/read` is a `tool_call` named "resources/read" on `{ uri }`, its text
//   contents a `tool_result`; lists and templates pass;
// - prompts: `prompts/get` is a `tool_call` named "prompts/get" on `{ name, arguments }`, the
//   prompt's text decided on `input` (it becomes the conversation's input);
// - notifications: list changes and resource updates (their uri only) are forwarded; log
//   messages (data and logger) are decided as a `tool_result` named "notifications/message" and
//   dropped when denied;
// - the upstream's requests to the client (sampling, elicitation, roots) are refused: the
//   proxy's client side offers none of them.
// A require_approval asks the client's human through MCP elicitation when the client supports
// it, else the guard's approver, else it is refused. Each client connection is its own session
// unless the proxy is given one.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SubscribeRequestSchema,
  ToolListChangedNotificationSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallToolResult, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { JSONSchemaObject } from "../../../language/index.ts";
import type { ApprovalOutcome, ApprovalRequest } from "../approval.ts";
import { PolicyDeniedError } from "../errors.ts";
import { sameJson } from "../history.ts";
import type { ToolResultView } from "../result.ts";
import type { GuardScope } from "../scope.ts";
import { checkInside, deniedToolMessage, enforceInside, peekInside } from "../scope.ts";
import { clonePlain } from "../snapshot.ts";
import { guardParts, guardText, peekParts } from "../text.ts";
import { bytesText } from "../file-text.ts";

/** How the proxy is wired. */
export interface McpProxyOptions {
  /** The guard, or a session of it: the root guard gives each client connection a session of its own. */
  readonly guard: GuardScope;
  /** Transport to the upstream server (stdio child process or streamable HTTP). */
  readonly upstream: Transport;
  /** Transport to the client (stdio for `palisade mcp-proxy`). */
  readonly downstream: Transport;
  /** The name the proxy reports to clients. */
  readonly name?: string;
  /** How long a human has to answer an elicitation (default 60,000 ms). */
  readonly approvalTimeoutMs?: number;
}

/** A running proxy. */
export interface McpProxy {
  readonly client: Client;
  readonly server: Server;
  /** The session the client's calls are decided in. */
  readonly session: GuardScope;
  /** Closes both sides. */
  close(): Promise<void>;
}

type Content = CallToolResult["content"][number];

// The text a client's model reads from a result: its text parts and the text of embedded
// resources (a tool may answer with a file's contents that way).
function textsOf(content: readonly Content[]): string[] {
  return content.flatMap((c) => (c.type === "text" ? [c.text] : (embeddedText(c) ?? linkText(c) ?? [])));
}

/** A resource link's title and description: upstream words the client's model reads beside its address. */
function linkText(c: Content): string | undefined {
  if (c.type !== "resource_link") return undefined;
  const words = [c.title, c.description].filter((w): w is string => typeof w === "string" && w !== "");
  return words.length > 0 ? words.join("\n") : undefined;
}

/** A content part as it stays once the text was rewritten: a link keeps its address, its words go in the rewritten text. */
function kept(c: Content): Content {
  if (c.type !== "resource_link" || linkText(c) === undefined) return c;
  const { title: _title, description: _description, ...rest } = c;
  return rest;
}

function embeddedText(c: Content): string | undefined {
  return c.type === "resource" ? resourceText(c.resource) : undefined;
}

/**
 * A resource's text: its `text`, or its `blob` when that is UTF-8 text in base64 (a file served
 * as bytes: the client decodes it and its model reads it as text, so policies must too).
 */
function resourceText(resource: { text?: unknown; blob?: unknown }): string | undefined {
  if (typeof resource.text === "string") return resource.text;
  return typeof resource.blob === "string" ? bytesText(resource.blob) : undefined;
}

/** `resource` holding `text` (its blob, the same bytes, gone). */
function withText<R extends { text?: unknown; blob?: unknown }>(resource: R, text: string): R {
  const { blob: _blob, ...rest } = resource;
  return { ...rest, text } as R;
}

/**
 * What policies see as `tool.result` of an MCP tool: its text (text parts and embedded text
 * resources) joined, `structuredContent` as `json`, `isError`. A `structuredContent` that no text
 * part serialises (the two disagree) is added to the text as its JSON: a client may hand its
 * model either, so a rule on `tool.result.text` must see both.
 */
export function mcpResultView(r: CallToolResult): ToolResultView {
  const texts = textsOf(r.content);
  const structured = r.structuredContent;
  if (structured !== undefined && !texts.some((t) => sameJson(parseJsonText(t), structured))) texts.push(JSON.stringify(structured));
  return { text: texts.join("\n"), ...(structured !== undefined ? { json: structured } : {}), isError: r.isError === true };
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The result carrying the decided view: a rewritten text replaces the text parts and embedded
 * text resources (as one text part); a rewritten `json` replaces `structuredContent`. When only
 * the text was rewritten, `structuredContent` (the same answer, structured) gets the text's
 * rewrites string by string (`rewrite`): a redaction of the text must not leave the raw value
 * in the structured copy the client also reads.
 */
function fromView(original: CallToolResult, decided: ToolResultView, rewrite: (text: string) => string): CallToolResult {
  const seen = mcpResultView(original);
  const textChanged = decided.text !== seen.text;
  const others = original.content.filter((c) => c.type !== "text" && embeddedText(c) === undefined).map(kept);
  const content = textChanged ? [{ type: "text" as const, text: decided.text }, ...others] : original.content;
  // `decided` is the guard's copy: compared by value, not by reference.
  const jsonChanged = JSON.stringify(decided.json) !== JSON.stringify(seen.json);
  let structured = jsonChanged && decided.json !== null && typeof decided.json === "object" ? (decided.json as Record<string, unknown>) : original.structuredContent;
  if (textChanged && !jsonChanged && structured !== undefined) structured = mapStrings(structured, rewrite) as Record<string, unknown>;
  return { ...original, content, ...(structured !== undefined ? { structuredContent: structured } : {}) };
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
}

/**
 * A listed tool (or prompt, resource, resource template) as the client's model may read it, or
 * undefined when it is withheld. Its name,
 * description, title and schema (keys and strings: a property name or an enum value is read as
 * much as a description) are text the model takes as instructions, and an upstream may change
 * them at any time (`tools/list_changed` after the user accepted the list): decided on `input`
 * at every listing, as one text (recorded when it withholds or rewrites), a deny withholding the tool; strings are rewritten
 * one by one, and a rewrite that would change a name or a key withholds it too (the schema would
 * no longer be the upstream's).
 */
async function listedText<T>(guard: GuardScope, tool: T): Promise<T | undefined> {
  const texts: string[] = [];
  collectText(tool, texts);
  const whole = texts.join("\n");
  const peek = (text: string): string => peekParts(guard, "input", [text])[0] as string;
  try {
    // Quiet while nothing changes (clients list often); a tool rewritten or withheld is recorded.
    if (peekOr(() => peek(whole)) === whole || (await guardText(guard, "input", whole)) === whole) return tool;
  } catch (err) {
    if (err instanceof PolicyDeniedError) return undefined;
    throw err;
  }
  let keysKept = true;
  const rewrite = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === "string") {
      const out = peek(value);
      if (key === "name" && out !== value) keysKept = false;
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => rewrite(v, undefined));
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => {
      if (peek(k) !== k) keysKept = false;
      return [k, rewrite(v, k)];
    }));
  };
  let out: unknown;
  try {
    out = rewrite(tool, undefined);
  } catch (err) {
    if (err instanceof PolicyDeniedError) return undefined;
    throw err;
  }
  return keysKept ? (out as T) : undefined;
}

/** The listed items as decided, the withheld left out (reading or getting one is decided on its own). */
async function listedAll<T>(guard: GuardScope, items: readonly T[]): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) {
    const decided = await listedText(guard, item);
    if (decided !== undefined) out.push(decided);
  }
  return out;
}

/** `f()`, or undefined when it is denied. */
function peekOr(f: () => string): string | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof PolicyDeniedError) return undefined;
    throw err;
  }
}

function collectText(value: unknown, into: string[]): void {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectText(v, into);
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) (into.push(k), collectText(v, into));
}

const APPROVAL_SCHEMA = {
  type: "object" as const,
  properties: { approve: { type: "boolean" as const, title: "Approve", description: "Let this action happen" } },
  required: ["approve"],
};

/** Connects to the upstream server, then serves the client on `downstream`, guarding everything that passes. */
export async function startMcpProxy(options: McpProxyOptions): Promise<McpProxy> {
  const guard = options.guard.sessionId === null ? options.guard.anonymous() : options.guard;
  const client = new Client({ name: `${options.name ?? "palisade-mcp-proxy"}-client`, version: "0.1.0" });
  await client.connect(options.upstream);
  const up = client.getServerCapabilities() ?? {};
  const capabilities = {
    tools: up.tools ? { listChanged: up.tools.listChanged === true } : {},
    ...(up.resources ? { resources: { ...(up.resources.subscribe ? { subscribe: true } : {}), ...(up.resources.listChanged ? { listChanged: true } : {}) } } : {}),
    ...(up.prompts ? { prompts: { ...(up.prompts.listChanged ? { listChanged: true } : {}) } } : {}),
    ...(up.logging ? { logging: {} } : {}),
  };
  const server = new Server({ name: options.name ?? "palisade-mcp-proxy", version: "0.1.0" }, { capabilities });
  const timeout = options.approvalTimeoutMs ?? 60_000;
  const upstreamSchemas = {};

  // The client's human, asked through elicitation when the client can answer; else the guard's approver.
  const ask = async (request: Omit<ApprovalRequest, "signal">): Promise<ApprovalOutcome> => {
    const why = request.reasons.map((r) => r.message).filter(Boolean).join("; ") || "a policy asks for approval";
    let result: Awaited<ReturnType<typeof server.elicitInput>>;
    try {
      // The human approves exactly the decided arguments (spec/sdk.md), so they are shown: a
      // reason that names none of them hid, say, the recipient of a mail.
      const args = JSON.stringify((request.payload as { tool?: { args?: unknown } }).tool?.args ?? {});
      const shown = args.length > 4000 ? `${args.slice(0, 4000)}… (${args.length} characters)` : args;
      result = await server.elicitInput({ message: `Palisade: ${request.tool ?? request.phase} needs your approval: ${why}\nArguments: ${shown}`, requestedSchema: APPROVAL_SCHEMA }, { timeout });
    } catch (err) {
      // No answer (the deadline passed, the client failed or left) is a refusal, recorded as one:
      // thrown on, it left the call unrecorded and 'pending' in the session's history for good.
      const timedOut = (err as { code?: unknown } | null)?.code === ErrorCode.RequestTimeout;
      return { approved: false, cause: timedOut ? "approval_timeout" : "approval_failed", by: "mcp-elicitation", reason: err instanceof Error ? err.message : String(err) };
    }
    if (result.action === "accept" && (result.content as { approve?: unknown } | undefined)?.approve === true) return { approved: true, by: "mcp-elicitation" };
    return { approved: false, cause: "approval_refused", by: "mcp-elicitation", reason: result.action === "accept" ? "not approved" : `the user chose ${result.action}` };
  };
  const elicits = (): boolean => server.getClientCapabilities()?.elicitation !== undefined;
  const how = () => (elicits() ? { ask } : {});

  const denied = (err: unknown): CallToolResult => {
    // The client's model reads a tool error it can act on, rather than a protocol failure.
    if (err instanceof PolicyDeniedError) return { content: [{ type: "text", text: deniedToolMessage(err) }], isError: true };
    throw err;
  };

  // Tools whose text was denied in the newest listing: not listed, and their calls refused.
  const withheld = new Set<string>();
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const listed = await client.listTools(request.params);
    const tools = [];
    for (const t of listed.tools) {
      // Registered as this upstream's: it adds a check to a tool of the same name, never replaces the application's.
      guard.core.schemas.set(t.name, t.inputSchema as JSONSchemaObject, upstreamSchemas);
      const decided = await listedText(guard, t);
      if (decided === undefined) withheld.add(t.name);
      else (withheld.delete(t.name), tools.push(decided));
    }
    return { ...listed, tools };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    if (withheld.has(name)) return { content: [{ type: "text", text: `blocked by policy: the tool '${name}' is withheld (its description was denied)` }], isError: true };
    try {
      let decidedArgs: unknown = {};
      // The text rules of tool_result applied to one string of the structured result.
      const rewrite = (text: string): string => {
        const d = peekInside(guard, "tool_result", { tool: { name, args: decidedArgs, result: { text, isError: false } } });
        const t = (d.payload as { tool?: { result?: { text?: unknown } } }).tool?.result?.text;
        return typeof t === "string" ? t : text;
      };
      return await guard.runTool<CallToolResult>(name, args ?? {}, async (a) => ((decidedArgs = a), (await client.callTool({ name, arguments: a as Record<string, unknown> })) as CallToolResult), {
        ...how(),
        // The client cancelled the request (notifications/cancelled) while a human was asked: the tool does not start.
        signal: extra.signal,
        view: (r) => mcpResultView(r as CallToolResult),
        unview: (r, decided) => fromView(r as CallToolResult, decided, rewrite),
      });
    } catch (err) {
      return denied(err);
    }
  });

  if (up.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
      const listed = await client.listResources(request.params);
      return { ...listed, resources: await listedAll(guard, listed.resources) };
    });
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) => {
      const listed = await client.listResourceTemplates(request.params);
      return { ...listed, resourceTemplates: await listedAll(guard, listed.resourceTemplates) };
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const uri = request.params.uri;
      const read = await guard.runTool<ReadResourceResult>("resources/read", { uri }, async (a) => client.readResource({ ...request.params, uri: (a as { uri: string }).uri }), {
        ...how(),
        view: (r) => ({ text: (r as ReadResourceResult).contents.flatMap((c) => resourceText(c) ?? []).join("\n"), isError: false }),
        unview: (r, decided) => {
          const res = r as ReadResourceResult;
          const texts = res.contents.filter((c) => resourceText(c) !== undefined);
          // One text part: rewritten in place; several: replaced by the decided text as one part.
          if (texts.length <= 1) return { ...res, contents: res.contents.map((c) => (resourceText(c) !== undefined ? withText(c, decided.text) : c)) };
          return { ...res, contents: [{ uri, mimeType: "text/plain", text: decided.text }, ...res.contents.filter((c) => resourceText(c) === undefined)] };
        },
      });
      return read;
    });
    if (up.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, async (request) => client.subscribeResource(request.params));
      server.setRequestHandler(UnsubscribeRequestSchema, async (request) => client.unsubscribeResource(request.params));
    }
  }

  if (up.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
      const listed = await client.listPrompts(request.params);
      return { ...listed, prompts: await listedAll(guard, listed.prompts) };
    });
    server.setRequestHandler(GetPromptRequestSchema, async (request) => {
      const { name } = request.params;
      let args = request.params.arguments ?? {};
      let decided = enforceInside(guard, "tool_call", { tool: { name: "prompts/get", args: { name, arguments: args } } }, how());
      if (decided instanceof Promise) decided = await decided;
      // A copy: the decided arguments are also the session's history and the queued record.
      args = clonePlain(((decided.payload.tool as { args: { arguments?: Record<string, string> } }).args.arguments ?? {}) as Record<string, string>);
      const prompt: GetPromptResult = await client.getPrompt({ name, arguments: args });
      // The prompt's text (text parts and embedded text resources) becomes the conversation's
      // input: decided (and redacted) as input, as one text, so a match split between messages is one.
      const at = prompt.messages.flatMap((m, i) => (m.content.type === "text" || embeddedText(m.content as Content) !== undefined ? [i] : []));
      const texts = at.map((i) => {
        const c = prompt.messages[i]?.content as Content;
        return c.type === "text" ? c.text : (embeddedText(c) as string);
      });
      const decidedTexts = await guardParts(guard, "input", texts);
      const messages = prompt.messages.map((m, i) => {
        const k = at.indexOf(i);
        if (k < 0 || decidedTexts[k] === texts[k]) return m;
        return { ...m, content: m.content.type === "text" ? { ...m.content, text: decidedTexts[k] } : { ...m.content, resource: withText((m.content as { resource: { text?: unknown; blob?: unknown } }).resource, decidedTexts[k] as string) } };
      });
      return { ...prompt, messages } as GetPromptResult;
    });
  }

  // Notifications from the upstream reach the client; log messages through the guard.
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => server.sendToolListChanged());
  client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => server.sendResourceListChanged());
  client.setNotificationHandler(PromptListChangedNotificationSchema, async () => server.sendPromptListChanged());
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => server.sendResourceUpdated({ uri: n.params.uri }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
    // The logger's name is text the client shows (or its model reads) as much as the data.
    const note = (text: string): string | undefined => {
      const d = checkInside(guard, "tool_result", { tool: { name: "notifications/message", args: {}, result: { text, isError: false } } });
      if (guard.core.mode !== "enforce") return text;
      return d.decision === "deny" ? undefined : (((d.payload as { tool?: { result?: { text?: unknown } } }).tool?.result?.text as string | undefined) ?? text);
    };
    const data = note(typeof n.params.data === "string" ? n.params.data : JSON.stringify(n.params.data));
    const logger = n.params.logger === undefined ? undefined : note(n.params.logger);
    if (data === undefined || (n.params.logger !== undefined && logger === undefined)) return;
    // Only the fields the protocol defines: an upstream's extra fields would pass undecided.
    await server.sendLoggingMessage({ level: n.params.level, data, ...(logger !== undefined ? { logger } : {}) });
  });

  await server.connect(options.downstream);
  return {
    client,
    server,
    session: guard,
    close: async () => {
      await server.close();
      await client.close();
    },
  };
}
