"""An 835 read into claim groups, the unit that is decided and posted: every CLP of one claim id in the file
(across its transaction sets, reversals and corrections included, in file order), with the raw X12 the store
keeps so that the group can be re-read exactly later (`edi.store.codecs.payments_from_raw`)."""

from __future__ import annotations

from dataclasses import dataclass

from parsers.envelope import element
from parsers.errors import Finding
from parsers.models import ClaimPayment, Remittance
from parsers.read835 import Reader835
from parsers.syntax import Tokenizer
from rules.netting import group_by_claim

from .store.codecs import raw_remittance


@dataclass(slots=True)
class ClaimGroup:
    """Every answer of one claim id in an 835 file (`payments`, file order) and the raw X12 they came from."""

    claim_id: str
    payments: list[ClaimPayment]
    raw: str

    @property
    def remittance_key(self) -> str:
        """TRN02|TRN03 of the remittance of its last answer: with CLP01 and CLP07, the answer's identity."""
        trn = self.payments[-1].remittance.trn
        return f"{element(trn, 2)}|{element(trn, 3)}"


def read_claim_groups(data: bytes, name: str) -> tuple[list[ClaimGroup], list[Finding]]:
    """The claim groups of an 835 (in the order their claim ids first appear) and what the reader found.
    Raises parsers.errors.X12Error when the file cannot be read."""
    text = data.decode("latin-1")
    tok = Tokenizer.from_bytes(data, name)
    reader = Reader835(tok)
    loops: dict[int, tuple[str, str]] = {}  # id(payment) -> (remittance header, CLP loop), as read
    envelopes: dict[int, tuple[str | None, str | None, str]] = {}  # id(remittance) -> ISA, GS, header
    payments: list[ClaimPayment] = []
    for payment in reader.claims():
        loop = text[payment.position.offset : tok.offset]  # CLP up to the segment that ended the claim
        rem = payment.remittance
        envelope = envelopes.get(id(rem))
        if envelope is None:
            envelope = envelopes[id(rem)] = remittance_envelope(text, rem, payment.position.offset)
        loops[id(payment)] = (envelope[2], loop)
        payments.append(payment)
    groups = []
    for claim_id, group in group_by_claim(payments).items():
        rem = group[-1].remittance
        isa, gs, _ = envelopes[id(rem)]
        raw = raw_remittance(isa, gs, rem.delimiters, [loops[id(p)] for p in group], rem.findings)
        groups.append(ClaimGroup(claim_id, group, raw))
    return groups, reader.findings


def remittance_envelope(text: str, rem: Remittance, first_claim_offset: int) -> tuple[str | None, str | None, str]:
    """The raw ISA, GS and remittance header (ST..1000B, without LX/TS3/TS2) of one 835 transaction set."""
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
