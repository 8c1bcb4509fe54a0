"""The 837 writer: claims (read or derived) → a complete interchange (005010X222A1 / 005010X223A2).

Claims are written in the order given. Consecutive claims under the same billing provider, subscriber and
patient share their HL loops; HL numbers are sequential with parent links and child codes. Each kind of
claim (professional, institutional) gets its own functional group, since GS08 differs; claims whose
submitter/receiver header (1000A/1000B) differs get their own transaction set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from parsers.models import Claim837, HierarchyLevel, Segment

from .x12 import InterchangeParties, SegmentRenderer, interchange

GUIDES = {"P": "005010X222A1", "I": "005010X223A2", "D": "005010X224A2"}


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


def _key(level: HierarchyLevel | None) -> tuple | None:
    return None if level is None else tuple(tuple(s) for s in level.segments[1:])


def transaction_segments(claims: Sequence[Claim837], control_number: str, version: str,
                         reference: str, when: datetime) -> list[tuple[Segment, Claim837 | None]]:
    """ST..SE of one transaction set, each segment with the claim whose delimiters it is written in."""
    first = claims[0]
    header: list[tuple[Segment, Claim837 | None]] = [(["ST", "837", control_number, version], None)]
    for seg in first.transaction.segments[1:]:
        if seg[0] == "BHT":
            seg = ["BHT", seg[1] if len(seg) > 1 else "0019", "00", reference, when.strftime("%Y%m%d"),
                   when.strftime("%H%M"), seg[6] if len(seg) > 6 else "CH"]
        header.append((seg, first))
    out = header
    hl = 0
    keys: tuple = (None, None, None)
    provider_hl = subscriber_hl = 0
    for position, claim in enumerate(claims):
        new_keys = (_key(claim.billing_provider), _key(claim.subscriber), _key(claim.patient))
        if new_keys[0] != keys[0]:
            hl += 1
            provider_hl = hl
            out.append((["HL", str(hl), "", "20", "1"], None))
            out += [(s, claim) for s in claim.billing_provider.segments[1:]]
            keys = (new_keys[0], None, None)
        # A claim of the subscriber's own sits right under 2000B, so it cannot follow a 2000C there.
        if new_keys[1] != keys[1] or (claim.patient is None and keys[2] is not None):
            hl += 1
            subscriber_hl = hl
            has_dependents = _subscriber_has_patients(claims, position, new_keys[:2])
            out.append((["HL", str(hl), str(provider_hl), "22", "1" if has_dependents else "0"], None))
            out += [(s, claim) for s in claim.subscriber.segments[1:]]
            keys = (new_keys[0], new_keys[1], None)
        if claim.patient is not None and new_keys[2] != keys[2]:
            hl += 1
            out.append((["HL", str(hl), str(subscriber_hl), "23", "0"], None))
            out += [(s, claim) for s in claim.patient.segments[1:]]
            keys = new_keys
        out += [(s, claim) for s in claim_body(claim)]
    out.append((["SE", str(len(out) + 1), control_number], None))
    return out


def _subscriber_has_patients(claims: Sequence[Claim837], start: int, keys: tuple) -> bool:
    """Whether the 2000B opened at claims[start] will have 2000C children (the claims that share it)."""
    seen_patient = False
    for claim in claims[start:]:
        if (_key(claim.billing_provider), _key(claim.subscriber)) != keys:
            break
        if claim.patient is not None:
            seen_patient = True
        elif seen_patient:
            break
    return seen_patient


def write_837(claims: Sequence[Claim837], parties: InterchangeParties, next_number: Callable[[], int],
              when: datetime, renderer: SegmentRenderer | None = None, reference: str = "") -> str:
    """One interchange holding `claims`. `next_number` hands out control numbers that never repeat."""
    renderer = renderer or SegmentRenderer()
    groups: dict[str, list[list[Claim837]]] = {}
    for claim in claims:
        sets = groups.setdefault(claim.kind, [])
        header = tuple(tuple(s) for s in claim.transaction.segments[1:] if s[0] != "BHT")
        for existing in sets:
            if tuple(tuple(s) for s in existing[0].transaction.segments[1:] if s[0] != "BHT") == header:
                existing.append(claim)
                break
        else:
            sets.append([claim])
    rendered_groups = []
    for kind, sets in groups.items():
        version = GUIDES[kind]
        bodies = []
        for members in sets:
            number = next_number()
            control = f"{number % 1_000_000_000:04d}"
            segments = transaction_segments(members, control, version, reference or f"SEC{number}", when)
            bodies.append([renderer.render(seg, claim.delimiters if claim else None) for seg, claim in segments])
        rendered_groups.append(("HC", version, bodies))
    return interchange(renderer, parties, next_number, when, rendered_groups)


def parties_from(claim: Claim837) -> InterchangeParties:
    """Sender and receiver as the provider's original interchange named them (the default for output)."""
    header = claim.transaction.header
    isa = header.interchange
    group = header.group
    if isa is None:
        raise ValueError("the original claim's file has no ISA: give sender and receiver ids in the settings")
    return InterchangeParties(isa.sender_qualifier, isa.sender_id, isa.receiver_qualifier, isa.receiver_id,
                              group.sender if group else isa.sender_id, group.receiver if group else isa.receiver_id,
                              isa.usage or "P")
