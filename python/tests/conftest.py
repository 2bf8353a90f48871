"""The tests run against real `palisade serve` services (tests/service.py), all started in one
Node process when pytest starts, before the tests are collected, so that Node boots while Python
imports the frameworks: the guard's own policy (tests/policies), the same with a short approval
deadline, and one per shared conformance case (spec/sdk-conformance)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palisade import Guard, RetryPolicy

from . import service as svc
from .proxy import Proxy, proxy

POLICIES = {p.name: p.read_text() for p in (Path(__file__).parent / "policies").glob("*.policy")}
CASES: dict[str, Any] = {
    p.stem: json.loads(p.read_text()) for p in sorted((svc.REPO / "spec" / "sdk-conformance").glob("*.json"))
}
# The service of `service_expiring`: its approval requests expire after this many milliseconds.
SHORT_APPROVAL_MS = 1500

_services: dict[str, svc.Service] = {}


def pytest_configure(config: pytest.Config) -> None:
    specs: dict[str, svc.Spec] = {
        "guard": (POLICIES, {}),
        "guard-expiring": (POLICIES, {"approvalTimeoutMs": SHORT_APPROVAL_MS}),
    }
    for name, case in CASES.items():
        specs[f"conf-{name}"] = ({f"{name}.policy": case["policy"]}, {})
    _services.update(svc.start_many(specs))


def pytest_unconfigure(config: pytest.Config) -> None:
    for s in _services.values():
        s.stop()


@pytest.fixture(scope="session")
def service() -> svc.Service:
    return _services["guard"].wait()


@pytest.fixture(scope="session")
def service_expiring() -> svc.Service:
    """The guard's policy on a service whose approval requests expire after SHORT_APPROVAL_MS."""
    return _services["guard-expiring"].wait()


@pytest.fixture(scope="session")
def conformance_services() -> dict[str, svc.Service]:
    return {name: _services[f"conf-{name}"].wait() for name in CASES}


@pytest.fixture
def guard(service: svc.Service) -> Iterator[Guard]:
    # Generous deadlines: the machine running the suite may be loaded; failure tests make their own.
    g = Guard(service.url, service.agent_key, retry=RetryPolicy(deadline=30.0, attempts=5), approval_timeout=20.0)
    try:
        yield g
    finally:
        g.close()


@pytest.fixture
def recorded(service: svc.Service) -> Iterator[tuple[Guard, Proxy]]:
    """A guard whose every exchange with the service goes through a recording proxy."""
    with proxy(service.url) as p:
        g = Guard(p.url, service.agent_key, retry=RetryPolicy(deadline=30.0, attempts=5), approval_timeout=20.0)
        try:
            yield g, p
        finally:
            g.close()
