"""A small HTTP/1.1 keep-alive client for plain-HTTP services (a sidecar on loopback, a service
inside the cluster): the decision path's two round trips per guarded call are most of what a
guard costs in the agent's process, and a general-purpose client (httpx: URL models, header
validation, event machinery, per-request timeouts objects) spends several times the socket's own
cost on each. This one writes each request in one `send` from bytes prepared once per pool
(request line prefix, host, key, content type), reads the answer with one `recv` in the common
case, and understands exactly what the service sends: a status, `content-length` or chunked
bodies, `connection: close`. TLS and proxies stay with httpx (`_transport.py` picks).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
import weakref
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass

# An idle connection older than this is not reused: servers close idle keep-alive connections
# (Node's default after 5 s), and a request written into a closing socket is lost.
_MAX_IDLE_S = 4.0
_RECV = 65536
_MAX_HEAD = 64 * 1024

T = TypeVar("T")


class HttpError(Exception):
    """The exchange failed on the way (refused, reset, timed out, malformed); nothing was answered."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        # True when a reused connection failed before a single byte of an answer came back: the
        # server closed it meanwhile, so the request may go again at once on a new connection.
        self.stale = stale


def fast_path_for(url: str) -> tuple[str, int, str] | None:
    """(host, port, path prefix) when `url` can be served here: plain `http://`, no proxy
    configured for it in the environment; None sends the guard through httpx."""
    u = urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        return None
    proxies = getproxies_environment()
    if ("http" in proxies or "all" in proxies) and not proxy_bypass(u.hostname):
        return None
    return u.hostname, u.port or 80, u.path.rstrip("/")


def _request_head(host: str, port: int, key: str) -> bytes:
    host_header = host if port == 80 else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == 80 else f"[{host}]:{port}"
    return (
        f" HTTP/1.1\r\nhost: {host_header}\r\nauthorization: Bearer {key}\r\n"
        "accept: application/json\r\nuser-agent: palisade-guard-python\r\n"
    ).encode("latin-1")


def _header(lower_head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` (given as b"\r\nname:") in a lower-cased head; None when absent."""
    at = lower_head.find(name)
    if at < 0:
        return None
    start = at + len(name)
    end = lower_head.find(b"\r\n", start)
    return lower_head[start : end if end >= 0 else len(lower_head)].strip()


def _parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """(status, content length, chunked, close) of a response head (without the blank line)."""
    if not head.startswith(b"HTTP/1.") or len(head) < 12 or head[12:13] not in (b" ", b"\r", b""):
        raise HttpError(f"not an HTTP/1.1 answer: {head[:60]!r}")
    try:
        status = int(head[9:12])
    except ValueError:
        raise HttpError(f"not an HTTP/1.1 answer: {head[:60]!r}") from None
    lower = head.lower()
    length: int | None = None
    value = _header(lower, b"\r\ncontent-length:")
    if value is not None:
        if not value.isdigit():
            raise HttpError(f"bad content-length {value[:40]!r}")
        length = int(value)
    encoding = _header(lower, b"\r\ntransfer-encoding:")
    chunked = encoding is not None and b"chunked" in encoding
    connection = _header(lower, b"\r\nconnection:") or b""
    close = b"close" in connection or (head.startswith(b"HTTP/1.0") and b"keep-alive" not in connection)
    return status, length, chunked, close


def _chunked_body(buf: bytes) -> tuple[bytes, int] | None:
    """(body, bytes used) of a complete chunked body at the start of `buf`; None when more is needed."""
    parts: list[bytes] = []
    at = 0
    while True:
        eol = buf.find(b"\r\n", at)
        if eol < 0:
            return None
        size_text = buf[at:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError(f"bad chunk size {size_text[:20]!r}") from None
        at = eol + 2
        if size == 0:
            # Trailers, if any, end with an empty line.
            end = buf.find(b"\r\n", at)
            while end >= 0 and end != at:
                at = end + 2
                end = buf.find(b"\r\n", at)
            if end < 0:
                return None
            return b"".join(parts), end + 2
        if len(buf) < at + size + 2:
            return None
        parts.append(buf[at : at + size])
        at += size + 2


# The answer's reader, once for both pools: it yields whether the end of the connection would be
# a fine end of the answer (a body without a length) and is sent the next bytes read (b"" at the
# end); it returns (status, body, reusable), reusable when the connection may carry another
# request (not `connection: close`, nothing read past the answer).
Reading = Generator[bool, bytes, tuple[int, bytes, bool]]


def _reading() -> Reading:
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            status, length, chunked, close = _parse_head(buf[:end])
            buf = buf[end + 4 :]
            if 100 <= status < 200:
                continue
            break
        if len(buf) > _MAX_HEAD:
            raise HttpError("the answer's head is too long")
        buf += yield False
    if chunked:
        while (done := _chunked_body(buf)) is None:
            buf += yield False
        body, used = done
        buf = buf[used:]
    elif length is not None:
        while len(buf) < length:
            buf += yield False
        body, buf = buf[:length], buf[length:]
    else:
        # No length: the body runs to the end of the connection.
        close = True
        chunks = [buf]
        while chunk := (yield True):
            chunks.append(chunk)
        body, buf = b"".join(chunks), b""
    return status, body, not close and not buf


class _Pool:
    """What both pools prepare once: the address and each request's fixed bytes."""

    def __init__(self, host: str, port: int, prefix: str, key: str, connect_timeout: float) -> None:
        self._addr = (host, port)
        self._prefix = prefix.encode("latin-1")
        self._head = _request_head(host, port, key)
        self._json_head = self._head + b"content-type: application/json\r\n"
        self._connect_timeout = connect_timeout

    def _request(self, method: str, path: str, body: bytes | None) -> bytes:
        """The request in one piece, written with one `send`."""
        if body is None:
            return b"%s %s%s%s\r\n" % (method.encode(), self._prefix, path.encode(), self._head)
        return b"%s %s%s%scontent-length: %d\r\n\r\n%s" % (
            method.encode(),
            self._prefix,
            path.encode(),
            self._json_head,
            len(body),
            body,
        )


class _Conn:
    __slots__ = ("idle_since", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.idle_since = 0.0


class HttpPool(_Pool):
    """Keep-alive connections to one `host:port`, shared by threads (a connection is used by one
    request at a time: taken from the idle stack, given back when the answer was read whole)."""

    def __init__(self, host: str, port: int, prefix: str, key: str, connect_timeout: float) -> None:
        super().__init__(host, port, prefix, key, connect_timeout)
        self._idle: deque[_Conn] = deque()
        self._closed = False
        _pools.add(self)

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
        """One exchange within `timeout` seconds: (status, body). Raises HttpError."""
        until = time.monotonic() + timeout
        data = self._request(method, path, body)
        conn, reused = self._take(until)
        try:
            return self._exchange(conn, data, until, reused)
        except HttpError as e:
            if not e.stale:
                raise
        # The kept connection had been closed by the server: once more on a new one.
        conn, _ = self._connect(until), False
        return self._exchange(conn, data, until, False)

    def _take(self, until: float) -> tuple[_Conn, bool]:
        now = time.monotonic()
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                return self._connect(until), False
            if now - conn.idle_since < _MAX_IDLE_S:
                return conn, True
            _close(conn.sock)

    def _connect(self, until: float) -> _Conn:
        left = until - time.monotonic()
        if left <= 0:
            raise HttpError("timed out before connecting")
        try:
            sock = socket.create_connection(self._addr, timeout=min(left, self._connect_timeout))
        except OSError as e:
            raise HttpError(f"{type(e).__name__}: {e}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Conn(sock)

    def _exchange(self, conn: _Conn, data: bytes, until: float, reused: bool) -> tuple[int, bytes]:
        sock = conn.sock
        got_any = False
        reading = _reading()
        try:
            sock.settimeout(max(0.001, until - time.monotonic()))
            sock.sendall(data)
            eof_ok = next(reading)
            while True:
                chunk = self._recv(sock, until, eof_ok)
                got_any = True
                eof_ok = reading.send(chunk)
        except StopIteration as done:
            status, body, reusable = done.value
        except HttpError as e:
            _close(sock)
            if reused and not got_any:
                e.stale = True
            raise
        except OSError as e:
            _close(sock)
            raise HttpError(f"{type(e).__name__}: {e}", stale=reused and not got_any) from None
        if not reusable or self._closed:
            _close(sock)
        else:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        return status, body

    @staticmethod
    def _recv(sock: socket.socket, until: float, eof_ok: bool = False) -> bytes:
        left = until - time.monotonic()
        if left <= 0:
            raise HttpError("timed out waiting for the answer")
        sock.settimeout(left)
        try:
            chunk = sock.recv(_RECV)
        except TimeoutError:
            raise HttpError("timed out waiting for the answer") from None
        if not chunk and not eof_ok:
            raise HttpError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self._closed = True
        self.drop()

    def drop(self) -> None:
        """Forgets every idle connection (closing it)."""
        while self._idle:
            try:
                _close(self._idle.pop().sock)
            except IndexError:
                break


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class AsyncHttpPool(_Pool):
    """As `HttpPool` for one event loop, over asyncio streams."""

    def __init__(self, host: str, port: int, prefix: str, key: str, connect_timeout: float) -> None:
        super().__init__(host, port, prefix, key, connect_timeout)
        self._idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = deque()

    async def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
        data = self._request(method, path, body)
        until = time.monotonic() + timeout
        reader, writer, reused = await self._take(until)
        try:
            return await _within(self._exchange(reader, writer, data, reused), until)
        except HttpError as e:
            if not e.stale:
                raise
        reader, writer, _ = await self._take(until, fresh=True)
        return await _within(self._exchange(reader, writer, data, False), until)

    async def _take(self, until: float, fresh: bool = False) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        now = time.monotonic()
        while self._idle and not fresh:
            reader, writer, since = self._idle.pop()
            if now - since < _MAX_IDLE_S and not reader.at_eof():
                return reader, writer, True
            writer.close()
        left = until - now
        if left <= 0:
            raise HttpError("timed out before connecting")
        try:
            reader, writer = await _within(
                asyncio.open_connection(*self._addr), min(until, now + self._connect_timeout)
            )
        except OSError as e:
            raise HttpError(f"{type(e).__name__}: {e}") from None
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer, False

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes, reused: bool
    ) -> tuple[int, bytes]:
        got_any = False
        reading = _reading()
        try:
            writer.write(data)
            eof_ok = next(reading)
            while True:
                chunk = await reader.read(_RECV)
                if not chunk and not eof_ok:
                    raise HttpError("the server closed the connection", stale=reused and not got_any)
                got_any = True
                eof_ok = reading.send(chunk)
        except StopIteration as done:
            status, body, reusable = done.value
        except HttpError:
            writer.close()
            raise
        except OSError as e:
            writer.close()
            raise HttpError(f"{type(e).__name__}: {e}", stale=reused and not got_any) from None
        except BaseException:
            # Cancelled or timed out mid-exchange: the connection's state is unknown.
            writer.close()
            raise
        if reusable:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, body

    async def aclose(self) -> None:
        while self._idle:
            _, writer, _ = self._idle.pop()
            writer.close()


async def _within(aw: Coroutine[Any, Any, T], until: float) -> T:
    """Awaits `aw` until the monotonic time `until` (HttpError past it)."""
    left = until - time.monotonic()
    if left <= 0:
        aw.close()
        raise HttpError("timed out")
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(left):
                return await aw
        return await asyncio.wait_for(aw, left)
    except (TimeoutError, asyncio.TimeoutError):
        raise HttpError("timed out") from None


# A forked child must not talk over its parent's sockets: every pool forgets its connections there.
_pools: weakref.WeakSet[HttpPool] = weakref.WeakSet()


def _after_fork() -> None:
    for p in list(_pools):
        p._idle.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
