"""Who is who on a claim, read from the original 837 for the documents: the patient and their address, the
billing provider, each payer's name by id, the billing office's phone. PHI: used only inside documents
written owner-only, never logged."""

from __future__ import annotations

from dataclasses import dataclass

from parsers.envelope import element
from parsers.models import Claim837, HierarchyLevel


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address: tuple[str, ...] = ()
    ident: str = ""


def person_name(nm1: list[str] | None) -> str:
    """NM1 as 'FIRST LAST' (or the organisation's name)."""
    if not nm1:
        return ""
    last, first = element(nm1, 3), element(nm1, 4)
    return f"{first} {last}".strip() if element(nm1, 2) == "1" else last


def address(level_segments: list[list[str]], after: int) -> tuple[str, ...]:
    """The N3/N4 right after the NM1 at index `after`."""
    lines: list[str] = []
    for seg in level_segments[after + 1 : after + 3]:
        if seg[0] == "N3":
            lines.append(" ".join(v for v in seg[1:3] if v))
        elif seg[0] == "N4":
            lines.append(city_line(seg))
    return tuple(lines)


def city_line(n4: list[str]) -> str:
    """N4 as 'CITY, ST 12345-6789'."""
    zip_code = element(n4, 3)
    zip_code = f"{zip_code[:5]}-{zip_code[5:]}" if len(zip_code) == 9 else zip_code
    return f"{element(n4, 1)}, {element(n4, 2)} {zip_code}".strip()


def party(level: HierarchyLevel | None, qualifier: str) -> Party:
    """The NM1 `qualifier` of an HL loop, with its address and id."""
    if level is None:
        return Party("")
    for i, seg in enumerate(level.segments):
        if seg[0] == "NM1" and element(seg, 1) == qualifier:
            return Party(person_name(seg), address(level.segments, i), element(seg, 9))
    return Party("")


def patient(claim: Claim837) -> Party:
    """The patient: 2010CA when the patient is not the subscriber, else the subscriber (2010BA)."""
    found = party(claim.patient, "QC")
    return found if found.name else party(claim.subscriber, "IL")


def provider(claim: Claim837) -> Party:
    """The billing provider (2010AA), with its NPI."""
    return party(claim.billing_provider, "85")


def payer_names(claim: Claim837) -> dict[str, str]:
    """Payer id -> name, for the claim's payer (2010BB) and each other payer (2330B)."""
    names = {}
    pr = claim.subscriber.find("NM1", "PR")
    if pr:
        names[element(pr, 9)] = element(pr, 3)
    for other in claim.other_payers:
        seg = other.payer
        if seg:
            names[element(seg, 9)] = element(seg, 3)
    return names


def member_id(claim: Claim837, payer_id: str) -> str:
    """The patient's member id at `payer_id`: 2010BA NM109 for the claim's payer, else its 2330A NM109."""
    if claim.payer_id == payer_id:
        return patient_or_subscriber_id(claim)
    for other in claim.other_payers:
        if other.payer_id == payer_id and other.subscriber:
            return element(other.subscriber, 9)
    return ""


def patient_or_subscriber_id(claim: Claim837) -> str:
    return party(claim.subscriber, "IL").ident


def phone(number: str) -> str:
    """A ten-digit phone number as 555-555-1212."""
    return f"{number[:3]}-{number[3:6]}-{number[6:]}" if len(number) == 10 and number.isdigit() else number


def office_phone(claim: Claim837) -> str:
    """The submitter's contact phone (1000A PER), for 'questions? call ...'."""
    for seg in claim.transaction.segments:
        if seg[0] == "PER":
            for i in (3, 5, 7):
                if element(seg, i) == "TE":
                    return phone(element(seg, i + 1))
    return ""


def service_lines(claim: Claim837) -> list[tuple[str, str, str, str]]:
    """(date of service, procedure code, modifiers, charge) per line of the original claim."""
    out = []
    for line in claim.lines:
        svc = line.service
        composite = element(svc, 1).split(claim.delimiters.component)
        code = composite[1] if len(composite) > 1 else composite[0]
        when = line.service_date
        out.append(
            (f"{when[:4]}-{when[4:6]}-{when[6:8]}" if when else "", code, " ".join(composite[2:]), str(line.charge))
        )
    return out
