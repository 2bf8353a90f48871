"""A PydanticAI model's streamed response, decided as it arrives (spec/sdk.md, "Streams"): each
text part streams through an `OutputStream` (only what is decided is shown: `stream_text()`,
`stream_output()`, the run's events), each thinking part and each structured answer (the
arguments of an output tool's call) is held and given, decided, when it ends; `get()` (what the
run keeps) holds only decided text."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.messages import (
    FinalResultEvent,
    ModelMessage,
    ModelResponse,
    ModelResponseStreamEvent,
    PartDeltaEvent,
    PartEndEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ThinkingPart,
    ThinkingPartDelta,
    ToolCallPart,
    ToolCallPartDelta,
)
from pydantic_ai.models import ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

from .. import _shown
from .._stream import OutputStream
from ..guard import Session


def _with_args(part: Any, args: str | None) -> Any:
    return dataclasses.replace(part, args=args)


def _args_json(part: Any) -> str:
    return str(part.args_as_json_str())


async def shown_args_json(s: Session, part: Any, tools: Any) -> str:
    """A complete call's arguments as a consumer may see them (palisade._shown), as JSON text."""
    shown = await shown_args(s, [part], tools)
    return json.dumps(shown[0]) if shown[0] is not None else _args_json(part)


async def shown_args(s: Session, parts: list[Any], tools: Any) -> list[dict[str, Any] | None]:
    """Tool call parts decided and held (palisade._shown): what each may be shown as (None: as it is)."""
    schemas = {t.name: t.parameters_json_schema for t in tools or []}
    at: list[int] = []
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for i, p in enumerate(parts):
        try:
            args = p.args_as_dict() if p.args else {}
        except ValueError:
            # Not JSON: PydanticAI asks the model again, nothing runs; shown as it is.
            continue
        at.append(i)
        calls.append((p.tool_call_id, p.tool_name, args))
    out: list[dict[str, Any] | None] = [None] * len(parts)
    if calls:
        for i, sh in zip(at, await s.guard._arun(_shown.shown_flow(s, calls, schemas)), strict=True):
            out[i] = sh
    return out


class GuardedModel(WrapperModel):
    """`wrapped`, its streamed responses decided in the run's session (`session_of`)."""

    def __init__(
        self,
        wrapped: Any,
        session_of: Callable[[RunContext[Any]], Session],
        decided: Callable[[Session, str], None],
        streaming: Callable[[RunContext[Any]], None],
    ) -> None:
        super().__init__(wrapped)
        self._session_of = session_of
        self._decided = decided
        self._streaming = streaming

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        async with self.wrapped.request_stream(
            messages, model_settings, model_request_parameters, run_context
        ) as inner:
            if run_context is None:
                # Streamed outside a run (no session can be known): nothing is shown undecided.
                raise RuntimeError("palisade: a PydanticAI stream outside an agent run cannot be guarded")
            s = self._session_of(run_context)
            self._streaming(run_context)
            yield GuardedStream(
                model_request_parameters=model_request_parameters,
                inner=inner,
                session=s,
                decided=lambda text: self._decided(s, text),
            )


@dataclass
class GuardedStream(StreamedResponse):
    inner: StreamedResponse = field(kw_only=True)
    session: Session = field(kw_only=True)
    decided: Callable[[str], None] = field(kw_only=True)
    _texts: dict[int, OutputStream] = field(default_factory=dict, init=False)
    _shown: dict[int, str] = field(default_factory=dict, init=False)
    _thinking: dict[int, str] = field(default_factory=dict, init=False)
    _final: dict[int, str] = field(default_factory=dict, init=False)
    # A structured answer (a call of an output tool) is held whole and decided at its end: its
    # arguments so far, and once decided, per part index.
    _answer_args: dict[int, str] = field(default_factory=dict, init=False)
    _final_args: dict[int, str] = field(default_factory=dict, init=False)
    # Calls of the agent's tools whose arguments still stream (shown whole at their end).
    _calls: set[int] = field(default_factory=set, init=False)
    # A tool call's arguments as shown (palisade._shown), per part index, once complete.
    _shown_args: dict[int, str] = field(default_factory=dict, init=False)

    def _is_answer(self, part: Any) -> bool:
        return isinstance(part, ToolCallPart) and part.tool_name in {
            t.name for t in self.model_request_parameters.output_tools
        }

    def __aiter__(self) -> AsyncIterator[ModelResponseStreamEvent]:
        # The inner stream already adds final-result and part-end events: not added twice.
        if self._event_iterator is None:
            self._event_iterator = self._guarded()
        return self._event_iterator

    def _get_event_iterator(self) -> AsyncIterator[ModelResponseStreamEvent]:
        return self._guarded()

    async def _push(self, index: int, text: str) -> str:
        ready = await self._texts[index].apush(text) if text else ""
        self._shown[index] = self._shown.get(index, "") + ready
        return ready

    async def _end(self, index: int, part: Any) -> AsyncIterator[ModelResponseStreamEvent]:
        if isinstance(part, TextPart) and index in self._texts:
            rest = await self._texts.pop(index).aend()
            self._final[index] = self._shown.get(index, "") + rest
            self.decided(self._final[index])
            if rest:
                yield PartDeltaEvent(index=index, delta=TextPartDelta(content_delta=rest))
        elif isinstance(part, ThinkingPart) and index in self._thinking:
            raw = self._thinking.pop(index)
            self._final[index] = (await self.session.aoutput_texts([raw]))[0] if raw else raw
            if self._final[index]:
                yield PartDeltaEvent(index=index, delta=ThinkingPartDelta(content_delta=self._final[index]))

    async def _answer_end(self, index: int) -> AsyncIterator[ModelResponseStreamEvent]:
        raw = self._answer_args.pop(index)
        self._final_args[index] = (await self.session.aoutput_texts([raw]))[0] if raw else raw
        yield PartDeltaEvent(index=index, delta=ToolCallPartDelta(args_delta=self._final_args[index]))

    async def _guarded(self) -> AsyncIterator[ModelResponseStreamEvent]:
        async for e in self.inner:
            if isinstance(e, PartStartEvent) and self._is_answer(e.part):
                self._answer_args[e.index] = ""
                e = dataclasses.replace(e, part=_with_args(e.part, None))
            elif isinstance(e, PartStartEvent) and isinstance(e.part, ToolCallPart):
                # Nothing of a call before its arguments are complete (spec/streams.md): they
                # come whole at its end, as the LangChain model gives a call's chunks.
                self._calls.add(e.index)
                e = dataclasses.replace(e, part=_with_args(e.part, None))
            elif (
                isinstance(e, PartDeltaEvent)
                and isinstance(e.delta, ToolCallPartDelta)
                and (e.index in self._answer_args or e.index in self._calls)
            ):
                continue
            elif isinstance(e, PartEndEvent) and e.index in self._calls:
                self._calls.discard(e.index)
                # Decided now (the tool hook takes this step) and shown as palisade._shown allows;
                # the run's history holds the same (`get`), the tool runs on the model's arguments.
                part = self.inner.get().parts[e.index]
                args = self._shown_args[e.index] = await shown_args_json(
                    self.session, part, self.model_request_parameters.function_tools
                )
                yield PartDeltaEvent(index=e.index, delta=ToolCallPartDelta(args_delta=args))
                e = dataclasses.replace(e, part=_with_args(e.part, args))
            elif isinstance(e, PartEndEvent) and e.index in self._answer_args:
                self._answer_args[e.index] = _args_json(self.inner.get().parts[e.index])
                async for rest in self._answer_end(e.index):
                    yield rest
                e = dataclasses.replace(e, part=_with_args(e.part, self._final_args[e.index]))
            elif isinstance(e, FinalResultEvent):
                self.final_result_event = e
            elif isinstance(e, PartStartEvent) and isinstance(e.part, TextPart):
                self._texts[e.index] = await self.session.astream()
                ready = await self._push(e.index, e.part.content)
                e = dataclasses.replace(e, part=dataclasses.replace(e.part, content=ready))
            elif isinstance(e, PartStartEvent) and isinstance(e.part, ThinkingPart):
                self._thinking[e.index] = e.part.content
                e = dataclasses.replace(e, part=dataclasses.replace(e.part, content=""))
            elif isinstance(e, PartDeltaEvent) and isinstance(e.delta, TextPartDelta) and e.index in self._texts:
                ready = await self._push(e.index, e.delta.content_delta)
                if not ready:
                    continue
                e = dataclasses.replace(e, delta=dataclasses.replace(e.delta, content_delta=ready))
            elif isinstance(e, PartDeltaEvent) and isinstance(e.delta, ThinkingPartDelta) and e.index in self._thinking:
                self._thinking[e.index] += e.delta.content_delta or ""
                if e.delta.signature_delta is None:
                    continue
                e = dataclasses.replace(e, delta=dataclasses.replace(e.delta, content_delta=None))
            elif isinstance(e, PartEndEvent):
                async for rest in self._end(e.index, e.part):
                    yield rest
                if e.index in self._final and isinstance(e.part, (TextPart, ThinkingPart)):
                    e = dataclasses.replace(e, part=dataclasses.replace(e.part, content=self._final[e.index]))
            yield e
        parts = self.inner.get().parts
        for index in [*self._texts, *self._thinking]:
            async for rest in self._end(index, parts[index]):
                yield rest
        for index in list(self._answer_args):
            self._answer_args[index] = _args_json(parts[index])
            async for rest in self._answer_end(index):
                yield rest

    def get(self) -> ModelResponse:
        r = self.inner.get()
        parts: list[Any] = []
        for i, p in enumerate(r.parts):
            if isinstance(p, (TextPart, ThinkingPart)) and (
                i in self._final or i in self._texts or i in self._thinking
            ):
                p = dataclasses.replace(p, content=self._final.get(i, self._shown.get(i, "")))
            elif i in self._final_args or i in self._answer_args:
                # Held until decided: no arguments yet (a partial answer of nothing).
                p = _with_args(p, self._final_args.get(i))
            elif i in self._shown_args:
                p = _with_args(p, self._shown_args[i])
            elif i in self._calls:
                p = _with_args(p, None)
            parts.append(p)
        return dataclasses.replace(r, parts=parts)

    @property
    def usage(self) -> RequestUsage:
        return self.inner.usage

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def provider_name(self) -> str | None:
        return self.inner.provider_name

    @property
    def provider_url(self) -> str | None:
        return self.inner.provider_url

    @property
    def timestamp(self) -> datetime:
        return self.inner.timestamp

    @property
    def cancelled(self) -> bool:
        return self.inner.cancelled

    async def cancel(self) -> None:
        await self.inner.cancel()
