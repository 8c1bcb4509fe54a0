"""`edi inspect`: what a file holds — interchanges, transaction sets, claims, totals, and findings.

One streaming pass: the claim readers yield claim by claim and only counts and totals are kept.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from parsers.envelope import EnvelopeWalker, first_transaction_set
from parsers.errors import Finding
from parsers.models import ZERO
from parsers.read835 import Reader835
from parsers.read837 import Reader837
from parsers.syntax import Tokenizer

SNIFF_BYTES = 1 << 16  # the first ST is always within the first few hundred bytes


def sniff(path: str | Path) -> str:
    """The first transaction set id in the file (835, 837, 999 ...), '' when it has none."""
    with open(path, "rb") as handle:
        return first_transaction_set(handle.read(SNIFF_BYTES))


def inspect_file(path: str | Path) -> dict:
    """A summary of `path`. Raises parsers.errors.X12Error when the file is not X12 or is cut short."""
    kind = sniff(path)
    summary: dict = {"file": str(path), "transaction_set": kind}
    if kind == "835":
        summary.update(_inspect_835(path))
    elif kind == "837":
        summary.update(_inspect_837(path))
    else:
        walker = EnvelopeWalker(Tokenizer.open(path))
        sets: Counter = Counter()
        for seg in walker:
            if seg[0] == "ST":
                sets[seg[1] if len(seg) > 1 else ""] += 1
        summary.update(_envelope(walker), transaction_sets=dict(sets), findings=_findings(walker.findings))
    return summary


def _envelope(walker) -> dict:
    return {
        "interchanges": walker.interchange_count,
        "groups": walker.group_count,
        "transactions": walker.transaction_count,
        "enveloped": walker.tokenizer.enveloped,
    }


def _findings(findings: list[Finding]) -> list[dict]:
    return [f.as_dict() for f in findings]


def _inspect_835(path) -> dict:
    reader = Reader835(Tokenizer.open(path))
    statuses: Counter = Counter()
    charge = paid = patient = ZERO
    lines = 0
    for claim in reader.claims():
        statuses[claim.status] += 1
        charge += claim.charge
        paid += claim.paid
        patient += claim.patient_responsibility_total()
        lines += len(claim.services)
    walker = reader.walker
    remittances = [
        {
            "control_number": r.header.control_number,
            "payer_id": r.payer_id,
            "handling": r.handling,
            "payment": str(r.payment_amount),
            "payment_date": r.payment_date,
            "trace_number": r.trace_number,
            "claims": r.claim_count,
            "claims_paid": str(r.claim_paid_total),
            "provider_adjustments": str(sum((a.amount for a in r.provider_adjustments), ZERO)),
        }
        for r in reader.remittances
    ]
    out = _envelope(walker)
    out.update(
        {
            "claims": sum(statuses.values()),
            "service_lines": lines,
            "claim_status": dict(statuses),
            "totals": {"charge": str(charge), "paid": str(paid), "patient_responsibility": str(patient)},
            "remittances": remittances,
            "findings": _findings(reader.findings),
        }
    )
    return out


def _inspect_837(path) -> dict:
    reader = Reader837(Tokenizer.open(path))
    kinds: Counter = Counter()
    frequencies: Counter = Counter()
    charge = ZERO
    lines = 0
    with_cob = 0
    count = 0
    for claim in reader.claims():
        count += 1
        kinds[claim.kind] += 1
        frequencies[claim.frequency] += 1
        charge += claim.charge
        lines += len(claim.lines)
        if any(p.paid is not None for p in claim.other_payers):
            with_cob += 1
    walker = reader.walker
    out = _envelope(walker)
    out.update(
        {
            "claims": count,
            "service_lines": lines,
            "claim_kinds": dict(kinds),
            "claim_frequency": dict(frequencies),
            "claims_with_prior_payer_adjudication": with_cob,
            "totals": {"charge": str(charge)},
            "guides": sorted({t.version for t in reader.transactions}),
            "findings": _findings(reader.findings),
        }
    )
    return out


def render_text(summary: dict) -> str:
    """The inspection summary as text, for a person."""
    lines = [f"{summary['file']}: X12 {summary.get('transaction_set') or '(no transaction set)'}"]
    if "interchanges" in summary:
        lines.append(
            f"  interchanges {summary['interchanges']}, groups {summary['groups']}, transaction sets "
            f"{summary['transactions']}" + ("" if summary.get("enveloped", True) else " (no envelope)")
        )
    if "claims" in summary:
        lines.append(f"  claims {summary['claims']}, service lines {summary['service_lines']}")
    for key in ("claim_status", "claim_kinds", "claim_frequency", "transaction_sets"):
        if summary.get(key):
            lines.append(f"  {key.replace('_', ' ')}: " + ", ".join(f"{k}={v}" for k, v in summary[key].items()))
    if summary.get("totals"):
        lines.append("  totals: " + ", ".join(f"{k} {v}" for k, v in summary["totals"].items()))
    for r in summary.get("remittances", []):
        lines.append(
            f"  remittance ST02 {r['control_number']}: payer {r['payer_id']}, BPR01 {r['handling']}, "
            f"payment {r['payment']} on {r['payment_date'] or '?'}, {r['claims']} claims paid "
            f"{r['claims_paid']}, PLB {r['provider_adjustments']}"
        )
    findings = summary.get("findings", [])
    lines.append(f"  findings: {len(findings)}" + ("" if findings else " (balanced, envelope consistent)"))
    for f in findings:
        p = f["position"]
        where = (
            f"segment {p['segment']} ({p['segment_id']}{', ' + p['element'] if p['element'] else ''})"
            if p["segment"]
            else "file"
        )
        lines.append(f"    {f['severity']} [{f['rule']}] {where}: {f['message']}")
    return "\n".join(lines)
