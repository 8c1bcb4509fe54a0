"""The payer order of a claim: the SBR01 responsibility sequence, the payer after a given one, and the place
a payer says it took when it answered (CLP02 "processed as ...", reference §1.3, §3.8, §5.4).

Every module that compares payer places (the rules' `next_payer`, posting, the posting service) takes the
order from here.
"""

from __future__ import annotations

from parsers.models import Claim837, OtherPayer

# SBR01 payer responsibility codes in payer order: primary, secondary, tertiary, then payers 4 to 11.
SEQUENCE = "PSTABCDEFGH"

# CLP02 codes that say "processed as <place>": the place, and whether the payer forwarded the claim to the
# next payer itself (19/20/21: "... forwarded to additional payer(s)", a crossover).
PROCESSED_AS: dict[str, tuple[str, bool]] = {
    "1": ("P", False),
    "19": ("P", True),
    "2": ("S", False),
    "20": ("S", True),
    "3": ("T", False),
    "21": ("T", True),
}
STATUS_SEQUENCE = {status: place for status, (place, _) in PROCESSED_AS.items()}  # CLP02 -> SBR01 letter
CROSSOVER_STATUSES = frozenset(status for status, (_, forwarded) in PROCESSED_AS.items() if forwarded)
LATER_PAYER_STATUSES = frozenset(status for status, (place, _) in PROCESSED_AS.items() if place != SEQUENCE[0])


def next_payer(claim: Claim837) -> OtherPayer | None:
    """The payer after the one this claim was sent to: the 2320 whose SBR01 follows the 2000B SBR01."""
    sbr = claim.subscriber.sbr
    current = sbr[1] if sbr and len(sbr) > 1 else "P"
    if current not in SEQUENCE or current == SEQUENCE[-1]:
        return None
    wanted = SEQUENCE[SEQUENCE.index(current) + 1]
    return next((p for p in claim.other_payers if p.responsibility == wanted), None)
