"""The AIMessage in LangGraph's state is what the tools node runs and what every stream mode shows:
a denied call's arguments, and a card in a call's arguments, reach no consumer raw (values,
updates, messages, debug, tasks, checkpoints, the state, its history, the interrupt), while the
tools run, and are denied, on the model's own arguments (spec/python-sdk.md)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from langchain.agents import create_agent
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from palisade import Guard
from palisade.adapters.langchain import PalisadeMiddleware

from .test_langchain import CARD, TOOLS, ScriptedModel, ran

SECRET = "/srv/SECRET-PATH-7731"
MODES = ["values", "updates", "messages", "debug", "tasks", "checkpoints", "custom"]


class StreamedCalls(ScriptedModel):
    """The scripted model, streaming its calls as a provider does: argument chunks by index."""

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        m = next(self.messages)
        if m.content:
            yield ChatGenerationChunk(message=AIMessageChunk(content=m.content, id=m.id))
        for i, c in enumerate(m.tool_calls):
            text = json.dumps(c["args"])
            for k, part in enumerate((text[:7], text[7:])):
                head = {"name": c["name"], "id": c["id"]} if k == 0 else {}
                chunk = {"type": "tool_call_chunk", "index": i, "args": part, **head}
                yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[chunk]))


def _text(v: Any) -> str:
    try:
        return dumps(v) + repr(v)
    except (TypeError, ValueError):
        return repr(v)


def _leaks(shown: list[Any], raw: list[str]) -> list[str]:
    text = "".join(_text(v) for v in shown)
    squeezed = text.replace(" ", "")
    return [r for r in raw if r in text or r.replace(" ", "") in squeezed]


def _calls(*calls: tuple[str, dict[str, Any]]) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": n, "args": a, "id": f"call-{uuid.uuid4().hex[:8]}"} for n, a in calls]
    )


def _run(a: Any, input: Any, cfg: dict[str, Any], shown: list[Any]) -> None:
    for chunk in a.stream(input, cfg, stream_mode=MODES, subgraphs=True):
        shown.append(chunk)


def _agent(guard: Guard, script: list[Any]) -> tuple[Any, dict[str, Any]]:
    """An agent on a scripted model whose calls stream, guarded, on a checkpointer; its thread's config."""
    a = create_agent(
        StreamedCalls(messages=iter(script)),
        tools=TOOLS,
        middleware=[PalisadeMiddleware(guard)],
        checkpointer=InMemorySaver(),
    )
    return a, {"configurable": {"thread_id": f"t-{uuid.uuid4().hex[:10]}"}}


def test_every_stream_mode_shows_the_denial_marker_and_the_card_redacted(guard: Guard) -> None:
    ran.clear()
    script = [
        _calls(("delete_file", {"path": SECRET}), ("search", {"query": f"card {CARD}", "limit": 5})),
        AIMessage(content="done"),
    ]
    a, cfg = _agent(guard, script)
    shown: list[Any] = []
    _run(a, {"messages": [{"role": "user", "content": "tidy up and search"}]}, cfg, shown)
    state = a.get_state(cfg)
    shown.append(state)
    shown.extend(a.get_state_history(cfg))
    assert _leaks(shown, [SECRET, CARD]) == []
    ai = next(m for m in state.values["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    assert [(c["name"], c["args"]) for c in ai.tool_calls] == [
        ("delete_file", {"palisade": "denied"}),
        ("search", {"query": "card [CARD]", "limit": 5}),
    ]
    replies = [m for m in state.values["messages"] if isinstance(m, ToolMessage)]
    assert replies[0].status == "error" and replies[0].content == "blocked by policy: deleting files is not allowed"
    # The tools ran, and were denied, on the model's own arguments.
    assert ran == [("search", {"query": f"card {CARD}", "limit": 5})]


def test_a_call_held_for_a_human_shows_the_card_redacted_and_runs_with_the_models_once_approved(guard: Guard) -> None:
    ran.clear()
    script = [
        _calls(("send_email", {"to": "ops@example.com", "body": f"card {CARD}"}), ("refund", {"amount": 900})),
        AIMessage(content="done"),
    ]
    a, cfg = _agent(guard, script)
    shown: list[Any] = []
    _run(a, {"messages": [{"role": "user", "content": "mail and refund"}]}, cfg, shown)
    shown.append(a.get_state(cfg))
    assert _leaks(shown, [CARD]) == []
    _run(a, Command(resume={"approved": True, "by": "sue"}), cfg, shown)
    shown.append(a.get_state(cfg))
    assert _leaks(shown, [CARD]) == []
    assert sorted(ran) == [
        ("refund", {"amount": 900}),
        ("send_email", {"to": "ops@example.com", "body": f"card {CARD}"}),
    ]


def test_the_providers_own_copies_of_a_call_carry_what_is_shown(guard: Guard) -> None:
    ran.clear()
    call = {"name": "delete_file", "args": {"path": SECRET}, "id": "call-blk"}
    answer = AIMessage(
        content=[{"type": "tool_use", "id": "call-blk", "name": "delete_file", "input": {"path": SECRET}}],
        tool_calls=[call],
        additional_kwargs={
            "tool_calls": [
                {
                    "id": "call-blk",
                    "type": "function",
                    "function": {"name": "delete_file", "arguments": json.dumps({"path": SECRET})},
                }
            ]
        },
    )
    a = create_agent(
        ScriptedModel(messages=iter([answer, AIMessage(content="done")])),
        tools=TOOLS,
        middleware=[PalisadeMiddleware(guard)],
    )
    out = a.invoke(
        {"messages": [{"role": "user", "content": "tidy"}]},
        {"configurable": {"thread_id": f"t-{uuid.uuid4().hex[:10]}"}},
    )
    assert _leaks([out], [SECRET]) == []
    ai = next(m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    assert ai.content == [
        {"type": "tool_use", "id": "call-blk", "name": "delete_file", "input": {"palisade": "denied"}}
    ]
    assert ran == []
