"""The switches a billing office sets: which claims go onward when the rules leave a choice."""

from __future__ import annotations

from dataclasses import dataclass, field

from .claim_order import PatientsOnFile
from .msp import MspFacts


@dataclass(frozen=True, slots=True)
class Policy:
    # Send the secondary claim even when nothing is left for the patient or a later payer (some payers,
    # Medicaid among them, want every claim). Per destination payer id, or for all with send_nothing_due.
    send_nothing_due: bool = False
    send_nothing_due_to: frozenset[str] = field(default_factory=frozenset)
    # Send whole-claim provider-liability denials (CO-50 ...) to the secondary; default: appeal the primary.
    send_provider_liability_denials: bool = False
    # 2330B REF*F8 = the primary's claim control number (CLP07).
    other_payer_claim_number: bool = True
    # Medicare as a secondary payer: MSP types on file, value code 44 (rules.msp).
    msp: MspFacts = field(default_factory=MspFacts)
    # The order-of-benefits facts on file, per patient: claims are checked against them (rules.claim_order).
    patients: PatientsOnFile = field(default_factory=PatientsOnFile)
