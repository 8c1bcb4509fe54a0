"""The CARC and RARC knowledge, in one place: every code the product knows, what it means, its category and
the action for each adjustment group (reference §2.4 CARC categories, §2.5 RARCs, §3.8 whole-claim denials,
§5.1–§5.4 posting).

`CARC_TABLE` is the reference's §2.4 table written as data, `RARC_TABLE` the remarks the product acts on.
Every set of codes the other modules use is computed from these two tables below them, never listed by hand:
a code moves from one set to another by changing its row. (tests/test_one_home.py fails when a module other
than this one holds a literal list of CARCs or RARCs.)

Actions: WO-C contractual write-off, WO-A administrative/denial write-off, BILL-NEXT carry to the next payer
then the patient, BILL-PT bill the patient, CORRECT correct and resubmit, APPEAL appeal/reconsideration,
OTHER-PAYER bill a different payer / fix the COB order, INFO no posting, WAIT pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# ------------------------------------------------------------------------------------------ vocabulary
WO_C, WO_A, BILL_NEXT, BILL_PT = "WO-C", "WO-A", "BILL-NEXT", "BILL-PT"
CORRECT, APPEAL, OTHER_PAYER, INFO, WAIT = "CORRECT", "APPEAL", "OTHER-PAYER", "INFO", "WAIT"
ACTIONS = (WO_C, WO_A, BILL_NEXT, BILL_PT, CORRECT, APPEAL, OTHER_PAYER, INFO, WAIT)

# categories (the §2.4 "Category" column; the table also uses others, as plain text)
COST_SHARE, CONTRACTUAL, NON_COVERED, BENEFIT_LIMIT = (
    "cost share",
    "contractual",
    "non-covered",
    "benefit limit",
)
INFO_CATEGORY, COB_INFO, SEQUENCING = "info", "COB info", "sequencing"
UNKNOWN = "unknown"

# what a PR amount under the CARC is on the patient's statement (posting's patient-balance buckets)
DEDUCTIBLE, COINSURANCE, COPAY, NONCOVERED = "deductible", "coinsurance", "copay", "noncovered"

# what a RARC says about a crossover (the primary forwarding the claim to the next payer itself)
FORWARDED, NOT_FORWARDED = "forwarded", "not forwarded"


# ------------------------------------------------------------------------------------------ CARCs
@dataclass(frozen=True, slots=True)
class CarcRule:
    """One row of §2.4: the CARC, its category, the groups it typically comes with, the action per group."""

    code: str
    meaning: str
    category: str
    groups: tuple[str, ...]
    actions: Mapping[str, str]  # group -> action; "*" = any other group
    note: str = ""
    share: str = ""  # a PR amount's patient-balance bucket: DEDUCTIBLE, COINSURANCE, COPAY, NONCOVERED or ""
    after_allowed: bool = False  # applied after the allowed amount (paid + PR + this = allowed)

    def action_for(self, group: str) -> str:
        return self.actions.get(group) or self.actions["*"]


def _rows(
    codes: str,
    meaning: str,
    category: str,
    groups: str,
    note: str = "",
    *,
    share: str = "",
    after_allowed: bool = False,
    **actions: str,
) -> list[CarcRule]:
    acts = {("*" if k == "any" else k): v for k, v in actions.items()}
    return [
        CarcRule(c, meaning, category, tuple(groups.split("/")), acts, note, share, after_allowed)
        for c in codes.split("/")
    ]


_TABLE: list[CarcRule] = [
    *_rows("1", "Deductible", COST_SHARE, "PR", share=DEDUCTIBLE, any=BILL_NEXT),
    *_rows("2", "Coinsurance", COST_SHARE, "PR", share=COINSURANCE, any=BILL_NEXT),
    *_rows(
        "3",
        "Copayment",
        COST_SHARE,
        "PR",
        "apply patient payments (copay at time of service) first",
        share=COPAY,
        any=BILL_NEXT,
    ),
    *_rows("66", "Blood deductible", COST_SHARE, "PR", share=DEDUCTIBLE, any=BILL_NEXT),
    *_rows(
        "45",
        "Charge exceeds fee schedule / maximum allowable / contracted fee",
        CONTRACTUAL,
        "CO/PR",
        "PR only out of network with balance billing allowed",
        CO=WO_C,
        PR=BILL_NEXT,
        any=WO_C,
    ),
    *_rows("24", "Covered under a capitation agreement / managed care plan", CONTRACTUAL, "CO", any=WO_C),
    *_rows("59", "Multiple/concurrent procedure rules", CONTRACTUAL, "CO", "check the modifiers", any=WO_C),
    *_rows("94", "Processed in excess of charges", INFO_CATEGORY, "OA", "negative amount", any=INFO),
    *_rows("131", "Claim-specific negotiated discount", CONTRACTUAL, "CO", any=WO_C),
    *_rows(
        "144",
        "Incentive adjustment",
        CONTRACTUAL,
        "CO",
        "table action INFO; §2.5 step 2 (CO + contractual) makes it WO-C: a negative contractual amount",
        after_allowed=True,
        any=INFO,
    ),
    *_rows(
        "253",
        "Sequestration: reduction of federal payment",
        CONTRACTUAL,
        "CO",
        "never bill the patient",
        after_allowed=True,
        any=WO_C,
    ),
    *_rows(
        "209",
        "Provider cannot collect this from the patient (regulatory/other agreement)",
        CONTRACTUAL,
        "CO",
        "refund the patient if collected",
        any=WO_C,
    ),
    *_rows("281", "Deductible waived per contract", CONTRACTUAL, "CO", any=WO_C),
    *_rows(
        "303",
        "Prior payer's cost share not covered (QMB)",
        CONTRACTUAL,
        "CO",
        "patient cannot be billed; Medicare bad debt may be possible (§5.3)",
        any=WO_C,
    ),
    *_rows("23", "Impact of prior payer adjudication", COB_INFO, "OA", "do not post", any=INFO),
    *_rows("22", "May be covered by another payer (COB)", "COB", "CO/OA", "then rebill", any=OTHER_PAYER),
    *_rows(
        "109",
        "Not covered by this payer; send to the correct payer",
        "COB/eligibility",
        "CO",
        any=OTHER_PAYER,
    ),
    *_rows("19/20/21", "Workers' comp / liability / no-fault carrier liable", "COB (MSP)", "CO", any=OTHER_PAYER),
    *_rows(
        "276",
        "Denied by prior payer and not covered here",
        "COB",
        "CO/PR",
        share=NONCOVERED,
        PR=BILL_PT,
        CO=WO_A,
        any=WO_A,
    ),
    *_rows(
        "16",
        "Claim lacks information or has submission/billing errors",
        "front-end/data",
        "CO",
        "see the RARC",
        any=CORRECT,
    ),
    *_rows(
        "4/5/6/7/8/11",
        "Code inconsistent with modifier/place of service/age/gender/provider type/diagnosis",
        "coding",
        "CO",
        "APPEAL if correct as billed",
        any=CORRECT,
    ),
    *_rows(
        "31",
        "Patient cannot be identified as our insured",
        "eligibility",
        "CO",
        "demographics/ID",
        any=CORRECT,
    ),
    *_rows(
        "26/27",
        "Expenses before coverage / after coverage ended",
        "eligibility",
        "PR/CO",
        "OTHER-PAYER or BILL-PT: look for the coverage in force first",
        share=NONCOVERED,
        any=OTHER_PAYER,
    ),
    *_rows(
        "129",
        "Prior processing information appears incorrect",
        "COB data",
        "CO",
        "fix 2320/2430 data",
        any=CORRECT,
    ),
    *_rows(
        "146/181/182",
        "Diagnosis / procedure / modifier invalid for the date of service",
        "coding",
        "CO",
        any=CORRECT,
    ),
    *_rows(
        "18",
        "Exact duplicate claim/service",
        "duplicate",
        "OA/CO",
        "check the original's status; no rebill",
        any=INFO,
    ),
    *_rows("B13", "Previously paid", "duplicate", "CO/OA", any=INFO),
    *_rows("133", "Disposition pending further review", "pending", "OA", any=WAIT),
    *_rows(
        "29",
        "Time limit for filing has expired",
        "timely filing",
        "CO",
        "APPEAL only with proof of timely filing (277CA acceptance), else WO-A",
        any=APPEAL,
    ),
    *_rows(
        "50",
        "Not deemed a medical necessity",
        "clinical",
        "CO/PR",
        "PR when an ABN/waiver is on file",
        share=NONCOVERED,
        CO=APPEAL,
        PR=BILL_NEXT,
        any=APPEAL,
    ),
    *_rows(
        "55/56",
        "Experimental/investigational; not proven effective",
        "clinical",
        "CO/PR",
        "BILL-PT only with a waiver",
        share=NONCOVERED,
        CO=APPEAL,
        PR=BILL_PT,
        any=APPEAL,
    ),
    *_rows(
        "151",
        "Information does not support this many services / this frequency",
        "clinical",
        "CO",
        any=APPEAL,
    ),
    *_rows("167", "Diagnosis not covered", "coverage", "CO", "CORRECT if coded wrong, else APPEAL", any=CORRECT),
    *_rows(
        "96",
        "Non-covered charge(s)",
        NON_COVERED,
        "PR/CO",
        "CO: WO-A or APPEAL; the default keeps it open (APPEAL) until the office gives up",
        share=NONCOVERED,
        PR=BILL_NEXT,
        CO=APPEAL,
        any=APPEAL,
    ),
    *_rows(
        "204",
        "Service not covered under the patient's current benefit plan",
        NON_COVERED,
        "PR",
        "the secondary may cover it",
        share=NONCOVERED,
        any=BILL_NEXT,
    ),
    *_rows(
        "49",
        "Routine/preventive, non-covered",
        NON_COVERED,
        "PR/CO",
        "as for 96",
        share=NONCOVERED,
        PR=BILL_NEXT,
        CO=APPEAL,
        any=APPEAL,
    ),
    *_rows(
        "35/119",
        "Lifetime / period benefit maximum reached",
        BENEFIT_LIMIT,
        "PR",
        share=NONCOVERED,
        any=BILL_NEXT,
    ),
    *_rows(
        "100",
        "Payment made to patient/insured",
        "paid to patient",
        "PR",
        "AMT*D 0 to the next payer",
        any=BILL_PT,
    ),
    *_rows(
        "97",
        "Paid as part of another service (bundled)",
        "bundling/NCCI",
        "CO",
        "if a modifier (25/59/XE/XS) applies: CORRECT or APPEAL",
        any=WO_C,
    ),
    *_rows(
        "234/236",
        "Procedure not paid separately / incompatible procedure-modifier (NCCI)",
        "bundling",
        "CO",
        "as for 97",
        any=WO_C,
    ),
    *_rows(
        "39/197/198",
        "Denied at authorization / precertification absent / exceeded",
        "authorization",
        "CO",
        "APPEAL (retro-auth), else WO-A",
        any=APPEAL,
    ),
    *_rows(
        "242/243",
        "Not a network provider / not authorized by the network",
        "network",
        "CO/PR",
        "APPEAL or BILL-PT per contract",
        share=NONCOVERED,
        CO=APPEAL,
        PR=BILL_PT,
        any=APPEAL,
    ),
    *_rows(
        "226",
        "Information requested from the provider not provided",
        "records",
        "CO",
        "send records",
        any=APPEAL,
    ),
    *_rows(
        "227",
        "Information requested from the patient not provided",
        "patient action",
        "CO/PR",
        "contact the patient, then rebill",
        any=CORRECT,
    ),
    *_rows("252", "An attachment is required", "records", "CO", "send the attachment (275/PWK)", any=CORRECT),
    *_rows(
        "107",
        "Related/qualifying claim not received or adjudicated",
        SEQUENCING,
        "CO",
        "then rebill",
        any=WAIT,
    ),
    *_rows(
        "B7/185",
        "Provider not certified/eligible for this service on this date",
        "credentialing",
        "CO",
        "fix enrollment, then APPEAL/rebill",
        any=APPEAL,
    ),
    *_rows("A1", "Claim/service denied (see RARC)", "generic", "CO", "RARC-driven", any=APPEAL),
    *_rows("192", "Non-standard code from a paper remittance", "COB relay", "PR", any=BILL_NEXT),
]
CARC_TABLE: dict[str, CarcRule] = {rule.code: rule for rule in _TABLE}

# A CARC that comes without a row: never a write-off, never billed to the patient, always reviewed (§2.5).
UNKNOWN_DEFAULTS = {"PR": BILL_NEXT, "CO": APPEAL, "PI": APPEAL, "OA": WAIT}


# ------------------------------------------------------------------------------------------ RARCs
@dataclass(frozen=True, slots=True)
class RarcInfo:
    code: str
    meaning: str
    action: str | None = None  # what the remark implies, when it implies an action
    crossover: str = ""  # FORWARDED / NOT_FORWARDED when the remark is about a crossover


RARC_TABLE: dict[str, RarcInfo] = {
    r.code: r
    for r in [
        RarcInfo("MA01", "Notice of appeal rights (generic)"),
        RarcInfo("MA04", "Secondary payment needs the primary's identity/payment: fix 2320/2330", CORRECT),
        RarcInfo("MA15", "Claim was split (several CLPs with the same CLP01)"),
        RarcInfo("MA18", "Forwarded to the supplemental insurer (crossover)", crossover=FORWARDED),
        RarcInfo("MA07", "Forwarded to Medicaid (crossover)", crossover=FORWARDED),
        RarcInfo("N89", "Forwarded to more than one other payer", crossover=FORWARDED),
        RarcInfo(
            "MA19",
            "Not forwarded: supplemental insurer information incorrect; bill it yourself",
            OTHER_PAYER,
            NOT_FORWARDED,
        ),
        RarcInfo(
            "MA08",
            "Not forwarded: not Medigap or provider does not participate; bill it yourself",
            OTHER_PAYER,
            NOT_FORWARDED,
        ),
        RarcInfo("MA68", "Crossover not done: secondary information incomplete", OTHER_PAYER, NOT_FORWARDED),
        RarcInfo("MA130", "Unprocessable claim, no appeal rights: correct and submit as a new claim", CORRECT),
        RarcInfo("N4", "Prior payer EOB missing or invalid", CORRECT),
        RarcInfo("N479", "Prior payer EOB missing or invalid", CORRECT),
        RarcInfo("N781", "No deductible may be collected: Medicaid/QMB patient"),
        RarcInfo("N782", "No coinsurance may be collected: Medicaid/QMB patient"),
        RarcInfo("N115", "Decision based on a Local Coverage Determination"),
    ]
}


# ------------------------------------------------------------------------------------------ derived sets
def _carcs(keep) -> frozenset[str]:
    return frozenset(code for code, rule in CARC_TABLE.items() if keep(rule))


def _rarcs(keep) -> frozenset[str]:
    return frozenset(code for code, info in RARC_TABLE.items() if keep(info))


# A whole-claim denial the provider must correct and send back to the primary (§3.8): a CARC whose action
# for a provider-liability group it comes with is CORRECT or OTHER-PAYER (fix the COB order).
CORRECTABLE_CARCS = _carcs(
    lambda r: any(r.action_for(g) in (CORRECT, OTHER_PAYER) for g in r.groups if g != "PR"),
)
# The primary is waiting for a related claim (WAIT, then rebill the primary).
SEQUENCING_CARCS = _carcs(lambda r: r.category == SEQUENCING)
# Patient responsibility by bucket; the non-covered ones the secondary may still cover.
DEDUCTIBLE_CARCS = _carcs(lambda r: r.share == DEDUCTIBLE)
COINSURANCE_CARCS = _carcs(lambda r: r.share == COINSURANCE)
COPAY_CARCS = _carcs(lambda r: r.share == COPAY)
PATIENT_NONCOVERED_CARCS = _carcs(lambda r: r.share == NONCOVERED)
# Reductions/additions applied after the allowed amount (sequestration, incentives).
POST_ALLOWED_CARCS = _carcs(lambda r: r.after_allowed)
# (group, CARC) pairs that restate dollars and are never posted (OA-23, OA-94).
INFO_ADJUSTMENTS = frozenset(
    (group, code)
    for code, rule in CARC_TABLE.items()
    if rule.category in (INFO_CATEGORY, COB_INFO)
    for group in rule.groups
)

CORRECTABLE_RARCS = _rarcs(lambda r: r.action == CORRECT)
CROSSOVER_RARCS = _rarcs(lambda r: r.crossover == FORWARDED)
CROSSOVER_FAILED_RARCS = _rarcs(lambda r: r.crossover == NOT_FORWARDED)


# ------------------------------------------------------------------------------------------ descriptions
# What every code means, in words: rules/data/carc_rarc.tsv (X12 external code sources 139 and 411,
# paraphrased; its header gives the source and the date compiled). One table for reports, EOB pages,
# appeal letters and patient statements.
GROUP_MEANINGS = {
    "CO": "contractual obligation",
    "PR": "patient responsibility",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal",
}


@dataclass(frozen=True, slots=True)
class CodeText:
    """One code's words: `description` for staff, `patient` (may be empty) for a patient's statement."""

    kind: str  # CARC | RARC
    code: str
    description: str
    patient: str = ""


def load_code_texts() -> dict[tuple[str, str], CodeText]:
    """The descriptions table, keyed by (kind, code)."""
    from importlib.resources import files

    text = files("rules").joinpath("data", "carc_rarc.tsv").read_text(encoding="utf-8")
    out: dict[tuple[str, str], CodeText] = {}
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    for kind, code, description, *patient in rows[1:]:
        out[(kind, code)] = CodeText(kind, code, description, patient[0] if patient else "")
    return out


CODE_TEXTS = load_code_texts()
CODE_LIST_SOURCE = "CARC/RARC descriptions paraphrased from X12 external code sources 139 and 411 (x12.org/codes)"


def carc_description(code: str) -> str:
    """The CARC's meaning in words (the table's), or a plain 'no description' note."""
    found = CODE_TEXTS.get(("CARC", code))
    return found.description if found else f"adjustment reason {code} (no description on file)"


def rarc_description(code: str) -> str:
    """The RARC's meaning in words, or a plain 'no description' note."""
    found = CODE_TEXTS.get(("RARC", code))
    return found.description if found else f"remark {code} (no description on file)"


def describe(group: str, reason: str) -> str:
    """'CO-45: Charge exceeds ... (contractual obligation)': a group and CARC in words."""
    meaning = GROUP_MEANINGS.get(group, group)
    return f"{group}-{reason}: {carc_description(reason)} ({meaning})" if group else carc_description(reason)


def patient_words(group: str, reason: str) -> str:
    """What an adjustment means for a patient, in plain words (no code without its meaning)."""
    found = CODE_TEXTS.get(("CARC", reason))
    if found and found.patient:
        return found.patient
    rule = CARC_TABLE.get(reason)
    if group == "PR":
        return found.description.lower() if found else "an amount your plan says is your responsibility"
    if rule is not None and rule.category == CONTRACTUAL:
        return "an amount the provider agreed with your plan not to charge; you do not owe it"
    return (found.description if found else "an adjustment by your plan") + "; you are not billed for it"
