"""A tool that raises (or reports an error) is `failed` in the service's session history before
the SDK re-raises: the session's next decision reads it, whichever adapter ran the tool; a
service that cannot take the settlement holds the session's next decision (fail closed)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from palisade import Guard, GuardUnavailableError, PolicyDeniedError, RetryPolicy

from .proxy import proxy
from .service import Service

FAST = RetryPolicy(deadline=1.0, attempts=2, backoff=0.01)


def sid() -> str:
    return f"s-{uuid.uuid4().hex}"


def outcomes(s: object) -> list[str]:
    d = s.decide("tool_call", {"tool": {"name": "lookup", "args": {}}}, payload="history")  # type: ignore[attr-defined]
    return [c["outcome"] for c in d["payload"]["session"]["calls"]]


def broken(q: str) -> str:
    raise ConnectionResetError("card 4111 1111 1111 1111 went away")


def test_a_tool_that_raises_is_failed_before_the_error_reaches_the_caller(service: Service) -> None:
    conv = sid()
    with proxy(service.url) as p, Guard(p.url, service.agent_key, outcomes=False) as g, g.session(conv, "u1") as s:
        pay = s.wrap_tool(lambda amount: "paid", name="pay")
        assert pay(1) == "paid", "nothing failed yet"
        with pytest.raises(ConnectionResetError):
            s.wrap_tool(broken, name="lookup")("a")
        # Settled synchronously, before the re-raise: the very next decision reads it.
        sent = p.posted("/v1/settlements")
        assert len(sent) == 1 and sent[0].status == 200
        assert sent[0].body == {
            "session": conv,
            "call_seq": 1,
            "outcome": "failed",
            "error": {"type": "ConnectionResetError"},
        }
        with pytest.raises(PolicyDeniedError) as denied:
            pay(2)
        assert denied.value.decision["reasons"][0]["rule"] == "pytest.after_failure"
        assert outcomes(s) == ["executed", "failed", "denied"]


def test_an_async_tool_and_a_result_reporting_an_error_are_failed(service: Service) -> None:
    conv = sid()

    async def aboom(q: str) -> str:
        raise ValueError("no")

    async def main() -> list[str]:
        async with Guard(service.url, service.agent_key, outcomes=False) as g, g.session(conv, "u1") as s:
            with pytest.raises(ValueError):
                await s.wrap_tool(aboom, name="lookup")("a")
            # What every adapter does with a result that reports an error (MCP isError, LangChain status "error").
            ran = await s.aenforce("tool_call", {"tool": {"name": "lookup", "args": {}}})
            s.tool_outcome("lookup", ran, time.perf_counter(), size=0, is_error=True)
            d = await s.adecide("tool_call", {"tool": {"name": "lookup", "args": {}}}, payload="history")
            return [c["outcome"] for c in d["payload"]["session"]["calls"]]

    assert asyncio.run(main()) == ["failed", "failed"]


def test_a_settlement_the_service_cannot_take_holds_the_session_until_it_can(service: Service) -> None:
    conv, other = sid(), sid()
    down = {"on": True}

    def refuse(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        if path == "/v1/settlements" and down["on"]:
            return 503, b'{"error":{"code":"service/unavailable","message":"store down"}}'
        return None

    with proxy(service.url, refuse) as p, Guard(p.url, service.agent_key, retry=FAST, outcomes=False) as g:
        s = g.session(conv, "u1")
        with pytest.raises(ConnectionResetError):
            s.wrap_tool(broken, name="lookup")("a")  # the tool's own error, never the guard's
        # The session's next decision would read the failed call as executed: refused, and says why.
        with pytest.raises(GuardUnavailableError) as held:
            s.wrap_tool(lambda amount: "paid", name="pay")(1)
        assert "failed" in str(held.value)
        # Another conversation is not held.
        assert g.session(other, "u2").wrap_tool(lambda amount: "paid", name="pay")(1) == "paid"
        down["on"] = False
        # Once the service takes it, the next decision sends it first and decides on the true history.
        with pytest.raises(PolicyDeniedError) as denied:
            s.wrap_tool(lambda amount: "paid", name="pay")(1)
        assert denied.value.decision["reasons"][0]["rule"] == "pytest.after_failure"
        assert [e.status for e in p.posted("/v1/settlements")][-1] == 200
        assert outcomes(s) == ["failed", "denied"], "the held decision never reached the service"
