"""The errors a guard raises.

Code branches on `PolicyDeniedError` (the action did not happen, and why) and its subclass
`GuardUnavailableError` (the service could not decide in time: fail closed). `ServiceError`
is a refusal of the request itself (a bad key, a bad body): a configuration mistake that no
retry fixes. `SessionRequiredError` means a guarded action ran outside any session.
"""

from __future__ import annotations

from typing import Literal

from .wire import DecisionResponse

DenialCause = Literal[
    "deny",
    "approval_refused",
    "approval_timeout",
    "approval_failed",
    "unavailable",
    "unrecordable_input",
]
"""Why an action was stopped."""


class PalisadeError(Exception):
    """Base of every error this package raises."""


class PolicyDeniedError(PalisadeError):
    """The action was stopped; `decision` is the decision that stopped it."""

    def __init__(
        self, message: str, *, decision: DecisionResponse, phase: str, tool: str | None, denial: DenialCause
    ) -> None:
        super().__init__(message)
        self.decision = decision
        self.phase = phase
        self.tool = tool
        self.denial: DenialCause = denial


class GuardUnavailableError(PolicyDeniedError):
    """The decision service was unreachable, slow or failing past the retry deadline: the action
    did not happen (fail closed). `cause` holds the last failure."""


class ServiceError(PalisadeError):
    """The service refused the request itself (`code` is its stable error code, e.g.
    `auth/invalid-key`); retrying will not help, fixing the configuration will."""

    def __init__(self, status: int, code: str, message: str, path: str | None = None) -> None:
        where = f" at {path}" if path else ""
        super().__init__(f"palisade service answered {status} {code}{where}: {message}")
        self.status = status
        self.code = code
        self.path = path


class SessionRequiredError(PalisadeError):
    """A guarded action ran with no session: open one with `guard.session(id, principal)`
    (as a context manager for `@guard.tool` functions) or give the framework a thread id."""


class GuardConfigError(PalisadeError):
    """The guard was built with options that cannot work."""
