"""Outcomes reach the service (POST /v1/outcomes) off the action's path, and an answer from the
service that is not a decision (or not an approval) fails closed: seen on the wire through a
recording proxy in front of the real `palisade serve`."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from palisade import Guard, GuardUnavailableError, PolicyDeniedError, RetryPolicy

from .proxy import proxy
from .service import Service

FAST = RetryPolicy(deadline=2.0, attempts=2, backoff=0.01)


def sid() -> str:
    return f"s-{uuid.uuid4().hex}"


def test_outcomes_of_tools_and_models_reach_the_service(service: Service) -> None:
    conv = sid()
    with proxy(service.url) as p:
        with Guard(p.url, service.agent_key) as g, g.session(conv, "u1") as s:
            assert s.wrap_tool(lambda q: "x" * 42, name="lookup")("a") == "x" * 42

            def broken(q: str) -> str:
                raise ConnectionResetError("upstream went away")

            with pytest.raises(ConnectionResetError):
                s.wrap_tool(broken, name="lookup")("b")
            s.record_model(
                duration_ms=120.0, tokens={"input": 30, "output": 7}, output="hello", model="m", provider="p"
            )
        # close() posted what was queued; the service checked every field (unknown ones are a 400).
        assert g.outcomes is not None and g.outcomes.sent == 3 and g.outcomes.dropped == 0
        ok, failed, model = p.outcomes()
    ids = p.decision_ids()
    assert ok["phase"] == "tool_call" and ok["tool"] == "lookup" and ok["session"] == conv
    assert ok["decision"] in ids and ok["outputSize"] == 42 and ok["durationMs"] >= 0
    assert failed["decision"] in ids and failed["decision"] != ok["decision"]
    assert failed["error"] == {"source": "tool", "type": "ConnectionResetError", "message": "upstream went away"}
    assert model["phase"] == "model_call" and model["model"] == {"name": "m", "provider": "p"}
    assert model["tokens"] == {"input": 30, "output": 7} and model["output"] == "hello" and model["outputSize"] == 5


def test_outcomes_never_hold_or_fail_the_action(service: Service) -> None:
    # The service refuses every outcome: the tool still answers at once; the refusal is counted.
    def refuse(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        if path == "/v1/outcomes":
            return 400, b'{"error":{"code":"request/invalid","message":"no","path":"/outcomes/0"}}'
        return None

    with proxy(service.url, refuse) as p:
        g = Guard(p.url, service.agent_key)
        tool = g.session(sid(), "u1").wrap_tool(lambda q: "ok", name="lookup")
        assert [tool(i) for i in range(3)] == ["ok"] * 3
        g.close()
        assert g.outcomes is not None and g.outcomes.sent == 0 and g.outcomes.dropped == 3
    # Off means off: nothing posted.
    with proxy(service.url) as p:
        with Guard(p.url, service.agent_key, outcomes=False) as g:
            assert g.session(sid(), "u1").wrap_tool(lambda q: "ok", name="lookup")(1) == "ok"
        assert p.posted("/v1/outcomes") == [] and g.outcomes is None


MALFORMED: dict[str, bytes] = {
    "not-json": b"<html>gateway</html>",
    "a-list": b"[]",
    "a-string": b'"allow"',
    "no-reasons": b'{"decision":"allow"}',
    "unknown-decision": b'{"decision":"yes","reasons":[],"warnings":[],"errors":[]}',
    "args-not-an-object": b'{"decision":"allow","reasons":[],"warnings":[],"errors":[],'
    b'"payload":{"tool":{"name":"lookup","args":"rm -rf /"}}}',
    "reasons-not-objects": b'{"decision":"allow","reasons":[1],"warnings":[],"errors":[]}',
}


@pytest.mark.parametrize("answer", list(MALFORMED.values()), ids=list(MALFORMED))
def test_an_answer_that_is_not_a_decision_fails_closed(service: Service, answer: bytes) -> None:
    def malformed(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        return (200, answer) if path == "/v1/decide" else None

    ran: list[Any] = []
    with proxy(service.url, malformed) as p, Guard(p.url, service.agent_key, retry=FAST, outcomes=False) as g:
        s = g.session(sid(), "u1")
        with pytest.raises(GuardUnavailableError, match="gave no decision"):
            s.wrap_tool(lambda q: ran.append(q), name="lookup")("a")

        async def main() -> None:
            with pytest.raises(GuardUnavailableError):
                await s.wrap_tool(_async_append(ran), name="lookup")("b")
            await g.aclose()

        import asyncio

        asyncio.run(main())
    assert ran == []


def _async_append(ran: list[Any]) -> Any:
    async def lookup(q: str) -> None:
        ran.append(q)

    return lookup


@pytest.mark.parametrize(
    "answer", [b"{}", b'{"status":"APPROVED"}', b"[]", b"<html/>"], ids=["empty", "status", "list", "html"]
)
def test_an_approval_answer_that_is_not_one_never_approves(service: Service, answer: bytes) -> None:
    def malformed(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        return (200, answer) if method == "GET" and path.startswith("/v1/approvals/") else None

    ran: list[int] = []
    with proxy(service.url, malformed) as p, Guard(p.url, service.agent_key, approval_timeout=0.3, outcomes=False) as g:
        refund = g.session(sid(), "u1").wrap_tool(lambda amount: ran.append(amount), name="refund")
        started = time.monotonic()
        with pytest.raises(PolicyDeniedError) as e:
            refund(amount=900)
        # Well under the default 60 s wait: the 0.3 s given holds even for answers that are not one (bound loose for loaded CI).
        assert e.value.denial == "approval_timeout" and time.monotonic() - started < 30
        assert json.loads(json.dumps(e.value.decision))["decision"] == "require_approval"
    assert ran == []


def test_every_outcome_is_within_the_service_bounds(service: Service) -> None:
    # One field out of bounds would have the whole batch refused: each outcome is cut to fit, or
    # dropped (and counted) when it cannot fit.
    from palisade._outcomes import outcome_request

    odd: list[dict[str, Any]] = [
        {"kind": "outcome", "phase": "tool_call", "tool": "t" * 300, "time": 0},  # no usable tool name
        {"kind": "outcome", "phase": "output", "time": 0},  # not a phase the service takes
        {
            "kind": "outcome",
            "phase": "model_call",
            "time": 1.7e12,
            "session": "s" * 201,
            "durationMs": float("nan"),
            "output": "",
            "model": "",
            "error": {"source": "model", "type": "E" * 500, "message": "m" * 5000},
            "tokens": {"input": -1, "output": 3, "cached": 9},
        },
    ]
    assert [outcome_request(e) is None for e in odd] == [True, True, False]
    with proxy(service.url) as p:
        with Guard(p.url, service.agent_key) as g:
            assert g.outcomes is not None
            for e in odd:
                g.outcomes.add(e)
        assert g.outcomes.sent == 1 and g.outcomes.dropped == 2
        (sent,) = p.outcomes()
    assert sent["tokens"] == {"output": 3} and len(sent["error"]["message"]) == 1000
    assert "session" not in sent and "durationMs" not in sent and "output" not in sent and "model" not in sent


def test_outcomes_are_posted_in_the_background_without_close(service: Service) -> None:
    with proxy(service.url) as p, Guard(p.url, service.agent_key) as g:
        tool = g.session(sid(), "u1").wrap_tool(lambda q: "ok", name="lookup")
        assert [tool(i) for i in range(3)] == ["ok"] * 3
        until = time.monotonic() + 20
        while sum(len(e.body["outcomes"]) for e in p.posted("/v1/outcomes")) < 3 and time.monotonic() < until:
            time.sleep(0.05)
        assert [o["tool"] for o in p.outcomes()] == ["lookup"] * 3  # in batches, before close()
