"""The integrations python/README.md shows are the files in python/examples, and each runs here
against the real service with the framework's own scripted model."""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from palisade import Guard

from .proxy import Proxy, proxy
from .service import Service

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))


def test_readme_shows_the_example_files_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"<!-- example: (\S+) -->\n```python\n(.*?)```", readme, re.S)
    assert {name for name, _ in shown} == {p.name for p in (ROOT / "examples").glob("*.py")}
    for name, code in shown:
        assert code == (ROOT / "examples" / name).read_text(), name


def test_plain(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALISADE_URL", service.url)
    monkeypatch.setenv("PALISADE_KEY", service.agent_key)
    sys.modules.pop("plain", None)
    plain = importlib.import_module("plain")

    def approve() -> None:
        until = time.monotonic() + 30
        while time.monotonic() < until:
            for a in service.pending():
                if a["session"] == "chat-42":
                    service.answer(a["id"], "approve")
                    return
            time.sleep(0.05)

    t = threading.Thread(target=approve, daemon=True)
    t.start()
    assert plain.main() == "refunded 900 on A-7"
    t.join()


def test_answer_drift(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxy(service.url) as p:
        monkeypatch.setenv("PALISADE_URL", p.url)
        monkeypatch.setenv("PALISADE_KEY", service.agent_key)
        sys.modules.pop("answer_drift", None)
        example = importlib.import_module("answer_drift")
        (drift,) = example.guard.outcomes._evaluators
        drift.sample_rate = 1.0  # every answer, for the test
        s = example.guard.session(f"drift-{uuid.uuid4().hex[:8]}")
        s.record_model(duration_ms=3.0, output="Your refund for order 4410 has been issued.", model="m")
        s.record_model(duration_ms=3.0, output="Preheat the oven and whisk the eggs with sugar.", model="m")
        example.guard.close()
    on, off = (o["scores"]["answer_drift"] for o in p.outcomes())
    assert on < 0.5 < off


def _outcomes(g: Guard, p: Proxy) -> set[tuple[str, str | None]]:
    """(phase, tool) of every outcome the service accepted from this guard; each names a decision
    the service took, or (a model call) none."""
    g.close()
    ids = p.decision_ids()
    seen = p.outcomes()
    assert all(o.get("decision") in ids for o in seen if o["phase"] == "tool_call")
    return {(o["phase"], o.get("tool")) for o in seen}


def test_langchain(recorded: tuple[Guard, Proxy]) -> None:
    guard, p = recorded
    from langchain_agent import build
    from langchain_core.messages import AIMessage

    from .test_langchain import TOOLS, ScriptedModel, call, ran

    agent = build(ScriptedModel(messages=iter([call("search", query="crm"), AIMessage(content="done")])), TOOLS, guard)
    ran.clear()
    agent.invoke({"messages": [{"role": "user", "content": "hi"}]}, {"configurable": {"thread_id": uuid.uuid4().hex}})
    assert ran == [("search", {"query": "crm", "limit": 10})]
    assert _outcomes(guard, p) == {("tool_call", "search"), ("model_call", None)}


def test_openai_agents(recorded: tuple[Guard, Proxy]) -> None:
    guard, p = recorded
    from agents.testing import ScriptedModel, assistant_message
    from openai_agents_agent import answer

    from .test_openai_agents import delete_file, search

    async def main() -> Any:
        out = await answer(
            guard,
            ScriptedModel([[assistant_message("card 4111 1111 1111 1111")]]),
            [search, delete_file],
            uuid.uuid4().hex,
            "joe",
            "hi",
        )
        await guard.aclose()
        return out

    assert asyncio.run(main()) == "card [CARD]"
    assert _outcomes(guard, p) == {("model_call", None)}


def test_pydantic_ai(recorded: tuple[Guard, Proxy]) -> None:
    guard, p = recorded
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai_agent import build

    from .test_pydantic_ai import scripted

    assert (
        build(guard, scripted(ModelResponse(parts=[TextPart("card 4111 1111 1111 1111")]))).run_sync("x").output
        == "card [CARD]"
    )
    assert _outcomes(guard, p) == {("model_call", None)}


def test_mcp(recorded: tuple[Guard, Proxy]) -> None:
    guard, p = recorded
    from mcp_proxy import guarded_call

    from .test_mcp import upstream

    async def main() -> str:
        out = await guarded_call(guard, upstream(), uuid.uuid4().hex)
        await guard.aclose()
        return out

    assert asyncio.run(main()) == "10 hits; contact [EMAIL]"
    assert _outcomes(guard, p) == {("tool_call", "search")}
