"""PydanticAI runs a call from the ToolCallPart its history (all_messages, the run's events) also
shows: a denied call's arguments, and a card in a call's arguments, reach none of them raw, while
the tools run, and are denied, on the model's own arguments (spec/python-sdk.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from palisade import Guard

from .test_pydantic_ai import CARD, make, returns, scripted

SECRET = "/srv/SECRET-PATH-7731"


def _leaks(shown: list[Any], raw: list[str]) -> list[str]:
    text = "".join(repr(v) for v in shown)
    squeezed = text.replace(" ", "")
    return [r for r in raw if r in text or r.replace(" ", "") in squeezed]


def _calls(result: Any) -> list[tuple[str, Any]]:
    return [
        (p.tool_name, p.args_as_dict())
        for m in result.all_messages()
        for p in getattr(m, "parts", [])
        if isinstance(p, ToolCallPart)
    ]


def test_the_history_shows_the_denial_marker_and_the_card_redacted(guard: Guard) -> None:
    calls = ModelResponse(
        parts=[
            ToolCallPart(tool_name="delete_file", args={"path": SECRET}, tool_call_id="d1"),
            ToolCallPart(tool_name="search", args={"query": f"card {CARD}"}, tool_call_id="s1"),
        ]
    )
    agent, ran = make(guard, scripted(calls, ModelResponse(parts=[TextPart("done")])))
    result = agent.run_sync("tidy and search")
    shown = [result.all_messages(), result.all_messages_json(), result.new_messages()]
    assert _leaks(shown, [SECRET, CARD]) == []
    assert _calls(result) == [("delete_file", {"palisade": "denied"}), ("search", {"query": "card [CARD]"})]
    assert "blocked by policy: deleting files is not allowed" in returns(result)
    assert ran == [("search", f"card {CARD}", 10)]


def test_the_run_events_of_a_stream_show_the_denial_marker_and_the_card_redacted(guard: Guard) -> None:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        if any(isinstance(p, ToolReturnPart) for m in messages for p in getattr(m, "parts", [])):
            yield "done"
            return
        yield {0: DeltaToolCall(name="delete_file", json_args=json.dumps({"path": SECRET})[:9], tool_call_id="d1")}
        yield {0: DeltaToolCall(json_args=json.dumps({"path": SECRET})[9:])}
        yield {1: DeltaToolCall(name="search", json_args='{"query": "card 4111 ', tool_call_id="s1")}
        yield {1: DeltaToolCall(json_args='1111 1111 1111"}')}

    agent, ran = make(guard, FunctionModel(stream_function=stream))

    async def main() -> tuple[list[Any], Any]:
        async with agent.run_stream_events("tidy and search") as events:
            seen = [e async for e in events]
        await guard.aclose()
        return seen, seen[-1]

    seen, last = asyncio.run(main())
    assert _leaks(seen, [SECRET, CARD]) == []
    assert _calls(last.result) == [("delete_file", {"palisade": "denied"}), ("search", {"query": "card [CARD]"})]
    assert ran == [("search", f"card {CARD}", 10)]
