"""A streamed answer decided as it arrives, holding back only the last `hold` characters the
detectors' fold keeps (zero-width and other ignorable characters, however many, are not counted:
spec/streams.md): the longest text a pattern of the output rules can match (the service reports it, `streamHold` in
`/v1/status`). A piece is shown only up to a cut that no match straddles: the text since the last
cut, its head and its rest are decided in one batch, and the head is shown only when deciding the
two apart gives what deciding them together gives (spec/sdk.md, "Streams"). A deny of any piece
ends the stream before the denied text is shown; at the end the whole answer is decided and
recorded once. Without a cut that agrees the text waits, and is tried again once `hold` more
characters have come, so a long answer costs O(length / hold) round trips."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._flow import Flow
    from .guard import Session


# Default-ignorable code points that are not Cf (which the category test catches): combining
# grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian selectors, variation
# selectors, tags and their reserved plane block. Counting one as ignorable when the fold keeps
# it only makes the hold-back longer.
_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0x1BCA0, 0x1BCA3),
    (0xE0000, 0xE0FFF),
)


def _folds_away(ch: str) -> bool:
    """Whether the detectors' fold may drop `ch`: it does not count toward the hold-back. A
    superset of the engine's `foldsAway` (python/tests/folds_away.json holds its table): a code
    point this Python's Unicode tables do not know (Cn) may be a mark of a later version the
    engine's tables know and its fold drops, or a reserved default-ignorable (U+FFF0-FFF8);
    counting it as dropped only lengthens the hold-back."""
    if ch < "\x80":
        return False
    if unicodedata.category(ch) in ("Cf", "Mn", "Mc", "Me", "Cn"):
        return True
    o = ord(ch)
    return any(a <= o <= b for a, b in _IGNORABLE)


def _kept(text: str) -> int:
    """The characters of `text` the fold keeps."""
    return len(text) if text.isascii() else sum(1 for ch in text if not _folds_away(ch))


def _kept_back(text: str, count: int) -> int:
    """The position `p` such that `text[p:]` holds `count` kept characters (0 when it has fewer)."""
    i = len(text)
    kept = 0
    while kept < count and i > 0:
        i -= 1
        if not _folds_away(text[i]):
            kept += 1
    return i


class OutputStream:
    """`push` each delta and show what it returns; `end` gives the rest. Raises PolicyDeniedError
    when the answer so far is denied, GuardUnavailableError when no decision came."""

    def __init__(self, session: Session, hold: int) -> None:
        self._session = session
        self._hold = max(1, hold)
        self._raw = ""
        self._emitted = 0
        # Kept characters not yet shown, and how many must wait before a cut is tried.
        self._pending = 0
        self._next_try = 2 * self._hold
        self._ended = False

    @property
    def text(self) -> str:
        """The whole raw answer so far."""
        return self._raw

    def _add(self, delta: str) -> tuple[int, list[str]] | None:
        """Adds a delta; the cut to try and the texts to decide for it, when it is time to."""
        if self._ended:
            return None
        self._raw += delta
        self._pending += _kept(delta)
        if self._session.guard.mode == "shadow":
            return None
        if self._pending <= self._next_try:
            return None
        cut = max(self._emitted, _kept_back(self._raw, self._hold))
        return cut, [self._raw[self._emitted :], self._raw[self._emitted : cut], self._raw[cut:]]

    def _take(self, cut: int, texts: list[str], decided: list[str]) -> str:
        whole, head, rest = decided
        if head + rest == whole:
            self._pending -= _kept(texts[1])
            self._emitted = cut
            self._next_try = 2 * self._hold
            return head
        # A match may straddle the cut: wait for `hold` more characters before trying again.
        self._next_try = self._pending + self._hold
        return ""

    def _shadow_piece(self) -> str:
        piece, self._emitted = self._raw[self._emitted :], len(self._raw)
        return piece

    def push(self, delta: str) -> str:
        """Adds a delta; returns the text now safe to show ("" when none)."""
        return self._session.guard._run(self._push(delta))

    async def apush(self, delta: str) -> str:
        """As `push`, awaiting."""
        return await self._session.guard._arun(self._push(delta))

    def end(self) -> str:
        """The rest of the answer, after the whole answer is decided and recorded."""
        return self._session.guard._run(self._end())

    async def aend(self) -> str:
        """As `end`, awaiting."""
        return await self._session.guard._arun(self._end())

    def _push(self, delta: str) -> Flow[str]:
        want = self._add(delta)
        if want is None:
            return self._shadow_piece() if self._session.guard.mode == "shadow" and not self._ended else ""
        cut, texts = want
        return self._take(cut, texts, (yield from self._decided(texts)))

    def _end(self) -> Flow[str]:
        if self._ended:
            return ""
        out = yield from self._decided([self._raw, self._raw[self._emitted :]])
        self._ended = True
        return out[1]

    def _decided(self, texts: list[str]) -> Flow[list[str]]:
        try:
            return (yield from self._session._output_texts(texts))
        except BaseException:
            # A deny (or no decision) ends the stream: nothing more of it is shown.
            self._ended = True
            raise
