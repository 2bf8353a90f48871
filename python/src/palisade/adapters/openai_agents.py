"""The OpenAI Agents SDK, through its own extension points.

- `guard_agent_tool(guard, tool)`: a new `FunctionTool` (the given one is untouched) whose
  `needs_approval` asks the service (a `require_approval` becomes a run interruption the
  application answers with `state.approve(item)` / `state.reject(item)`), whose tool input
  guardrail rejects a denied call with a message the model reads (or raises), and whose invoker
  runs the call with the decided arguments and decides its result.
- `guard_agent_model(session, model)`: a `Model` whose requests are decided (`input`,
  `model_call`) and whose answers are decided on `output` with redactions applied, so the run's
  `final_output` is the redacted text; streamed text is decided in whole lines as it arrives.
- `palisade_output_guardrail(guard)`: an output guardrail that trips when the final answer is
  denied, for agents whose model is not wrapped.

The session of a call is the `Session` given, else `palisade` on the run's context
(`Runner.run(agent, input, context={"palisade": guard.session(id, user)})`); with neither the
call fails with SessionRequiredError before anything runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from agents import (
    Agent,
    FunctionTool,
    GuardrailFunctionOutput,
    Model,
    ModelResponse,
    OutputGuardrail,
    RunContextWrapper,
    ToolGuardrailFunctionOutput,
    ToolInputGuardrail,
    ToolInputGuardrailData,
)
from agents.tool_context import ToolContext
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
)

from .. import _results
from .._schema import with_defaults
from .._stream import OutputStream
from ..errors import PolicyDeniedError, SessionRequiredError
from ..guard import Guard, OnDeny, Session, Step, denied_tool_message, handle_denial

__all__ = ["GuardedAgentModel", "guard_agent_model", "guard_agent_tool", "palisade_output_guardrail"]


def session_of(target: Guard | Session, context: Any, where: str) -> Session:
    """The session a call belongs to (see the module's doc)."""
    if isinstance(target, Session):
        return target
    given = context.get("palisade") if isinstance(context, Mapping) else getattr(context, "palisade", None)
    if isinstance(given, Session):
        return given if given.guard is target else target.session(given.id, given.principal)
    if isinstance(given, Mapping) and isinstance(given.get("session"), str):
        return target.session(given["session"], given.get("principal"))
    raise SessionRequiredError(f"{where}: no session: run with context={{'palisade': guard.session(id, user)}}")


def guard_agent_tool(target: Guard | Session, tool: FunctionTool, *, on_deny: OnDeny = "message") -> FunctionTool:
    """`tool` guarded (a new FunctionTool); applying it twice is harmless."""
    if getattr(tool.on_invoke_tool, "__palisade__", False):
        return tool
    steps: OrderedDict[tuple[str, str], Step] = OrderedDict()
    original = tool.on_invoke_tool

    def call_input(args: Mapping[str, Any]) -> dict[str, Any]:
        return {"tool": {"name": tool.name, "args": with_defaults(args, tool.params_json_schema)}}

    async def step_for(s: Session, call_id: str, args: Mapping[str, Any]) -> Step:
        step = steps.get((s.id, call_id))
        if step is None:
            step = await s.astep("tool_call", call_input(args))
            steps[(s.id, call_id)] = step
            while len(steps) > 10_000:
                steps.popitem(last=False)
        return step

    def parse(text: str) -> dict[str, Any]:
        args = json.loads(text) if text else {}
        return args if isinstance(args, dict) else {}

    async def settle_refusals(ctx: RunContextWrapper[Any]) -> None:
        # A `state.reject(item)` reaches no hook of the rejected call: the next hook that sees the
        # run's context files it, so the service's queue and audit log say the call was refused.
        try:
            sid = session_of(target, ctx.context, f"tool '{tool.name}'").id
        except SessionRequiredError:
            return
        for key in [k for k, step in steps.items() if step.asking is not None and k[0] == sid]:
            if ctx.is_tool_approved(tool.name, key[1]) is False:
                step = steps.pop(key)
                with contextlib.suppress(PolicyDeniedError):
                    await step.aanswer({"approved": False, "by": "run-state"})

    async def needs_approval(ctx: RunContextWrapper[Any], params: dict[str, Any], call_id: str) -> bool:
        s = session_of(target, ctx.context, f"tool '{tool.name}'")
        return (await step_for(s, call_id, params)).asking is not None

    enabled = tool.is_enabled

    async def is_enabled(ctx: RunContextWrapper[Any], agent: Any) -> bool:
        # Asked each turn, the resumed run's first included: where a refusal is seen soonest.
        await settle_refusals(ctx)
        if not callable(enabled):
            return bool(enabled)
        on = enabled(ctx, agent)
        return bool(await on) if inspect.isawaitable(on) else bool(on)

    async def check(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        ctx = data.context
        s = session_of(target, ctx.context, f"tool '{tool.name}'")
        step = await step_for(s, ctx.tool_call_id, parse(ctx.tool_arguments))
        if step.denied is None:
            return ToolGuardrailFunctionOutput.allow({"decision": step.decision.get("id")})
        if on_deny == "raise":
            return ToolGuardrailFunctionOutput.raise_exception(
                {"decision": step.decision.get("id"), "message": str(step.denied)}
            )
        text = denied_tool_message(step.denied) if on_deny == "message" else str(on_deny(step.denied))
        return ToolGuardrailFunctionOutput.reject_content(text, {"decision": step.decision.get("id")})

    async def invoke(ctx: ToolContext[Any], arguments: str) -> Any:
        s = session_of(target, ctx.context, f"tool '{tool.name}'")
        step = await step_for(s, ctx.tool_call_id, parse(arguments))
        steps.pop((s.id, ctx.tool_call_id), None)
        try:
            if step.denied is not None:
                raise step.denied
            # Invoked while a human was asked: the run interruption was approved.
            guarded = (
                step.guarded if step.guarded is not None else await step.aanswer({"approved": True, "by": "run-state"})
            )
            tool_args = guarded.payload.get("tool", {}).get("args", parse(arguments))
            started = time.perf_counter()
            try:
                result = await original(ctx, json.dumps(tool_args))
            except Exception as e:
                s.tool_outcome(tool.name, guarded, started, error=e)
                raise
            given = _results.tool_result(result)
            s.tool_outcome(tool.name, guarded, started, size=len(given["text"]), is_error=bool(given["isError"]))
            out = await s.aenforce("tool_result", {"tool": {"name": tool.name, "args": tool_args, "result": given}})
            return _results.back(result, given, out.payload.get("tool", {}).get("result"))
        except PolicyDeniedError as e:
            return handle_denial(e, on_deny)

    invoke.__palisade__ = True  # type: ignore[attr-defined]
    guardrail: ToolInputGuardrail[Any] = ToolInputGuardrail(guardrail_function=check, name="palisade")
    return dataclasses.replace(
        tool,
        on_invoke_tool=invoke,
        needs_approval=needs_approval,
        is_enabled=is_enabled,
        tool_input_guardrails=[guardrail, *(tool.tool_input_guardrails or [])],
    )


def _newest_user_text(input: str | list[Any]) -> str | None:
    if isinstance(input, str):
        return input
    for item in reversed(input):
        if isinstance(item, Mapping) and item.get("role") == "user":
            c = item.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if isinstance(p, Mapping))
            return None
    return None


def _with_user_text(input: str | list[Any], text: str) -> str | list[Any]:
    if isinstance(input, str):
        return text
    out = list(input)
    for i in range(len(out) - 1, -1, -1):
        item = out[i]
        if isinstance(item, Mapping) and item.get("role") == "user":
            out[i] = {**item, "content": text}
            break
    return out


def _messages(input: str | list[Any]) -> list[dict[str, str]]:
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    out = []
    for item in input:
        if isinstance(item, Mapping):
            c = item.get("content", item.get("output", ""))
            text = c if isinstance(c, str) else json.dumps(c, default=str) if c is not None else ""
            out.append({"role": str(item.get("role", item.get("type", "item"))), "content": text})
    return out


def _answer_text(output: Sequence[Any]) -> str:
    """The model's answer text, for the service's answer descriptors and the evaluators."""
    return "".join(
        p.text
        for item in output
        if isinstance(item, ResponseOutputMessage)
        for p in item.content
        if isinstance(p, ResponseOutputText)
    )


class GuardedAgentModel(Model):
    """A `Model` guarded by one session (see `guard_agent_model`)."""

    def __init__(self, session: Session, model: Model, name: str = "agents-model") -> None:
        self.session = session
        self.inner = model
        self.name = name

    async def _before(self, input: str | list[Any]) -> str | list[Any]:
        s = self.session
        text = _newest_user_text(input)
        if text is not None:
            decided = await s.atext("input", text)
            if decided != text:
                input = _with_user_text(input, decided)
        await s.aenforce(
            "model_call", {"model": {"provider": "openai-agents", "name": self.name, "messages": _messages(input)}}
        )
        return input

    async def _redact(self, output: list[Any]) -> list[Any]:
        out = []
        for item in output:
            if isinstance(item, ResponseOutputMessage):
                parts = []
                for p in item.content:
                    if isinstance(p, ResponseOutputText):
                        p = p.model_copy(update={"text": await self.session.atext("output", p.text)})
                    parts.append(p)
                item = item.model_copy(update={"content": parts})
            out.append(item)
        return out

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        input = await self._before(input)
        started = time.perf_counter()
        try:
            r = await self.inner.get_response(system_instructions, input, *args, **kwargs)
        except Exception as e:
            self.session.record_model(
                duration_ms=(time.perf_counter() - started) * 1000, error=e, model=self.name, provider="openai-agents"
            )
            raise
        self.session.record_model(
            duration_ms=(time.perf_counter() - started) * 1000,
            tokens={"input": r.usage.input_tokens, "output": r.usage.output_tokens},
            output=_answer_text(r.output) or None,
            model=self.name,
            provider="openai-agents",
        )
        return dataclasses.replace(r, output=await self._redact(list(r.output)))

    async def stream_response(
        self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        input = await self._before(input)
        streams: dict[str, OutputStream] = {}
        started = time.perf_counter()
        async for event in self.inner.stream_response(system_instructions, input, *args, **kwargs):
            # A call's argument events are a preview of a call not yet decided (a card number, a
            # URL, a call the guard then denies): not passed on. The runner runs the call from
            # the completed response's items, unchanged (spec/streams.md).
            if isinstance(event, ResponseFunctionCallArgumentsDeltaEvent | ResponseFunctionCallArgumentsDoneEvent):
                continue
            if isinstance(event, ResponseTextDeltaEvent):
                stream = streams.get(event.item_id)
                if stream is None:
                    stream = streams[event.item_id] = await self.session.astream()
                ready = await stream.apush(event.delta)
                if ready:
                    yield event.model_copy(update={"delta": ready})
                continue
            if isinstance(event, ResponseCompletedEvent):
                for item_id, stream in streams.items():
                    rest = await stream.aend()
                    if rest:
                        yield ResponseTextDeltaEvent(
                            type="response.output_text.delta",
                            item_id=item_id,
                            output_index=0,
                            content_index=0,
                            delta=rest,
                            logprobs=[],
                            sequence_number=event.sequence_number,
                        )
                streams.clear()
                u = event.response.usage
                self.session.record_model(
                    duration_ms=(time.perf_counter() - started) * 1000,
                    tokens={"input": u.input_tokens, "output": u.output_tokens} if u else None,
                    output=_answer_text(event.response.output) or None,
                    model=self.name,
                    provider="openai-agents",
                )
                response = event.response.model_copy(update={"output": await self._redact(list(event.response.output))})
                yield event.model_copy(update={"response": response})
                continue
            yield event


def guard_agent_model(session: Session, model: Model, name: str = "agents-model") -> GuardedAgentModel:
    """`model` guarded by `session` (one per conversation: `agent.clone(model=guard_agent_model(s, model))`)."""
    if not isinstance(session, Session):
        raise SessionRequiredError("guard_agent_model needs a session: guard.session(id, user)")
    return GuardedAgentModel(session, model, name)


def palisade_output_guardrail(target: Guard | Session) -> OutputGuardrail[Any]:
    """An output guardrail that trips when the final answer is denied on `output`."""

    async def check(ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any) -> GuardrailFunctionOutput:
        s = session_of(target, ctx.context, "output guardrail")
        text = output if isinstance(output, str) else json.dumps(_results.plain(output), default=str)
        try:
            await s.atext("output", text)
        except PolicyDeniedError as e:
            return GuardrailFunctionOutput(
                output_info={"decision": e.decision.get("id"), "message": str(e)}, tripwire_triggered=True
            )
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=False)

    return OutputGuardrail(guardrail_function=check, name="palisade")
