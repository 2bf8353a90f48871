"""The service's V1 wire types, as the client reads and writes them.

Each TypedDict names the OpenAPI schema it mirrors (`components.schemas.<Name>` of the
service's `/openapi.json`); `tests/test_wire.py` holds every one against the running
service's document (properties, required keys, enums), so the two cannot drift.
"""

from typing import Any, Literal

from typing_extensions import NotRequired, TypedDict

Phase = Literal["input", "model_call", "tool_call", "tool_result", "output"]
"""A phase of an agent step (schema `Phase`)."""

DecisionKind = Literal["allow", "deny", "require_approval"]
ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]
"""Where an approval request stands (schema `ApprovalStatus`); `expired` is final and means no."""


class Reason(TypedDict):
    """A rule whose effect decided or shaped the outcome (schema `Reason`)."""

    rule: str
    effect: str
    message: NotRequired[str]
    severity: NotRequired[str]
    controls: NotRequired[list[str]]
    approver_role: NotRequired[str]
    replacements: NotRequired[int]


class RuleError(TypedDict):
    """A rule that failed at run time (schema `RuleError`)."""

    rule: str
    message: str
    code: NotRequired[str]
    path: NotRequired[str]


class PolicyRef(TypedDict):
    """The policy set that decided (schema `PolicyRef`)."""

    digest: str
    version: NotRequired[str]


class DecisionRequest(TypedDict):
    """`POST /v1/decide`'s body (schema `DecisionRequest`)."""

    phase: Phase
    input: dict[str, Any]
    session: NotRequired[str]
    environment: NotRequired[str]
    mode: NotRequired[Literal["enforce", "shadow"]]
    payload: NotRequired[Literal["full", "input", "history"]]


class ApprovalRef(TypedDict):
    """The approval request a `require_approval` decision filed (schema `ApprovalRef`)."""

    id: str
    status: ApprovalStatus
    expiresAt: str
    wait: str


class DecisionResponse(TypedDict):
    """`POST /v1/decide`'s answer (schema `DecisionResponse`)."""

    id: str
    decision: DecisionKind
    reasons: list[Reason]
    warnings: list[Reason]
    payload: Any
    errors: list[RuleError]
    policy: PolicyRef
    approval: NotRequired[ApprovalRef]
    #: A tool_call's place in its session's history: what `POST /v1/settlements` names.
    call_seq: NotRequired[int]


class Approval(TypedDict):
    """One approval request as waited on (schema `Approval`)."""

    id: str
    status: ApprovalStatus
    role: str | None
    phase: Phase
    agent: str
    env: str
    session: str | None
    tool: str | None
    reasons: list[Reason]
    payload: Any
    policy: str
    decisionId: str
    createdAt: str
    expiresAt: str
    decidedBy: NotRequired[str]
    decidedAt: NotRequired[str]
    note: NotRequired[str]
    askedBy: NotRequired[str]
    via: NotRequired[Literal["framework"]]
    outcome: Literal["pending", "allow", "deny"]


class ApprovalAction(TypedDict):
    """`POST /v1/approvals`: answer one request (schema `ApprovalAction`)."""

    id: str
    action: Literal["approve", "reject"]
    note: NotRequired[str]


class ApprovalRelay(TypedDict):
    """`POST /v1/approvals/{id}/answered`: the answer a framework's own human gave (schema `ApprovalRelay`)."""

    approved: bool
    by: NotRequired[str]
    note: NotRequired[str]


class ErrorDetail(TypedDict):
    """The inside of every error answer."""

    code: str
    message: str
    path: NotRequired[str]


class ErrorResponse(TypedDict):
    """Every error the service sends (schema `Error`)."""

    error: ErrorDetail


WIRE_SCHEMAS: dict[str, type] = {
    "Reason": Reason,
    "RuleError": RuleError,
    "PolicyRef": PolicyRef,
    "DecisionRequest": DecisionRequest,
    "ApprovalRef": ApprovalRef,
    "DecisionResponse": DecisionResponse,
    "Approval": Approval,
    "ApprovalAction": ApprovalAction,
    "ApprovalRelay": ApprovalRelay,
    "Error": ErrorResponse,
}
"""Each wire type by the OpenAPI schema it mirrors."""
