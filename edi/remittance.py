"""The raw X12 of a remittance that the claim store keeps next to each 835 claim (see `store.raw_remittance`)."""

from __future__ import annotations

from parsers.models import Remittance


def remittance_envelope(text: str, rem: Remittance, first_claim_offset: int) -> tuple[str | None, str | None, str]:
    """The raw ISA, GS and remittance header (ST..1000B, without LX/TS3/TS2) of one 835 transaction set, as
    written in `text` (the whole file, Latin-1 decoded); `first_claim_offset` is where its first CLP starts."""
    terminator = rem.delimiters.segment
    header = rem.header
    st = header.position.offset
    isa = gs = None
    if header.interchange is not None:
        start = header.interchange.position.offset
        isa = text[start : text.index(terminator, start) + 1]
    if header.group is not None:
        start = header.group.position.offset
        gs = text[start : text.index(terminator, start) + 1]
    pieces = text[st:first_claim_offset].split(terminator)
    kept = [p for p in pieces if p.strip().split(rem.delimiters.element, 1)[0] not in ("LX", "TS3", "TS2")]
    return isa, gs, terminator.join(kept)
