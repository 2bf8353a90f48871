"""PydanticAI, through its capabilities (`Agent(..., capabilities=[PalisadeCapability(guard)])`).

`wrap_tool_execute` decides each tool call on its validated arguments (rewritten by `set` and
`redact`; a deny gives the model a message, or raises) and its result; a `require_approval`
defers the call with PydanticAI's `ApprovalRequired`, so the run ends with `DeferredToolRequests`
and the application answers with `DeferredToolResults(approvals={call_id: True | False})`.
The answer is filed with the service (its approval queue and audit log): an approval when the
resumed call runs, a refusal when the next model request carries the denied call's return.
`after_output_process` decides the final answer on `output` (redactions applied); model requests
report their wall time and token use. The session is the `Session` given, else `palisade` on the
run's deps, else the run's `conversation_id`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.capabilities.abstract import ValidatedToolArgs, WrapModelRequestHandler, WrapToolExecuteHandler
from pydantic_ai.exceptions import ApprovalRequired
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models import ModelRequestContext
from pydantic_ai.output import OutputContext
from pydantic_ai.tools import ToolDefinition

from .. import _results
from .._schema import with_defaults
from ..errors import PolicyDeniedError
from ..guard import Guard, OnDeny, Session, Step, handle_denial

__all__ = ["PalisadeCapability"]


class PalisadeCapability(AbstractCapability[Any]):
    """Guards a PydanticAI agent's tool calls, their results and its final answer."""

    def __init__(self, guard: Guard | Session, *, on_deny: OnDeny = "message") -> None:
        self.target = guard
        self.on_deny: OnDeny = on_deny
        # Calls deferred for approval, per (session, call id): the resumed run answers that request.
        self._asking: OrderedDict[tuple[str, str], Step] = OrderedDict()

    def _session(self, ctx: RunContext[Any]) -> Session:
        t = self.target
        if isinstance(t, Session):
            return t
        deps = ctx.deps
        given = deps.get("palisade") if isinstance(deps, Mapping) else getattr(deps, "palisade", None)
        if isinstance(given, Session):
            return given if given.guard is t else t.session(given.id, given.principal)
        return t.session(str(ctx.conversation_id))

    async def wrap_tool_execute(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: ValidatedToolArgs,
        handler: WrapToolExecuteHandler,
    ) -> Any:
        s = self._session(ctx)
        name = call.tool_name
        plain = json.loads(json.dumps(_results.plain(args), default=_results.plain))
        key = (s.id, call.tool_call_id)
        asked = self._asking.pop(key, None) if ctx.tool_call_approved else None
        step = asked or await s.astep(
            "tool_call", {"tool": {"name": name, "args": with_defaults(plain, tool_def.parameters_json_schema)}}
        )
        try:
            if step.denied is not None:
                raise step.denied
            if step.asking is not None:
                if not ctx.tool_call_approved:
                    # Deferred before the tool runs; the run ends with DeferredToolRequests.
                    self._asking[key] = step
                    while len(self._asking) > 10_000:
                        self._asking.popitem(last=False)
                    raise ApprovalRequired(metadata=step.approval_request())
                guarded = await step.aanswer({"approved": True, "by": "deferred-tool-results"})
            else:
                assert step.guarded is not None
                guarded = step.guarded
            decided = guarded.payload.get("tool", {}).get("args", plain)
            started = time.perf_counter()
            try:
                result = await handler({**args, **decided})
            except Exception as e:
                s.tool_outcome(name, guarded, started, error=e)
                raise
            given = _results.tool_result(result)
            s.tool_outcome(name, guarded, started, size=len(given["text"]), is_error=bool(given["isError"]))
            out = await s.aenforce("tool_result", {"tool": {"name": name, "args": decided, "result": given}})
            return _results.back(result, given, out.payload.get("tool", {}).get("result"))
        except PolicyDeniedError as e:
            return handle_denial(e, self.on_deny)

    async def wrap_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, handler: WrapModelRequestHandler
    ) -> ModelResponse:
        s = self._session(ctx)
        await self._settle_refusals(s, request_context)
        started = time.perf_counter()
        try:
            r = await handler(request_context)
        except Exception as e:
            s.record_model(duration_ms=(time.perf_counter() - started) * 1000, error=e, provider="pydantic-ai")
            raise
        u = r.usage
        s.record_model(
            duration_ms=(time.perf_counter() - started) * 1000,
            tokens={"input": u.input_tokens, "output": u.output_tokens},
            output="".join(p.content for p in r.parts if isinstance(p, TextPart)),
            model=r.model_name,
            provider=r.provider_name or "pydantic-ai",
        )
        return r

    async def _settle_refusals(self, s: Session, request_context: ModelRequestContext) -> None:
        """Files the refusals the application gave (`approvals={id: False}`): no tool hook sees a
        denied call, its return part in the next request is where it shows."""
        if not self._asking:
            return
        for m in request_context.messages:
            if not isinstance(m, ModelRequest):
                continue
            for part in m.parts:
                if isinstance(part, ToolReturnPart) and part.outcome == "denied":
                    step = self._asking.pop((s.id, part.tool_call_id), None)
                    if step is not None:
                        with contextlib.suppress(PolicyDeniedError):
                            await step.aanswer({"approved": False, "by": "deferred-tool-results"})

    async def after_output_process(self, ctx: RunContext[Any], *, output_context: OutputContext, output: Any) -> Any:
        if getattr(ctx, "partial_output", False) or not isinstance(output, str):
            return output
        return await self._session(ctx).atext("output", output)
