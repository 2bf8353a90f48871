"""The client's wire types against the running service's OpenAPI document: every TypedDict has
exactly the schema's properties, the same required keys, and the same enums, so a change on
either side fails here."""

from __future__ import annotations

import typing
from typing import Any, get_args, get_origin

import httpx
import pytest
from typing_extensions import get_type_hints

from palisade.wire import WIRE_SCHEMAS

from .service import Service


@pytest.fixture(scope="module")
def document(service: Service) -> dict[str, Any]:
    return dict(httpx.get(service.url + "/openapi.json", timeout=30).json())


def literals(tp: Any) -> set[str] | None:
    """The strings a `Literal` (possibly inside NotRequired/Optional) allows, or None."""
    origin = get_origin(tp)
    if origin is typing.Literal:
        return {str(a) for a in get_args(tp)}
    for a in get_args(tp):
        found = literals(a)
        if found is not None:
            return found
    return None


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("name", sorted(WIRE_SCHEMAS))
def test_wire_type_matches_the_openapi_schema(document: dict[str, Any], name: str) -> None:
    cls = WIRE_SCHEMAS[name]
    schema = document["components"]["schemas"][name]
    props: dict[str, Any] = schema.get("properties", {})
    hints = get_type_hints(cls)
    assert set(hints) == set(props), f"{name}: client has {sorted(hints)}, service has {sorted(props)}"
    assert set(cls.__required_keys__) == set(schema.get("required", [])), name  # type: ignore[attr-defined]
    for field, tp in hints.items():
        allowed = literals(tp)
        enum = resolve(document, props[field]).get("enum")
        if allowed is not None and enum is not None:
            assert allowed == set(enum), f"{name}.{field}: client {sorted(allowed)}, service {sorted(enum)}"


def test_the_routes_the_client_calls_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "post" in paths["/v1/decide"]
    assert "get" in paths["/v1/approvals/{id}"]
    wait = [p for p in paths["/v1/approvals/{id}"]["get"].get("parameters", []) if p["name"] == "wait"]
    assert wait and wait[0]["schema"]["maximum"] >= 25  # the client's longest long-poll
    assert "post" in paths["/v1/approvals/{id}/answered"]
