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
import dataclasses
import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.capabilities.abstract import (
    RawToolArgs,
    ValidatedToolArgs,
    WrapModelRequestHandler,
    WrapToolExecuteHandler,
)
from pydantic_ai.exceptions import ApprovalRequired, ModelRetry
from pydantic_ai.messages import (
    BinaryContent,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, ModelRequestContext
from pydantic_ai.output import OutputContext
from pydantic_ai.tools import ToolDefinition

from .. import _results, _shown
from .._files import bytes_text, is_text_media
from .._schema import with_defaults
from ..errors import PolicyDeniedError
from ..guard import Guard, OnDeny, Session, Step, handle_denial
from ._pydantic_stream import GuardedModel, shown_args

__all__ = ["PalisadeCapability"]


def _item_text(x: Any) -> str | None:
    """The text of one prompt item: a string, or an attached file of a text media type."""
    if isinstance(x, str):
        return x
    if isinstance(x, BinaryContent) and is_text_media(x.media_type):
        return bytes_text(x.data)
    return None


def _prompt_text(part: UserPromptPart) -> str:
    c = part.content
    return c if isinstance(c, str) else "".join(t for x in c if (t := _item_text(x)) is not None)


def _with_prompt(part: UserPromptPart, text: str) -> UserPromptPart:
    if isinstance(part.content, str):
        return dataclasses.replace(part, content=text)
    # The text items (attached text files included) decided as one text: it comes first, as
    # a string; the items that are not text stay.
    others = [x for x in part.content if _item_text(x) is None]
    return dataclasses.replace(part, content=[text, *others])


async def _decided_prompts(s: Session, messages: list[ModelMessage]) -> list[ModelMessage]:
    """The messages with the user's prompts decided on `input`: the newest (this turn's, in the
    last request) decided and recorded, earlier ones (sent again with each request: the run's
    history, `message_history`) with their own decision's rewrites (`Session.aearlier`)."""
    out = list(messages)
    last = len(messages) - 1
    for i, m in enumerate(messages):
        if not isinstance(m, ModelRequest):
            continue
        parts = list(m.parts)
        for j, p in enumerate(parts):
            if isinstance(p, UserPromptPart):
                text = _prompt_text(p)
                if not text:
                    continue
                decided = await (s.atext("input", text) if i == last else s.aearlier(text))
                if decided != text:
                    parts[j] = _with_prompt(p, decided)
        if parts != list(m.parts):
            out[i] = dataclasses.replace(m, parts=parts)
    return out if out != messages else messages


def _joined(parts: list[Any], group: list[int]) -> str:
    # Thinking comes in paragraphs, an answer in pieces of one text.
    sep = "\n\n" if isinstance(parts[group[0]], ThinkingPart) else ""
    return sep.join(str(parts[i].content) for i in group)


def _spread(parts: list[Any], group: list[int], text: str) -> None:
    """The decided text in the group's first part, the others emptied."""
    for n, i in enumerate(group):
        parts[i] = dataclasses.replace(parts[i], content=text if n == 0 else "")


def _roles(messages: list[ModelMessage]) -> list[dict[str, str]]:
    out = []
    for m in messages:
        for p in m.parts:
            if isinstance(p, UserPromptPart):
                out.append({"role": "user", "content": _prompt_text(p)})
            elif isinstance(p, TextPart):
                out.append({"role": "assistant", "content": p.content})
    return out


class PalisadeCapability(AbstractCapability[Any]):
    """Guards a PydanticAI agent's tool calls, their results and its final answer."""

    def __init__(
        self, guard: Guard | Session, *, on_deny: OnDeny = "message", trusted_deferred_results: bool = False
    ) -> None:
        """`trusted_deferred_results=True`: the application's message history and
        DeferredToolResults never leave its servers, so an approval counts as it is (a run resumed
        after a restart or in another process). By default an approval counts only for a call
        this capability deferred, in that conversation, with the same arguments, once; any other
        is filed as refused."""
        self.target = guard
        self.on_deny: OnDeny = on_deny
        self.trusted_deferred_results = trusted_deferred_results
        # Calls deferred for approval, per (session, call id): the resumed run answers that request.
        self._asking: OrderedDict[tuple[str, str], Step] = OrderedDict()
        # Answers decided with their response, per (session, decided text): not decided again as output.
        self._answered: OrderedDict[tuple[str, str], None] = OrderedDict()
        # Runs whose model streams through GuardedModel (their partial outputs are decided text).
        self._streamed: OrderedDict[str, None] = OrderedDict()
        # Steps of calls decided when their answer ended (palisade._shown), per (session, call id).
        self._early: OrderedDict[tuple[str, str], Step] = OrderedDict()

    def _session(self, ctx: RunContext[Any]) -> Session:
        t = self.target
        if isinstance(t, Session):
            return t
        deps = ctx.deps
        given = deps.get("palisade") if isinstance(deps, Mapping) else getattr(deps, "palisade", None)
        if isinstance(given, Session):
            return given if given.guard is t else t.session(given.id, given.principal)
        return t.session(str(ctx.conversation_id))

    async def before_tool_validate(
        self, ctx: RunContext[Any], *, call: ToolCallPart, tool_def: ToolDefinition, args: RawToolArgs
    ) -> RawToolArgs:
        """The model's arguments when the history holds what was shown of them (palisade._shown);
        a marker not held is not run (the model is asked again, told why)."""
        s = self._session(ctx)
        try:
            given = json.loads(args) if isinstance(args, str) else args
        except ValueError:
            return args
        try:
            h = _shown.take(s, call.tool_call_id, call.tool_name, given) if isinstance(given, dict) else None
        except _shown.Withheld as w:
            raise ModelRetry(str(w)) from None
        if h is None:
            return args
        self._early[(s.id, call.tool_call_id)] = h.step
        while len(self._early) > 10_000:
            self._early.popitem(last=False)
        return dict(h.args)

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
        given = {"tool": {"name": name, "args": with_defaults(plain, tool_def.parameters_json_schema)}}
        asked = self._asking.pop(key, None) if ctx.tool_call_approved else None
        # Arguments edited in the resumed history make a new call, decided on its own.
        if asked is not None and asked.input != given:
            asked = None
        early = self._early.pop(key, None)
        if early is not None and early.input != given:
            early = None
        step = asked or early or await s.astep("tool_call", given)
        try:
            if step.denied is not None:
                raise step.denied
            if step.asking is not None:
                if not ctx.tool_call_approved:
                    # Deferred before the tool runs; the run ends with DeferredToolRequests.
                    self._asking[key] = step
                    while len(self._asking) > 10_000:
                        self._asking.popitem(last=False)
                    raise ApprovalRequired(metadata=self._shown_request(s, call.tool_call_id, step))
                # An approval counts for the call deferred here, once (see __init__).
                ours = self.trusted_deferred_results or step is asked
                why = {} if ours else {"reason": "the deferred results approve a call this agent did not defer here"}
                guarded = await step.aanswer({"approved": ours, "by": "deferred-tool-results", **why})
            else:
                assert step.guarded is not None
                guarded = step.guarded
            _shown.done(s, call.tool_call_id)
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

    @staticmethod
    def _shown_request(s: Session, call_id: str, step: Step) -> dict[str, Any]:
        """What the application's human is shown: the arguments as the history shows them, when the decided ones are the model's."""
        asked = step.approval_request()
        h = _shown.held(s, call_id)
        if h is not None and asked.get("args") == h.args:
            asked["args"] = h.shown
        return asked

    async def wrap_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, handler: WrapModelRequestHandler
    ) -> ModelResponse:
        s = self._session(ctx)
        await self._settle_refusals(s, request_context)
        messages = await _decided_prompts(s, request_context.messages)
        await s.aenforce(
            "model_call",
            {
                "model": {
                    "provider": "pydantic-ai",
                    "name": request_context.model.model_name,
                    "messages": _roles(messages),
                }
            },
        )
        if messages is not request_context.messages:
            request_context = dataclasses.replace(request_context, messages=messages)
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
        # A streamed response was decided as it streamed (GuardedModel).
        if request_context.streaming:
            return r
        r = await self._decided_response(s, r)
        return await self._shown_calls(s, r, request_context)

    @staticmethod
    async def _shown_calls(s: Session, r: ModelResponse, request_context: ModelRequestContext) -> ModelResponse:
        """The response's calls of the agent's tools as palisade._shown allows: the run's history
        (all_messages, the run's events) holds them; `before_tool_validate` gives the tool the model's."""
        params = request_context.model_request_parameters
        names = {t.name for t in params.function_tools}
        at = [i for i, p in enumerate(r.parts) if isinstance(p, ToolCallPart) and p.tool_name in names]
        if not at:
            return r
        shown = await shown_args(s, [r.parts[i] for i in at], params.function_tools)
        parts: list[Any] = list(r.parts)
        for i, sh in zip(at, shown, strict=True):
            if sh is not None:
                parts[i] = dataclasses.replace(parts[i], args=json.dumps(sh))
        return dataclasses.replace(r, parts=parts)

    async def _decided_response(self, s: Session, r: ModelResponse) -> ModelResponse:
        """The response with its text and its thinking decided on `output`, each as one text (the
        run's messages keep what was decided)."""
        parts: list[Any] = list(r.parts)
        groups = [[i for i, p in enumerate(parts) if isinstance(p, kind)] for kind in (TextPart, ThinkingPart)]
        groups = [g for g in groups if g and any(parts[i].content for i in g)]
        joined = [_joined(parts, g) for g in groups]
        decided = await s.aoutput_texts(joined) if groups else []
        for g, before, text in zip(groups, joined, decided, strict=True):
            if isinstance(parts[g[0]], TextPart):
                self._remember_answer(s, text)
            if text != before:
                _spread(parts, g, text)
        return dataclasses.replace(r, parts=parts) if parts != list(r.parts) else r

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
        if not isinstance(output, str):
            return await self._structured(ctx, output)
        s = self._session(ctx)
        if (s.id, output) in self._answered:
            # Decided with the response it came in (or as it streamed): a partial output is
            # what was decided so far.
            return output
        if getattr(ctx, "partial_output", False):
            # Text streamed through GuardedModel was decided as it came; through a model this
            # capability did not wrap, nothing undecided is shown.
            return output if str(ctx.run_id) in self._streamed else ""
        return await s.atext("output", output)

    async def _structured(self, ctx: RunContext[Any], output: Any) -> Any:
        """A structured answer decided on `output` as its JSON text; a rewrite comes back in its
        type (a Pydantic model validated again), or, when it no longer fits it, is refused."""
        if output is None or getattr(ctx, "partial_output", False) or str(ctx.run_id) in self._streamed:
            # Streamed through GuardedModel: built from arguments decided whole (a partial one
            # of what was decided so far, which is nothing until its end).
            return output
        text = json.dumps(_results.plain(output), ensure_ascii=False)
        g = await self._session(ctx).aenforce("output", {"output": {"text": text}})
        got = g.payload.get("output")
        decided = got.get("text") if isinstance(got, dict) else text
        if not isinstance(decided, str) or decided == text:
            return output
        try:
            data = json.loads(decided)
            validate = getattr(type(output), "model_validate", None)
            return validate(data) if callable(validate) else data
        except ValueError as e:
            raise PolicyDeniedError(
                f"the answer as decided no longer fits {type(output).__name__} ({e}), so it is not given",
                decision=g.decision,
                phase="output",
                tool=None,
                denial="deny",
            ) from None

    def get_wrapper_model(self, model: Model) -> Model | None:
        return GuardedModel(model, self._session, self._remember_answer, self._stream_started)

    def _stream_started(self, ctx: RunContext[Any]) -> None:
        self._streamed[str(ctx.run_id)] = None
        while len(self._streamed) > 10_000:
            self._streamed.popitem(last=False)

    def _remember_answer(self, s: Session, text: str) -> None:
        self._answered[(s.id, text)] = None
        self._answered.move_to_end((s.id, text))
        while len(self._answered) > 10_000:
            self._answered.popitem(last=False)
