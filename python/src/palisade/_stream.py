"""Streamed text decided in whole lines: a card number or an address split across two deltas is
still decided whole, at the cost of holding back at most one line (or `max_hold` characters,
then cut at a space so that words and most identifiers stay whole)."""

from __future__ import annotations


class LineHold:
    def __init__(self, max_hold: int = 2000) -> None:
        self._held = ""
        self._max = max_hold

    def push(self, delta: str) -> str:
        """Adds a delta; returns the text now ready to be decided ("" when none)."""
        self._held += delta
        cut = self._held.rfind("\n")
        if cut >= 0:
            ready, self._held = self._held[: cut + 1], self._held[cut + 1 :]
            return ready
        if len(self._held) >= self._max:
            space = self._held.rfind(" ")
            at = space + 1 if space > 0 else len(self._held)
            ready, self._held = self._held[:at], self._held[at:]
            return ready
        return ""

    def end(self) -> str:
        """The rest, at the end of the text."""
        rest, self._held = self._held, ""
        return rest
