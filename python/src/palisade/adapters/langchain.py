"""LangChain v1 and LangGraph, through their own extension points.

- `PalisadeMiddleware(guard)`: an `AgentMiddleware` for `create_agent`. `wrap_tool_call` decides
  each tool call (arguments rewritten, denials given to the model as an error `ToolMessage` or
  raised) and its result; a `require_approval` is a LangGraph `interrupt` the application resumes
  with `Command(resume=True)` or `{"approved": bool, "by"?, "reason"?}` (it needs a checkpointer).
  `wrap_model_call` decides the newest user message (`input`) and the request (`model_call`) and
  hands the step a `GuardedChatModel`, so the answer (`output`) is decided and streamed tokens
  are redacted as they arrive, "messages" stream mode included.
- `GuardedChatModel(session, model)`: that guarded chat model on its own.

The session of a call is the `Session` given, else `context.palisade` of the run (a Session, or
`{"session": id, "principal"?: ...}`), else the LangGraph thread (`configurable.thread_id`); with
none the call fails with SessionRequiredError before anything runs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.config import get_config
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt
from pydantic import ConfigDict

from .. import _results, _shown
from .._files import bytes_text, is_text_media
from .._flow import Flow
from .._schema import with_defaults
from ..errors import PolicyDeniedError, SessionRequiredError
from ..guard import Guard, OnDeny, Session, Step, denied_tool_message
from ..telemetry import TokenUse

__all__ = ["GuardedChatModel", "PalisadeMiddleware", "content_text"]


def content_text(content: Any) -> str:
    """The text of a message's content, a string or content blocks (every block's `text`,
    whatever its type: `text`, `output_text`, `text_delta`...; the model's thinking apart)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b["text"]
            if isinstance(b, dict) and isinstance(b.get("text"), str) and not _thinking_block(b)
            else (_file_text(b) or "")
            for b in content
        )
    return ""


def _file_text(b: Any) -> str | None:
    """The text of a file block whose media type is text (an attached document, base64:
    LangChain's `{"type": "file", "mime_type", "base64"}` or the older `source_type` form)."""
    if not isinstance(b, dict) or b.get("type") != "file":
        return None
    if not is_text_media(b.get("mime_type", b.get("mimeType"))) or b.get("source_type", "base64") != "base64":
        return None
    data = b.get("base64", b.get("data"))
    return bytes_text(data) if isinstance(data, str) else None


# Where providers put the model's thinking, which readers are shown: LangChain's `reasoning`
# blocks (their text, or an OpenAI summary), Anthropic's `thinking`, and `additional_kwargs`
# (`reasoning_content`, or OpenAI's `reasoning` with its summary). Decided on `output` as a text
# of its own; a rewrite gives it back in one place, `additional_kwargs["reasoning_content"]`.
_THINKING_TYPES = frozenset({"reasoning", "thinking", "redacted_thinking"})
_THINKING_KWARGS = ("reasoning_content", "reasoning")


def _thinking_block(b: Any) -> bool:
    return isinstance(b, dict) and (
        b.get("type") in _THINKING_TYPES or isinstance(b.get("reasoning"), str) or isinstance(b.get("thinking"), str)
    )


def _words(v: Any) -> str:
    """The text of a thinking carrier: a string, or the texts of a summary (a list or `{summary}`)."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "".join(_words(v.get(k)) for k in ("reasoning", "thinking", "text", "summary") if k in v)
    if isinstance(v, list):
        return "".join(_words(x) for x in v)
    return ""


def thinking_text(m: BaseMessage) -> str:
    """The model's thinking a message carries (see `_THINKING_TYPES`), joined."""
    blocks = [_words(b) for b in m.content if _thinking_block(b)] if isinstance(m.content, list) else []
    kwargs = [_words(m.additional_kwargs.get(k)) for k in _THINKING_KWARGS]
    return "".join([*blocks, *kwargs])


def _without_thinking(m: Any, thinking: str | None) -> Any:
    """`m` without its thinking carriers; `thinking` (the decided text) in `reasoning_content`."""
    content = [b for b in m.content if not _thinking_block(b)] if isinstance(m.content, list) else m.content
    kwargs = {k: v for k, v in m.additional_kwargs.items() if k not in _THINKING_KWARGS}
    if thinking:
        kwargs["reasoning_content"] = thinking
    return m.model_copy(update={"content": content, "additional_kwargs": kwargs})


def _thread(config: Mapping[str, Any] | None) -> str | None:
    if not config:
        return None
    t = (config.get("configurable") or {}).get("thread_id") or (config.get("metadata") or {}).get("thread_id")
    return str(t) if t is not None else None


def session_of(target: Guard | Session, context: Any, config: Mapping[str, Any] | None, where: str) -> Session:
    """The session a call belongs to (see the module's doc)."""
    if isinstance(target, Session):
        return target
    given = context.get("palisade") if isinstance(context, Mapping) else getattr(context, "palisade", None)
    if isinstance(given, Session):
        return given if given.guard is target else target.session(given.id, given.principal)
    if isinstance(given, Mapping) and isinstance(given.get("session"), str):
        return target.session(given["session"], given.get("principal"))
    thread = _thread(config)
    if thread is not None:
        return target.session(thread)
    raise SessionRequiredError(
        f"{where}: no session: run with a thread (config={{'configurable': {{'thread_id': ...}}}}) "
        "or context={'palisade': guard.session(id, user)}"
    )


def _usage(m: BaseMessage) -> TokenUse | None:
    u = getattr(m, "usage_metadata", None)
    if not u:
        return None
    return {"input": int(u.get("input_tokens", 0)), "output": int(u.get("output_tokens", 0))}


def _with_content(m: AIMessage, text: str) -> AIMessage:
    return m if text == content_text(m.content) else m.model_copy(update={"content": text})


def _rest(chunk: AIMessageChunk, text: str) -> AIMessageChunk:
    """What of a streamed chunk passes on as it came: not its text (streamed once decided), nor
    its thinking (decided at the end); its tool call chunks, usage and metadata."""
    if not text and not thinking_text(chunk):
        return chunk
    content = chunk.content
    if isinstance(content, list):
        content = [b for b in content if not _thinking_block(b) and not (isinstance(b, dict) and "text" in b)]
    kwargs = {k: v for k, v in chunk.additional_kwargs.items() if k not in _THINKING_KWARGS}
    return chunk.model_copy(update={"content": content or "", "additional_kwargs": kwargs})


class GuardedChatModel(BaseChatModel):
    """A chat model whose answers are decided on `output` (redactions applied; a deny raises
    PolicyDeniedError, or becomes the answer with `on_deny="message"`), streamed text decided in
    whole lines as it arrives. The inner model runs without the caller's callbacks, so nothing it
    streams reaches a listener before its decision."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: Any
    session: Any
    on_deny: Any = "raise"
    # Set by the middleware, whose tool hook gives a tool the model's arguments back: the calls
    # of an answer are decided when it ends and shown as `_CallsShown` allows.
    shown: Any = None

    @property
    def _llm_type(self) -> str:
        return "palisade-guarded"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return GuardedChatModel(
            inner=self.inner.bind_tools(tools, **kwargs), session=self.session, on_deny=self.on_deny, shown=self.shown
        )

    def _deny(self, err: PolicyDeniedError) -> str:
        if self.on_deny == "message":
            return denied_tool_message(err)
        raise err

    def _answer(self, m: AIMessage, started: float) -> AIMessage:
        s: Session = self.session
        text = content_text(m.content)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000, tokens=_usage(m), output=text, provider="langchain"
        )
        thinking = thinking_text(m)
        try:
            if thinking:
                decided = s.output_texts([thinking])[0]
                if decided != thinking:
                    m = _without_thinking(m, decided)
            m = _with_content(m, s.text("output", text)) if text else m
        except PolicyDeniedError as e:
            return self._denied_answer(m, e)
        return cast(AIMessage, self._show(m))

    async def _aanswer(self, m: AIMessage, started: float) -> AIMessage:
        s: Session = self.session
        text = content_text(m.content)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000, tokens=_usage(m), output=text, provider="langchain"
        )
        thinking = thinking_text(m)
        try:
            if thinking:
                decided = (await s.aoutput_texts([thinking]))[0]
                if decided != thinking:
                    m = _without_thinking(m, decided)
            m = _with_content(m, await s.atext("output", text)) if text else m
        except PolicyDeniedError as e:
            return self._denied_answer(m, e)
        return cast(AIMessage, await self._ashow(m))

    def _show(self, m: Any) -> Any:
        if self.shown is None or not m.tool_calls:
            return m
        s: Session = self.session
        return s.guard._run(self.shown.flow(s, m))

    async def _ashow(self, m: Any) -> Any:
        if self.shown is None or not m.tool_calls:
            return m
        s: Session = self.session
        return await s.guard._arun(self.shown.flow(s, m))

    def _denied_answer(self, m: AIMessage, e: PolicyDeniedError) -> AIMessage:
        return cast(AIMessage, _without_thinking(m, None)).model_copy(
            update={"content": self._deny(e), "tool_calls": []}
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        started = time.perf_counter()
        m = self.inner.invoke(messages, config={"callbacks": []}, stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=self._answer(m, started))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        started = time.perf_counter()
        m = await self.inner.ainvoke(messages, config={"callbacks": []}, stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=await self._aanswer(m, started))])

    def _piece(self, text: str, chunk: AIMessageChunk | None) -> ChatGenerationChunk:
        base = chunk.model_copy(update={"content": text}) if chunk is not None else AIMessageChunk(content=text)
        return ChatGenerationChunk(message=base)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        s: Session = self.session
        started = time.perf_counter()
        stream = s.stream()
        usage: TokenUse | None = None
        thinking = ""
        calls: AIMessageChunk | None = None
        for chunk in self.inner.stream(messages, config={"callbacks": []}, stop=stop, **kwargs):
            usage = _usage(chunk) or usage
            text = content_text(chunk.content)
            # The thinking is held to the end and decided whole (it is not what the stream shows).
            thinking += thinking_text(chunk)
            rest = _rest(chunk, text)
            if text:
                ready = stream.push(text)
                if ready:
                    yield self._emit(self._piece(ready, None), run_manager)
            if rest.tool_call_chunks:
                # A call's argument chunks wait for the answer's end: nothing of a call is shown
                # before its arguments are complete (spec/streams.md).
                calls = _joined(calls, rest.tool_call_chunks)
                rest = rest.model_copy(update={"tool_call_chunks": [], "tool_calls": [], "invalid_tool_calls": []})
            if rest.usage_metadata or rest.response_metadata:
                yield self._emit(ChatGenerationChunk(message=rest), run_manager)
        if thinking:
            decided = (s.output_texts([thinking]))[0]
            yield self._emit(self._thought(decided), run_manager)
        tail = stream.end()
        if tail:
            yield self._emit(self._piece(tail, None), run_manager)
        if calls is not None:
            yield self._emit(ChatGenerationChunk(message=self._show(calls)), run_manager)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000,
            tokens=usage,
            output=stream.text,
            provider="langchain",
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        s: Session = self.session
        started = time.perf_counter()
        stream = await s.astream()
        usage: TokenUse | None = None
        thinking = ""
        calls: AIMessageChunk | None = None
        async for chunk in self.inner.astream(messages, config={"callbacks": []}, stop=stop, **kwargs):
            usage = _usage(chunk) or usage
            text = content_text(chunk.content)
            # The thinking is held to the end and decided whole (it is not what the stream shows).
            thinking += thinking_text(chunk)
            rest = _rest(chunk, text)
            if text:
                ready = await stream.apush(text)
                if ready:
                    yield await self._aemit(self._piece(ready, None), run_manager)
            if rest.tool_call_chunks:
                # A call's argument chunks wait for the answer's end: nothing of a call is shown
                # before its arguments are complete (spec/streams.md).
                calls = _joined(calls, rest.tool_call_chunks)
                rest = rest.model_copy(update={"tool_call_chunks": [], "tool_calls": [], "invalid_tool_calls": []})
            if rest.usage_metadata or rest.response_metadata:
                yield await self._aemit(ChatGenerationChunk(message=rest), run_manager)
        if thinking:
            decided = (await s.aoutput_texts([thinking]))[0]
            yield await self._aemit(self._thought(decided), run_manager)
        tail = await stream.aend()
        if tail:
            yield await self._aemit(self._piece(tail, None), run_manager)
        if calls is not None:
            yield await self._aemit(ChatGenerationChunk(message=await self._ashow(calls)), run_manager)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000,
            tokens=usage,
            output=stream.text,
            provider="langchain",
        )

    @staticmethod
    def _thought(text: str) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=AIMessageChunk(content="", additional_kwargs={"reasoning_content": text}))

    @staticmethod
    def _emit(c: ChatGenerationChunk, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        if run_manager is not None and c.text:
            run_manager.on_llm_new_token(c.text, chunk=c)
        return c

    @staticmethod
    async def _aemit(c: ChatGenerationChunk, run_manager: AsyncCallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        if run_manager is not None and c.text:
            await run_manager.on_llm_new_token(c.text, chunk=c)
        return c


def _tool_schema(tool: Any) -> Mapping[str, Any] | None:
    schema = getattr(tool, "tool_call_schema", None)
    json_schema = (
        schema.model_json_schema() if isinstance(schema, type) and hasattr(schema, "model_json_schema") else schema
    )
    return json_schema if isinstance(json_schema, Mapping) else None


class _CallsShown:
    """The calls of a model's answer as LangGraph's state (every stream mode) may show them
    (palisade._shown: decided when the answer ends, the denial marker or the output redactions)."""

    def __init__(self) -> None:
        self.schemas: dict[str, Mapping[str, Any] | None] = {}

    def flow(self, s: Session, m: Any) -> Flow[Any]:
        calls = list(m.tool_calls)
        shown = yield from _shown.shown_flow(
            s, [(c.get("id") or "", c["name"], c["args"]) for c in calls], self.schemas
        )
        return _with_calls(m, calls, shown)


def _with_calls(m: Any, calls: list[Any], shown: list[dict[str, Any] | None]) -> Any:
    if all(sh is None for sh in shown) and not m.invalid_tool_calls:
        return m
    args = [c["args"] if sh is None else sh for c, sh in zip(calls, shown, strict=True)]
    invalid = [{**c, "args": ""} for c in m.invalid_tool_calls]
    if isinstance(m, AIMessageChunk):
        chunks = [
            {"type": "tool_call_chunk", "name": c["name"], "args": json.dumps(a), "id": c.get("id"), "index": i}
            for i, (c, a) in enumerate(zip(calls, args, strict=True))
        ]
        return AIMessageChunk(content=m.content, id=m.id, tool_call_chunks=cast(Any, chunks))
    # The provider's raw copies of the calls (OpenAI's additional_kwargs, Anthropic's tool_use
    # blocks) go or carry what is shown too.
    kwargs = {k: v for k, v in m.additional_kwargs.items() if k not in ("tool_calls", "function_call")}
    by_id = {c.get("id"): a for c, a in zip(calls, args, strict=True)}
    content = m.content
    if isinstance(content, list):
        content = [_block_shown(b, by_id) for b in content]
    return m.model_copy(
        update={
            "content": content,
            "tool_calls": [{**c, "args": a} for c, a in zip(calls, args, strict=True)],
            "invalid_tool_calls": invalid,
            "additional_kwargs": kwargs,
        }
    )


def _block_shown(b: Any, by_id: Mapping[Any, Any]) -> Any:
    if not isinstance(b, dict) or b.get("type") not in ("tool_use", "tool_call", "function_call"):
        return b
    key = b.get("id", b.get("call_id"))
    if key not in by_id:
        return {k: v for k, v in b.items() if k not in ("input", "args", "arguments", "partial_json")}
    a = by_id[key]
    return {
        **b,
        **({"input": a} if "input" in b else {}),
        **({"args": a} if "args" in b else {}),
        **({"arguments": json.dumps(a)} if "arguments" in b else {}),
        **({"partial_json": json.dumps(a)} if "partial_json" in b else {}),
    }


class PalisadeMiddleware(AgentMiddleware):
    """Guards a `create_agent` agent: tool calls, their results, the model's requests and
    answers. `on_deny="message"` (default) gives the model the denial as the tool's error answer;
    `"raise"` ends the run with PolicyDeniedError."""

    def __init__(self, guard: Guard | Session, *, on_deny: OnDeny = "message") -> None:
        super().__init__()
        self.target = guard
        self.on_deny: OnDeny = on_deny
        # Decisions awaiting a human, by (session, tool call id): LangGraph re-runs the tool node
        # on resume, and the call must not be decided (and recorded) twice in this process.
        self._asking: OrderedDict[tuple[str, str], Step] = OrderedDict()
        self._shown = _CallsShown()

    # -- sessions and cache -----------------------------------------------------------------

    def _tool_session(self, request: ToolCallRequest) -> Session:
        rt = request.runtime
        return session_of(
            self.target,
            getattr(rt, "context", None),
            getattr(rt, "config", None),
            f"tool '{request.tool_call['name']}'",
        )

    def _model_session(self, request: ModelRequest) -> Session:
        try:
            config: Mapping[str, Any] | None = get_config()
        except RuntimeError:
            config = None
        return session_of(self.target, getattr(request.runtime, "context", None), config, "model call")

    def _kept(self, s: Session, call_id: str | None, given: Mapping[str, Any]) -> Step | None:
        """The step of a call resumed after its interrupt: kept by call id, and this call's only
        when decided on the same arguments (provider ids restart: "call_0" may be a new call)."""
        step = self._asking.get((s.id, call_id or ""))
        return step if step is not None and step.input == given else None

    def _remember(self, key: tuple[str, str], step: Step) -> None:
        self._asking[key] = step
        while len(self._asking) > 10_000:
            self._asking.popitem(last=False)

    # -- tools ------------------------------------------------------------------------------

    @staticmethod
    def _call_input(request: ToolCallRequest) -> dict[str, Any]:
        call = request.tool_call
        return {"tool": {"name": call["name"], "args": with_defaults(call["args"], _tool_schema(request.tool))}}

    @staticmethod
    def _model_args(s: Session, request: ToolCallRequest) -> tuple[ToolCallRequest, Step | None]:
        """The request with the model's arguments when the state holds what was shown of them, and
        the call's step decided when the answer ended; a marker not held fails closed (Withheld)."""
        call = request.tool_call
        h = _shown.take(s, call.get("id"), call["name"], call["args"])
        if h is None:
            return request, None
        return request.override(tool_call={**call, "args": dict(h.args)}), h.step

    @staticmethod
    def _withheld(request: ToolCallRequest, w: _shown.Withheld) -> ToolMessage:
        return ToolMessage(
            content=str(w), tool_call_id=request.tool_call["id"] or "", name=request.tool_call["name"], status="error"
        )

    def _denied(self, request: ToolCallRequest, err: PolicyDeniedError) -> ToolMessage:
        if self.on_deny == "raise":
            raise err
        text = denied_tool_message(err) if self.on_deny == "message" else str(self.on_deny(err))
        return ToolMessage(
            content=text, tool_call_id=request.tool_call["id"] or "", name=request.tool_call["name"], status="error"
        )

    def _ask(self, s: Session, step: Step, request: ToolCallRequest) -> Any:
        """The human's answer (a graph interrupt until there is one); filed with the service by
        `step.answer` / `step.aanswer`. The human sees the arguments as the state shows them."""
        key = (s.id, request.tool_call["id"] or "")
        self._remember(key, step)
        asked = step.approval_request()
        h = _shown.held(s, request.tool_call["id"])
        if h is not None and asked.get("args") == h.args:
            asked["args"] = h.shown
        answer = interrupt(asked)
        self._asking.pop(key, None)
        return answer

    def _result(
        self,
        s: Session,
        request: ToolCallRequest,
        args: dict[str, Any],
        out: ToolMessage | Command[Any],
        started: float,
        step: Step,
    ) -> ToolMessage | Command[Any]:
        if not isinstance(out, ToolMessage):
            # A Command's tool messages reach the model through the state: each decided the same way.
            return _command_with(out, lambda m: cast(ToolMessage, self._result(s, request, args, m, started, step)))
        given = _observed(s, request, out, started, step)
        try:
            g = s.enforce("tool_result", {"tool": {"name": request.tool_call["name"], "args": args, "result": given}})
        except PolicyDeniedError as e:
            return self._denied(request, e)
        return _rewritten(out, given, g.payload)

    async def _aresult(
        self,
        s: Session,
        request: ToolCallRequest,
        args: dict[str, Any],
        out: ToolMessage | Command[Any],
        started: float,
        step: Step,
    ) -> ToolMessage | Command[Any]:
        if not isinstance(out, ToolMessage):
            decided: dict[int, ToolMessage] = {}
            for m in _command_messages(out):
                decided[id(m)] = cast(ToolMessage, await self._aresult(s, request, args, m, started, step))
            return _command_with(out, lambda m: decided[id(m)])
        given = _observed(s, request, out, started, step)
        try:
            g = await s.aenforce(
                "tool_result", {"tool": {"name": request.tool_call["name"], "args": args, "result": given}}
            )
        except PolicyDeniedError as e:
            return self._denied(request, e)
        return _rewritten(out, given, g.payload)

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        s = self._tool_session(request)
        try:
            request, early = self._model_args(s, request)
        except _shown.Withheld as w:
            return self._withheld(request, w)
        call = request.tool_call
        given = self._call_input(request)
        step = self._kept(s, call["id"], given) or (early if early is not None and early.input == given else None)
        step = step or s.step("tool_call", given)
        try:
            if step.denied is not None:
                raise step.denied
            decided = step.payload if step.asking is None else step.answer(self._ask(s, step, request)).payload
            args = _args(decided, request)
        except PolicyDeniedError as e:
            _shown.done(s, call.get("id"))
            return self._denied(request, e)
        _shown.done(s, call.get("id"))
        started = time.perf_counter()
        out = handler(request.override(tool_call={**call, "args": args}))
        return self._result(s, request, args, out, started, step)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]
    ) -> ToolMessage | Command[Any]:
        s = self._tool_session(request)
        try:
            request, early = self._model_args(s, request)
        except _shown.Withheld as w:
            return self._withheld(request, w)
        call = request.tool_call
        given = self._call_input(request)
        step = self._kept(s, call["id"], given) or (early if early is not None and early.input == given else None)
        step = step or await s.astep("tool_call", given)
        try:
            if step.denied is not None:
                raise step.denied
            decided = step.payload if step.asking is None else (await step.aanswer(self._ask(s, step, request))).payload
            args = _args(decided, request)
        except PolicyDeniedError as e:
            _shown.done(s, call.get("id"))
            return self._denied(request, e)
        _shown.done(s, call.get("id"))
        started = time.perf_counter()
        out = await handler(request.override(tool_call={**call, "args": args}))
        return await self._aresult(s, request, args, out, started, step)

    # -- the model --------------------------------------------------------------------------

    @staticmethod
    def _earlier(request: ModelRequest) -> list[tuple[int, str]]:
        """The earlier user messages a request sends again (the newest is decided on its own)."""
        ms = request.messages
        return [(i, content_text(m.content)) for i, m in enumerate(ms[:-1]) if isinstance(m, HumanMessage)]

    def _request(
        self, s: Session, request: ModelRequest, text: str | None, earlier: Mapping[int, str] | None = None
    ) -> ModelRequest:
        messages = list(request.messages)
        for i, decided in (earlier or {}).items():
            m = messages[i]
            if decided != content_text(m.content):
                messages[i] = HumanMessage(content=decided, id=m.id)
        if text is not None and messages and isinstance(messages[-1], HumanMessage):
            last = messages[-1]
            if text != content_text(last.content):
                messages[-1] = HumanMessage(content=text, id=last.id)
        for t in request.tools:
            name = getattr(t, "name", None)
            if isinstance(name, str):
                self._shown.schemas[name] = _tool_schema(t)
        model = GuardedChatModel(inner=request.model, session=s, on_deny=self.on_deny, shown=self._shown)
        return request.override(messages=messages, model=model)

    @staticmethod
    def _newest_user_text(request: ModelRequest) -> str | None:
        m = request.messages[-1] if request.messages else None
        return content_text(m.content) if isinstance(m, HumanMessage) else None

    @staticmethod
    def _model_input(request: ModelRequest, messages: Sequence[BaseMessage]) -> dict[str, Any]:
        name = (
            getattr(request.model, "model_name", None)
            or getattr(request.model, "model", None)
            or type(request.model).__name__
        )
        return {
            "model": {
                "provider": "langchain",
                "name": str(name),
                "messages": [{"role": m.type, "content": content_text(m.content)} for m in messages],
            }
        }

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> ModelResponse:
        s = self._model_session(request)
        earlier = {i: s.earlier(t) for i, t in self._earlier(request)}
        text = self._newest_user_text(request)
        decided = s.text("input", text) if text is not None else None
        guarded = self._request(s, request, decided, earlier)
        s.enforce("model_call", self._model_input(request, guarded.messages))
        return handler(guarded)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        s = self._model_session(request)
        earlier = {i: await s.aearlier(t) for i, t in self._earlier(request)}
        text = self._newest_user_text(request)
        decided = await s.atext("input", text) if text is not None else None
        guarded = self._request(s, request, decided, earlier)
        await s.aenforce("model_call", self._model_input(request, guarded.messages))
        return await handler(guarded)


def _command_messages(c: Command[Any]) -> list[ToolMessage]:
    """The tool messages a Command's update puts in the state (`{"messages": [...]}`, or pairs)."""
    u = c.update
    pairs = u.items() if isinstance(u, Mapping) else u if isinstance(u, (list, tuple)) else ()
    return [
        m
        for k, v in pairs
        if k == "messages"
        for m in (v if isinstance(v, list) else [v])
        if isinstance(m, ToolMessage)
    ]


def _command_with(c: Command[Any], decide: Callable[[ToolMessage], ToolMessage]) -> Command[Any]:
    if not _command_messages(c):
        return c

    def each(v: Any) -> Any:
        if isinstance(v, list):
            return [decide(m) if isinstance(m, ToolMessage) else m for m in v]
        return decide(v) if isinstance(v, ToolMessage) else v

    u = c.update
    if isinstance(u, Mapping):
        update: Any = {k: each(v) if k == "messages" else v for k, v in u.items()}
    else:
        update = [(k, each(v) if k == "messages" else v) for k, v in (u or ())]
    return dataclasses.replace(c, update=update)


def _args(payload: Mapping[str, Any], request: ToolCallRequest) -> dict[str, Any]:
    tool = payload.get("tool")
    args = tool.get("args") if isinstance(tool, Mapping) else None
    return dict(args) if isinstance(args, Mapping) else dict(request.tool_call["args"])


def _rewritten(out: ToolMessage, given: dict[str, Any], payload: Mapping[str, Any]) -> ToolMessage:
    tool = payload.get("tool")
    decided = tool.get("result") if isinstance(tool, Mapping) else None
    text = _results.back(given["text"], given, decided)
    if text == given["text"]:
        return out
    return out.model_copy(update={"content": text if isinstance(text, str) else str(text)})


def _observed(s: Session, request: ToolCallRequest, out: ToolMessage, started: float, step: Step) -> dict[str, Any]:
    """The tool's result as policies read it, its outcome reported for monitoring."""
    given = _results.tool_result(content_text(out.content), is_error=out.status == "error")
    if step.guarded is not None:
        s.tool_outcome(
            request.tool_call["name"],
            step.guarded,
            started,
            size=len(given["text"]),
            is_error=bool(given["isError"]),
        )
    return given


def _joined(calls: AIMessageChunk | None, chunks: list[Any]) -> AIMessageChunk:
    """The tool-call chunks held so far with `chunks` added (joined by index, as LangChain joins them)."""
    more = AIMessageChunk(content="", tool_call_chunks=chunks)
    return more if calls is None else calls + more
