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

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.config import get_config
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt
from pydantic import ConfigDict

from .. import _results
from .._schema import with_defaults
from ..errors import PolicyDeniedError, SessionRequiredError
from ..guard import Guard, OnDeny, Session, Step, denied_tool_message
from ..telemetry import TokenUse

__all__ = ["GuardedChatModel", "PalisadeMiddleware", "content_text"]


def content_text(content: Any) -> str:
    """The text of a message's content, a string or content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b["text"]
            if isinstance(b, dict) and isinstance(b.get("text"), str) and b.get("type", "text") == "text"
            else ""
            for b in content
        )
    return ""


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


class GuardedChatModel(BaseChatModel):
    """A chat model whose answers are decided on `output` (redactions applied; a deny raises
    PolicyDeniedError, or becomes the answer with `on_deny="message"`), streamed text decided in
    whole lines as it arrives. The inner model runs without the caller's callbacks, so nothing it
    streams reaches a listener before its decision."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: Any
    session: Any
    on_deny: Any = "raise"

    @property
    def _llm_type(self) -> str:
        return "palisade-guarded"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return GuardedChatModel(
            inner=self.inner.bind_tools(tools, **kwargs), session=self.session, on_deny=self.on_deny
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
        if not text:
            return m
        try:
            return _with_content(m, s.text("output", text))
        except PolicyDeniedError as e:
            return m.model_copy(update={"content": self._deny(e), "tool_calls": []})

    async def _aanswer(self, m: AIMessage, started: float) -> AIMessage:
        s: Session = self.session
        text = content_text(m.content)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000, tokens=_usage(m), output=text, provider="langchain"
        )
        if not text:
            return m
        try:
            return _with_content(m, await s.atext("output", text))
        except PolicyDeniedError as e:
            return m.model_copy(update={"content": self._deny(e), "tool_calls": []})

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
        calls: AIMessageChunk | None = None
        for chunk in self.inner.stream(messages, config={"callbacks": []}, stop=stop, **kwargs):
            usage = _usage(chunk) or usage
            text = content_text(chunk.content)
            rest = chunk.model_copy(update={"content": ""}) if text else chunk
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
        tail = stream.end()
        if tail:
            yield self._emit(self._piece(tail, None), run_manager)
        if calls is not None:
            yield self._emit(ChatGenerationChunk(message=calls), run_manager)
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
        calls: AIMessageChunk | None = None
        async for chunk in self.inner.astream(messages, config={"callbacks": []}, stop=stop, **kwargs):
            usage = _usage(chunk) or usage
            text = content_text(chunk.content)
            rest = chunk.model_copy(update={"content": ""}) if text else chunk
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
        tail = await stream.aend()
        if tail:
            yield await self._aemit(self._piece(tail, None), run_manager)
        if calls is not None:
            yield await self._aemit(ChatGenerationChunk(message=calls), run_manager)
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000,
            tokens=usage,
            output=stream.text,
            provider="langchain",
        )

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

    def _remember(self, key: tuple[str, str], step: Step) -> None:
        self._asking[key] = step
        while len(self._asking) > 10_000:
            self._asking.popitem(last=False)

    # -- tools ------------------------------------------------------------------------------

    @staticmethod
    def _call_input(request: ToolCallRequest) -> dict[str, Any]:
        call = request.tool_call
        schema = request.tool.tool_call_schema if request.tool is not None else None
        json_schema = (
            schema.model_json_schema() if isinstance(schema, type) and hasattr(schema, "model_json_schema") else schema
        )
        return {
            "tool": {
                "name": call["name"],
                "args": with_defaults(call["args"], json_schema if isinstance(json_schema, Mapping) else None),
            }
        }

    def _denied(self, request: ToolCallRequest, err: PolicyDeniedError) -> ToolMessage:
        if self.on_deny == "raise":
            raise err
        text = denied_tool_message(err) if self.on_deny == "message" else str(self.on_deny(err))
        return ToolMessage(
            content=text, tool_call_id=request.tool_call["id"] or "", name=request.tool_call["name"], status="error"
        )

    def _ask(self, s: Session, step: Step, request: ToolCallRequest) -> Any:
        """The human's answer (a graph interrupt until there is one); filed with the service by
        `step.answer` / `step.aanswer`."""
        key = (s.id, request.tool_call["id"] or "")
        self._remember(key, step)
        answer = interrupt(step.approval_request())
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
            return out
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
            return out
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
        call = request.tool_call
        step = self._asking.get((s.id, call["id"] or "")) or s.step("tool_call", self._call_input(request))
        try:
            if step.denied is not None:
                raise step.denied
            decided = step.payload if step.asking is None else step.answer(self._ask(s, step, request)).payload
            args = _args(decided, request)
        except PolicyDeniedError as e:
            return self._denied(request, e)
        started = time.perf_counter()
        out = handler(request.override(tool_call={**call, "args": args}))
        return self._result(s, request, args, out, started, step)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]
    ) -> ToolMessage | Command[Any]:
        s = self._tool_session(request)
        call = request.tool_call
        step = self._asking.get((s.id, call["id"] or "")) or await s.astep("tool_call", self._call_input(request))
        try:
            if step.denied is not None:
                raise step.denied
            decided = step.payload if step.asking is None else (await step.aanswer(self._ask(s, step, request))).payload
            args = _args(decided, request)
        except PolicyDeniedError as e:
            return self._denied(request, e)
        started = time.perf_counter()
        out = await handler(request.override(tool_call={**call, "args": args}))
        return await self._aresult(s, request, args, out, started, step)

    # -- the model --------------------------------------------------------------------------

    def _request(self, s: Session, request: ModelRequest, text: str | None) -> ModelRequest:
        messages = list(request.messages)
        if text is not None and messages and isinstance(messages[-1], HumanMessage):
            last = messages[-1]
            if text != content_text(last.content):
                messages[-1] = HumanMessage(content=text, id=last.id)
        model = GuardedChatModel(inner=request.model, session=s, on_deny=self.on_deny)
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
        text = self._newest_user_text(request)
        decided = s.text("input", text) if text is not None else None
        guarded = self._request(s, request, decided)
        s.enforce("model_call", self._model_input(request, guarded.messages))
        return handler(guarded)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        s = self._model_session(request)
        text = self._newest_user_text(request)
        decided = await s.atext("input", text) if text is not None else None
        guarded = self._request(s, request, decided)
        await s.aenforce("model_call", self._model_input(request, guarded.messages))
        return await handler(guarded)


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
