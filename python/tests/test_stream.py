"""Streamed answers: held back only by the span the service's output rules can match (its
`streamHold`), shown piece by piece at cuts no match straddles, denied before the denied text
is shown, failing closed when the service does not answer; through the session and both
streaming adapters (LangChain's model stream, the Agents SDK's raw deltas)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from palisade import Guard, GuardUnavailableError, PolicyDeniedError, RetryPolicy

from .proxy import proxy
from .service import Service

CARD = "4111 1111 1111 1111"
# A card whose digits sit where a 2,000-character line would be cut at a space.
LONG_LINE = "word " * 398 + CARD + " and more words after it " * 40


def deltas(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def sid() -> str:
    return f"st-{uuid.uuid4().hex}"


def test_the_hold_back_is_the_span_of_the_output_rules(guard: Guard) -> None:
    # guard.policy's output rules: pii.credit_card (its span 25: 19 digits, 4 separators and the
    # 2 characters its lookaheads read; twice over: a folded character may be a surrogate pair;
    # invisible characters are not counted) and /launch code/i (twice its 11 characters): the
    # span is read from the detector and the pattern themselves.
    assert guard.stream_hold() == 2 * 25
    assert Guard(guard.url, "pal_x", stream_hold=40).stream_hold() == 40


@pytest.mark.parametrize("size", [1, 7, 300])
def test_a_long_answer_is_shown_as_it_comes_and_a_split_card_never_is(guard: Guard, size: int) -> None:
    text = "a" * 1500 + " " + LONG_LINE
    st = guard.session(sid(), "u1").stream()
    shown: list[str] = []
    first_at = None
    for i, d in enumerate(deltas(text, size)):
        shown.append(st.push(d))
        if first_at is None and shown[-1]:
            first_at = i * size
        # Bounded: never more than three spans (plus the delta) waits to be shown.
        assert len(st.text) - len("".join(shown)) <= 3 * 256 + size
    shown.append(st.end())
    out = "".join(shown)
    assert out == text.replace(CARD, "[CARD]")
    assert first_at is not None and first_at < 1000


# U+0897 and U+1ACF are marks of Unicode 15-16 (unassigned in Python 3.11's tables, dropped
# after a digit by the engine's fold), U+FFF0 a reserved default-ignorable: counted as kept, a
# run of them pushed the card's start out of the hold-back.
@pytest.mark.parametrize("invisible", ["\u200b", "\ufe0f", "\U000e0100", "\u3164", "\u0897", "\u1acf", "\ufff0"])
def test_a_run_of_invisible_characters_does_not_push_a_card_out_of_the_hold_back(guard: Guard, invisible: str) -> None:
    card = "4111" + invisible * 3000 + " 1111 1111 1111"
    text = "card " + card + " and " + "more words " * 40
    st = guard.session(sid(), "u1").stream()
    shown = "".join(st.push(d) for d in deltas(text, 250))
    assert "4111" not in shown
    assert shown + st.end() == text.replace(card, "[CARD]")


def test_a_denied_answer_ends_the_stream_before_the_denied_text_is_shown(guard: Guard) -> None:
    text = "fine words " * 150 + "and the launch code is 0000 " + "more " * 200
    st = guard.session(sid(), "u1").stream()
    shown: list[str] = []
    with pytest.raises(PolicyDeniedError, match="launch codes"):
        for d in deltas(text, 5):
            shown.append(st.push(d))
        shown.append(st.end())
    assert shown and "".join(shown) and "launch" not in "".join(shown)
    assert st.push("after") == "" and st.end() == ""


@pytest.mark.parametrize(
    "answer",
    [(503, b'{"error":{"code":"audit/unavailable","message":"down"}}'), (200, b'{"results":[]}'), (200, b"{}")],
    ids=["down", "too-few", "not-results"],
)
def test_a_stream_without_decisions_fails_closed(service: Service, answer: tuple[int, bytes]) -> None:
    def failing(method: str, path: str, body: bytes) -> tuple[int, bytes] | None:
        return answer if path == "/v1/decide/batch" else None

    fast = RetryPolicy(deadline=1.0, attempts=2, backoff=0.01)
    with proxy(service.url, failing) as p, Guard(p.url, service.agent_key, retry=fast, outcomes=False) as g:
        st = g.session(sid(), "u1").stream()
        shown: list[str] = []
        with pytest.raises(GuardUnavailableError):
            for d in deltas(LONG_LINE, 10):
                shown.append(st.push(d))
            st.end()
        assert "".join(shown) == ""


def test_langchain_streams_a_long_line_without_the_card(guard: Guard) -> None:
    from langchain_core.messages import AIMessage, AIMessageChunk

    from .test_langchain import agent, thread

    a = agent(guard, [AIMessage(content=LONG_LINE)])
    pieces = [
        c.content
        for c, _meta in a.stream({"messages": [{"role": "user", "content": "card?"}]}, thread(), stream_mode="messages")
        if isinstance(c, AIMessageChunk | AIMessage) and isinstance(c.content, str)
    ]
    text = "".join(pieces)
    assert "[CARD]" in text and "4111" not in text and "1111 1111" not in text
    assert len([p for p in pieces if p]) > 2  # shown as it came, not held to the end


def test_openai_agents_stream_a_long_line_without_the_card(guard: Guard) -> None:
    from agents import Runner
    from agents.testing import assistant_message

    from .test_openai_agents import agent, session

    s = session(guard)
    a = agent(guard, [[assistant_message(LONG_LINE)]], s)

    async def main() -> tuple[str, Any]:
        r = Runner.run_streamed(a, "card?", context={"palisade": s})
        seen = []
        async for e in r.stream_events():
            if e.type == "raw_response_event" and getattr(e.data, "type", "") == "response.output_text.delta":
                seen.append(e.data.delta)
        await guard.aclose()
        return "".join(seen), r.final_output

    streamed, final = asyncio.run(main())
    assert "4111" not in streamed and "1111 1111" not in streamed and "[CARD]" in streamed
    assert "4111" not in final


def test_what_the_engine_fold_drops_is_never_counted_as_kept() -> None:
    # The engine's table of what its fold may drop (engine/runtime/stdlib/fold.ts `foldsAway`),
    # written by engine/sdk/test/stream-split.test.ts, which fails when it falls behind the engine.
    import json
    from pathlib import Path

    from palisade._stream import _folds_away

    ranges = json.loads((Path(__file__).parent / "folds_away.json").read_text())
    missed = [hex(cp) for a, b in ranges for cp in range(a, b + 1) if not _folds_away(chr(cp))]
    assert missed == []
