"""Control numbers that never repeat across runs: one counter in the state directory.

With a claim store (`edi.store`), the counter is a row of the store, bumped in a store transaction, so
`edi convert`, `edi batch` and `edi watch` on one state directory share it. Without one, it is a file under a
file lock (the store takes that file's value over when it is created).

ISA13, GS06 and ST02 all come from it, so each is unique for this sender for as long as the state lives.
The counter is bumped and fsynced before the numbers are used: a crash can skip numbers, never reuse them.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

COUNTER_FILE = "control-number"
LIMIT = 999_999_999  # ISA13 has nine digits


class ControlNumbers:
    """Hands out numbers from a reserved block; `reserve(n)` takes n more from the counter file."""

    def __init__(self, state_dir: Path | None = None, store=None):
        self.path = Path(state_dir) / COUNTER_FILE if state_dir is not None else None
        self.store = store  # an edi.store.ClaimStore, or None for the file counter
        self._next = 0
        self._end = 0
        self.used: list[int] = []  # every number handed out, in order

    def reserve(self, count: int) -> None:
        if self.store is not None:
            start = self.store.reserve_control_numbers(count)
            self._next, self._end = start, start + count
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read().strip()
            start = int(text) + 1 if text else 1
            end = start + count
            if end - 1 > LIMIT:
                start, end = 1, 1 + count  # nine digits exhausted: wrap (receivers keep far fewer)
            handle.seek(0)
            handle.truncate()
            handle.write(str(end - 1))
            handle.flush()
            os.fsync(handle.fileno())
        self._next, self._end = start, end

    def __call__(self) -> int:
        if self._next >= self._end:
            self.reserve(16)
        number = self._next
        self._next += 1
        self.used.append(number)
        return number
