"""Failure behaviour: a service that is unreachable, slow, frozen or failing gets no action run
before its decision; the guard fails closed within its deadline unless `on_unavailable="allow"`;
retries get past transient failures."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
import pytest

from palisade import Guard, GuardUnavailableError, PolicyDeniedError, RetryPolicy

from .proxy import proxy
from .service import Service

FAST = RetryPolicy(deadline=0.6, attempts=3, backoff=0.01)
# Room for a loaded machine's real service; a failing answer is still given up on after 3 tries.
SURE = RetryPolicy(deadline=20.0, attempts=3, backoff=0.01)


def closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts connections and never answers (a hung or overloaded service)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        s.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(s.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}"
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        s.close()


@pytest.mark.parametrize("where", ["unreachable", "silent"])
def test_no_decision_means_no_action_within_the_deadline(where: str, silent: str) -> None:
    url = closed_port() if where == "unreachable" else silent
    ran: list[int] = []
    with Guard(url, "pal_x", retry=FAST) as g:
        tool = g.session("s", "u").wrap_tool(lambda x: ran.append(x), name="lookup")
        started = time.monotonic()
        with pytest.raises(GuardUnavailableError) as e:
            tool(1)
        elapsed = time.monotonic() - started
    assert ran == []
    assert elapsed < FAST.deadline + 0.5, elapsed
    assert e.value.denial == "unavailable"
    assert e.value.decision["reasons"][0]["rule"] == "palisade.service_unavailable"
    assert isinstance(e.value, PolicyDeniedError)


def test_async_tools_fail_closed_within_the_deadline(silent: str) -> None:
    ran: list[int] = []

    async def main() -> float:
        async with Guard(silent, "pal_x", retry=FAST) as g:

            async def lookup(x: int) -> None:
                ran.append(x)

            tool = g.session("s", "u").wrap_tool(lookup)
            started = time.monotonic()
            with pytest.raises(GuardUnavailableError):
                await tool(1)
            return time.monotonic() - started

    assert asyncio.run(main()) < FAST.deadline + 0.5
    assert ran == []


def test_on_deny_message_tells_the_model_the_service_is_down() -> None:
    with Guard(closed_port(), "pal_x", retry=FAST, on_deny="message") as g:
        out = g.session("s", "u").wrap_tool(lambda x: "ran", name="lookup")(1)
    assert out.startswith("blocked by policy: the Palisade service gave no decision")


def test_a_frozen_real_service_fails_closed_and_recovers(service: Service) -> None:
    ran: list[int] = []
    conv = f"s-{uuid.uuid4().hex}"
    with Guard(service.url, service.agent_key, retry=FAST) as g:
        tool = g.session(conv, "u").wrap_tool(lambda x: ran.append(x) or "ok", name="lookup")
        assert tool(1) == "ok"  # the keep-alive connection is open
        service.pause()
        try:
            with pytest.raises(GuardUnavailableError):
                tool(2)
        finally:
            service.resume()
    with Guard(service.url, service.agent_key, retry=RetryPolicy(deadline=30)) as g:
        assert g.session(conv, "u").wrap_tool(lambda x: ran.append(x) or "ok", name="lookup")(3) == "ok"
    assert ran == [1, 3]


def test_on_unavailable_allow_runs_unchecked_and_says_so() -> None:
    events: list[dict[str, Any]] = []
    with Guard(closed_port(), "pal_x", retry=FAST, on_unavailable="allow", telemetry=events.append) as g:
        seen: list[int] = []
        assert (
            g.session("s", "u").wrap_tool(lambda limit: seen.append(limit) or "ran", name="search")(limit=50) == "ran"
        )
        assert seen == [50]  # as given: nothing decided it
        assert g.unchecked == 2  # the call and its result
    assert [e["kind"] for e in events if e["kind"] == "unchecked"] == ["unchecked", "unchecked"]


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first `fail` requests, then forwards to the real service."""

    fail = 0
    upstream = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if _Flaky.fail > 0:
            _Flaky.fail -= 1
            self.send_response(503)
            self.send_header("content-type", "application/json")
            payload = b'{"error":{"code":"audit/unavailable","message":"the audit store is failing"}}'
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        r = httpx.post(
            _Flaky.upstream + self.path,
            content=body,
            headers={"authorization": self.headers["authorization"], "content-type": "application/json"},
        )
        self.send_response(r.status_code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(r.content)))
        self.end_headers()
        self.wfile.write(r.content)

    def log_message(self, *args: Any) -> None:
        pass


def test_transient_failures_are_retried_within_the_deadline(service: Service) -> None:
    _Flaky.upstream = service.url
    _Flaky.fail = 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with Guard(url, service.agent_key, retry=RetryPolicy(deadline=30, attempts=3, backoff=0.01)) as g:
            s = g.session(f"s-{uuid.uuid4().hex}", "u")
            assert s.decide("tool_call", {"tool": {"name": "lookup", "args": {}}})["decision"] == "allow"
            _Flaky.fail = 5  # more failures than attempts: fail closed
            with pytest.raises(GuardUnavailableError, match="503 audit/unavailable"):
                s.decide("tool_call", {"tool": {"name": "lookup", "args": {}}})
    finally:
        server.shutdown()


def test_retry_policy_and_options_are_checked() -> None:
    from palisade import GuardConfigError

    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(deadline=0)
    with pytest.raises(GuardConfigError):
        Guard("http://127.0.0.1:1", "k", mode="audit")  # type: ignore[arg-type]
    with pytest.raises(GuardConfigError):
        Guard("http://127.0.0.1:1", "k", on_unavailable="maybe")  # type: ignore[arg-type]
    with pytest.raises(GuardConfigError, match="PALISADE_KEY"):
        Guard("http://127.0.0.1:1", "")


@pytest.mark.parametrize("on_unavailable", ["deny", "allow"])
def test_an_approval_the_service_cannot_record_does_not_run(
    service: Service, on_unavailable: Literal["deny", "allow"]
) -> None:
    def down(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        failing = b'{"error":{"code":"audit/unavailable","message":"the audit store is failing"}}'
        return (503, failing) if path.endswith("/answered") else None

    refund = {"tool": {"name": "refund", "args": {"amount": 900}}}
    with proxy(service.url, down) as p, Guard(p.url, service.agent_key, retry=SURE, on_unavailable=on_unavailable) as g:
        s = g.session(f"s-{uuid.uuid4().hex}", "u")
        step = s.step("tool_call", refund)
        assert step.asking is not None
        if on_unavailable == "deny":
            # The framework's human said yes, but nobody can record it: the action does not happen.
            with pytest.raises(GuardUnavailableError):
                step.answer({"approved": True, "by": "joe"})
        else:
            assert step.answer(True).unchecked and g.unchecked == 1
        # A refusal that cannot be filed refuses all the same.
        with pytest.raises(PolicyDeniedError, match="approval refused by joe"):
            s.step("tool_call", refund).answer({"approved": False, "by": "joe"})
        assert len(p.posted(f"/v1/approvals/{step.decision['approval']['id']}/answered")) >= 1
