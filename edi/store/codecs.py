"""How the store keeps claims and answers as text, exactly: 837 claims (JSON of their segments, losslessly),
835 claim groups (the raw X12 they were read from), and posted payer answers (JSON, Decimal as strings)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from parsers.envelope import Group, Interchange, TransactionHeader
from parsers.errors import Finding, Position
from parsers.models import (
    Claim837,
    ClaimPayment,
    HierarchyLevel,
    LineAdjudication,
    OtherPayer,
    ServiceLine,
    Transaction837,
)
from parsers.read835 import read_835
from parsers.syntax import Delimiters
from rules.posting import Answer, LinePayment, PostedAdjustment


# ------------------------------------------------------------------------------------------ 837 codec
def envelope_to_json(txn: Transaction837) -> str:
    """What every claim of one 837 transaction set shares: delimiters, ISA, GS, ST..1000B."""
    header = txn.header
    d = txn.delimiters
    return json.dumps(
        {
            "delimiters": [d.element, d.component, d.repetition, d.segment],
            "isa": header.interchange.segment if header.interchange else None,
            "gs": header.group.segment if header.group else None,
            "segments": txn.segments,
        },
        separators=(",", ":"),
    )


def envelope_from_json(body: str) -> Transaction837:
    """The `Transaction837` header an `envelope_to_json` text describes."""
    doc = json.loads(body)
    delimiters = Delimiters(*doc["delimiters"])
    where = Position("store")
    interchange = Interchange(doc["isa"], delimiters, where) if doc["isa"] else None
    group = Group(doc["gs"], where) if doc["gs"] else None
    header = TransactionHeader(doc["segments"][0], where, interchange, group)
    return Transaction837(header, delimiters, doc["segments"])


def claim_to_json(claim: Claim837) -> str:
    """The claim below its envelope, segment for segment: HL loops above it, 2300..2440."""
    p = claim.position
    return json.dumps(
        {
            "position": [p.file, p.segment, p.offset],
            "provider": claim.billing_provider.segments,
            "subscriber": claim.subscriber.segments,
            "patient": claim.patient.segments if claim.patient is not None else None,
            "claim": claim.segments,
            "other_payers": [o.segments for o in claim.other_payers],
            "lines": [[line.segments, [a.segments for a in line.adjudications], line.trailing] for line in claim.lines],
        },
        separators=(",", ":"),
    )


def claim_from_json(body: str, transaction: Transaction837) -> Claim837:
    """Rebuild a `Claim837` from `claim_to_json` and its envelope: the same segments in the same loops."""
    doc = json.loads(body)
    file, segment, offset = doc["position"]
    where = Position(file)
    provider = HierarchyLevel(doc["provider"], where)
    subscriber = HierarchyLevel(doc["subscriber"], where, provider)
    patient = HierarchyLevel(doc["patient"], where, subscriber) if doc["patient"] is not None else None
    lines = []
    for segments, adjudications, trailing in doc["lines"]:
        lines.append(ServiceLine(segments, where, [LineAdjudication(a, where) for a in adjudications], trailing))
    levels = [level for level in (provider, subscriber, patient) if level is not None]
    return Claim837(
        doc["claim"],
        transaction,
        provider,
        subscriber,
        patient,
        Position(file, segment, offset, "CLM"),
        [OtherPayer(o, where) for o in doc["other_payers"]],
        lines,
        levels,
    )


# ------------------------------------------------------------------------------------------ 835 codec
def raw_remittance(
    isa: str | None,
    gs: str | None,
    delimiters: Delimiters,
    parts: list[tuple[str, str]],
    findings: list[Finding] = (),
) -> str:
    """JSON of the raw X12 a group of 835 claims was read from: (remittance header, CLP loop) pairs, and the
    error findings of the whole remittance as read (B3 is a fact of the whole transaction set, which the small
    835 re-read later does not hold)."""
    kept = [[f.rule, f.message] for f in findings if f.severity == "error"][:50]
    return json.dumps(
        {
            "isa": isa,
            "gs": gs,
            "element": delimiters.element,
            "terminator": delimiters.segment,
            "parts": parts,
            "findings": kept,
        },
        separators=(",", ":"),
    )


def payments_from_raw(raw: str, name: str = "store") -> list[ClaimPayment]:
    """Re-read a stored group of 835 claims with the 835 reader, on a small 835 synthesised around them:
    the same ClaimPayment values (Decimal exact), each with its remittance header (payer, BPR, TRN, dates)."""
    doc = json.loads(raw)
    e, t = doc["element"], doc["terminator"]
    out = [doc["isa"] or "", doc["gs"] or ""]
    by_header: dict[str, list[str]] = {}
    for header, claim in doc["parts"]:
        by_header.setdefault(header, []).append(claim)
    for header, claims in by_header.items():
        out.append(header)
        out.extend(claims)
        st02 = header.split(t, 1)[0].split(e)[2] if e in header else "0001"
        out.append(f"SE{e}0{e}{st02.strip()}{t}")
    if doc["gs"]:
        out.append(f"GE{e}{len(by_header)}{e}0{t}")
    if doc["isa"]:
        out.append(f"IEA{e}1{e}0{t}")
    remittances, _ = read_835("".join(out).encode("latin-1"), name)
    for remittance in remittances:  # the findings of the remittance as first read, not of the small copy
        remittance.header.findings[:] = [Finding(rule, message, Position(name)) for rule, message in doc["findings"]]
    return [claim for remittance in remittances for claim in remittance.claims]


# ------------------------------------------------------------------------------------------ posted answers
def answer_to_json(adj: Answer) -> str:
    """A posted payer answer as JSON (amounts as exact decimal strings)."""
    return json.dumps(
        {
            "payer_id": adj.payer_id,
            "sequence": adj.sequence,
            "claim_id": adj.claim_id,
            "status": adj.status,
            "charge": str(adj.charge),
            "paid": str(adj.paid),
            "payer_claim_number": adj.payer_claim_number,
            "patient_responsibility": None if adj.patient_responsibility is None else str(adj.patient_responsibility),
            "original_claim_number": adj.original_claim_number,
            "trace": adj.trace,
            "trace_payer": adj.trace_payer,
            "adjudication_date": adj.adjudication_date.isoformat() if adj.adjudication_date else None,
            "lines": [
                [ln.line, str(ln.charge), str(ln.paid), None if ln.allowed is None else str(ln.allowed)]
                for ln in adj.lines
            ],
            "adjustments": [[a.group, a.reason, str(a.amount), a.level, a.line] for a in adj.adjustments],
            "remarks": list(adj.remarks),
        },
        separators=(",", ":"),
    )


def answer_from_json(body: str) -> Answer:
    """The payer answer an `answer_to_json` text describes, exactly."""
    d = json.loads(body)
    return Answer(
        d["payer_id"],
        d["sequence"],
        d["claim_id"],
        d["status"],
        Decimal(d["charge"]),
        Decimal(d["paid"]),
        d["payer_claim_number"],
        None if d["patient_responsibility"] is None else Decimal(d["patient_responsibility"]),
        d["original_claim_number"],
        d["trace"],
        d["trace_payer"],
        date.fromisoformat(d["adjudication_date"]) if d["adjudication_date"] else None,
        tuple(LinePayment(k, Decimal(c), Decimal(p), None if a is None else Decimal(a)) for k, c, p, a in d["lines"]),
        tuple(PostedAdjustment(g, r, Decimal(a), lv, ln) for g, r, a, lv, ln in d["adjustments"]),
        tuple(d["remarks"]),
    )
