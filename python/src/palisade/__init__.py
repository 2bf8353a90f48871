"""Palisade for Python: guard the agents you run through a Palisade decision service.

    guard = Guard("http://127.0.0.1:7878", key)
    with guard.session("conv-1", "user-7"):
        refund(amount=900)            # a function decorated with @guard.tool

Framework adapters live in `palisade.adapters.<framework>` and import their framework only there.
"""

from ._transport import RetryPolicy
from .errors import (
    DenialCause,
    GuardConfigError,
    GuardUnavailableError,
    PalisadeError,
    PolicyDeniedError,
    ServiceError,
    SessionRequiredError,
)
from .guard import Guard, Guarded, Mode, OnDeny, Session, Step, denial_message, denied_tool_message
from .telemetry import Evaluator, OutcomeEvent, Telemetry, TelemetrySink, TokenUse
from .wire import Approval, DecisionResponse, Phase, Reason

__all__ = [
    "Approval",
    "DecisionResponse",
    "DenialCause",
    "Evaluator",
    "Guard",
    "GuardConfigError",
    "GuardUnavailableError",
    "Guarded",
    "Mode",
    "OnDeny",
    "OutcomeEvent",
    "PalisadeError",
    "Phase",
    "PolicyDeniedError",
    "Reason",
    "RetryPolicy",
    "ServiceError",
    "Session",
    "SessionRequiredError",
    "Step",
    "Telemetry",
    "TelemetrySink",
    "TokenUse",
    "denial_message",
    "denied_tool_message",
]
