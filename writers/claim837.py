"""The 837 writer: claims (read or derived) → a complete interchange (005010X222A1 / 005010X223A2).

Claims are rendered to text the moment they are added, so a run never needs to hold its claims: only the
text. Each kind of claim (professional, institutional) gets its own functional group, since GS08 differs;
claims whose submitter/receiver header (1000A/1000B) differs get their own transaction set. Within a set,
consecutive claims under the same billing provider, subscriber and patient share their HL loops; HL numbers
are sequential with parent links and child codes.

After `finish`, the writer says where each claim landed (`Writer837.placements`, `write_837_placed`): its
CLM01, ISA13, GS06, ST02 and the ordinals of its first and last segment (ISA = 1), so nobody has to read the
interchange back to learn them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from parsers.models import Claim837, HierarchyLevel, Segment

from .x12 import InterchangeParties, SegmentRenderer, interchange

GUIDES = {"P": "005010X222A1", "I": "005010X223A2", "D": "005010X224A2"}


@dataclass(frozen=True, slots=True)
class ClaimPlacement:
    """Where one claim landed in the interchange written."""

    index: int  # the claim's place among the claims added (0-based), which is not always its place in the file
    claim_id: str  # CLM01
    isa13: str
    gs06: str
    st02: str
    first: int  # segment ordinal (ISA = 1) of its CLM
    last: int  # segment ordinal of the last segment of its 2300 loop and below (the one before the next HL/CLM/SE)


def claim_body(claim: Claim837) -> list[Segment]:
    """The claim's own segments from CLM to the end of its last line (2300 through 2440)."""
    out = list(claim.segments)
    for payer in claim.other_payers:
        out += payer.segments
    for line in claim.lines:
        out += line.segments
        for adjudication in line.adjudications:
            out += adjudication.segments
        out += line.trailing
    return out


@dataclass(frozen=True, slots=True)
class RenderedClaim:
    """One claim rendered before its place in an interchange is known: each HL loop above it (billing
    provider, subscriber, patient or None) as (its segments after the HL, their count with the HL), and its
    own segments (CLM through 2440) with their count. The HL segments themselves are numbered when placed."""

    claim: Claim837
    levels: tuple[tuple[str, int] | None, ...]
    body: str
    body_count: int


def _same(a: HierarchyLevel | None, b: HierarchyLevel | None) -> bool:
    """Same HL loop content (the HL segment itself aside)."""
    if a is b:
        return True
    return a is not None and b is not None and a.segments[1:] == b.segments[1:]


class _TransactionSet:
    """One ST..SE being written: its header (from the first claim) and its rendered body so far."""

    def __init__(self, first: Claim837, renderer: SegmentRenderer):
        self.first = first
        self.header_key = first.transaction.segments[1:]
        self.renderer = renderer
        self.body: list[str] = []  # rendered text, a claim (or an HL loop) an item
        self.segment_count = 0
        self.claims: list[tuple[int, str, int, int]] = []  # (index, CLM01, first, last): ordinals within the body
        self.header_count = 0  # ST and the header segments before the body, once rendered
        self.control = ""  # ST02, once rendered
        self.hl = 0
        self.provider: HierarchyLevel | None = None
        self.subscriber: HierarchyLevel | None = None
        self.patient: HierarchyLevel | None = None
        self.provider_hl = self.subscriber_hl = 0
        self.subscriber_has_patients = False

    def accepts(self, claim: Claim837) -> bool:
        segments = claim.transaction.segments
        return claim.transaction is self.first.transaction or [s for s in segments[1:] if s[0] != "BHT"] == [
            s for s in self.header_key if s[0] != "BHT"
        ]

    def _open(self, level: tuple[str, int], code: str, parent: int, children: str) -> int:
        self.hl += 1
        text, count = level
        hl = self.renderer.render(["HL", str(self.hl), str(parent) if parent else "", code, children])
        self.body.append(hl + text)
        self.segment_count += count
        return self.hl

    def add(self, rendered: RenderedClaim, index: int) -> None:
        claim = rendered.claim
        provider, subscriber, patient = rendered.levels
        if not _same(claim.billing_provider, self.provider):
            self.provider_hl = self._open(provider, "20", 0, "1")
            self.provider, self.subscriber, self.patient = claim.billing_provider, None, None
        # A 2000B says up front whether 2000C loops follow it; a claim that needs the other answer (or a
        # subscriber's own claim after a 2000C) opens a new 2000B.
        wants_patients = claim.patient is not None
        if (
            not _same(claim.subscriber, self.subscriber)
            or wants_patients != self.subscriber_has_patients
            or (not wants_patients and self.patient is not None)
        ):
            self.subscriber_hl = self._open(subscriber, "22", self.provider_hl, "1" if wants_patients else "0")
            self.subscriber, self.patient = claim.subscriber, None
            self.subscriber_has_patients = wants_patients
        if wants_patients and not _same(claim.patient, self.patient):
            self._open(patient, "23", self.subscriber_hl, "0")
            self.patient = claim.patient
        self.body.append(rendered.body)
        count = rendered.body_count
        self.claims.append((index, claim.claim_id, self.segment_count + 1, self.segment_count + count))
        self.segment_count += count

    def render(self, control_number: str, version: str, reference: str, when: datetime) -> list[str]:
        render = self.renderer.render
        out = [render(["ST", "837", control_number, version])]
        for seg in self.first.transaction.segments[1:]:
            if seg[0] == "BHT":
                seg = [
                    "BHT",
                    seg[1] if len(seg) > 1 else "0019",
                    "00",
                    reference,
                    when.strftime("%Y%m%d"),
                    when.strftime("%H%M"),
                    seg[6] if len(seg) > 6 else "CH",
                ]
            out.append(render(seg, self.first.delimiters))
        self.header_count, self.control = len(out), control_number
        count = len(out) + self.segment_count + 1
        out += self.body
        out.append(render(["SE", str(count), control_number]))
        return out


def _numbered(transaction: _TransactionSet, number: int, version: str, reference: str, when: datetime) -> list[str]:
    """A transaction set's text with control number `number` (ST02, and BHT03 unless `reference` is given)."""
    return transaction.render(f"{number % 1_000_000_000:04d}", version, reference or f"SEC{number}", when)


class Writer837:
    """Add claims one by one (`add`), then `finish` to get the interchange text; `placements` then says where
    each claim landed."""

    def __init__(self, renderer: SegmentRenderer | None = None):
        self.renderer = renderer or SegmentRenderer()
        self.groups: dict[str, list[_TransactionSet]] = {}
        self.count = 0
        self._envelope: tuple[int, list[int]] | None = None  # ISA13 and each GS06 drawn by `finish`
        self._alone_checked: tuple | None = None  # (transaction, parties, when) `add_if_alone_renders` passed

    def add(self, claim: Claim837) -> None:
        """Render the claim and place it (WriterError when a value holds an output delimiter)."""
        self.add_rendered(self.render_claim(claim))

    def render_claim(self, claim: Claim837) -> RenderedClaim:
        """The claim's text, its HL loops' and its own, in the order `write_837` renders them; raises
        WriterError when a value holds an output delimiter."""
        render_all = self.renderer.render_all
        delimiters = claim.delimiters
        levels = tuple(
            None if level is None else (render_all(level.segments[1:], delimiters), len(level.segments[1:]) + 1)
            for level in (claim.billing_provider, claim.subscriber, claim.patient)
        )
        body = claim_body(claim)
        return RenderedClaim(claim, levels, render_all(body, delimiters), len(body))

    def add_rendered(self, rendered: RenderedClaim) -> None:
        """Place a claim rendered by `render_claim`."""
        claim = rendered.claim
        sets = self.groups.setdefault(claim.kind, [])
        target = next((t for t in sets if t.accepts(claim)), None)
        if target is None:
            target = _TransactionSet(claim, self.renderer)
            sets.append(target)
        target.add(rendered, self.count)
        self.count += 1

    def add_if_alone_renders(self, claim: Claim837, parties: InterchangeParties, when: datetime) -> None:
        """`add` the claim once it is known to render in an interchange of its own for `parties` at `when`:
        raises what `write_837([claim], parties, ..., when)` would (WriterError: a value holding an output
        delimiter, an ISA06 longer than 15 ...), and the writer is unchanged then. The claim's transaction
        header and the envelope are checked once for a run of claims sharing them."""
        rendered = self.render_claim(claim)
        checked = self._alone_checked
        if checked is None or checked[0] is not claim.transaction or checked[1:] != (parties, when):
            version = GUIDES[claim.kind]
            header = _numbered(_TransactionSet(claim, self.renderer), 1, version, "", when)
            interchange(self.renderer, parties, lambda: 1, when, [("HC", version, [header])])
            self._alone_checked = (claim.transaction, parties, when)
        self.add_rendered(rendered)

    def finish(
        self, parties: InterchangeParties, next_number: Callable[[], int], when: datetime, reference: str = ""
    ) -> str:
        rendered_groups = []
        for kind, sets in self.groups.items():
            version = GUIDES[kind]
            bodies = []
            for transaction in sets:
                bodies.append(_numbered(transaction, next_number(), version, reference, when))
            rendered_groups.append(("HC", version, bodies))
        drawn: list[int] = []

        def envelope_number() -> int:
            drawn.append(next_number())
            return drawn[-1]

        text = interchange(self.renderer, parties, envelope_number, when, rendered_groups)
        self._envelope = (drawn[0], drawn[1:])  # `interchange` draws the ISA13 first, then each GS06 in order
        return text

    @property
    def placements(self) -> list[ClaimPlacement]:
        """Where each claim landed, in file order (after `finish`)."""
        if self._envelope is None:
            raise RuntimeError("placements are known once the interchange is finished")
        isa_number, group_numbers = self._envelope
        isa13 = f"{isa_number % 1_000_000_000:09d}"
        out: list[ClaimPlacement] = []
        ordinal = 1  # the ISA
        for sets, group_number in zip(self.groups.values(), group_numbers, strict=True):
            ordinal += 1  # GS
            gs06 = str(group_number)
            for transaction in sets:
                base = ordinal + transaction.header_count  # a body segment's ordinal = base + its ordinal in the body
                control = transaction.control
                out += [
                    ClaimPlacement(index, claim_id, isa13, gs06, control, base + first, base + last)
                    for index, claim_id, first, last in transaction.claims
                ]
                ordinal = base + transaction.segment_count + 1  # through the SE
            ordinal += 1  # GE
        return out


def write_837(
    claims: Iterable[Claim837],
    parties: InterchangeParties,
    next_number: Callable[[], int],
    when: datetime,
    renderer: SegmentRenderer | None = None,
    reference: str = "",
) -> str:
    """One interchange holding `claims`. `next_number` hands out control numbers that never repeat."""
    writer = Writer837(renderer)
    for claim in claims:
        writer.add(claim)
    return writer.finish(parties, next_number, when, reference)


def write_837_placed(
    claims: Iterable[Claim837],
    parties: InterchangeParties,
    next_number: Callable[[], int],
    when: datetime,
    renderer: SegmentRenderer | None = None,
    reference: str = "",
) -> tuple[str, list[ClaimPlacement]]:
    """`write_837`, and where each claim landed in it (file order; `ClaimPlacement.index` is the claim's
    place in `claims`)."""
    writer = Writer837(renderer)
    for claim in claims:
        writer.add(claim)
    return writer.finish(parties, next_number, when, reference), writer.placements


def parties_from(claim: Claim837) -> InterchangeParties:
    """Sender and receiver as the provider's original interchange named them (the default for output)."""
    header = claim.transaction.header
    isa = header.interchange
    group = header.group
    if isa is None:
        raise ValueError("the original claim's file has no ISA: give sender and receiver ids in the settings")
    return InterchangeParties(
        isa.sender_qualifier,
        isa.sender_id,
        isa.receiver_qualifier,
        isa.receiver_id,
        group.sender if group else isa.sender_id,
        group.receiver if group else isa.receiver_id,
        isa.usage or "P",
    )
