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
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
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
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

from .. import _results, _shown
from .._files import data_url_text
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


def guard_agent_tool(
    target: Guard | Session, tool: FunctionTool, *, on_deny: OnDeny = "message", trusted_run_state: bool = False
) -> FunctionTool:
    """`tool` guarded (a new FunctionTool); applying it twice is harmless.

    A RunState may go to a client and come back: its approval counts only for a call this tool
    paused, in this session, with the arguments the human was asked about, and once; any other
    approval is filed as refused. `trusted_run_state=True` (states that never leave the
    application's servers, resumed after a restart or in another process) counts it as it is."""
    if getattr(tool.on_invoke_tool, "__palisade__", False):
        return tool
    steps: OrderedDict[tuple[str, str], Step] = OrderedDict()
    # The calls this tool paused (asked with no answer on the run's state yet): their inputs.
    paused: OrderedDict[tuple[str, str], Mapping[str, Any]] = OrderedDict()
    original = tool.on_invoke_tool

    def call_input(args: Mapping[str, Any]) -> dict[str, Any]:
        return {"tool": {"name": tool.name, "args": with_defaults(args, tool.params_json_schema)}}

    async def step_for(s: Session, call_id: str, args: Mapping[str, Any]) -> Step:
        # The run's items hold what the consumer may see of the call (`_shown_items`); the model's
        # arguments, and the step decided when the answer ended, are held for this hook.
        h = _shown.take(s, call_id, tool.name, args)
        if h is not None and h.step.input == call_input(h.args):
            steps[(s.id, call_id)] = h.step
            args = h.args
        step = steps.get((s.id, call_id))
        given = call_input(args)
        # Provider call ids restart ("call_0"): a kept step is this call's only when it was
        # decided on these arguments; else this is a new call, decided on its own.
        if step is None or step.input != given:
            step = await s.astep("tool_call", given)
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
        try:
            step = await step_for(s, call_id, params)
        except _shown.Withheld:
            # Arguments no longer held: the input guardrail rejects the call.
            return False
        if step.asking is None:
            return False
        if ctx.is_tool_approved(tool.name, call_id) is None:
            paused[(s.id, call_id)] = step.input
            while len(paused) > 10_000:
                paused.popitem(last=False)
        return True

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
        try:
            step = await step_for(s, ctx.tool_call_id, parse(ctx.tool_arguments))
        except _shown.Withheld as w:
            return ToolGuardrailFunctionOutput.reject_content(str(w))
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
        try:
            step = await step_for(s, ctx.tool_call_id, parse(arguments))
        except _shown.Withheld as w:
            return str(w)
        steps.pop((s.id, ctx.tool_call_id), None)
        _shown.done(s, ctx.tool_call_id)
        asked = paused.pop((s.id, ctx.tool_call_id), None)
        try:
            if step.denied is not None:
                raise step.denied
            # Invoked while a human was asked: the run interruption was approved, on a state
            # that may have been edited or replayed (see the docstring).
            guarded = step.guarded
            if guarded is None:
                ours = trusted_run_state or asked == step.input
                why = {} if ours else {"reason": "the run state approves a call this tool did not pause here"}
                guarded = await step.aanswer({"approved": ours, "by": "run-state", **why})
            tool_args = guarded.payload.get("tool", {}).get("args", step.input["tool"]["args"])
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


def _user_text(item: Any) -> str | None:
    c = item.get("content")
    if isinstance(c, str):
        return c
    if isinstance(c, list):
        # An attached text file (`input_file` as a data URL) is part of the message's text.
        return "".join(
            p.get("text", "") if "text" in p else (data_url_text(p.get("file_data")) or "")
            for p in c
            if isinstance(p, Mapping)
        )
    return None


def _user_items(input: list[Any]) -> list[int]:
    return [i for i, item in enumerate(input) if isinstance(item, Mapping) and item.get("role") == "user"]


def _newest_user_text(input: str | list[Any]) -> str | None:
    if isinstance(input, str):
        return input
    users = _user_items(input)
    return _user_text(input[users[-1]]) if users else None


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
        if isinstance(input, list):
            # Earlier user messages come again with each request (the run's items, the client's
            # history) as the user wrote them: they get their own decision's rewrites again.
            out = list(input)
            for i in _user_items(input)[:-1]:
                earlier = _user_text(input[i])
                if earlier:
                    decided = await s.aearlier(earlier)
                    if decided != earlier:
                        out[i] = {**input[i], "content": decided}
            input = out
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
        """`output` with each kind of text decided as the one text its reader gets (the answer's
        parts joined, the refusal, the thinking): a rewrite goes in the kind's first part, the
        others emptied."""
        slots = list(_slots(output))
        groups = [[sl for sl in slots if sl[0] == k] for k in _KINDS]
        groups = [g for g in groups if g]
        joined = [_joined(g[0][0], [sl[4] for sl in g]) for g in groups]
        if not any(joined):
            return output
        decided = await self.session.aoutput_texts(joined)
        put: dict[tuple[int, str, int], str] = {}
        for g, before, text in zip(groups, joined, decided, strict=True):
            if text != before:
                for n, (_, i, field, j, _t) in enumerate(g):
                    put[(i, field, j)] = text if n == 0 else ""
        return _put(output, put)

    async def _shown_items(self, output: list[Any], tools: Any) -> list[Any]:
        """The answer's function calls of guarded tools as `palisade._shown` allows (the denial
        marker, or the arguments decided on output): the runner runs a call from these items and
        shows the same items (the `tool_called` item and its stream event, `new_items`, a RunState
        and its interruptions); the guarded tool gives the tool the model's arguments back."""
        guarded = {
            t.name: t.params_json_schema
            for t in tools or []
            if isinstance(t, FunctionTool) and getattr(t.on_invoke_tool, "__palisade__", False)
        }
        at = [
            i
            for i, item in enumerate(output)
            if getattr(item, "type", None) == "function_call" and getattr(item, "name", None) in guarded
        ]
        calls: list[tuple[str, str, dict[str, Any]]] = []
        for i in at:
            try:
                args = json.loads(output[i].arguments or "{}")
            except ValueError:
                args = None
            calls.append((output[i].call_id, output[i].name, args if isinstance(args, dict) else {}))
        if not calls:
            return output
        s = self.session
        shown = await s.guard._arun(_shown.shown_flow(s, calls, guarded))
        out = list(output)
        for i, sh in zip(at, shown, strict=True):
            if sh is not None:
                out[i] = out[i].model_copy(update={"arguments": json.dumps(sh)})
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
        tools = args[1] if len(args) > 1 else kwargs.get("tools")
        output = await self._shown_items(await self._redact(list(r.output)), tools)
        return dataclasses.replace(r, output=output)

    async def stream_response(
        self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """The inner model's events with every text decided before it is shown: each text part
        (answer, refusal, thinking) streamed through its own `OutputStream`; the events that
        carry a part's whole text (`*.done`, content and summary parts, output items, the
        completed response) carry the decided text, never the raw one."""
        input = await self._before(input)
        texts = _StreamedTexts(self.session)
        started = time.perf_counter()
        # The items as the output_item.done events brought them: a backend whose completed response
        # has no output has the runner run those events' items (with their arguments held), so the
        # completed response is given these instead, decided as any completed output.
        done_raw: list[Any] = []
        async for event in self.inner.stream_response(system_instructions, input, *args, **kwargs):
            # A call's argument events are a preview of a call not yet decided (a card number, a
            # URL, a call the guard then denies): not passed on. The runner runs the call from
            # the completed response's items, unchanged (spec/streams.md).
            if isinstance(event, ResponseFunctionCallArgumentsDeltaEvent | ResponseFunctionCallArgumentsDoneEvent):
                continue
            if isinstance(event, _DELTAS):
                ready = await texts.push(_key(event), event)
                if ready:
                    yield event.model_copy(update={"delta": ready})
                continue
            if isinstance(event, _DONES):
                field = "refusal" if isinstance(event, ResponseRefusalDoneEvent) else "text"
                yield event.model_copy(update={field: await texts.part(_key(event), getattr(event, field))})
                continue
            if isinstance(event, _PARTS):
                part = event.part
                field = "refusal" if isinstance(part, ResponseOutputRefusal) else "text"
                text = getattr(part, field, None)
                if isinstance(text, str) and text:
                    part = part.model_copy(update={field: await texts.part(_key(event, part), text)})
                yield event.model_copy(update={"part": part})
                continue
            if isinstance(event, (ResponseOutputItemAddedEvent, ResponseOutputItemDoneEvent)):
                rests, (item,) = await texts.items([event.item], every=isinstance(event, ResponseOutputItemDoneEvent))
                for r in rests:
                    yield r
                if isinstance(event, ResponseOutputItemDoneEvent):
                    done_raw.append(event.item)
                yield event.model_copy(update={"item": _args_held(item)})
                continue
            if isinstance(event, ResponseCompletedEvent):
                # Empty output: the runner would run the done events' items, whose arguments were held.
                raw = list(event.response.output) or done_raw
                rests, output = await texts.items(raw, every=True, complete=True)
                for r in rests:
                    yield r
                u = event.response.usage
                self.session.record_model(
                    duration_ms=(time.perf_counter() - started) * 1000,
                    tokens={"input": u.input_tokens, "output": u.output_tokens} if u else None,
                    output=_answer_text(raw) or None,
                    model=self.name,
                    provider="openai-agents",
                )
                tools = args[1] if len(args) > 1 else kwargs.get("tools")
                output = await self._shown_items(output, tools)
                yield event.model_copy(update={"response": event.response.model_copy(update={"output": output})})
                continue
            yield event


# Items whose arguments are a call's (a function or MCP call's `arguments`, a custom tool call's `input`).
_ARGS_FIELDS = {"function_call": "arguments", "mcp_call": "arguments", "custom_tool_call": "input"}


def _args_held(item: Any) -> Any:
    """A call item as a consumer may see it before the call is decided: its arguments held (emptied).
    TypeScript shows them as a quiet decision allows (redacted, or none for a call it would deny);
    here every decision is the service's, recorded, so there is no quiet one to ask, and none are
    shown (spec/streams.md). The runner runs the call from the completed response, unchanged."""
    field = _ARGS_FIELDS.get(getattr(item, "type", ""))
    if field is None or not getattr(item, field, ""):
        return item
    return item.model_copy(update={field: ""})


_DELTAS = (
    ResponseTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
)
_DONES = (
    ResponseTextDoneEvent,
    ResponseRefusalDoneEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDoneEvent,
)
_PARTS = (
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
)
_SUMMARY_EVENTS = (
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
)

# A streamed text: (kind, item id). The parts of one kind in one item (the answer's text parts,
# its refusal, the thinking's summaries or reasoning texts) are one text, streamed as one.
_Key = tuple[str, str]


def _key(e: Any, part: Any = None) -> _Key:
    if isinstance(e, _SUMMARY_EVENTS):
        return ("summary", e.item_id)
    if isinstance(e, (ResponseReasoningTextDeltaEvent, ResponseReasoningTextDoneEvent)) or (
        part is not None and getattr(part, "type", "") == "reasoning_text"
    ):
        return ("reasoning", e.item_id)
    if isinstance(e, (ResponseRefusalDeltaEvent, ResponseRefusalDoneEvent)) or isinstance(part, ResponseOutputRefusal):
        return ("refusal", e.item_id)
    return ("answer", e.item_id)


def _slots(output: Sequence[Any]) -> Iterator[tuple[str, int, str, int, str]]:
    """Each text a reader is shown in `output`: (kind, item index, field, index, text)."""
    for i, item in enumerate(output):
        if isinstance(item, ResponseOutputMessage):
            for j, p in enumerate(item.content):
                if isinstance(p, ResponseOutputText):
                    yield ("answer", i, "content", j, p.text)
                elif isinstance(p, ResponseOutputRefusal):
                    yield ("refusal", i, "content", j, p.refusal)
        elif isinstance(item, ResponseReasoningItem):
            for j, summary in enumerate(item.summary):
                yield ("summary", i, "summary", j, summary.text)
            for j, reasoning in enumerate(item.content or []):
                yield ("reasoning", i, "content", j, reasoning.text)


def _with_text(part: Any, text: str) -> Any:
    return part.model_copy(update={"refusal" if isinstance(part, ResponseOutputRefusal) else "text": text})


def _put(output: Sequence[Any], put: Mapping[tuple[int, str, int], str]) -> list[Any]:
    """`output` with the texts at `put` ((item index, field, index) -> text) replaced."""
    out = list(output)
    for i in {i for i, _, _ in put}:
        item = out[i]
        update = {}
        for field in ("content", "summary"):
            parts = getattr(item, field, None)
            if isinstance(parts, list) and any((i, field, j) in put for j in range(len(parts))):
                update[field] = [
                    _with_text(p, put[(i, field, j)]) if (i, field, j) in put else p for j, p in enumerate(parts)
                ]
        out[i] = item.model_copy(update=update)
    return out


class _StreamedTexts:
    """The texts of one streamed response, each decided as it arrives (see `stream_response`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.streams: dict[_Key, OutputStream] = {}
        self.shown: dict[_Key, str] = {}
        self.told: dict[_Key, int] = {}
        self.last: dict[_Key, Any] = {}
        self.final: dict[_Key, str] = {}

    async def push(self, key: _Key, event: Any) -> str:
        if key in self.final:
            # More text after its item was done: nothing of it is shown.
            return ""
        stream = self.streams.get(key)
        if stream is None:
            stream = self.streams[key] = await self.session.astream()
        self.last[key] = event
        ready = await stream.apush(event.delta)
        self.shown[key] = self.shown.get(key, "") + ready
        return ready

    async def part(self, key: _Key, text: str) -> str:
        """What an event carrying one part's whole text may say: the decided text shown since
        the last such event (the text goes on in the next part: a match may straddle them)."""
        if key not in self.streams:
            return self.final.get(key, "") if key in self.final else await self._fresh(text)
        shown = self.shown.get(key, "")
        told, self.told[key] = self.told.get(key, 0), len(shown)
        return shown[told:]

    async def _fresh(self, text: str) -> str:
        return await self.session.atext("output", text) if text else text

    async def _end(self, key: _Key) -> tuple[Any | None, str]:
        stream = self.streams.pop(key)
        rest = await stream.aend()
        self.final[key] = self.shown.pop(key, "") + rest
        self.told.pop(key, None)
        last = self.last.pop(key)
        return (last.model_copy(update={"delta": rest}) if rest else None), self.final[key]

    async def items(self, output: Sequence[Any], *, every: bool, complete: bool = False) -> tuple[list[Any], list[Any]]:
        """The delta events still to show and `output` with its texts decided; with `every`, the
        items are complete: their streams end; with `complete`, the response is: every stream ends."""
        rests: list[Any] = []
        put: dict[tuple[int, str, int], str] = {}
        slots = list(_slots(output))
        for i in sorted({sl[1] for sl in slots}):
            for kind in _KINDS:
                group = [sl for sl in slots if sl[1] == i and sl[0] == kind]
                if not group:
                    continue
                key = (kind, str(getattr(output[i], "id", "")))
                raw = _joined(kind, [sl[4] for sl in group])
                if key in self.streams:
                    if every:
                        rest, whole = await self._end(key)
                        if rest is not None:
                            rests.append(rest)
                    else:
                        whole = self.shown.get(key, "")
                else:
                    whole = self.final[key] if key in self.final else await self._fresh(raw)
                    if every:
                        # Decided once: the completed response carries it again.
                        self.final[key] = whole
                if whole != raw:
                    for n, (_, _, field, j, _t) in enumerate(group):
                        put[(i, field, j)] = whole if n == 0 else ""
        if complete:
            for key in list(self.streams):
                rest, _ = await self._end(key)
                if rest is not None:
                    rests.append(rest)
        return rests, _put(output, put) if put else list(output)


_KINDS = ("answer", "refusal", "summary", "reasoning")


def _joined(kind: str, texts: list[str]) -> str:
    # Thinking comes in paragraphs (summaries, reasoning texts), an answer in pieces of one text.
    return ("\n\n" if kind in ("summary", "reasoning") else "").join(texts)


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
