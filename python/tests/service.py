"""Throwaway `palisade serve` processes on loopback for the tests and the benchmark: the real
service from this repository, with its own SQLite log in a temporary folder, keys written into
its config (digests only, as `palisade keys create` writes them), and a short approval deadline.
Several start at once and are waited on together, since each takes seconds on a loaded machine;
the suite's run in one Node process (`start_many`), started before the tests are collected.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / "node_modules" / ".bin" / "node"
MAIN = REPO / "engine" / "cli" / "main.ts"
SERVE_MANY = REPO / "test" / "python-sdk-serve.ts"
AGENT = "py-agent"
ENV = "test"


def new_key() -> str:
    return "pal_" + secrets.token_urlsafe(32)


def key_entry(key: str, id: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "sha256": hashlib.sha256(key.encode()).hexdigest(), **fields}


@dataclass
class Service:
    """A running `palisade serve`: its URL, the agent's key and an approver's (admin) key. Several
    may share one Node process (`start_many`): stopping, pausing and resuming act on that process."""

    name: str
    dir: Path
    proc: subprocess.Popen[bytes]
    agent_key: str
    admin_key: str
    url: str = ""
    keys: dict[str, str] = field(default_factory=dict)

    def wait(self, timeout: float = 180.0) -> Service:
        if self.url:
            return self
        log = self.dir / "serve.log"
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            text = log.read_text(errors="replace") if log.exists() else ""
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
            if m:
                self.url = m.group(1)
                return self
            if self.proc.poll() is not None or "palisade serve exited" in text:
                raise RuntimeError(f"palisade serve ({self.name}) exited with {self.proc.poll()}:\n{text}")
            time.sleep(0.05)
        raise RuntimeError(
            f"palisade serve ({self.name}) did not listen within {timeout} s:\n{log.read_text(errors='replace')}"
        )

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.wait().url, headers={"authorization": f"Bearer {self.admin_key}"}, timeout=30)

    def answer(self, approval_id: str, action: str, note: str | None = None) -> dict[str, Any]:
        with self.admin() as c:
            body: dict[str, Any] = {"id": approval_id, "action": action}
            if note is not None:
                body["note"] = note
            r = c.post("/v1/approvals", json=body)
            r.raise_for_status()
            return dict(r.json())

    def approvals(self, session: str) -> list[dict[str, Any]]:
        """The session's approval requests, whatever their status, oldest first."""
        with self.admin() as c:
            r = c.get("/v1/approvals")
            r.raise_for_status()
            return [a for a in r.json()["approvals"] if a["session"] == session]

    def decisions(self, session: str) -> list[dict[str, Any]]:
        """The session's recorded decisions, newest first."""
        with self.admin() as c:
            r = c.get("/v1/decisions", params={"session": session})
            r.raise_for_status()
            return list(r.json()["decisions"])

    def pending(self) -> list[dict[str, Any]]:
        with self.admin() as c:
            r = c.get("/v1/approvals", params={"status": "pending"})
            r.raise_for_status()
            return list(r.json()["approvals"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pause(self) -> None:
        """Freezes the process: connections are accepted by the kernel and never answered."""
        self.proc.send_signal(19)  # SIGSTOP

    def resume(self) -> None:
        self.proc.send_signal(18)  # SIGCONT


@dataclass
class _Prepared:
    name: str
    dir: Path
    agent_key: str
    admin_key: str
    argv: list[str]


def _prepare(name: str, policies: dict[str, str], approval_timeout_ms: int, config: dict[str, Any]) -> _Prepared:
    d = Path(tempfile.mkdtemp(prefix=f"palisade-py-{name}-"))
    (d / "policies").mkdir()
    for file, text in policies.items():
        (d / "policies" / file).write_text(text)
    agent_key, admin_key = new_key(), new_key()
    keys = [
        # The framework adapters relay their own humans' answers, the policies' supervisors among them.
        key_entry(agent_key, "agent", agents=[AGENT], environments=[ENV], scopes=["relay"], roles=["supervisor"]),
        key_entry(admin_key, "approver", agents=["*"], environments=["*"], roles=["admin"], principal="sue"),
    ]
    cfg = {"keys": keys, "approvalTimeoutMs": approval_timeout_ms, "monitor": False, **config}
    (d / "config.json").write_text(json.dumps(cfg))
    argv = [
        "serve",
        "--port",
        "0",
        "--config",
        str(d / "config.json"),
        "--db",
        str(d / "audit.db"),
        str(d / "policies"),
    ]
    return _Prepared(name, d, agent_key, admin_key, argv)


def _node(args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    if not NODE.exists():
        raise RuntimeError(f"{NODE} is missing: run 'npm install' in {REPO}")
    out = open(log, "ab")  # noqa: SIM115 - the process owns it
    return subprocess.Popen(
        [str(NODE), "--disable-warning=ExperimentalWarning", *args],
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )


def start(name: str, policies: dict[str, str], *, approval_timeout_ms: int = 8000, **config: Any) -> Service:
    """Starts `palisade serve` on `policies` (file name -> source) in a process of its own, without
    waiting for it."""
    p = _prepare(name, policies, approval_timeout_ms, config)
    proc = _node([str(MAIN), *p.argv], p.dir, p.dir / "serve.log")
    return Service(name=name, dir=p.dir, proc=proc, agent_key=p.agent_key, admin_key=p.admin_key)


Spec = tuple[dict[str, str], dict[str, Any]]
"""A service to start: its policies (file name -> source) and config fields (`approvalTimeoutMs`...)."""


def start_many(specs: dict[str, Spec]) -> dict[str, Service]:
    """Starts one `palisade serve` per spec, all in one Node process (test/python-sdk-serve.ts runs
    the CLI's serve command once per spec), without waiting for them."""
    prepared = []
    for name, (policies, config) in specs.items():
        cfg = dict(config)
        prepared.append(_prepare(name, policies, int(cfg.pop("approvalTimeoutMs", 8000)), cfg))
    listing = [{"log": str(p.dir / "serve.log"), "cwd": str(p.dir), "argv": p.argv} for p in prepared]
    # Node's own output (a crash before any service logs) goes beside the first service's log.
    proc = _node([str(SERVE_MANY), json.dumps(listing)], prepared[0].dir, prepared[0].dir / "node.log")
    return {
        p.name: Service(name=p.name, dir=p.dir, proc=proc, agent_key=p.agent_key, admin_key=p.admin_key)
        for p in prepared
    }
