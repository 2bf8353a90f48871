"""The tests run against a real `palisade serve` started here (tests/service.py): one for the
guard's own policy (tests/policies), started once per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from palisade import Guard, RetryPolicy

from . import service as svc

POLICIES = {p.name: p.read_text() for p in (Path(__file__).parent / "policies").glob("*.policy")}


@pytest.fixture(scope="session")
def service() -> Iterator[svc.Service]:
    s = svc.start("guard", POLICIES)
    try:
        yield s.wait()
    finally:
        s.stop()


@pytest.fixture
def guard(service: svc.Service) -> Iterator[Guard]:
    # Generous deadlines: the machine running the suite may be loaded; failure tests make their own.
    g = Guard(service.url, service.agent_key, retry=RetryPolicy(deadline=30.0, attempts=5), approval_timeout=20.0)
    try:
        yield g
    finally:
        g.close()
