// LangChain.js adapter: tools guarded at `_call` (so `invoke`, agents and tool nodes all pass
// through it), and chat models guarded at `invoke` (input, model_call, output with redaction).
// Streaming a guarded chat model is not decided here: use `invoke`, or guard the final text.
import { AIMessage, BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { GuardScope, OnDeny } from "../scope.ts";
import { guardText } from "../text.ts";

/** Options of `guardLangChainTool`. */
export interface GuardLangChainToolOptions {
  /** `message` (default: the agent reads it as the tool's answer) or `throw`. */
  readonly onDeny?: OnDeny;
}

type CallFn = (arg: unknown, runManager?: unknown, config?: unknown) => Promise<unknown>;

/** Guards `tool` in place (its arguments and result) and returns it. */
export function guardLangChainTool<T extends StructuredToolInterface>(scope: GuardScope, tool: T, options: GuardLangChainToolOptions = {}): T {
  const target = tool as unknown as { _call: CallFn };
  const call = target._call.bind(tool);
  const wrapped = scope.wrapTool(tool.name, (args: unknown, runManager: unknown, config: unknown) => call(args, runManager, config), { onDeny: options.onDeny ?? "message" });
  target._call = (arg, runManager, config) => wrapped(arg, runManager, config);
  return tool;
}

function messageText(m: BaseMessage): string {
  return typeof m.content === "string" ? m.content : m.content.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join("");
}

/** Guards `model.invoke` in place and returns the model. */
export function guardChatModel<M extends BaseChatModel>(scope: GuardScope, model: M): M {
  const invoke = model.invoke.bind(model) as (input: unknown, options?: unknown) => Promise<BaseMessage>;
  const guarded = async (input: unknown, options?: unknown): Promise<BaseMessage> => {
    let messages: BaseMessage[];
    if (typeof input === "string") messages = [new HumanMessage(input)];
    else if (Array.isArray(input) && input.every((m) => m instanceof BaseMessage)) messages = [...(input as BaseMessage[])];
    else messages = (input as { toChatMessages?: () => BaseMessage[] }).toChatMessages?.() ?? [];
    const last = messages[messages.length - 1];
    if (last !== undefined && HumanMessage.isInstance(last)) {
      const text = messageText(last);
      const decided = await guardText(scope, "input", text);
      if (decided !== text) messages[messages.length - 1] = new HumanMessage(decided);
    }
    await scope.enforceNow("model_call", { model: { provider: "langchain", name: model.getName(), messages: messages.map((m) => ({ role: m.getType(), content: messageText(m) })) } });
    const answer = await invoke(messages, options);
    if (typeof answer.content !== "string") return answer;
    const text = await guardText(scope, "output", answer.content);
    if (text === answer.content) return answer;
    return AIMessage.isInstance(answer) ? new AIMessage({ content: text, tool_calls: answer.tool_calls ?? [], id: answer.id, response_metadata: answer.response_metadata }) : answer;
  };
  (model as unknown as { invoke: typeof guarded }).invoke = guarded;
  return model;
}
