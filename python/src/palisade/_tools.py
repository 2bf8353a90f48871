"""Plain functions as tools: their call's arguments as the `tool.args` object policies read, and
the function called again with the arguments the decision left."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import Any


class ToolSignature:
    """How one function's arguments map to `tool.args` and back."""

    def __init__(self, fn: Callable[..., Any], exclude: Collection[str] = ()) -> None:
        self.sig = inspect.signature(fn)
        self.exclude = frozenset(exclude)
        unknown = self.exclude - set(self.sig.parameters)
        if unknown:
            raise ValueError(f"exclude names no parameter of {getattr(fn, '__name__', fn)!r}: {sorted(unknown)}")

    def split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(`tool.args`, the excluded arguments) of one call, defaults applied so that policies see
        the values the function will use; `**kwargs` are flattened into the arguments."""
        bound = self.sig.bind(*args, **kwargs)
        bound.apply_defaults()
        decided: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            p = self.sig.parameters[name]
            if name in self.exclude:
                kept[name] = value
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                decided.update(value)
            elif p.kind is inspect.Parameter.VAR_POSITIONAL:
                decided[name] = list(value)
            else:
                decided[name] = value
        return decided, kept

    def call(self, fn: Callable[..., Any], decided: dict[str, Any], kept: dict[str, Any]) -> Any:
        """Calls `fn` with the decided arguments (and the excluded ones as they were)."""
        values = {**decided, **kept}
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        named = set()
        # Before a *args, arguments must go by position or they would collide with it.
        by_position = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in self.sig.parameters.values())
        for name, p in self.sig.parameters.items():
            named.add(name)
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                by_position = False
            if name not in values:
                continue
            if p.kind is inspect.Parameter.POSITIONAL_ONLY or (
                by_position and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            ):
                positional.append(values[name])
            elif p.kind is inspect.Parameter.VAR_POSITIONAL:
                positional.extend(values[name])
            elif p.kind is not inspect.Parameter.VAR_KEYWORD:
                keywords[name] = values[name]
        for name, value in values.items():
            if name not in named:
                keywords[name] = value
        return fn(*positional, **keywords)
