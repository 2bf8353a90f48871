"""HTTP to the decision service, sync and async over one set of rules: what is retried, for how
long, and what an answer means. Every attempt is bounded by what is left of the deadline, so a
slow service costs at most the deadline, never a socket's default timeout."""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import ServiceError

# Statuses a later attempt may get past: the service stopping or overloaded, a session that
# kept changing under the decision, a rate limit.
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a guard tries to get a decision before it fails closed.

    `deadline` bounds one decision, all attempts and pauses included (seconds); `attempts` caps
    the tries; the pause before try n+1 is `backoff * 2**n`, at most `max_backoff`.
    """

    attempts: int = 4
    deadline: float = 2.0
    backoff: float = 0.02
    max_backoff: float = 0.5
    connect_timeout: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if not self.deadline > 0:
            raise ValueError("RetryPolicy.deadline must be a positive number of seconds")


class Unavailable(Exception):
    """No answer within the deadline; `str()` says what the last attempt met."""


class _Retry:
    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _interpret(r: httpx.Response) -> Any:
    """The parsed body of a 200, a `_Retry` for a failure a later attempt may get past, or a
    `ServiceError` raised for a refusal of the request itself."""
    if r.status_code == 200:
        try:
            return json.loads(r.content)
        except ValueError:
            return _Retry("the service answered 200 with a body that is not JSON")
    code, message, path = "http/" + str(r.status_code), r.text[:200], None
    try:
        err = json.loads(r.content)["error"]
        code, message, path = str(err["code"]), str(err["message"]), err.get("path")
    except (ValueError, KeyError, TypeError):
        pass
    if r.status_code in _RETRYABLE_STATUS:
        return _Retry(f"{r.status_code} {code}: {message}")
    raise ServiceError(r.status_code, code, message, path)


def _timeout(policy: RetryPolicy, remaining: float, extra: float) -> httpx.Timeout:
    return httpx.Timeout(remaining + extra, connect=min(policy.connect_timeout, remaining))


def _pause(policy: RetryPolicy, attempt: int, remaining: float) -> float:
    pause: float = min(policy.backoff * float(2**attempt), policy.max_backoff, remaining)
    return max(0.0, pause)


def _headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "content-type": "application/json", "accept": "application/json"}


class SyncTransport:
    """A keep-alive connection pool to one service, for threads."""

    def __init__(self, url: str, key: str, policy: RetryPolicy, client: httpx.Client | None = None) -> None:
        self.policy = policy
        self._client = client or httpx.Client(base_url=url, headers=_headers(key))
        if client is not None:
            self._client.headers.update(_headers(key))

    def call(
        self, method: str, path: str, body: bytes | None, *, deadline: float | None = None, extra: float = 0.0
    ) -> Any:
        """One request, retried within `deadline` seconds (the policy's by default); `extra`
        lengthens each attempt's read timeout (a long-poll)."""
        p = self.policy
        until = time.monotonic() + (deadline if deadline is not None else p.deadline)
        last = "no attempt was made"
        for attempt in range(p.attempts):
            remaining = until - time.monotonic()
            if remaining <= 0:
                break
            try:
                r = self._client.request(method, path, content=body, timeout=_timeout(p, remaining, extra))
            except httpx.TransportError as e:
                last = f"{type(e).__name__}: {e}"
            else:
                out = _interpret(r)
                if not isinstance(out, _Retry):
                    return out
                last = out.why
            if attempt + 1 < p.attempts:
                time.sleep(_pause(p, attempt, until - time.monotonic()))
        raise Unavailable(last)

    def close(self) -> None:
        self._client.close()


class AsyncTransport:
    """Keep-alive pools to one service for coroutines: one per event loop, since a connection
    belongs to the loop that opened it."""

    def __init__(self, url: str, key: str, policy: RetryPolicy) -> None:
        self.policy = policy
        self._url = url
        self._key = key
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        c = self._clients.get(loop)
        if c is None:
            c = httpx.AsyncClient(base_url=self._url, headers=_headers(self._key))
            self._clients[loop] = c
        return c

    async def call(
        self, method: str, path: str, body: bytes | None, *, deadline: float | None = None, extra: float = 0.0
    ) -> Any:
        """As `SyncTransport.call`, awaiting."""
        p = self.policy
        client = self._client()
        until = time.monotonic() + (deadline if deadline is not None else p.deadline)
        last = "no attempt was made"
        for attempt in range(p.attempts):
            remaining = until - time.monotonic()
            if remaining <= 0:
                break
            try:
                # The deadline holds even where a timeout cannot (a stalled TLS handshake, a DNS wait).
                r = await asyncio.wait_for(
                    client.request(method, path, content=body, timeout=_timeout(p, remaining, extra)),
                    remaining + extra,
                )
            except (httpx.TransportError, asyncio.TimeoutError) as e:
                last = f"{type(e).__name__}: {e}"
            else:
                out = _interpret(r)
                if not isinstance(out, _Retry):
                    return out
                last = out.why
            if attempt + 1 < p.attempts:
                await asyncio.sleep(_pause(p, attempt, until - time.monotonic()))
        raise Unavailable(last)

    async def aclose(self) -> None:
        """Closes the current loop's pool (others close with their loops)."""
        loop = asyncio.get_running_loop()
        c = self._clients.pop(loop, None)
        if c is not None:
            await c.aclose()
