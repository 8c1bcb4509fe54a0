"""CAS segments: grouping a payer's adjustments into the CAS segments of an 837 (reference §2.1).

What each CARC/RARC means (categories, actions, the sets used for routing) is in `rules.carc`.
"""

from __future__ import annotations

from decimal import Decimal

from parsers.models import Adjustment
from parsers.syntax import format_decimal

from .outcome import NEEDS_REVIEW, Refusal

MAX_TRIPLETS = 6
MAX_CAS_SEGMENTS = 5  # per 2320 or 2430 loop in the 837
EMITTED_GROUPS = ("CO", "OA", "PI", "PR")


def group_cas(adjustments: list[Adjustment]) -> list[list[str]]:
    """CAS segments for an 837 2320 or 2430 loop, mirroring the payer's 835 adjustments.

    Zero amounts are dropped (RFI 2353); a CARC repeated within a group is merged by summing amount and
    quantity (RFI 2563); groups keep the order the payer reported them in; at most six triplets a segment.
    More than five segments cannot be reported and refuses the claim.
    """
    merged: dict[tuple[str, str], list] = {}
    for adj in adjustments:
        if adj.group not in EMITTED_GROUPS:
            raise Refusal(NEEDS_REVIEW, f"adjustment group {adj.group!r} cannot be sent on a 5010 837")
        key = (adj.group, adj.reason)
        if key in merged:
            entry = merged[key]
            entry[1] += adj.amount
            if adj.quantity is not None:
                entry[2] = (entry[2] or Decimal(0)) + adj.quantity
        else:
            merged[key] = [adj.reason, adj.amount, adj.quantity]
    by_group: dict[str, list[list]] = {}
    for (group, _), entry in merged.items():
        if entry[1] != 0:
            by_group.setdefault(group, []).append(entry)
    segments: list[list[str]] = []
    for group, entries in by_group.items():
        for start in range(0, len(entries), MAX_TRIPLETS):
            seg = ["CAS", group]
            for reason, amount, quantity in entries[start : start + MAX_TRIPLETS]:
                seg += [reason, format_decimal(amount), "" if quantity is None else format_decimal(quantity)]
            segments.append(seg)
    if len(segments) > MAX_CAS_SEGMENTS:
        raise Refusal(
            NEEDS_REVIEW, f"{len(segments)} CAS segments needed at one level; an 837 allows {MAX_CAS_SEGMENTS}"
        )
    return segments


def adjustment_label(adj: Adjustment) -> str:
    return f"{adj.group}-{adj.reason}"
