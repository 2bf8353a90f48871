"""HTTP to the decision service, sync and async over one set of rules: what is retried, for how
long, and what an answer means. Every attempt is bounded by what is left of the deadline, so a
slow service costs at most the deadline, never a socket's default timeout."""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from ._http import AsyncHttpPool, HttpError, HttpPool, fast_path_for
from .errors import ServiceError

# Statuses a later attempt may get past: the service stopping or overloaded, a session that
# kept changing under the decision, a rate limit.
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# A 409 that no later attempt gets past: a call settled otherwise already.
_FINAL_CODES = frozenset({"session/already-settled"})


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


_DECODER = json.JSONDecoder()


def _interpret(status: int, content: bytes) -> Any:
    """The parsed body of a 2xx (202 for outcomes), a `_Retry` for a failure a later attempt may get past, or a
    `ServiceError` raised for a refusal of the request itself."""
    if 200 <= status < 300:
        try:
            return _DECODER.decode(content.decode())
        except ValueError:
            return _Retry(f"the service answered {status} with a body that is not JSON")
    code, message, path = "http/" + str(status), content[:200].decode("utf-8", "replace"), None
    try:
        err = json.loads(content)["error"]
        code, message, path = str(err["code"]), str(err["message"]), err.get("path")
    except (ValueError, KeyError, TypeError):
        pass
    if status in _RETRYABLE_STATUS and code not in _FINAL_CODES:
        return _Retry(f"{status} {code}: {message}")
    raise ServiceError(status, code, message, path)


def _timeout(policy: RetryPolicy, remaining: float, extra: float) -> httpx.Timeout:
    return httpx.Timeout(remaining + extra, connect=min(policy.connect_timeout, remaining))


def _pause(policy: RetryPolicy, attempt: int, remaining: float) -> float:
    pause: float = min(policy.backoff * float(2**attempt), policy.max_backoff, remaining)
    return max(0.0, pause)


def _headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "content-type": "application/json", "accept": "application/json"}


@dataclass(frozen=True, slots=True)
class _Pause:
    seconds: float


# Yields the seconds left for an attempt (the driver sends back `(status, body)`, or what the
# attempt met instead: a refused connection, a timeout) or a `_Pause`; returns the answer or
# raises Unavailable / ServiceError.
Attempts = Generator["float | _Pause", "tuple[int, bytes] | str | None", Any]


def _attempts(policy: RetryPolicy, deadline: float | None) -> Attempts:
    """The retry rules, once for both transports: tries within `deadline` seconds (the policy's
    by default), each bounded by what is left of it, with backoff between them."""
    until = time.monotonic() + (deadline if deadline is not None else policy.deadline)
    last = "no attempt was made"
    for attempt in range(policy.attempts):
        remaining = until - time.monotonic()
        if remaining <= 0:
            break
        answer = yield remaining
        if isinstance(answer, tuple):
            out = _interpret(*answer)
            if not isinstance(out, _Retry):
                return out
            answer = out.why
        last = str(answer)
        if attempt + 1 < policy.attempts:
            yield _Pause(_pause(policy, attempt, until - time.monotonic()))
    raise Unavailable(last)


class SyncTransport:
    """Keep-alive connections to one service, for threads: the built-in HTTP/1.1 client for
    plain `http://` (`_http.py`), httpx for TLS, proxies, or a client the application gave."""

    def __init__(self, url: str, key: str, policy: RetryPolicy, client: httpx.Client | None = None) -> None:
        self.policy = policy
        fast = fast_path_for(url) if client is None else None
        self._pool = HttpPool(*fast, key, policy.connect_timeout) if fast is not None else None
        self._client: httpx.Client | None = None
        if self._pool is None:
            self._client = client or httpx.Client(base_url=url, headers=_headers(key))
            if client is not None:
                self._client.headers.update(_headers(key))

    def _send(self, method: str, path: str, body: bytes | None, remaining: float, extra: float) -> tuple[int, bytes]:
        if self._pool is not None:
            return self._pool.request(method, path, body, remaining + extra)
        assert self._client is not None
        r = self._client.request(method, path, content=body, timeout=_timeout(self.policy, remaining, extra))
        return r.status_code, r.content

    def call(
        self, method: str, path: str, body: bytes | None, *, deadline: float | None = None, extra: float = 0.0
    ) -> Any:
        """One request, retried within `deadline` seconds (the policy's by default); `extra`
        lengthens each attempt's read timeout (a long-poll)."""
        flow = _attempts(self.policy, deadline)
        answer: tuple[int, bytes] | str | None = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as done:
                return done.value
            answer = None
            if isinstance(step, _Pause):
                time.sleep(step.seconds)
                continue
            try:
                answer = self._send(method, path, body, step, extra)
            except (HttpError, httpx.TransportError) as e:
                answer = f"{type(e).__name__}: {e}"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._client is not None:
            self._client.close()


class AsyncTransport:
    """Keep-alive pools to one service for coroutines: one per event loop, since a connection
    belongs to the loop that opened it."""

    def __init__(self, url: str, key: str, policy: RetryPolicy) -> None:
        self.policy = policy
        self._url = url
        self._key = key
        self._fast = fast_path_for(url)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncHttpPool | httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def _pool(self) -> AsyncHttpPool | httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        c = self._pools.get(loop)
        if c is None:
            if self._fast is not None:
                c = AsyncHttpPool(*self._fast, self._key, self.policy.connect_timeout)
            else:
                c = httpx.AsyncClient(base_url=self._url, headers=_headers(self._key))
            self._pools[loop] = c
        return c

    async def call(
        self, method: str, path: str, body: bytes | None, *, deadline: float | None = None, extra: float = 0.0
    ) -> Any:
        """As `SyncTransport.call`, awaiting."""
        pool = self._pool()
        flow = _attempts(self.policy, deadline)
        answer: tuple[int, bytes] | str | None = None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as done:
                return done.value
            answer = None
            if isinstance(step, _Pause):
                await asyncio.sleep(step.seconds)
                continue
            try:
                answer = await self._send(pool, method, path, body, step, extra)
            except (HttpError, httpx.TransportError, asyncio.TimeoutError) as e:
                answer = f"{type(e).__name__}: {e}"

    async def _send(
        self,
        pool: AsyncHttpPool | httpx.AsyncClient,
        method: str,
        path: str,
        body: bytes | None,
        remaining: float,
        extra: float,
    ) -> tuple[int, bytes]:
        if isinstance(pool, AsyncHttpPool):
            return await pool.request(method, path, body, remaining + extra)
        # The deadline holds even where a timeout cannot (a stalled TLS handshake, a DNS wait).
        r = await asyncio.wait_for(
            pool.request(method, path, content=body, timeout=_timeout(self.policy, remaining, extra)),
            remaining + extra,
        )
        return r.status_code, r.content

    async def aclose(self) -> None:
        """Closes the current loop's pool (others close with their loops)."""
        loop = asyncio.get_running_loop()
        c = self._pools.pop(loop, None)
        if c is not None:
            await c.aclose()
