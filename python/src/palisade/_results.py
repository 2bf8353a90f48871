"""One shape for a tool's result, whatever the framework (spec/sdk.md, "One result shape"):
policies read `tool.result` as `{text, json?, isError}`, and a rewritten result goes back in
the kind it came."""

from __future__ import annotations

import json
from typing import Any


def plain(value: Any) -> Any:
    """`value` as JSON data where a framework hands over objects (Pydantic models, dataclasses)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return value


def _json_text(text: str) -> Any:
    s = text.strip()
    if (s.startswith("{") and s.endswith("}")) or (s.startswith("[") and s.endswith("]")):
        try:
            return json.loads(s)
        except ValueError:
            return None
    return None


def tool_result(value: Any, *, is_error: bool = False) -> dict[str, Any]:
    """The `tool.result` policies read for `value`."""
    value = plain(value)
    if isinstance(value, str):
        out: dict[str, Any] = {"text": value, "isError": is_error}
        parsed = _json_text(value)
        if parsed is not None:
            out["json"] = parsed
        return out
    if value is None:
        return {"text": "", "isError": is_error}
    if isinstance(value, (dict, list)):
        return {"text": json.dumps(value, ensure_ascii=False), "json": value, "isError": is_error}
    if isinstance(value, (bool, int, float)):
        return {"text": json.dumps(value), "json": value, "isError": is_error}
    return {"text": str(value), "isError": is_error}


def back(original: Any, given: dict[str, Any], decided: Any) -> Any:
    """The result to hand on after the decision left `decided` for `given`: unchanged when the
    policies changed nothing, else the rewritten text or json in the kind `original` came."""
    if not isinstance(decided, dict) or decided == given:
        return original
    text, data = decided.get("text"), decided.get("json")
    if text != given.get("text") and isinstance(text, str):
        if isinstance(original, str) or original is None:
            return text
        parsed = _json_text(text)
        return parsed if parsed is not None and isinstance(plain(original), (dict, list)) else text
    if data != given.get("json"):
        return json.dumps(data, ensure_ascii=False) if isinstance(original, str) else data
    return original
