"""Red team of the result shape (spec/sdk.md, "One result shape") on plain functions: policies
read what the caller (and so the model) gets, whatever kind of value a tool returns, and a
rewrite goes back in that kind; a value JSON cannot show is refused, never decided as its repr."""

from __future__ import annotations

import dataclasses
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from palisade import Guard, PolicyDeniedError


def sid() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_bytes_are_decided_as_their_text_and_come_back_as_bytes(guard: Guard, kind: type) -> None:
    # As repr, "é" was b'\xc3\xa9': a policy read escapes, and the caller got a str of the repr.
    @guard.tool
    def read_file(path: str) -> Any:
        return kind("café: write to bob@example.com".encode())

    @guard.tool
    def read_secret(path: str) -> Any:
        return kind(b"TOP SECRET plans")

    with guard.session(sid(), "u1"):
        out = read_file("a.txt")
        assert type(out) is kind and bytes(out).decode() == "café: write to [EMAIL]"
        with pytest.raises(PolicyDeniedError, match="classified"):
            read_secret("b.txt")


def test_a_memoryview_is_read_as_its_bytes(guard: Guard) -> None:
    @guard.tool
    def read_file(path: str) -> Any:
        return memoryview(b"to bob@example.com")

    with guard.session(sid(), "u1"):
        assert bytes(read_file("a")) == b"to [EMAIL]"


def gen() -> Iterator[str]:
    yield "TOP SECRET"


@pytest.mark.parametrize(
    "make",
    [gen, lambda: iter(["TOP SECRET"]), lambda: io.StringIO("TOP SECRET"), lambda: {"rows": gen()}],
    ids=["generator", "iterator", "file", "nested-generator"],
)
def test_a_result_json_cannot_show_is_refused_not_decided_as_its_repr(guard: Guard, make: Any) -> None:
    # Decided as "<generator object ...>", it passed; the caller then read the raw content.
    @guard.tool
    def read(doc: str) -> Any:
        return make()

    with guard.session(sid(), "u1"), pytest.raises(PolicyDeniedError) as e:
        read("x")
    assert e.value.denial == "unrecordable_input" and e.value.phase == "tool_result"


@dataclasses.dataclass
class Contact:
    name: str
    email: str


def test_tuples_dataclasses_and_nested_objects_are_read_as_json(guard: Guard) -> None:
    # A tuple was its repr (and came back a str); a dict holding a dataclass or bytes raised TypeError.
    @guard.tool
    def pair(q: str) -> Any:
        return ("ann", "ann@example.org")

    @guard.tool
    def contacts(q: str) -> Any:
        return {"people": [Contact("bob", "bob@example.com")], "raw": b"eve@example.com"}

    @guard.tool
    def one(q: str) -> Any:
        return Contact("bob", "bob@example.com")

    with guard.session(sid(), "u1"):
        assert pair("x") == ("ann", "[EMAIL]")
        assert contacts("x") == {"people": [{"name": "bob", "email": "[EMAIL]"}], "raw": "[EMAIL]"}
        assert one("x") == Contact("bob", "[EMAIL]")


class Card(BaseModel):
    owner: str
    email: str


def test_a_model_result_comes_back_as_its_model(guard: Guard) -> None:
    # A rewritten Pydantic result came back a dict (an Agents SDK ToolOutputText then reached
    # the model as the dict's repr).
    @guard.tool
    def card(q: str) -> Any:
        return Card(owner="bob", email="bob@example.com")

    with guard.session(sid(), "u1"):
        assert card("x") == Card(owner="bob", email="[EMAIL]")
