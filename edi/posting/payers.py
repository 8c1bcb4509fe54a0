"""Which of a claim account's payers an 835 answer is from.

Which payer answered. An account's payers come from the stored original claim: 2000B SBR01 with 2010BB
NM109, then each 2320 SBR01 with its 2330B NM109 (and the member id of 2010BA / 2330A NM109). The 835's payer
is resolved to one of them, first rule that decides:

1. a payer id the 835 gives (1000A REF*2U, N104, then TRN03) equal to one of the account's payer ids;
2. a reversal (CLP02=22): the payer whose answer on file has the reversed CLP07;
3. otherwise the account's next expected payer (the first in SBR01 order without an answer on file), unless
   the member id of the 835 claim (NM1*IL, else NM1*QC, NM109) or the sequence CLP02 states (1/19 P, 2/20 S,
   3/21 T) names another of the account's payers, which then wins (member id before CLP02).

Example A's secondary 835 (A_secondary_payer.835) has no REF*2U and no N104, and its TRN03 1222222222 is
none of the claim's payer ids: rule 3 answers the S payer 22222, the next expected payer once the primary
has posted, which its CLP02=2 and member id SEC778899 (the 2330A NM109 of that payer) confirm.
"""

from __future__ import annotations

from parsers.models import Claim837, ClaimPayment
from rules.payer_order import SEQUENCE, STATUS_SEQUENCE
from rules.posting import ClaimAccount


def account_payers(claim: Claim837) -> list[list[str]]:
    """[[SBR01, payer id, member id], ...] of an original claim: 2000B/2010BB/2010BA, then every 2320."""
    sbr = claim.subscriber.sbr
    subscriber = claim.subscriber.find("NM1", "IL")
    payers = [
        [
            (sbr[1] if sbr and len(sbr) > 1 else "P") or "P",
            claim.payer_id,
            subscriber[9] if subscriber and len(subscriber) > 9 else "",
        ]
    ]
    for other in claim.other_payers:
        nm1 = other.subscriber
        payers.append([other.responsibility, other.payer_id, nm1[9] if nm1 and len(nm1) > 9 else ""])
    return [p for p in payers if p[0] in SEQUENCE]


def resolve_payer(payment: ClaimPayment, payers: list[list[str]], account: ClaimAccount) -> tuple[str, str, str] | None:
    """(sequence, payer id, how) of the payer that sent `payment` among the account's payers (module doc)."""
    if not payers:
        return None
    rem = payment.remittance
    given = []
    if rem is not None:
        if rem.payer is not None:
            given += [(rem.payer.reference("2U"), "1000A REF*2U"), (rem.payer.id, "N104")]
        given.append((rem.payer_trn_id, "TRN03"))
    for value, where in given:
        for seq, pid, _ in payers:
            if value and value == pid:
                return seq, pid, f"payer id {value} ({where}) is the claim's {seq} payer"
    if payment.is_reversal:
        held = next((a for a in account.active() if a.payer_claim_number == payment.payer_claim_number), None)
        if held is not None:
            return (
                held.sequence,
                held.payer_id,
                (f"reversal of CLP07 {payment.payer_claim_number}, the {held.sequence} payer's answer on file"),
            )
    answered = {a.sequence for a in account.active()}
    expected = next((p for p in sorted(payers, key=lambda p: SEQUENCE.index(p[0])) if p[0] not in answered), None)
    member_nm1 = payment.names.get("IL") or payment.names.get("QC")
    member = member_nm1[9] if member_nm1 and len(member_nm1) > 9 else ""
    by_member = [p for p in payers if member and p[2] == member]
    by_status = [p for p in payers if p[0] == STATUS_SEQUENCE.get(payment.status)]
    ids = ", ".join(f"{w} {v}" for v, w in given if v) or "none"
    why = f"no payer id of the 835 ({ids}) is one of the claim's payers; "
    signals = []
    if len(by_member) == 1:
        signals.append((by_member[0], "the member id (NM1*IL/QC NM109, not shown)"))  # reports hold no member id
    if by_status:
        signals.append((by_status[0], f"CLP02={payment.status}"))
    if expected is not None and all(p is expected for p, _ in signals):
        confirmed = " and ".join(s for _, s in signals)
        return (
            expected[0],
            expected[1],
            why
            + (
                f"answered as the next expected payer, {expected[0]} {expected[1]}"
                + (f", which {confirmed} confirm" if confirmed else "")
            ),
        )
    if signals:
        chosen, basis = signals[0]
        return (
            chosen[0],
            chosen[1],
            why
            + f"{basis} names the {chosen[0]} payer {chosen[1]}"
            + (f" (the next expected payer was {expected[0]} {expected[1]})" if expected else ""),
        )
    return None
