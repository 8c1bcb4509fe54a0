"""The claims that need a person in one run (file, claim id, disposition, reasons), kept on disk as they are
found instead of in memory: a 100,000-claim drop can hold tens of thousands of them, and a run's memory should
not grow with its drop. An unnamed temporary file (owner-only, gone when closed or when the process dies), one
JSON line per claim, read back in order."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator

from rules.outcome import NEEDS_REVIEW

Mark = tuple[int, int, int]  # (entries, bytes, needs-review entries) at a point `rollback` can return to


class Attention:
    """Append-only list of dicts spooled to disk: `append`, `len`, iterate; `mark` and `rollback` undo the
    entries of a file whose transaction is read again."""

    def __init__(self, entries: Iterable[dict] = ()):
        self._file = tempfile.TemporaryFile()
        self._count = self._end = self._review = 0
        self.extend(entries)

    def append(self, entry: dict) -> None:
        line = json.dumps(entry).encode("latin-1") + b"\n"  # ASCII: json escapes the rest
        self._file.seek(self._end)
        self._file.write(line)
        self._end += len(line)
        self._count += 1
        self._review += entry.get("disposition") == NEEDS_REVIEW

    def extend(self, entries: Iterable[dict]) -> None:
        for entry in entries:
            self.append(entry)

    def mark(self) -> Mark:
        return self._count, self._end, self._review

    def rollback(self, mark: Mark) -> None:
        self._count, self._end, self._review = mark
        self._file.truncate(self._end)

    @property
    def needs_review(self) -> bool:
        """Whether any entry is a claim held for review."""
        return self._review > 0

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict]:
        at = 0
        for _ in range(self._count):
            self._file.seek(at)  # its own position: an append between two steps does not move it
            line = self._file.readline()
            at += len(line)
            yield json.loads(line)

    def close(self) -> None:
        self._file.close()
