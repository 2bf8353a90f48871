"""One shape for a tool's result, whatever the framework (spec/sdk.md, "One result shape"):
policies read `tool.result` as `{text, json?, isError}`, and a rewritten result goes back in
the kind it came. Bytes are their UTF-8 text (what a model is given of a file read as bytes), a
tuple or a dataclass is JSON data like a list or a dict; a value JSON cannot show (an iterator,
a generator, a file, an awaitable) is not decided as its repr, which hides what the caller then
reads: it cannot be recorded, so the step is refused (`unrecordable_input`)."""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

BYTES = (bytes, bytearray, memoryview)


class Unshowable:
    """A value JSON cannot show, kept in the input so that recording it fails with `why`."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _unshowable(value: Any) -> bool:
    return isinstance(value, (Iterator, AsyncIterator, io.IOBase)) or inspect.isawaitable(value)


class _NotJson(TypeError):
    pass


def plain(value: Any) -> Any:
    """`value` as JSON data where a framework hands over objects (Pydantic models, dataclasses,
    tuples, bytes), all the way down; other objects are their `str`, as a framework shows them
    to its model. Raises TypeError for a value JSON cannot show."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, BYTES):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, type):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if _unshowable(value):
        raise _NotJson(f"a {type(value).__name__} result, whose content JSON cannot show: read it in the tool")
    return str(value)


def _json_text(text: str) -> Any:
    s = text.strip()
    if (s.startswith("{") and s.endswith("}")) or (s.startswith("[") and s.endswith("]")):
        try:
            return json.loads(s)
        except ValueError:
            return None
    return None


def _structured(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple, set, frozenset)) or (
        not isinstance(value, type)
        and (dataclasses.is_dataclass(value) or callable(getattr(value, "model_dump", None)))
    )


def tool_result(value: Any, *, is_error: bool = False) -> dict[str, Any]:
    """The `tool.result` policies read for `value`."""
    try:
        data = plain(value)
    except (_NotJson, RecursionError) as e:
        why = str(e) if isinstance(e, _NotJson) else "a result nested too deep (or holding itself)"
        return {"text": "", "json": Unshowable(why), "isError": is_error}
    if isinstance(data, str) and not _structured(value):
        out: dict[str, Any] = {"text": data, "isError": is_error}
        parsed = _json_text(data)
        if parsed is not None:
            out["json"] = parsed
        return out
    if data is None:
        return {"text": "", "isError": is_error}
    if isinstance(data, (dict, list)):
        return {"text": json.dumps(data, ensure_ascii=False), "json": data, "isError": is_error}
    if isinstance(data, (bool, int, float)):
        return {"text": json.dumps(data), "json": data, "isError": is_error}
    return {"text": data, "isError": is_error}


def _as_kind(original: Any, text: str) -> Any:
    if isinstance(original, BYTES):
        data = text.encode()
        return (
            bytearray(data)
            if isinstance(original, bytearray)
            else memoryview(data)
            if isinstance(original, memoryview)
            else data
        )
    return text


def _in_kind(original: Any, data: Any) -> Any:
    """Structured `data` in the kind `original` came: a tuple, the same Pydantic model
    (validated again) or dataclass; the data as is when the rewrite no longer fits it."""
    if isinstance(original, tuple) and isinstance(data, list):
        return tuple(data)
    validate = getattr(type(original), "model_validate", None)
    if callable(validate) and isinstance(data, dict):
        try:
            return validate(data)
        except ValueError:
            return data
    if dataclasses.is_dataclass(original) and not isinstance(original, type) and isinstance(data, dict):
        # The same dataclass, its top-level fields as decided (a framework's result type:
        # PydanticAI's ToolReturn keeps its metadata the application's).
        names = {f.name for f in dataclasses.fields(original) if f.init}
        try:
            return dataclasses.replace(original, **{k: v for k, v in data.items() if k in names})
        except (TypeError, ValueError):
            return data
    return data


def back(original: Any, given: dict[str, Any], decided: Any) -> Any:
    """The result to hand on after the decision left `decided` for `given`: unchanged when the
    policies changed nothing, else the rewritten text or json in the kind `original` came."""
    if not isinstance(decided, dict) or decided == given:
        return original
    text, data = decided.get("text"), decided.get("json")
    structured = _structured(original)
    if text != given.get("text") and isinstance(text, str):
        if not structured:
            return _as_kind(original, text)
        parsed = _json_text(text)
        return text if parsed is None else _in_kind(original, parsed)
    if data != given.get("json"):
        if not structured and (isinstance(original, (str, *BYTES)) or original is None):
            return _as_kind(original, json.dumps(data, ensure_ascii=False))
        return _in_kind(original, data)
    return original
