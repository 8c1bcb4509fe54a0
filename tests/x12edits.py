"""Small edits of the worked examples (one segment per line) that plant one known fault each."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = SHARED / "reference" / "examples"
CORPUS = SHARED / "corpus"


def lines(name: str) -> list[str]:
    return (EXAMPLES / name).read_text(encoding="ascii").splitlines()


def ordinal(segs: list[str], prefix: str) -> int:
    """1-based ordinal of the only segment starting with `prefix` (the examples are one segment a line)."""
    hits = [i + 1 for i, s in enumerate(segs) if s.startswith(prefix)]
    assert len(hits) == 1, f"{prefix!r} should occur once, found {hits}"
    return hits[0]


def replace(segs: list[str], old: str, new: str | None) -> list[str]:
    """Replace (or, with None, delete) the only segment equal to `old`."""
    i = ordinal(segs, old) - 1
    assert segs[i] == old, (segs[i], old)
    return segs[:i] + ([new] if new is not None else []) + segs[i + 1 :]


def recount(segs: list[str]) -> list[str]:
    """Set SE01 of every transaction set to its real count, so only the planted fault remains."""
    out = list(segs)
    start = 0
    for i, s in enumerate(out):
        if s.startswith("ST*"):
            start = i
        elif s.startswith("SE*"):
            parts = s.rstrip("~").split("*")
            parts[1] = str(i - start + 1)
            out[i] = "*".join(parts) + "~"
    return out


def write(directory: Path, name: str, segs: list[str]) -> Path:
    path = directory / name
    path.write_text("\n".join(segs) + "\n", encoding="ascii")
    return path


def byte_offset(path: Path, ordinal_: int) -> int:
    """Byte offset of the segment at `ordinal_` in a one-segment-a-line file."""
    data = path.read_bytes().split(b"\n")
    return sum(len(line) + 1 for line in data[: ordinal_ - 1])
