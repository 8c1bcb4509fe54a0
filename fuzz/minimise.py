"""A crash cut down to what makes it: whole segments first (delta debugging over the segment list), then the
elements of the segments left, then the bytes of the elements left; each step kept only when the same crash
(same entry point, exception type and line) still happens."""

from __future__ import annotations

from collections.abc import Callable

from .targets import Crash

Check = Callable[[bytes], Crash | None]


def _terminator(data: bytes) -> bytes:
    if data.startswith(b"ISA") and len(data) > 105:
        return data[105:106]
    return b"~"


def _ddmin(parts: list[bytes], join: Callable[[list[bytes]], bytes], same: Callable[[bytes], bool], budget: list[int]):
    """Remove chunks of `parts` (halves, quarters ... single parts) while `same` holds."""
    chunk = max(1, len(parts) // 2)
    while chunk >= 1 and budget[0] > 0:
        i = 0
        removed = False
        while i < len(parts) and budget[0] > 0:
            trial = parts[:i] + parts[i + chunk :]
            budget[0] -= 1
            if trial and same(join(trial)):
                parts = trial
                removed = True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return parts


def minimise(data: bytes, crash: Crash, check: Check, budget: int = 400) -> bytes:
    """The smallest input found (within `budget` runs) that still gives `crash`."""

    def same(candidate: bytes) -> bool:
        found = check(candidate)
        return found is not None and found.signature == crash.signature

    left = [budget]
    term = _terminator(data)
    segments = [s for s in data.split(term)]
    segments = _ddmin(segments, term.join, same, left)
    data = term.join(segments)
    # then element by element, segment by segment (the ISA keeps its fixed width)
    element = data[3:4] if data.startswith(b"ISA") else b"*"
    out = []
    segments = data.split(term)
    for index, seg in enumerate(segments):
        if seg.lstrip().startswith(b"ISA") or left[0] <= 0:
            out.append(seg)
            continue
        fields = seg.split(element)

        def join(fs, index=index):
            return term.join(out + [element.join(fs)] + segments[index + 1 :])

        head, tail = fields[:1], fields[1:]
        kept = _ddmin(tail, lambda fs, head=head, join=join: join(head + fs), same, left) if tail else tail
        out.append(element.join(head + kept))
    return term.join(out)
