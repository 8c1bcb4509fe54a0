"""COB balancing of an 837 claim (reference §3.7, rules B4–B7 and L2–L4), checked before anything is written.

Works on any `Claim837`, ours or a provider's, so `edi validate` uses it too. Returns the problems found,
each naming its rule; an empty list means the claim balances.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from parsers.models import ZERO, Claim837, OtherPayer, Segment, find


def _amount(value: str) -> Decimal:
    try:
        return Decimal(value) if value else ZERO
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None


def cas_total(segments: list[Segment]) -> Decimal:
    total = ZERO
    for seg in segments:
        if seg[0] == "CAS":
            for i in range(3, len(seg), 3):
                total += _amount(seg[i])
    return total


def _decimals(value: str) -> int:
    return len(value.split(".")[1]) if "." in value else 0


def check_cob_balance(claim: Claim837) -> list[str]:
    """Problems with claim `claim`'s COB data, each starting with its rule id."""
    try:
        return _check(claim)
    except ValueError as exc:
        return [f"amount: {exc}"]


def _check(claim: Claim837) -> list[str]:
    problems: list[str] = []
    charge = claim.charge
    line_charges = [line.charge for line in claim.lines]
    line_total = sum(line_charges, ZERO)
    if charge != line_total:
        problems.append(f"B7: CLM02 {charge} != sum of line charges {line_total}")
    problems += _line_problems(claim)
    for payer in claim.other_payers:
        problems += _payer_problems(claim, payer, charge, line_charges)
    if charge < 0:
        problems.append(f"amount: CLM02 {charge} is negative")
    for payer in claim.other_payers:
        for seg in payer.segments:
            if seg[0] == "AMT" and _amount(seg[2] if len(seg) > 2 else "") < 0:
                problems.append(f"amount: AMT*{seg[1]} {seg[2]} is negative for payer {payer.payer_id!r}")
    return problems


def _line_problems(claim: Claim837) -> list[str]:
    """L2, L3 and SVD02 on every 2430 loop."""
    problems: list[str] = []
    payer_ids = {p.payer_id for p in claim.other_payers}
    for line in claim.lines:
        for adj in line.adjudications:
            if adj.payer_id not in payer_ids:
                problems.append(f"L2: line {line.number} SVD01 {adj.payer_id!r} names no 2330B payer")
            if adj.paid < 0:
                problems.append(f"SVD02: line {line.number} paid amount {adj.paid} is negative")
            if not find(adj.segments, "DTP", "573"):
                problems.append(f"L3: line {line.number} 2430 for {adj.payer_id!r} has no DTP*573")
    return problems


def _payer_problems(claim: Claim837, payer: OtherPayer, charge: Decimal, line_charges: list[Decimal]) -> list[str]:
    """B4, B5, B6, L3 and L4 for one prior payer (a 2320 with its 2430 loops); `charge` is the claim's CLM02,
    `line_charges` its lines' charges."""
    problems: list[str] = []
    pid = payer.payer_id
    paid = payer.paid
    claim_cas = cas_total(payer.segments)
    line_adjudications = [(line, [a for a in line.adjudications if a.payer_id == pid]) for line in claim.lines]
    has_lines = any(adjs for _, adjs in line_adjudications)
    if paid is None:
        if has_lines or claim_cas:
            problems.append(f"AMT*D: payer {pid!r} has adjudication data but no AMT*D")
        return problems
    line_cas = ZERO
    svd_paid = ZERO
    for (line, adjs), line_charge in zip(line_adjudications, line_charges, strict=True):
        if not adjs:
            continue
        figures = [(a.paid, cas_total(a.segments)) for a in adjs]  # SVD02 and the CAS of each 2430
        got = sum((svd02 + cas for svd02, cas in figures), ZERO)
        line_cas += sum((cas for _, cas in figures), ZERO)
        svd_paid += sum((svd02 for svd02, _ in figures), ZERO)
        if got != line_charge:
            problems.append(
                f"B4: line {line.number} charge {line_charge} != paid + adjustments {got} for payer {pid!r}"
            )
    if charge != paid + claim_cas + line_cas:
        problems.append(
            f"B5: CLM02 {charge} != AMT*D {paid} + claim CAS {claim_cas} + line CAS {line_cas} for payer {pid!r}"
        )
    if has_lines and paid != svd_paid - claim_cas:
        problems.append(f"B6: AMT*D {paid} != sum SVD02 {svd_paid} - claim CAS {claim_cas} for payer {pid!r}")
    claim_date = any(s[0] == "DTP" and s[1] == "573" for s in payer.segments)
    if has_lines and claim_date:
        problems.append(f"L3: payer {pid!r} has DTP*573 in 2330B and in its 2430 loops")
    if not has_lines and not claim_date:
        problems.append(f"L3: payer {pid!r} has no 2430 loops and no 2330B DTP*573")
    claim_eaf = find(payer.segments, "AMT", "EAF") is not None
    line_eaf = any(find(a.segments, "AMT", "EAF") for _, adjs in line_adjudications for a in adjs)
    if claim_eaf and line_eaf:
        problems.append(f"L4: payer {pid!r} has AMT*EAF at claim and line level")
    return problems
