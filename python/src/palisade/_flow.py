"""One core, two drivers: the guard's logic is written once as a generator (a *flow*) that
yields what it needs done (a request to the service, a pause, the tool's own call) and gets the
result back, or the error thrown in where it waits; `run` does the I/O blocking, `arun` awaiting.
So the sync and async APIs cannot drift apart: they are the same code."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from ._transport import AsyncTransport, SyncTransport, Unavailable
from .errors import ServiceError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """A request to the service: its parsed answer comes back; `Unavailable` or `ServiceError`
    is thrown in."""

    method: str
    path: str
    body: bytes | None
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Invoke:
    """The application's own code (a tool): `fn()`, awaited by `arun` when it gives an awaitable.
    What it returns comes back; what it raises is thrown in."""

    fn: Callable[[], Any]


Op = Call | Sleep | Invoke
Flow = Generator[Op, Any, T]


def run(flow: Flow[T], transport: SyncTransport) -> T:
    """Runs `flow` to its end in this thread."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(op, Call):
                value = transport.call(op.method, op.path, op.body, deadline=op.deadline)
            elif isinstance(op, Sleep):
                time.sleep(op.seconds)
            else:
                value = op.fn()
        except (Unavailable, ServiceError) as e:
            error = e
        except Exception as e:
            if not isinstance(op, Invoke):
                raise
            error = e


async def arun(flow: Flow[T], transport: AsyncTransport) -> T:
    """Runs `flow` to its end on the running loop."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(op, Call):
                value = await transport.call(op.method, op.path, op.body, deadline=op.deadline)
            elif isinstance(op, Sleep):
                await asyncio.sleep(op.seconds)
            else:
                value = op.fn()
                if inspect.isawaitable(value):
                    value = await value
        except (Unavailable, ServiceError) as e:
            error = e
        except Exception as e:
            if not isinstance(op, Invoke):
                raise
            error = e
