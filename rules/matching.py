"""Matching: each 835 claim to its original 837 claim, and each 835 service line to its 837 line.

Reference §1.9. Claims match on CLP01 = CLM01 (exact); when several originals share the id, the payer
(the 837's 2010BB id against the 835 payer's ids) and then the charge (CLP03 = CLM02) break the tie.
Lines match on REF*6R first, then on procedure + modifiers + date of service + charge, then on line order
when the payer returned exactly as many lines as were billed and their charges agree line for line.
837I lines (SV2) match on their SV202 procedure + modifiers, or on the SV201 revenue code when SV202 is
empty, against the 835's SVC06/SVC01 procedure or its revenue code (SVC04, else an NU SVC01); charge SV203.
"""

from __future__ import annotations

from parsers.models import Claim837, ClaimPayment, Procedure, ServicePayment

from .outcome import NEEDS_REVIEW, Refusal


def match_claim(payment: ClaimPayment, candidates: list[Claim837]) -> Claim837:
    if not candidates:
        raise Refusal(NEEDS_REVIEW, "no original 837 claim with this claim id was supplied")
    if len(candidates) == 1:
        return candidates[0]
    remittance = payment.remittance
    payer_ids = set()
    if remittance is not None:
        payer_ids = {remittance.payer_id, remittance.payer_trn_id.lstrip("1")}
        if remittance.payer:
            payer_ids.add(remittance.payer.id)
    narrowed = [c for c in candidates if c.payer_id in payer_ids] or candidates
    narrowed = [c for c in narrowed if c.charge == payment.charge] or narrowed
    if len(narrowed) > 1:
        raise Refusal(NEEDS_REVIEW, f"{len(narrowed)} original claims share this claim id, payer and charge")
    return narrowed[0]


def _line_key(line_procedure: Procedure, date: str, charge) -> tuple:
    return (line_procedure.code, tuple(sorted(line_procedure.modifiers)), date, charge)


def match_lines(claim: Claim837, payment: ClaimPayment) -> dict[int, list[ServicePayment]]:
    """837 line index -> the 835 service lines that adjudicate it (several when the payer unbundled)."""
    matches: dict[int, list[ServicePayment]] = {i: [] for i in range(len(claim.lines))}
    if not payment.services:
        return matches
    by_control = {line.control_number: i for i, line in enumerate(claim.lines) if line.control_number}
    unmatched: list[ServicePayment] = []
    for svc in payment.services:
        index = by_control.get(svc.control_number) if svc.control_number else None
        if index is None:
            unmatched.append(svc)
        else:
            matches[index].append(svc)
    if not unmatched:
        return matches
    delimiters = claim.delimiters
    open_lines = [i for i, found in matches.items() if not found]
    keys = {}
    institutional = claim.kind == "I"
    for i in open_lines:
        line = claim.lines[i]
        service = line.service
        if not service:  # a 2400 loop without SV1/SV2/SV3: nothing to match it on
            raise Refusal(NEEDS_REVIEW, f"line {line.number or i + 1} of the original claim has no SV1/SV2/SV3")
        if institutional:
            keys[i] = _sv2_line_key(service, line.service_date, line.charge, delimiters)
            continue
        procedure = Procedure.parse(service[1] if service[0] == "SV1" else _sv2_procedure(service), delimiters)
        keys[i] = _line_key(procedure, line.service_date, line.charge)
    claim_date = payment.dates.get("232", "")
    still: list[ServicePayment] = []
    for svc in unmatched:
        date = svc.service_date or claim_date
        if institutional:
            index = next((i for i in open_lines if _same_institutional(keys[i], svc, date)), None)
        else:
            key = _line_key(svc.submitted_procedure, date, svc.charge)
            index = next((i for i in open_lines if _same_service(keys[i], key)), None)
        if index is None:
            still.append(svc)
        else:
            matches[index].append(svc)
            open_lines.remove(index)
    if (
        still
        and len(still) == len(open_lines)
        and all(claim.lines[i].charge == svc.charge for i, svc in zip(open_lines, still, strict=True))
    ):
        for i, svc in zip(open_lines, still, strict=True):
            matches[i].append(svc)
        still = []
    if still:
        raise Refusal(
            NEEDS_REVIEW,
            f"{len(still)} service line(s) of the remittance match no line of the "
            "original claim (by REF*6R, procedure/date/charge or line order)",
        )
    return matches


def _same_service(line_key: tuple, service_key: tuple) -> bool:
    """Same code, modifiers and charge; same date unless one side does not say."""
    code, modifiers, date, charge = service_key
    line_code, line_modifiers, line_date, line_charge = line_key
    return (
        code == line_code
        and modifiers == line_modifiers
        and charge == line_charge
        and (not date or not line_date or date == line_date)
    )


def _sv2_procedure(sv2: list[str]) -> str:
    return sv2[2] if len(sv2) > 2 and sv2[2] else ""


def _sv2_line_key(sv2: list[str], date: str, charge, delimiters) -> tuple:
    """An 837I line's identity: ('proc', code, modifiers) from SV202, else ('rev', SV201); date; charge."""
    if sv2[:1] == ["SV2"] and _sv2_procedure(sv2):
        procedure = Procedure.parse(_sv2_procedure(sv2), delimiters)
        ident = ("proc", procedure.code, tuple(sorted(procedure.modifiers)))
    else:
        ident = ("rev", sv2[1] if len(sv2) > 1 else "")
    return (ident, date, charge)


def _same_institutional(line_key: tuple, svc: ServicePayment, date: str) -> bool:
    """An 835 service line against an 837I line key: same procedure (or revenue code), charge and date."""
    ident, line_date, line_charge = line_key
    if ident[0] == "proc":
        procedure = svc.submitted_procedure
        same = (
            procedure.qualifier != "NU"
            and procedure.code == ident[1]
            and tuple(sorted(procedure.modifiers)) == ident[2]
        )
    else:
        revenue = svc.revenue_code or (svc.procedure.code if svc.procedure.qualifier == "NU" else "")
        same = bool(ident[1]) and revenue == ident[1]
    return same and svc.charge == line_charge and (not date or not line_date or date == line_date)
