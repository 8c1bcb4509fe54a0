"""Control numbers that never repeat: one counter, a row of the claim store (`edi.store`).

Every command that writes an interchange (`edi convert`, `edi batch`, `edi watch`, `edi validate --ack`)
takes its ISA13, GS06 and ST02 from it, bumped in a store transaction, so each is unique for this sender for
as long as the state lives. Numbers are reserved (committed) before they are used: a crash can skip numbers,
never reuse them.
"""

from __future__ import annotations


class ControlNumbers:
    """Hands out numbers from a block reserved in the store; `reserve(n)` takes n more."""

    def __init__(self, store):
        self.store = store  # an edi.store.ClaimStore
        self._next = 0
        self._end = 0
        self.used: list[int] = []  # every number handed out, in order

    def reserve(self, count: int) -> None:
        """Reserve `count` more numbers from the store's counter."""
        start = self.store.reserve_control_numbers(count)
        self._next, self._end = start, start + count

    def __call__(self) -> int:
        if self._next >= self._end:
            self.reserve(16)
        number = self._next
        self._next += 1
        self.used.append(number)
        return number
