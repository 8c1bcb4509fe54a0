"""The lists of a run that grow with its drop (the claims that need a person; the posting exceptions), kept on
disk as they are found instead of in memory: a 100,000-claim drop can hold tens of thousands of entries, and a
run's memory should not grow with its drop. An unnamed temporary file (owner-only, gone when closed or when the
process dies), one JSON line per entry, read back in order."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator

from rules.outcome import NEEDS_REVIEW

Mark = tuple[int, int, Counter]  # (entries, bytes, entries by disposition) at a point `rollback` returns to


class Spool:
    """Append-only list of dicts spooled to disk: `append`, `len`, iterate; `mark` and `rollback` undo the
    entries of a file whose transaction is read again."""

    def __init__(self, entries: Iterable[dict] = ()):
        self._file = tempfile.TemporaryFile()
        self._count = self._end = 0
        self._dispositions: Counter = Counter()
        self.extend(entries)

    def append(self, entry: dict) -> None:
        line = json.dumps(entry).encode("latin-1") + b"\n"  # ASCII: json escapes the rest
        self._file.seek(self._end)
        self._file.write(line)
        self._end += len(line)
        self._count += 1
        self._dispositions[entry.get("disposition")] += 1

    def extend(self, entries: Iterable[dict]) -> None:
        for entry in entries:
            self.append(entry)

    def mark(self) -> Mark:
        return self._count, self._end, Counter(self._dispositions)

    def rollback(self, mark: Mark) -> None:
        self._count, self._end, dispositions = mark
        self._dispositions = Counter(dispositions)
        self._file.truncate(self._end)

    @property
    def needs_review(self) -> bool:
        """Whether any entry is a claim held for review."""
        return self._dispositions[NEEDS_REVIEW] > 0

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
