"""The built-in HTTP/1.1 client of plain-HTTP services (src/palisade/_http.py) against a scripted
server on a raw socket: keep-alive, answers cut anywhere, chunked bodies, bodies to the end of
the connection, a kept connection the server closed meanwhile, and answers that are not HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from palisade import Guard, GuardUnavailableError, RetryPolicy
from palisade._http import AsyncHttpPool, HttpError, HttpPool, fast_path_for
from palisade._transport import SyncTransport

OK = b'{"ok":true}'

# An answer: the pieces written one after another, and whether the server closes afterwards.
Answer = tuple[list[bytes], bool]


def reply(body: bytes = OK, *, headers: str = "", close: bool = False) -> Answer:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{headers}\r\n"
    return [head.encode() + body], close


@dataclass
class Scripted:
    """A server answering the n-th request (over all connections) with `script(n)`."""

    script: Callable[[int], Answer]
    sock: socket.socket = field(default_factory=socket.socket)
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def start(self) -> Scripted:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        # A client that gave up (a deadline) closes its end: the rest of the script is dropped.
        with conn, contextlib.suppress(OSError):
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                more = conn.recv(65536)
                if not more:
                    return
                buf += more
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                buf += conn.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + buf[:length])
            buf = buf[length:]
            pieces, close = self.script(len(self.requests) - 1)
            for i, piece in enumerate(pieces):
                if i:
                    time.sleep(0.002)
                conn.sendall(piece)
            if close:
                return


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[int], Answer]], Scripted]]:
    servers: list[Scripted] = []

    def start(script: Callable[[int], Answer]) -> Scripted:
        s = Scripted(script).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop.set()
        s.sock.close()


def pool(url: str, key: str = "k") -> HttpPool:
    fast = fast_path_for(url)
    assert fast is not None
    return HttpPool(*fast, key, 1.0)


def test_one_connection_carries_every_request_and_a_request_is_one_write(serve) -> None:  # type: ignore[no-untyped-def]
    s = serve(lambda n: reply(json.dumps({"n": n}).encode()))
    p = pool(s.url + "/base/", "pal_secret")
    for n in range(3):
        assert p.request("POST", "/v1/decide", b'{"a":1}', 5) == (200, json.dumps({"n": n}).encode())
    assert p.request("GET", "/v1/approvals/x?wait=1", None, 5)[0] == 200
    assert s.connections == 1
    first = s.requests[0].decode()
    assert first.startswith("POST /base/v1/decide HTTP/1.1\r\n")
    assert "authorization: Bearer pal_secret\r\n" in first and "content-length: 7\r\n" in first
    assert first.endswith('\r\n\r\n{"a":1}')
    assert s.requests[3].startswith(b"GET /base/v1/approvals/x?wait=1 HTTP/1.1\r\n")
    assert b"content-length" not in s.requests[3]
    p.close()


def test_answers_cut_anywhere_are_read_whole(serve) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"text": "x" * 200_000}).encode()
    whole = reply(body)[0][0]

    def cut(n: int) -> Answer:
        # Byte by byte through the head, then the body in two pieces; an interim 100 first.
        head_end = whole.index(b"\r\n\r\n") + 4
        pieces = [b"HTTP/1.1 100 Continue\r\n\r\n"] + [whole[i : i + 1] for i in range(head_end)]
        return [*pieces, whole[head_end : head_end + 1000], whole[head_end + 1000 :]], False

    s = serve(cut)
    p = pool(s.url)
    assert p.request("POST", "/x", b"{}", 10) == (200, body)
    assert p.request("POST", "/x", b"{}", 10) == (200, body)
    assert s.connections == 1


def test_chunked_bodies_and_bodies_to_the_end_of_the_connection(serve) -> None:  # type: ignore[no-untyped-def]
    def script(n: int) -> Answer:
        if n == 0:
            return [
                b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"ok',
                b'\r\n7\r\n":true}\r\n0\r\nx-trailer: 1\r\n\r\n',
            ], False
        if n == 1:
            return [b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n", OK], True
        return reply(headers="Connection: close\r\n", close=True)

    s = serve(script)
    p = pool(s.url)
    assert p.request("GET", "/a", None, 5) == (200, OK)
    assert p.request("GET", "/b", None, 5) == (200, OK)  # same connection: the chunked body was read exactly
    assert s.connections == 1
    assert p.request("GET", "/c", None, 5) == (200, OK)  # the last one closed: a new connection
    assert s.connections == 2
    assert p.request("GET", "/d", None, 5) == (200, OK)  # `connection: close` honoured
    assert s.connections == 3


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry(serve) -> None:  # type: ignore[no-untyped-def]
    # The server closes after every answer without saying so (an idle timeout racing the request).
    s = serve(lambda n: ([reply()[0][0]], True))
    # One attempt only: the request goes again on a new connection within that attempt.
    t = SyncTransport(s.url, "k", RetryPolicy(attempts=1, deadline=5))
    for _ in range(3):
        time.sleep(0.05)
        assert t.call("POST", "/v1/decide", b"{}") == {"ok": True}
    assert s.connections == 3
    t.close()


def test_what_is_not_http_is_no_answer(serve) -> None:  # type: ignore[no-untyped-def]
    answers = [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 2x0 OK\r\n\r\n", b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n"]
    s = serve(lambda n: ([answers[n % 3]], True))
    p = pool(s.url)
    for _ in answers:
        with pytest.raises(HttpError):
            p.request("GET", "/", None, 5)
    # A guard reads that as no decision: fail closed.
    with Guard(s.url, "k", retry=RetryPolicy(attempts=2, deadline=2, backoff=0.01)) as g:
        ran: list[int] = []
        with pytest.raises(GuardUnavailableError, match="HttpError"):
            g.session("s", "u").wrap_tool(lambda x: ran.append(x), name="lookup")(1)
        assert ran == []


def test_a_trickling_answer_is_cut_off_at_the_deadline(serve) -> None:  # type: ignore[no-untyped-def]
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n"
    s = serve(lambda n: ([head] + [b"x"] * 90, False))  # a dribble that never completes
    p = pool(s.url)
    started = time.monotonic()
    with pytest.raises(HttpError, match="timed out"):
        p.request("GET", "/", None, 0.1)
    assert time.monotonic() - started < 0.4


def test_async_pool_keeps_alive_reads_chunks_and_replaces_closed_connections(serve) -> None:  # type: ignore[no-untyped-def]
    def script(n: int) -> Answer:
        if n == 1:
            return [b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", b"b\r\n" + OK + b"\r\n0\r\n\r\n"], False
        return reply(close=n == 2)

    s = serve(script)

    async def main() -> None:
        fast = fast_path_for(s.url)
        assert fast is not None
        p = AsyncHttpPool(*fast, "k", 1.0)
        assert await p.request("POST", "/a", b"{}", 5) == (200, OK)
        assert await p.request("GET", "/b", None, 5) == (200, OK)
        assert s.connections == 1
        assert await p.request("GET", "/c", None, 5) == (200, OK)  # the server closes after this one
        await asyncio.sleep(0.05)
        assert await p.request("GET", "/d", None, 5) == (200, OK)
        assert s.connections == 2
        await p.aclose()

    asyncio.run(main())


def test_tls_and_proxies_go_through_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fast_path_for("https://palisade.internal") is None
    assert fast_path_for("http://127.0.0.1:7878/p/") == ("127.0.0.1", 7878, "/p")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    assert fast_path_for("http://palisade.internal:7878") is None
    monkeypatch.setenv("NO_PROXY", "palisade.internal")
    assert fast_path_for("http://palisade.internal:7878") == ("palisade.internal", 7878, "")
