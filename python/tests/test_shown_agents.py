"""The Agents SDK runs a call from the completed response's item it also shows (the `tool_called`
run item and its stream event, new_items, raw_responses, the input list, a RunState): a denied
call's arguments, and a card in a call's arguments, reach none of them raw, while the tools run,
and are denied, on the model's own arguments (spec/python-sdk.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from agents import Runner
from agents.testing import assistant_message, function_call

from palisade import Guard

from .test_openai_agents import CARD, agent, ran, session

SECRET = "/srv/SECRET-PATH-7731"


def _leaks(shown: list[Any], raw: list[str]) -> list[str]:
    text = "".join(repr(v) + json.dumps(v, default=str) for v in shown)
    squeezed = text.replace(" ", "")
    return [r for r in raw if r in text or r.replace(" ", "") in squeezed]


@pytest.mark.parametrize("streamed", [False, True])
def test_a_denied_call_shows_the_marker_and_a_card_is_redacted_in_every_item_and_event(
    guard: Guard, streamed: bool
) -> None:
    s = session(guard)
    script = [
        [
            function_call("delete_file", {"path": SECRET}, call_id="d1"),
            function_call("search", {"query": f"card {CARD}"}, call_id="s1"),
        ],
        [assistant_message("done")],
    ]
    a = agent(guard, script, s)

    async def main() -> tuple[Any, list[Any]]:
        events: list[Any] = []
        if streamed:
            r = Runner.run_streamed(a, "tidy and search", context={"palisade": s})
            events = [e async for e in r.stream_events()]
            out: Any = r
        else:
            out = await Runner.run(a, "tidy and search", context={"palisade": s})
        await s.guard.aclose()
        return out, events

    out, events = asyncio.run(main())
    shown = [*events, out.new_items, out.raw_responses, out.to_input_list(), out.to_state().to_json()]
    assert _leaks(shown, [SECRET, CARD]) == []
    called = [(i.raw_item.name, json.loads(i.raw_item.arguments)) for i in out.new_items if i.type == "tool_call_item"]
    assert called == [("delete_file", {"palisade": "denied"}), ("search", {"query": "card [CARD]"})]
    outputs = [i.output for i in out.new_items if i.type == "tool_call_output_item"]
    assert "blocked by policy: deleting files is not allowed" in outputs
    # The tools ran, and were denied, on the model's own arguments.
    assert ran == [("search", {"query": f"card {CARD}", "limit": 10})]
