"""A loopback HTTP proxy in front of a real `palisade serve`: it records every exchange (what the
SDK sent, what the service answered) and can answer some requests itself (a malformed or failing
service), so the tests see the wire without a mock of the service."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Answer = tuple[int, bytes]
Rewrite = Callable[[str, str, bytes], Answer | None]
"""(method, path, body) -> the proxy's own answer, or None to forward to the service."""


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    answer: Any


@dataclass
class Proxy:
    url: str
    seen: list[Exchange] = field(default_factory=list)

    def posted(self, path: str) -> list[Exchange]:
        return [e for e in self.seen if e.method == "POST" and e.path == path]

    def outcomes(self) -> list[dict[str, Any]]:
        """Every outcome posted to /v1/outcomes that the service accepted (202)."""
        out: list[dict[str, Any]] = []
        for e in self.posted("/v1/outcomes"):
            assert e.status == 202, e
            assert e.answer["accepted"] == len(e.body["outcomes"]), e
            out.extend(e.body["outcomes"])
        return out

    def decision_ids(self) -> set[str]:
        return {e.answer["id"] for e in self.posted("/v1/decide") if isinstance(e.answer, dict) and "id" in e.answer}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


@contextmanager
def proxy(upstream: str, rewrite: Rewrite | None = None) -> Iterator[Proxy]:
    target = urlsplit(upstream)
    lock = threading.Lock()
    p = Proxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n) if n else b""
            own = rewrite(self.command, self.path, body) if rewrite else None
            if own is not None:
                status, raw = own
            else:
                c = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=120)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                    c.request(self.command, self.path, body=body or None, headers=headers)
                    r = c.getresponse()
                    status, raw = r.status, r.read()
                finally:
                    c.close()
            with lock:
                p.seen.append(Exchange(self.command, self.path.split("?")[0], _json(body), status, _json(raw)))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    p.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield p
    finally:
        server.shutdown()
        server.server_close()
