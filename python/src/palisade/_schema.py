"""Arguments as the tool will see them: a model leaves out arguments that have defaults, and a
policy must not be walked around by leaving one out (`limit` absent is not `limit > 10`, yet
the tool runs with its default 50). Defaults come from the tool's JSON Schema."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def with_defaults(args: Mapping[str, Any], schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """`args` with every absent top-level property that declares a `default` filled in."""
    out = dict(args)
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if isinstance(props, Mapping):
        for name, p in props.items():
            if name not in out and isinstance(p, Mapping) and "default" in p:
                out[name] = copy.deepcopy(p["default"])
    return out
