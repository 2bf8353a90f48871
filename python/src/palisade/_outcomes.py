"""Outcomes to the service (`POST /v1/outcomes`), off the action's path: a guarded call only
appends its outcome to a bounded queue; a daemon thread posts the queue in batches. Nothing here
can fail or slow an action: a full queue drops (counted), a service that is down is retried at
the next flush, a refused batch is dropped and logged (it would be refused again)."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from ._transport import SyncTransport, Unavailable
from .errors import ServiceError
from .telemetry import Evaluator, OutcomeEvent

log = logging.getLogger("palisade")

# The service takes at most 1,000 outcomes per request and 100,000 characters of answer each.
_BATCH = 1000
_MAX_OUTPUT = 100_000
_ID_MAX = 200
_MAX_SCORES = 32
_SCORE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _scores(given: Any) -> dict[str, float]:
    """The scores the service takes (finite numbers under well-formed names; at most 32)."""
    if not isinstance(given, Mapping):
        return {}
    out: dict[str, float] = {}
    for k, v in given.items():
        if (
            isinstance(k, str)
            and _SCORE_NAME.fullmatch(k)
            and isinstance(v, (int, float))
            and not isinstance(v, bool)
            and math.isfinite(v)
            and len(out) < _MAX_SCORES
        ):
            out[k] = float(v)
    return out


def outcome_request(e: OutcomeEvent | Mapping[str, Any]) -> dict[str, Any] | None:
    """One outcome in the service's `OutcomeRequest` shape (engine/service/routes-outcomes.ts),
    every field within the service's bounds (one field out of them would have the whole batch
    refused); None for an outcome the service cannot take (a tool call without a usable name).
    No time: the service dates an outcome by its arrival, so a batch posted a moment later is
    at most the flush interval late."""
    if e.get("phase") not in ("tool_call", "model_call"):
        return None
    out: dict[str, Any] = {"phase": e["phase"]}
    for ours, theirs in (("agent", "agent"), ("env", "environment"), ("session", "session"), ("tool", "tool")):
        v = e.get(ours)
        if isinstance(v, str) and 0 < len(v) <= _ID_MAX:
            out[theirs] = v
    if isinstance(e.get("decisionId"), str) and e["decisionId"]:
        out["decision"] = e["decisionId"]
    if isinstance(e.get("model"), str) and e["model"]:
        model: dict[str, str] = {"name": e["model"][:_ID_MAX]}
        if isinstance(e.get("provider"), str) and e["provider"]:
            model["provider"] = e["provider"][:_ID_MAX]
        out["model"] = model
    ms = e.get("durationMs")
    if isinstance(ms, (int, float)) and math.isfinite(ms):
        out["durationMs"] = max(0.0, float(ms))
    err = e.get("error")
    if isinstance(err, Mapping):
        error: dict[str, str] = {"source": err["source"]}
        if err.get("type"):
            error["type"] = str(err["type"])[:_ID_MAX]
        if err.get("message"):
            error["message"] = str(err["message"])[:1000]
        out["error"] = error
    tokens = e.get("tokens")
    if isinstance(tokens, Mapping):
        kept = {k: int(v) for k, v in tokens.items() if k in ("input", "output") and isinstance(v, int) and v >= 0}
        if kept:
            out["tokens"] = kept
    if isinstance(e.get("outputSize"), int) and e["outputSize"] >= 0:
        out["outputSize"] = e["outputSize"]
    if isinstance(e.get("output"), str) and e["output"]:
        out["output"] = e["output"][:_MAX_OUTPUT]
    scores = _scores(e.get("scores"))
    if scores:
        out["scores"] = scores
    if out["phase"] == "tool_call" and "tool" not in out:
        return None
    return out


class OutcomeReporter:
    """Queues outcomes and posts them to `/v1/outcomes` from a daemon thread every `interval`
    seconds (or as soon as a batch is full). `flush()` posts what is queued now, the answers in
    it scored by the `evaluators` first."""

    def __init__(
        self,
        transport: SyncTransport,
        *,
        interval: float = 0.5,
        max_queue: int = 10_000,
        evaluators: Sequence[Evaluator] = (),
    ) -> None:
        self._transport = transport
        self._evaluators = tuple(evaluators)
        self._interval = interval
        self._queue: deque[dict[str, Any]] = deque()
        self._max = max_queue
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False
        #: Outcomes the service accepted, dropped (queue full, or refused by the service).
        self.sent = 0
        self.dropped = 0

    def add(self, event: OutcomeEvent | Mapping[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            req = outcome_request(event)
            if req is None or len(self._queue) >= self._max:
                self.dropped += 1
                return
            self._queue.append(req)
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="palisade-outcomes", daemon=True)
                self._thread.start()
            elif len(self._queue) in (1, _BATCH):
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                # Asleep while there is nothing to post; then `interval` to gather a batch (a full
                # batch or close() cuts it short).
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._closed:
                    self._wake.wait(self._interval)
                closed = self._closed
            self.flush()
            if closed:
                return

    def flush(self) -> None:
        """Posts everything queued now (a service that is down keeps it queued for later)."""
        while True:
            with self._lock:
                batch = [self._queue.popleft() for _ in range(min(_BATCH, len(self._queue)))]
            if not batch:
                return
            self._evaluate(batch)
            body = _encode({"outcomes": batch})
            try:
                answer = self._transport.call("POST", "/v1/outcomes", body)
            except Unavailable as e:
                with self._lock:
                    room = self._max - len(self._queue)
                    self._queue.extendleft(reversed(batch[:room]))
                    self.dropped += max(0, len(batch) - room)
                log.warning("palisade: outcomes not delivered yet (%s); kept for the next flush", e)
                return
            except ServiceError as e:
                with self._lock:
                    self.dropped += len(batch)
                log.error("palisade: the service refused %d outcomes: %s", len(batch), e)
                continue
            with self._lock:
                accepted = answer.get("accepted") if isinstance(answer, dict) else None
                self.sent += accepted if isinstance(accepted, int) else len(batch)

    def _evaluate(self, batch: list[dict[str, Any]]) -> None:
        answers = [o for o in batch if "output" in o and "scores" not in o]
        if not answers:
            return
        texts = [o["output"] for o in answers]
        for ev in self._evaluators:
            try:
                scores = list(ev.score(texts))
                if len(scores) != len(texts):
                    raise ValueError(f"{len(scores)} scores for {len(texts)} answers")
            except Exception:
                log.exception("palisade: evaluator %r failed; its scores of this batch are left out", ev.name)
                continue
            for o, v in zip(answers, scores, strict=True):
                kept = _scores({ev.name: v})
                if kept:
                    o.setdefault("scores", {}).update(kept)

    def close(self) -> None:
        """Posts what is queued and stops the thread."""
        with self._lock:
            self._closed = True
            self._wake.notify()
            thread = self._thread if self._pid == os.getpid() else None
        if thread is not None:
            thread.join(timeout=self._transport.policy.deadline + 1)
        self.flush()
        self._transport.close()


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
