"""The guard: decisions from the Palisade service, enforced in the agent's process.

A `Guard` holds the connection to the service (a sidecar on loopback or a shared service) and
hands out `Session`s, one per conversation. A session decides each step through the service
(which keeps the session's history in its store, files approval requests and records every
decision before it answers), then enforces the answer here: `deny` raises `PolicyDeniedError`
(or gives the model a message), `require_approval` waits on the service's approval queue,
`redact`/`set` rewrite the arguments, results and texts. Nothing runs before its decision; when
no decision comes within the retry deadline the action does not happen (`GuardUnavailableError`)
unless the guard was built with `on_unavailable="allow"`.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar, cast, overload
from urllib.parse import quote

import httpx
from typing_extensions import ParamSpec

from . import _results
from ._flow import Call, Flow, Invoke, Sleep, arun, run
from ._outcomes import OutcomeReporter
from ._stream import OutputStream
from ._tools import ToolSignature
from ._transport import AsyncTransport, RetryPolicy, SyncTransport, Unavailable
from .errors import (
    DenialCause,
    GuardConfigError,
    GuardUnavailableError,
    PolicyDeniedError,
    ServiceError,
    SessionRequiredError,
)
from .telemetry import Emitter, Evaluator, OutcomeEvent, Telemetry, TokenUse, error_of, now_ms
from .wire import Approval, DecisionResponse, Phase, Reason

log = logging.getLogger("palisade")

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

Mode = Literal["enforce", "shadow"]
PayloadKind = Literal["full", "input", "history"]
OnDeny = Literal["raise", "message"] | Callable[[PolicyDeniedError], Any]
"""How a guarded tool reacts when policy stops it: raise `PolicyDeniedError` (default for plain
functions), return a message the model reads (`"blocked by policy: ..."`), or return what a
callable makes of the error."""

UNAVAILABLE_RULE = "palisade.service_unavailable"
UNRECORDABLE_RULE = "palisade.unrecordable_input"

# Outcomes are telemetry posted off the action's path: they may take longer than a decision.
_OUTCOME_RETRY = RetryPolicy(attempts=3, deadline=5.0)

# Held back when the service cannot say (the longest detector span, `secret.private_key`), and how
# long a reported hold-back is trusted (a policy reload may change it).
_MAX_HOLD = 8192
_HOLD_TTL_S = 60.0


def _hold_of(status: Any) -> int:
    policy = status.get("policy") if isinstance(status, dict) else None
    hold = policy.get("streamHold") if isinstance(policy, dict) else None
    if isinstance(hold, int) and not isinstance(hold, bool) and hold >= 0:
        return max(1, hold)
    raise Unavailable("the service's /v1/status does not say streamHold")


# The longest single long-poll on an approval (the service allows 60 s).
_LONG_POLL_S = 25


def denied_tool_message(error: PolicyDeniedError) -> str:
    """The text a model reads when a tool call was stopped."""
    return f"blocked by policy: {error}"


def denial_message(decision: DecisionResponse, fallback: str) -> str:
    """The first message of the reasons that decided, for texts a person or a model reads."""
    for r in decision.get("reasons", []):
        if r.get("effect") == decision.get("decision") and r.get("message"):
            return r["message"]
    errors = decision.get("errors", [])
    if errors:
        e = errors[0]
        return f"rule {e['rule']} failed ({e['message']}), and the policy fails closed"
    return fallback


def _own_decision(rule: str, message: str) -> DecisionResponse:
    """A deny the guard made itself (no service decision exists), in the service's shape."""
    reason: Reason = {"rule": rule, "effect": "deny", "message": message, "severity": "high"}
    return {
        "id": "",
        "decision": "deny",
        "reasons": [reason],
        "warnings": [],
        "payload": None,
        "errors": [],
        "policy": {"digest": ""},
    }


class _Unrecordable(Exception):
    pass


_DECISIONS = frozenset({"allow", "deny", "require_approval"})


def _checked(answer: Any) -> DecisionResponse:
    """The service's answer when it is a decision the guard can enforce; `Unavailable` when it is
    not (a proxy's page, a truncated or tampered body, another service on the port): no decision
    came, so the step fails closed, never runs on what could be read of it."""
    if isinstance(answer, dict) and answer.get("decision") in _DECISIONS:
        reasons, warnings, payload = answer.get("reasons"), answer.get("warnings"), answer.get("payload")
        tool = payload.get("tool") if isinstance(payload, dict) else None
        if (
            isinstance(reasons, list)
            and isinstance(warnings, list)
            and all(isinstance(r, dict) for r in (*reasons, *warnings))
            and isinstance(answer.get("errors", []), list)
            and (payload is None or isinstance(payload, dict))
            and (tool is None or (isinstance(tool, dict) and isinstance(tool.get("args", {}), dict)))
        ):
            return cast(DecisionResponse, answer)
    raise Unavailable(f"the service's answer is not a decision: {json.dumps(answer, default=str)[:120]}")


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, _results.Unshowable):
            raise TypeError(o.why)
        return super().default(o)


# Made once: json.dumps with options builds an encoder per call.
_ENCODER = _Encoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _encode(body: Mapping[str, Any]) -> bytes:
    try:
        text = _ENCODER.encode(body)
        data = text.encode()
    except (TypeError, ValueError, RecursionError) as e:
        raise _Unrecordable(str(e)) from None
    # Python ints are written digit for digit; the service reads numbers as 64-bit floats and
    # refuses one the float does not hold as written (2**53 + 1), as its log would record another
    # number. Only a text with 16 digits in a row can hold such an int (floats are written as
    # their shortest round-trip decimal, which always passes), so most bodies are not walked.
    if _LONG_DIGITS.search(text) is not None:
        _check_ints(body)
    return data


_LONG_DIGITS = re.compile(r"\d{16}")
_SAFE_INT = 2**53


def _exact_int(v: int) -> bool:
    """Whether a 64-bit float holds `v` as written: its shortest decimal names the same number."""
    try:
        return Decimal(repr(float(v))) == v
    except OverflowError:
        return False


def _check_ints(v: Any) -> None:
    if isinstance(v, int) and not isinstance(v, bool):
        if abs(v) > _SAFE_INT and not _exact_int(v):
            shown = str(v) if len(str(v)) <= 40 else f"{str(v)[:40]}..."
            raise _Unrecordable(
                f"the integer {shown} is past what a 64-bit float holds exactly (2**53): pass it as a string"
            )
    elif isinstance(v, Mapping):
        for x in v.values():
            _check_ints(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _check_ints(x)


_APPROVAL_STATUSES = frozenset({"pending", "approved", "rejected", "expired"})


def _approval(answer: Any) -> Approval:
    """An approval request as the service answered it; `Unavailable` (wait on) when the answer
    is not one, so that only a well-formed `approved` lets the step run."""
    if isinstance(answer, dict) and answer.get("status") in _APPROVAL_STATUSES:
        return cast(Approval, answer)
    raise Unavailable(f"the service's answer is not an approval request: {json.dumps(answer, default=str)[:120]}")


@dataclass(frozen=True)
class Guarded:
    """An enforced decision: the payload to carry on with (the input after the policies'
    transforms; the input as given in shadow mode or when an unavailable service was let pass)."""

    decision: DecisionResponse
    payload: dict[str, Any]
    approval: Approval | None = None
    #: True when the service could not be reached and `on_unavailable="allow"` let the step pass.
    unchecked: bool = False
    warnings: list[Reason] = field(default_factory=list)


_current: ContextVar[Session | None] = ContextVar("palisade_session", default=None)
_tokens: ContextVar[tuple[Token[Session | None], ...]] = ContextVar("palisade_session_tokens", default=())


class Guard:
    """A connection to a Palisade decision service and the way its decisions are enforced.

    `url` and `key` default to `PALISADE_URL` (else `http://127.0.0.1:7878`) and `PALISADE_KEY`.
    `agent` and `env` may be left out when the key is scoped to one agent and one environment.
    """

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        agent: str | None = None,
        env: str | None = None,
        mode: Mode = "enforce",
        on_unavailable: Literal["deny", "allow"] = "deny",
        retry: RetryPolicy | None = None,
        approval_timeout: float = 60.0,
        on_deny: OnDeny = "raise",
        telemetry: Telemetry | None = None,
        outcomes: bool = True,
        evaluators: Sequence[Evaluator] = (),
        stream_hold: int | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        url = url or os.environ.get("PALISADE_URL") or "http://127.0.0.1:7878"
        key = key or os.environ.get("PALISADE_KEY")
        if not key:
            raise GuardConfigError(
                "no API key: pass key=... or set PALISADE_KEY (mint one with 'palisade keys create')"
            )
        if mode not in ("enforce", "shadow"):
            raise GuardConfigError(f"unknown mode {mode!r}: expected 'enforce' or 'shadow'")
        if on_unavailable not in ("deny", "allow"):
            raise GuardConfigError(f"unknown on_unavailable {on_unavailable!r}: expected 'deny' or 'allow'")
        if stream_hold is not None and (not isinstance(stream_hold, int) or stream_hold < 1):
            raise GuardConfigError("stream_hold must be a positive number of characters")
        if not approval_timeout > 0:
            raise GuardConfigError("approval_timeout must be a positive number of seconds")
        self.url = url
        self.agent = agent
        self.env = env
        self.mode: Mode = mode
        self.on_unavailable = on_unavailable
        self.retry = retry or RetryPolicy()
        self.approval_timeout = approval_timeout
        self.on_deny: OnDeny = on_deny
        #: Outcomes posted to the service's `/v1/outcomes` off the action's path (None: `outcomes=False`).
        if evaluators and not outcomes:
            raise GuardConfigError("evaluators score the answers of outcomes: they need outcomes=True")
        self.outcomes = (
            OutcomeReporter(SyncTransport(url, key, _OUTCOME_RETRY, http_client), evaluators=evaluators)
            if outcomes
            else None
        )
        self.telemetry = Emitter(telemetry, self.outcomes)
        self._stream_hold = stream_hold
        self._hold_read: tuple[float, int] | None = None
        #: Steps let through unchecked because the service was unavailable (`on_unavailable="allow"`).
        self.unchecked = 0
        self._sync = SyncTransport(url, key, self.retry, http_client)
        self._async = AsyncTransport(url, key, self.retry)
        #: Per session id, the settlements of failed tool calls the service has not taken yet
        #: (call_seq -> body): the session's next decision sends them first, or is refused.
        self._unsettled: dict[str, dict[int, bytes]] = {}
        self._unsettled_lock = threading.Lock()
        #: Settlements the service refused for good (another key's call, one it does not hold).
        self.unsettled_refused = 0
        #: The `input` decisions that let a user's message pass, per (session, raw text): the
        #: decided text. A conversation's earlier messages come again with every request as the
        #: user wrote them (a checkpointer, the client's history); they get the same rewrites.
        self._inputs: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._inputs_lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------------

    def session(self, id: str, principal: str | Mapping[str, Any] | None = None) -> Session:
        """The session of one conversation, acting for `principal` (an id or `{id, roles, attrs}`).
        Use it as a context manager (`with guard.session(...):`) to make it the current session
        of `@guard.tool` functions called inside."""
        if not isinstance(id, str) or id == "":
            raise GuardConfigError("a session id must be a non-empty string")
        return Session(self, id, principal)

    def current_session(self) -> Session:
        """The session entered last in this context (thread or task); SessionRequiredError when none."""
        s = _current.get()
        if s is None:
            raise SessionRequiredError(
                "no Palisade session is open here: wrap the conversation in 'with guard.session(id, user):'"
            )
        return s if s.guard is self else Session(self, s.id, s.principal)

    # -- tools ------------------------------------------------------------------------------

    @overload
    def tool(self, fn: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def tool(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        on_deny: OnDeny | None = None,
        exclude: Collection[str] = (),
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    def tool(
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        on_deny: OnDeny | None = None,
        exclude: Collection[str] = (),
    ) -> Any:
        """Decorator: the function guarded in whatever session is current when it is called
        (`with guard.session(...)`). Sync functions stay sync, coroutines stay coroutines; the
        signature is kept, so frameworks that read it see the original."""

        def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
            return _wrap(f, self.current_session, name, on_deny, exclude)

        return wrap(fn) if fn is not None else wrap

    def wrap_tool(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        on_deny: OnDeny | None = None,
        exclude: Collection[str] = (),
    ) -> Callable[P, R]:
        """`fn` guarded in the current session at each call (as `@guard.tool`)."""
        return _wrap(fn, self.current_session, name, on_deny, exclude)

    # -- streams ----------------------------------------------------------------------------

    def stream_hold(self) -> int:
        """Characters a streamed answer holds back: `stream_hold=` if given, else what the service
        reports for its policies (`/v1/status`, read again after a minute), else the longest
        span any detector matches (a service that cannot say holds back more, never less)."""
        return self._run(self._hold())

    async def astream_hold(self) -> int:
        """As `stream_hold`, awaiting."""
        return await self._arun(self._hold())

    def _hold(self) -> Flow[int]:
        if self._stream_hold is not None:
            return self._stream_hold
        now = time.monotonic()
        if self._hold_read is None or now - self._hold_read[0] > _HOLD_TTL_S:
            try:
                self._hold_read = (now, _hold_of((yield Call("GET", "/v1/status", None))))
            except (Unavailable, ServiceError) as e:
                log.warning("palisade: the service did not say how much of a stream to hold back (%s)", e)
                return _MAX_HOLD
        return self._hold_read[1]

    def _run(self, flow: Flow[T]) -> T:
        return run(flow, self._sync)

    async def _arun(self, flow: Flow[T]) -> T:
        return await arun(flow, self._async)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Posts the outcomes still queued and closes the keep-alive connections."""
        if self.outcomes is not None:
            self.outcomes.close()
        self._sync.close()

    async def aclose(self) -> None:
        """Closes the keep-alive connections of the running loop (and the sync ones) and posts
        the outcomes still queued."""
        await self._async.aclose()
        if self.outcomes is not None:
            # Posted now, not closed: the guard may serve another event loop after this one.
            await asyncio.to_thread(self.outcomes.flush)
        self._sync.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Guard:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Session:
    """One conversation's guard: every decision names this session, so the service's history
    (`session.calls`) and approvals belong to it."""

    def __init__(self, guard: Guard, id: str, principal: str | Mapping[str, Any] | None) -> None:
        self.guard = guard
        self.id = id
        if principal is None:
            self.principal: dict[str, Any] | None = None
        elif isinstance(principal, str):
            self.principal = {"id": principal, "roles": [], "attrs": {}}
        else:
            p = dict(principal)
            if not isinstance(p.get("id"), str):
                raise GuardConfigError("a principal needs an 'id' string")
            self.principal = {"id": p["id"], "roles": list(p.get("roles", [])), "attrs": dict(p.get("attrs", {}))}

    # -- the current session ----------------------------------------------------------------

    def __enter__(self) -> Session:
        _tokens.set((*_tokens.get(), _current.set(self)))
        return self

    def __exit__(self, *exc: object) -> None:
        stack = _tokens.get()
        if stack:
            _current.reset(stack[-1])
            _tokens.set(stack[:-1])

    async def __aenter__(self) -> Session:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()

    # -- deciding ---------------------------------------------------------------------------

    def _body(self, phase: Phase, input: Mapping[str, Any], payload: PayloadKind) -> bytes:
        return _encode(self._request(phase, input, payload))

    def _request(self, phase: Phase, input: Mapping[str, Any], payload: PayloadKind) -> dict[str, Any]:
        full = dict(input)
        g = self.guard
        if self.principal is not None and "principal" not in full:
            full["principal"] = self.principal
        if g.agent is not None and "agent" not in full:
            full["agent"] = {"id": g.agent}
        req: dict[str, Any] = {"phase": phase, "input": full, "session": self.id}
        if g.env is not None:
            req["environment"] = g.env
        if g.mode == "shadow":
            req["mode"] = "shadow"
        if payload != "full":
            req["payload"] = payload
        return req

    def _unavailable(self, phase: Phase, tool: str | None, why: str) -> GuardUnavailableError:
        message = f"the Palisade service gave no decision ({why}), so the {phase} is refused"
        return GuardUnavailableError(
            message, decision=_own_decision(UNAVAILABLE_RULE, message), phase=phase, tool=tool, denial="unavailable"
        )

    def _unrecordable(self, phase: Phase, tool: str | None, why: str) -> PolicyDeniedError:
        message = f"the {phase} input cannot be recorded as JSON ({why}): pass JSON values (str, numbers, lists, dicts)"
        return PolicyDeniedError(
            message,
            decision=_own_decision(UNRECORDABLE_RULE, message),
            phase=phase,
            tool=tool,
            denial="unrecordable_input",
        )

    def _refused(self, phase: Phase, tool: str | None, err: ServiceError) -> PalisadeRefusal:
        # The service refused the input itself (a lone surrogate, a number past a double, nesting
        # past 64): the step cannot be recorded, so it does not happen; the agent reads why.
        if err.code == "request/invalid" and (err.path or "").startswith("/input"):
            return self._unrecordable(phase, tool, str(err))
        return err

    def decide(self, phase: Phase, input: Mapping[str, Any], *, payload: PayloadKind = "full") -> DecisionResponse:
        """The service's decision for one phase's input (recorded there); enforces nothing.
        `payload="input"` asks for a payload holding only the input's own fields (not the context
        the service adds: agent, env, time, the session), as enforcing does; the default gives the
        session by reference (`{"id", "calls_before"}`), `payload="history"` with its calls.
        Raises GuardUnavailableError when no decision came, ServiceError when the request was refused."""
        return self.guard._run(self._decide(phase, input, payload))

    async def adecide(
        self, phase: Phase, input: Mapping[str, Any], *, payload: PayloadKind = "full"
    ) -> DecisionResponse:
        """As `decide`, awaiting."""
        return await self.guard._arun(self._decide(phase, input, payload))

    def _decide(self, phase: Phase, input: Mapping[str, Any], payload: PayloadKind) -> Flow[DecisionResponse]:
        tool = _tool_name(input)
        try:
            body = self._body(phase, input, payload)
        except _Unrecordable as e:
            raise self._unrecordable(phase, tool, str(e)) from None
        if not (yield from self._settle_pending()):
            # The session's history would say a failed call ran: nothing is decided on it.
            raise self._unavailable(
                phase, tool, "an earlier tool call of this session failed and the service has not recorded it"
            )
        try:
            return _checked((yield Call("POST", "/v1/decide", body)))
        except Unavailable as e:
            raise self._unavailable(phase, tool, str(e)) from None
        except ServiceError as e:
            raise self._refused(phase, tool, e) from None

    def _pass_unchecked(self, err: GuardUnavailableError, input: Mapping[str, Any]) -> Guarded:
        g = self.guard
        if g.on_unavailable != "allow":
            raise err
        g.unchecked += 1
        log.warning("palisade: %s; on_unavailable='allow' lets it pass unchecked", err)
        g.telemetry.emit(
            {"kind": "unchecked", "time": now_ms(), "phase": err.phase, "session": self.id, "reason": str(err)}
        )
        return Guarded(decision=err.decision, payload=dict(input), unchecked=True)

    def _verdict(self, phase: Phase, input: Mapping[str, Any], d: DecisionResponse) -> Guarded | None:
        """The Guarded outcome of a decision that needs nobody; None when a human must answer."""
        if d["warnings"]:
            log.warning("palisade: %s", "; ".join(f"{w['rule']}: {w.get('message', '')}" for w in d["warnings"]))
        if self.guard.mode == "shadow":
            return Guarded(decision=d, payload=dict(input), warnings=d["warnings"])
        if d["decision"] == "allow":
            return Guarded(decision=d, payload=_payload(d, input), warnings=d["warnings"])
        if d["decision"] == "deny":
            raise PolicyDeniedError(
                denial_message(d, "denied by policy"), decision=d, phase=phase, tool=_tool_name(input), denial="deny"
            )
        return None

    def _answered(self, phase: Phase, input: Mapping[str, Any], d: DecisionResponse, a: Approval | None) -> Guarded:
        why = denial_message(d, "approval required")
        tool = _tool_name(input)
        if a is None:
            raise PolicyDeniedError(
                f"{why} (approval timed out: no answer within {self.guard.approval_timeout:g} s)",
                decision=d,
                phase=phase,
                tool=tool,
                denial="approval_timeout",
            )
        if a["status"] == "approved":
            return Guarded(decision=d, payload=_payload(d, input), approval=a, warnings=d["warnings"])
        cause: DenialCause = "approval_timeout" if a["status"] == "expired" else "approval_refused"
        by = f" by {a['decidedBy']}" if a.get("decidedBy") else ""
        note = f": {a['note']}" if a.get("note") else ""
        text = "approval expired" if a["status"] == "expired" else f"approval refused{by}"
        raise PolicyDeniedError(f"{why} ({text}{note})", decision=d, phase=phase, tool=tool, denial=cause)

    def step(self, phase: Phase, input: Mapping[str, Any]) -> Step:
        """Decides without waiting on anybody, for adapters whose framework asks the human itself
        (a LangGraph interrupt, an Agents SDK run interruption, a PydanticAI deferred call)."""
        return self.guard._run(self._step(phase, input))

    async def astep(self, phase: Phase, input: Mapping[str, Any]) -> Step:
        """As `step`, awaiting."""
        return await self.guard._arun(self._step(phase, input))

    def _step(self, phase: Phase, input: Mapping[str, Any]) -> Flow[Step]:
        try:
            d = yield from self._decide(phase, input, "input")
        except GuardUnavailableError as e:
            return Step(self, phase, input, guarded=self._pass_unchecked(e, input))
        except PolicyDeniedError as e:
            return Step(self, phase, input, denied=e)
        try:
            done = self._verdict(phase, input, d)
        except PolicyDeniedError as e:
            return Step(self, phase, input, denied=e)
        return Step(self, phase, input, guarded=done, asking=d if done is None else None)

    def enforce(self, phase: Phase, input: Mapping[str, Any]) -> Guarded:
        """Decides and enforces: returns the payload to carry on with, or raises PolicyDeniedError
        (a deny, a refused or unanswered approval, no decision from the service)."""
        return self.guard._run(self._enforce(phase, input))

    async def aenforce(self, phase: Phase, input: Mapping[str, Any]) -> Guarded:
        """As `enforce`, awaiting."""
        return await self.guard._arun(self._enforce(phase, input))

    def _enforce(self, phase: Phase, input: Mapping[str, Any]) -> Flow[Guarded]:
        try:
            d = yield from self._decide(phase, input, "input")
        except GuardUnavailableError as e:
            return self._pass_unchecked(e, input)
        done = self._verdict(phase, input, d)
        return done if done is not None else self._answered(phase, input, d, (yield from self._wait(d)))

    def _approval_path(self, d: DecisionResponse, wait: int) -> str:
        return f"{_approval_url(d)}?wait={wait}"

    # -- answers given in the framework -----------------------------------------------------

    def _relay(self, step: Step, approved: bool, by: str | None, note: str | None) -> Flow[Approval | None]:
        """Files the answer the framework's human gave on the service's approval request (the
        queue settles it, the audit log records it): the request as it then stands, or None
        when it could not be filed and that may pass (a refusal; `on_unavailable="allow"`)."""
        try:
            path, body = _relay_request(step.decision, approved, by, note)
            return _approval((yield Call("POST", path, body)))
        except (Unavailable, ServiceError) as e:
            self._unfiled(step, approved, e)
            return None

    def _unfiled(self, step: Step, approved: bool, err: Unavailable | ServiceError) -> None:
        if not approved:
            # Refused: nothing runs either way; the log misses the answer, and says so here.
            log.warning("palisade: a refusal given in the framework was not filed with the service (%s)", err)
            return
        if isinstance(err, ServiceError):
            raise err
        # An approval the service cannot record does not let the action run (fail closed).
        self._pass_unchecked(self._unavailable(step.phase, _tool_name(step.input), str(err)), step.input)

    def _wait(self, d: DecisionResponse) -> Flow[Approval | None]:
        """Waits on the service's queue until the request is answered or the guard's approval
        timeout passes (None). A service that stops answering for a while does not end the wait:
        the request lives in its store."""
        until = time.monotonic() + self.guard.approval_timeout
        while (left := until - time.monotonic()) > 0:
            wait = max(0, min(_LONG_POLL_S, int(left)))
            try:
                a = _approval(
                    (yield Call("GET", self._approval_path(d, wait), None, min(left, wait + self.guard.retry.deadline)))
                )
            except Unavailable:
                yield Sleep(min(0.5, max(0.0, until - time.monotonic())))
                continue
            if a["status"] != "pending":
                return a
            if wait == 0:
                yield Sleep(min(0.2, max(0.0, until - time.monotonic())))
        return None

    # -- texts ------------------------------------------------------------------------------

    def text(self, phase: Literal["input", "output"], text: str) -> str:
        """`text` decided on `input` (a user's message) or `output` (the agent's answer): the text
        after redactions, or PolicyDeniedError."""
        return self.guard._run(self._text(phase, text))

    async def atext(self, phase: Literal["input", "output"], text: str) -> str:
        """As `text`, awaiting."""
        return await self.guard._arun(self._text(phase, text))

    def _text(self, phase: Literal["input", "output"], text: str) -> Flow[str]:
        if phase == "output":
            return _text_of((yield from self._enforce(phase, {phase: {"text": text}})), phase, text)
        decided = _text_of((yield from self._enforce(phase, {phase: {"text": text}})), phase, text)
        self._remember_input(text, decided)
        return decided

    def _remember_input(self, text: str, decided: str) -> None:
        g = self.guard
        with g._inputs_lock:
            g._inputs[(self.id, text)] = decided
            g._inputs.move_to_end((self.id, text))
            while len(g._inputs) > 10_000:
                g._inputs.popitem(last=False)

    def earlier(self, text: str) -> str:
        """An earlier user message of this conversation, sent again: the text its own `input`
        decision left, or, when this process did not let it pass (it was denied, or decided on
        another node or before a restart), `text` decided on `input` again and recorded (a
        refused injection is refused again, never sent as history)."""
        return self.guard._run(self._earlier(text))

    async def aearlier(self, text: str) -> str:
        """As `earlier`, awaiting."""
        return await self.guard._arun(self._earlier(text))

    def _earlier(self, text: str) -> Flow[str]:
        with self.guard._inputs_lock:
            known = self.guard._inputs.get((self.id, text))
        return known if known is not None else (yield from self._text("input", text))

    def stream(self) -> OutputStream:
        """A streamed answer, decided as it arrives (`push` each delta, show what it returns,
        then `end`): see `_stream.OutputStream`."""
        return OutputStream(self, self.guard.stream_hold())

    async def astream(self) -> OutputStream:
        """As `stream`, reading the hold-back without blocking the loop (use `apush`/`aend`)."""
        return OutputStream(self, await self.guard.astream_hold())

    def output_texts(self, texts: Sequence[str]) -> list[str]:
        """Each text decided on `output` (one batch, each decision recorded): the texts after
        redactions, or PolicyDeniedError when any is denied."""
        return self.guard._run(self._output_texts(texts))

    async def aoutput_texts(self, texts: Sequence[str]) -> list[str]:
        """As `output_texts`, awaiting."""
        return await self.guard._arun(self._output_texts(texts))

    def _output_texts(self, texts: Sequence[str]) -> Flow[list[str]]:
        try:
            body = _encode({"requests": [self._request("output", {"output": {"text": t}}, "input") for t in texts]})
            return self._texts_of(texts, (yield Call("POST", "/v1/decide/batch", body)))
        except _Unrecordable as e:
            raise self._unrecordable("output", None, str(e)) from None
        except Unavailable as e:
            self._pass_unchecked(self._unavailable("output", None, str(e)), {})
            return list(texts)
        except ServiceError as e:
            raise self._refused("output", None, e) from None

    def _texts_of(self, texts: Sequence[str], answer: Any) -> list[str]:
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(texts):
            raise Unavailable("the service's answer to a batch is not one result per request")
        out: list[str] = []
        for text, r in zip(texts, results, strict=True):
            err = r.get("error") if isinstance(r, dict) else None
            if isinstance(err, dict):
                raise ServiceError(200, str(err.get("code")), str(err.get("message")), err.get("path"))
            input = {"output": {"text": text}}
            d = _checked(r)
            done = self._verdict("output", input, d)
            if done is None:
                # Nobody can be asked in the middle of a stream: an answer that needs approval is not shown.
                raise PolicyDeniedError(
                    f"{denial_message(d, 'approval required')} (an answer cannot wait for approval)",
                    decision=d,
                    phase="output",
                    tool=None,
                    denial="deny",
                )
            out.append(_text_of(done, "output", text))
        return out

    # -- tools ------------------------------------------------------------------------------

    def run_tool(self, name: str, args: Mapping[str, Any], call: Callable[[dict[str, Any]], R]) -> R:
        """Runs one tool call under policy: `tool_call` decided on `args` (which `set`/`redact` may
        rewrite) before `call` runs with the decided arguments, `tool_result` on its result before
        the caller sees it; the outcome (wall time, error, size) goes to telemetry."""
        return cast(R, self.guard._run(self._run_tool(name, args, call)))

    async def arun_tool(self, name: str, args: Mapping[str, Any], call: Callable[[dict[str, Any]], Awaitable[R]]) -> R:
        """As `run_tool`, awaiting."""
        return cast(R, await self.guard._arun(self._run_tool(name, args, call)))

    def _run_tool(self, name: str, args: Mapping[str, Any], call: Callable[[dict[str, Any]], Any]) -> Flow[Any]:
        g = yield from self._enforce("tool_call", {"tool": {"name": name, "args": dict(args)}})
        decided = _decided_args(g, args)
        started = time.perf_counter()
        try:
            result = yield Invoke(lambda: call(decided))
        except Exception as e:
            self._report(name, g, started, error=e)
            yield from self._settle_failed(g, e, False)
            raise
        given = _results.tool_result(result)
        self._report(name, g, started, size=len(given["text"]), is_error=bool(given["isError"]))
        yield from self._settle_failed(g, None, bool(given["isError"]))
        out = yield from self._enforce("tool_result", {"tool": {"name": name, "args": decided, "result": given}})
        return _results.back(result, given, _result_of(out))

    def tool_outcome(
        self,
        name: str,
        g: Guarded,
        started: float,
        *,
        size: int | None = None,
        error: BaseException | None = None,
        is_error: bool = False,
    ) -> None:
        """Reports one tool run's outcome; `is_error` when its result reports a failure (MCP's
        isError, LangChain's status "error"): such a tool failed as surely as one that raised.
        A call that failed is settled `failed` in the service's session history before this
        returns (`POST /v1/settlements`, retried within the guard's deadline), so the session's
        next decision reads it; when the service cannot take it, that next decision sends it
        again first and is refused while it cannot (spec/python-sdk.md)."""
        self._report(name, g, started, size=size, error=error, is_error=is_error)
        self.guard._run(self._settle_failed(g, error, is_error))

    def _settle_failed(self, g: Guarded, error: BaseException | None, is_error: bool) -> Flow[None]:
        """Settles the call `g` allowed as `failed` in the service's history, when it failed."""
        seq = g.decision.get("call_seq")
        if (error is None and not is_error) or g.unchecked or not isinstance(seq, int):
            return
        body: dict[str, Any] = {"session": self.id, "call_seq": seq, "outcome": "failed"}
        body["error"] = {"type": (type(error).__name__ if error is not None else "ResultError")[:200]}
        if self.guard.agent is not None:
            body["agent"] = self.guard.agent
        if self.guard.env is not None:
            body["environment"] = self.guard.env
        with self.guard._unsettled_lock:
            self.guard._unsettled.setdefault(self.id, {})[seq] = _encode(body)
        yield from self._settle_pending()

    def _settle_pending(self) -> Flow[bool]:
        """Sends this session's settlements the service has not taken; False when one could not
        be delivered (the service is unreachable, or failing): the session's next decision waits."""
        g = self.guard
        if self.id not in g._unsettled:
            return True
        with g._unsettled_lock:
            pending = list(g._unsettled.get(self.id, {}).items())
        for seq, body in pending:
            try:
                yield Call("POST", "/v1/settlements", body)
            except (Unavailable, ServiceError) as e:
                if isinstance(e, Unavailable) or e.status >= 500 or e.status == 429:
                    log.warning(
                        "palisade: call %d of session %r failed, and the service did not record it (%s)",
                        seq,
                        self.id,
                        e,
                    )
                    return False
                # Refused for good (not this key's call, or one the service does not hold): a
                # retry cannot change that; counted and logged, and the session goes on.
                g.unsettled_refused += 1
                log.warning(
                    "palisade: the service refused to record that call %d of session %r failed: %s", seq, self.id, e
                )
            with g._unsettled_lock:
                left = g._unsettled.get(self.id)
                if left is not None:
                    left.pop(seq, None)
                    if not left:
                        del g._unsettled[self.id]
        return True

    def _report(
        self,
        name: str,
        g: Guarded,
        started: float,
        *,
        size: int | None = None,
        error: BaseException | None = None,
        is_error: bool = False,
    ) -> None:
        t = self.guard.telemetry
        if not t.active:
            return
        e: OutcomeEvent = {
            "kind": "outcome",
            "time": now_ms(),
            "phase": "tool_call",
            "tool": name,
            "session": self.id,
            "durationMs": (time.perf_counter() - started) * 1000.0,
        }
        if g.decision.get("id"):
            e["decisionId"] = g.decision["id"]
        if size is not None:
            e["outputSize"] = size
        if error is not None:
            e["error"] = error_of("tool", error)
        elif is_error:
            e["error"] = {"source": "tool", "type": "ResultError", "message": "the tool's result reports an error"}
        self._subject(e)
        t.emit(e)

    def record_model(
        self,
        *,
        duration_ms: float,
        tokens: TokenUse | None = None,
        error: BaseException | None = None,
        output: str | None = None,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Reports one model call's outcome (wall time, token use, error, answer size) to telemetry."""
        t = self.guard.telemetry
        if not t.active:
            return
        e: OutcomeEvent = {
            "kind": "outcome",
            "time": now_ms(),
            "phase": "model_call",
            "session": self.id,
            "durationMs": duration_ms,
        }
        if tokens:
            e["tokens"] = tokens
        if error is not None:
            e["error"] = error_of("model", error)
        if output is not None:
            e["outputSize"] = len(output)
            e["output"] = output
        if model is not None:
            e["model"] = model
        if provider is not None:
            e["provider"] = provider
        self._subject(e)
        t.emit(e)

    def _subject(self, e: OutcomeEvent) -> None:
        if self.guard.agent is not None:
            e["agent"] = self.guard.agent
        if self.guard.env is not None:
            e["env"] = self.guard.env

    def wrap_tool(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        on_deny: OnDeny | None = None,
        exclude: Collection[str] = (),
    ) -> Callable[P, R]:
        """`fn` guarded in this session (sync stays sync, a coroutine function stays one)."""
        return _wrap(fn, lambda: self, name, on_deny, exclude)

    def tool(
        self, fn: Callable[P, R] | None = None, /, *, name: str | None = None, on_deny: OnDeny | None = None
    ) -> Any:
        """Decorator form of `wrap_tool`."""
        if fn is not None:
            return self.wrap_tool(fn, name=name, on_deny=on_deny)
        return lambda f: self.wrap_tool(f, name=name, on_deny=on_deny)


PalisadeRefusal = PolicyDeniedError | ServiceError


class Step:
    """A decision as a framework adapter meets it: allowed (`guarded`), stopped (`denied`), or
    waiting for the framework's human (`asking`, answered with `answer`)."""

    def __init__(
        self,
        session: Session,
        phase: Phase,
        input: Mapping[str, Any],
        *,
        guarded: Guarded | None = None,
        denied: PolicyDeniedError | None = None,
        asking: DecisionResponse | None = None,
    ) -> None:
        self.session = session
        self.phase: Phase = phase
        self.input = input
        self.guarded = guarded
        self.denied = denied
        self.asking = asking

    @property
    def decision(self) -> DecisionResponse:
        if self.guarded is not None:
            return self.guarded.decision
        if self.denied is not None:
            return self.denied.decision
        assert self.asking is not None
        return self.asking

    @property
    def payload(self) -> dict[str, Any]:
        """What to carry on with once allowed (or approved)."""
        if self.guarded is not None:
            return self.guarded.payload
        return _payload(self.decision, self.input)

    def approval_request(self) -> dict[str, Any]:
        """What the framework shows its human: the tool, the arguments as decided, the reasons.
        A copy: a UI that edits what it shows changes nothing that runs (an edit is a new call)."""
        return copy.deepcopy(self._approval_request())

    def _approval_request(self) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {
            "type": "palisade_approval",
            "phase": self.phase,
            "reasons": [r for r in d["reasons"] if r["effect"] == "require_approval"],
            "message": denial_message(d, "approval required"),
        }
        tool = self.payload.get("tool")
        if isinstance(tool, dict):
            out["tool"] = tool.get("name")
            out["args"] = tool.get("args")
        if "approval" in d:
            out["approval"] = d["approval"]["id"]
        return out

    def answer(self, answer: Any) -> Guarded:
        """Applies the framework's answer (`True`, or `{"approved": bool, "by"?, "reason"?}`),
        first filed on the service's approval request (`POST /v1/approvals/{id}/answered`) so
        that its queue and audit log say who answered what: the Guarded payload when approved,
        else PolicyDeniedError (approval_refused). An approver who answered the request first
        keeps the word: their refusal (or the request's expiry) stops the action all the same.
        An approval the service cannot record fails closed, as any decision does."""
        return self.session.guard._run(self._answer(answer))

    async def aanswer(self, answer: Any) -> Guarded:
        """As `answer`, awaiting."""
        return await self.session.guard._arun(self._answer(answer))

    def _answer(self, answer: Any) -> Flow[Guarded]:
        approved, by, reason = _framework_answer(answer)
        return self._settled(approved, by, reason, (yield from self.session._relay(self, approved, by, reason)))

    def _settled(self, approved: bool, by: str | None, reason: str | None, filed: Approval | None) -> Guarded:
        d = self.decision
        if not approved:
            detail = (f" by {by}" if by else "") + (f": {reason}" if reason else "")
            raise PolicyDeniedError(
                f"{denial_message(d, 'approval required')} (approval refused{detail})",
                decision=d,
                phase=self.phase,
                tool=_tool_name(self.input),
                denial="approval_refused",
            )
        if filed is None or filed["status"] == "approved":
            return Guarded(
                decision=d, payload=self.payload, approval=filed, unchecked=filed is None, warnings=d["warnings"]
            )
        return self.session._answered(self.phase, self.input, d, filed)


def _approval_url(d: DecisionResponse) -> str:
    ref = d.get("approval")
    if ref is None:
        raise ServiceError(200, "approval/missing", "a require_approval decision came without an approval request")
    return f"/v1/approvals/{quote(ref['id'], safe='')}"


def _framework_answer(answer: Any) -> tuple[bool, str | None, str | None]:
    """(approved, by, reason) of a framework's answer: only `True` or `{"approved": True}` approves."""
    approved = answer is True or (isinstance(answer, Mapping) and answer.get("approved") is True)
    by = reason = None
    if isinstance(answer, Mapping):
        b, r = answer.get("by"), answer.get("reason")
        by = str(b)[:200] if b else None
        reason = str(r)[:1000] if r else None
    return approved, by, reason


def _relay_request(d: DecisionResponse, approved: bool, by: str | None, note: str | None) -> tuple[str, bytes]:
    body: dict[str, Any] = {"approved": approved}
    if by is not None:
        body["by"] = by
    if note is not None:
        body["note"] = note
    return f"{_approval_url(d)}/answered", _ENCODER.encode(body).encode()


def _tool_name(input: Mapping[str, Any]) -> str | None:
    t = input.get("tool")
    n = t.get("name") if isinstance(t, Mapping) else None
    return n if isinstance(n, str) else None


def _payload(d: DecisionResponse, input: Mapping[str, Any]) -> dict[str, Any]:
    p = d.get("payload")
    return p if isinstance(p, dict) else dict(input)


def _decided_args(g: Guarded, given: Mapping[str, Any]) -> dict[str, Any]:
    tool = g.payload.get("tool")
    args = tool.get("args") if isinstance(tool, dict) else None
    return args if isinstance(args, dict) else dict(given)


def _result_of(g: Guarded) -> Any:
    tool = g.payload.get("tool")
    return tool.get("result") if isinstance(tool, dict) else None


def _text_of(g: Guarded, phase: str, text: str) -> str:
    part = g.payload.get(phase)
    out = part.get("text") if isinstance(part, dict) else None
    return out if isinstance(out, str) else text


def handle_denial(err: PolicyDeniedError, on_deny: OnDeny) -> Any:
    """What a guarded tool returns (or raises) when it was stopped."""
    if on_deny == "raise":
        raise err
    if on_deny == "message":
        return denied_tool_message(err)
    return on_deny(err)


def _wrap(
    fn: Callable[P, R],
    session: Callable[[], Session],
    name: str | None,
    on_deny: OnDeny | None,
    exclude: Collection[str],
) -> Callable[P, R]:
    tool_name = name or getattr(fn, "__name__", None)
    if not isinstance(tool_name, str) or tool_name == "":
        raise GuardConfigError("a tool needs a name: pass name=...")
    sig = ToolSignature(fn, exclude)

    def policy_of(s: Session) -> OnDeny:
        return on_deny if on_deny is not None else s.guard.on_deny

    if inspect.iscoroutinefunction(fn):
        afn = cast(Callable[..., Awaitable[Any]], fn)

        @functools.wraps(fn)
        async def aguarded(*args: Any, **kwargs: Any) -> Any:
            s = session()
            decided, kept = sig.split(args, kwargs)
            try:
                return await s.arun_tool(tool_name, decided, lambda a: sig.call(afn, a, kept))
            except PolicyDeniedError as e:
                return handle_denial(e, policy_of(s))

        return cast(Callable[P, R], aguarded)

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        s = session()
        decided, kept = sig.split(args, kwargs)
        try:
            return s.run_tool(tool_name, decided, lambda a: sig.call(fn, a, kept))
        except PolicyDeniedError as e:
            return handle_denial(e, policy_of(s))

    return cast(Callable[P, R], guarded)
