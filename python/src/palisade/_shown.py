"""The complete tool call as a framework's consumer sees it (spec/python-sdk.md, "The executable
call"). Where a framework shows the very object it runs a call from (LangGraph's state, the
Agents SDK's completed response), the adapter's model side decides each call on `tool_call` when
the answer ends (the service's decision, recorded once; the tool hook uses that step) and writes
into the object the denial marker for a denied call, or the arguments decided on `output` (their
redactions) for any other. The model's arguments and the step are held by guard, session and call
id, and the tool hook gives the tool the model's arguments back."""

from __future__ import annotations

import dataclasses
import json
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ._flow import Flow
from ._schema import with_defaults
from .errors import PolicyDeniedError
from .guard import Guard, Session, Step

DENIED_ARGS: dict[str, Any] = {"palisade": "denied"}
"""What a consumer is shown instead of the arguments of a call the guard denies."""
WITHHELD_ARGS: dict[str, Any] = {"palisade": "withheld"}
"""What a consumer is shown instead of arguments whose text is denied as output."""

_MAX_HELD = 10_000


@dataclasses.dataclass
class Held:
    step: Step
    args: dict[str, Any]
    shown: dict[str, Any]


class Withheld(Exception):
    """A marker whose arguments this guard does not hold (forgotten, another process, made up): the call does not run."""

    def __init__(self, tool: str) -> None:
        super().__init__(
            f"tool '{tool}': this call's arguments were withheld from the conversation and are no longer"
            " held by this guard; it does not run"
        )


_held: weakref.WeakKeyDictionary[Guard, OrderedDict[tuple[str, str], Held]] = weakref.WeakKeyDictionary()


def _store(s: Session) -> OrderedDict[tuple[str, str], Held]:
    store = _held.get(s.guard)
    if store is None:
        store = _held[s.guard] = OrderedDict()
    return store


def shown_flow(
    s: Session, calls: Sequence[tuple[str, str, Mapping[str, Any]]], schemas: Mapping[str, Any]
) -> Flow[list[dict[str, Any] | None]]:
    """`calls` (id, tool, arguments) decided and held; what each may be shown as (None: as it is)."""
    steps: list[Step] = []
    for _, name, args in calls:
        given = {"tool": {"name": name, "args": with_defaults(args, schemas.get(name))}}
        steps.append((yield from s._step("tool_call", given)))
    shown: list[dict[str, Any]] = [
        DENIED_ARGS if st.denied is not None else dict(c[2]) for c, st in zip(calls, steps, strict=True)
    ]
    same = [st.denied is None for st in steps]
    open_ = [i for i, st in enumerate(steps) if st.denied is None and calls[i][2]]
    if open_:
        texts = [json.dumps(calls[i][2], ensure_ascii=False) for i in open_]
        try:
            decided = yield from s._output_texts(texts)
        except PolicyDeniedError:
            decided = [json.dumps(WITHHELD_ARGS)] * len(open_)
        for i, text, d in zip(open_, texts, decided, strict=True):
            if d != text:
                try:
                    parsed = json.loads(d)
                except ValueError:
                    parsed = WITHHELD_ARGS
                shown[i] = parsed if isinstance(parsed, dict) else WITHHELD_ARGS
                same[i] = False
    store = _store(s)
    for (call_id, _, args), st, sh in zip(calls, steps, shown, strict=True):
        key = (s.id, call_id)
        store[key] = Held(st, dict(args), sh)
        store.move_to_end(key)
    while len(store) > _MAX_HELD:
        store.popitem(last=False)
    return [None if ok else sh for ok, sh in zip(same, shown, strict=True)]


def held(s: Session, call_id: str | None) -> Held | None:
    return _store(s).get((s.id, call_id or ""))


def take(s: Session, call_id: str | None, tool: str, args: Mapping[str, Any]) -> Held | None:
    """What was held for call `call_id` when `args` are what was shown of it (else None: a new
    call); a marker not held raises Withheld."""
    h = held(s, call_id)
    if h is not None and h.shown == args:
        return h
    if args in (DENIED_ARGS, WITHHELD_ARGS):
        raise Withheld(tool)
    return None


def done(s: Session, call_id: str | None) -> None:
    _store(s).pop((s.id, call_id or ""), None)
