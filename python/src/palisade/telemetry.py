"""Outcome telemetry: what happened when an allowed action ran. The events have the fields of
the monitor's `OutcomeEvent` (engine/monitor/event.ts: `kind`, `time`, `decisionId`,
`durationMs`, `error`, `tokens`, `outputSize`, subject fields), so a sink can forward them to a
`Monitor` as they are. A sink never fails an action: its errors are logged."""

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, cast

from typing_extensions import NotRequired, TypedDict

log = logging.getLogger("palisade")


class TokenUse(TypedDict, total=False):
    """Token use of one model call, as the model reported it."""

    input: int
    output: int


class OutcomeError(TypedDict):
    """Why an action failed: `source` is `tool` or `model`; `type` the exception's class."""

    source: Literal["tool", "model", "timeout", "cancelled"]
    type: NotRequired[str]
    message: NotRequired[str]


class OutcomeEvent(TypedDict):
    """One action's outcome (the monitor's `OutcomeEvent`)."""

    kind: Literal["outcome"]
    time: float
    phase: str
    decisionId: NotRequired[str]
    durationMs: NotRequired[float]
    error: NotRequired[OutcomeError]
    tokens: NotRequired[TokenUse]
    outputSize: NotRequired[int]
    #: The model's answer, for the service's answer descriptors (never stored there).
    output: NotRequired[str]
    agent: NotRequired[str]
    env: NotRequired[str]
    session: NotRequired[str]
    tool: NotRequired[str]
    model: NotRequired[str]
    provider: NotRequired[str]
    labels: NotRequired[dict[str, str]]
    scores: NotRequired[dict[str, float]]


class TelemetrySink(Protocol):
    """Anything with `record(event)`."""

    def record(self, event: dict[str, Any]) -> object: ...


Telemetry = TelemetrySink | Callable[[dict[str, Any]], object]
"""Where events go: a callable or an object with `record(event)`."""


def error_of(source: Literal["tool", "model"], err: BaseException) -> OutcomeError:
    """The `error` of an outcome for an exception."""
    return {"source": source, "type": type(err).__name__, "message": str(err)[:500]}


def now_ms() -> float:
    return time.time() * 1000.0


class Evaluator(Protocol):
    """Scores answers for the monitor (`score:<name>`), e.g. `palisade.embeddings.EmbeddingDrift`.
    Runs where outcomes are posted, off every action's path, on the answers of a batch at once;
    None abstains. An evaluator that raises loses its scores for that batch, never the outcomes."""

    name: str

    def score(self, texts: Sequence[str]) -> Sequence[float | None]: ...


class OutcomeQueue(Protocol):
    """Where outcomes go besides the sink: the service (`_outcomes.OutcomeReporter`)."""

    def add(self, event: OutcomeEvent) -> None: ...


class Emitter:
    """Hands events to the sink, swallowing (and logging) what it raises, and outcomes to the
    service's queue."""

    def __init__(self, sink: Telemetry | None, outcomes: OutcomeQueue | None = None) -> None:
        self._outcomes = outcomes
        if sink is None:
            self._fn: Callable[[dict[str, Any]], object] | None = None
        elif hasattr(sink, "record"):
            self._fn = sink.record
        else:
            self._fn = sink

    @property
    def active(self) -> bool:
        return self._fn is not None or self._outcomes is not None

    def emit(self, event: OutcomeEvent | dict[str, Any]) -> None:
        try:
            if self._outcomes is not None and event.get("kind") == "outcome":
                self._outcomes.add(cast(OutcomeEvent, event))
            if self._fn is not None:
                self._fn({k: v for k, v in event.items() if k != "output"})
        except Exception:
            log.exception("palisade: the telemetry sink failed; the event is dropped")
