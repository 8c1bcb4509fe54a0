"""Order-of-benefits facts files: read (TOML or JSON), decide each patient's payer order with
`rules.benefits.decide_order`, and say it. `edi cob order` is a thin wrapper over `order_report`; the same
files, named in the `[msp]` settings (`order_facts`), let `convert` and `batch` check that a claim was billed
in that order (`rules.claim_order`).

A file holds one patient (its facts at the top level and its `[[coverages]]`) or several (`[[patients]]`):

    [[patients]]
    label = "67, covered as spouse"      # for reports: never a name or a member id
    age = 67
    medicare_basis = "age"               # age | disability | esrd
    [[patients.coverages]]
    plan = "SPOUSE-EGHP"                 # the plan's name in reports
    role = "dependent"                   # subscriber | dependent
    employer_size = 500
    payer_id = "11111"                   # optional: the payer's id on claims (2010BB / 2330B NM109)
    member_id = "W123456789"             # optional: the member id with that payer (2010BA / 2330A NM109)
    [[patients.coverages]]
    plan = "MEDICARE"
    kind = "medicare"

Errors name the file and the field (never its value: facts hold birth dates and member ids).
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rules import benefits as B
from rules.claim_order import PatientOnFile
from rules.msp import describe

KINDS = (
    B.GROUP,
    B.INDIVIDUAL,
    B.MEDICARE,
    B.MEDICAID,
    B.TRICARE,
    B.TRICARE_FOR_LIFE,
    B.VA,
    B.WORKERS_COMP,
    B.NO_FAULT,
    B.LIABILITY,
    B.BLACK_LUNG,
)
RELATED = tuple(tag for tag, _ in B.ACCIDENT_KINDS.values())


class FactsError(ValueError):
    """An order-of-benefits facts file that cannot be read: the file and the field, never a value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class CoverageFacts(_Strict):
    plan: str = Field(min_length=1)
    kind: Literal[KINDS] = B.GROUP
    role: Literal[B.SUBSCRIBER, B.DEPENDENT] = B.SUBSCRIBER
    status: Literal[B.ACTIVE, B.INACTIVE, B.COBRA] = B.ACTIVE
    holder: str = ""
    holder_birthday: date | None = None
    holder_sex: Literal["", "M", "F"] = ""
    gender_rule: bool = False
    covered_since: date | None = None
    holder_covered_since: date | None = None
    has_cob_provision: bool = True
    excess_to: str | None = None
    employer_size: int | None = Field(None, ge=0)
    payer_id: str = ""
    member_id: str = ""

    def coverage(self) -> B.Coverage:
        """The rules' `Coverage` (the file's `plan` is its plan id)."""
        values = self.model_dump()
        return B.Coverage(plan_id=values.pop("plan"), **values)


class ChildFacts(_Strict):
    parents_together: bool = True
    decree_responsible: str | None = None
    decree_shared: bool = False
    custodial_parent: str | None = None
    custodial_spouse: str | None = None
    noncustodial_spouse: str | None = None


class PatientFactsFile(_Strict):
    label: str = ""
    age: int | None = Field(None, ge=0, le=130)
    medicare_basis: Literal["age", "disability", "esrd"] | None = None
    esrd_eligibility_start: date | None = None
    medicare_primary_before_esrd: bool = False
    service_date: date | None = None
    related_to: list[Literal[RELATED]] = []
    child: ChildFacts | None = None
    coverages: list[CoverageFacts] = Field(min_length=1)

    @model_validator(mode="after")
    def _plans_known(self):
        plans = [c.plan for c in self.coverages]
        if len(set(plans)) != len(plans):
            raise ValueError("each coverage needs its own plan name")
        for c in self.coverages:
            if c.excess_to is not None and c.excess_to not in plans:
                raise ValueError(f"coverage {c.plan}: excess_to names no coverage of this patient")
        return self

    def on_file(self, index: int) -> PatientOnFile:
        """The rules' `PatientOnFile`; a patient without a label is "patient N" (its place in the file)."""
        child = B.ChildFacts(**self.child.model_dump()) if self.child else None
        facts = B.PatientFacts(
            self.age,
            self.medicare_basis,
            self.esrd_eligibility_start,
            self.medicare_primary_before_esrd,
            self.service_date,
            frozenset(self.related_to),
            child,
        )
        label = self.label or f"patient {index + 1}"
        return PatientOnFile(label, tuple(c.coverage() for c in self.coverages), facts)


class FactsFile(_Strict):
    patients: list[PatientFactsFile] = Field(min_length=1)


def _where(loc: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".") or "file"


def read_facts(path: str | Path) -> tuple[PatientOnFile, ...]:
    """The patients of a facts file (.toml, else JSON). Raises FactsError naming the file and the field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FactsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8")) if path.suffix.lower() == ".toml" else json.loads(raw)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise FactsError(f"{path}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise FactsError(f"{path}: expected a table of facts (patients, or one patient's coverages)")
    try:
        parsed = FactsFile.model_validate(data if "patients" in data else {"patients": [data]})
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise FactsError(f"{path}: {_where(first['loc'])}: {first['msg']}{more}") from None
    return tuple(p.on_file(i) for i, p in enumerate(parsed.patients))


def decision_report(patient: PatientOnFile, decision: B.OrderDecision) -> dict:
    """One patient's order as plain data: the plans in payer order with their kind, the rules that decided
    it, the MSP type (with its meaning) when Medicare is not primary, plans that share or are left out."""
    kinds = {c.plan_id: c.kind for c in patient.coverages}
    return {
        "patient": patient.label,
        "order": [{"plan": plan, "kind": kinds[plan]} for plan in decision.order],
        "rules": list(decision.steps),
        "msp_type": decision.msp_type,
        "msp_meaning": describe(decision.msp_type) if decision.msp_type else None,
        "shared": [sorted(pair) for pair in decision.shared],
        "excluded": list(decision.excluded),
        "notes": list(decision.notes),
    }


def order_report(path: str | Path) -> list[dict]:
    """Every patient of the facts file with its order of benefits (see `decision_report`)."""
    out = []
    for patient in read_facts(path):
        try:
            decision = B.decide_order(patient.coverages, patient.facts)
        except ValueError as exc:
            raise FactsError(f"{path}: {patient.label}: {exc}") from None
        out.append(decision_report(patient, decision))
    return out


def render_text(reports: list[dict]) -> str:
    """The reports as a biller reads them."""
    lines: list[str] = []
    for report in reports:
        lines.append(f"{report['patient']}: " + " -> ".join(p["plan"] for p in report["order"]))
        if report["msp_type"]:
            lines.append(f"  Medicare is secondary: MSP type {report['msp_meaning']}")
        lines += [f"  rule: {step}" for step in report["rules"]]
        lines += [f"  share (no rule decides): {' and '.join(pair)}" for pair in report["shared"]]
        lines += [f"  left out: {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"
