"""One home for the CARC/RARC knowledge (rules/carc.py): no product module lists codes by hand, and the
classification (rules.denials) and the routing sets (rules.disposition) agree because both derive from the
same table."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from parsers.models import Adjustment
from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.carc import (
    CARC_TABLE,
    CORRECT,
    CORRECTABLE_CARCS,
    CORRECTABLE_RARCS,
    CROSSOVER_FAILED_RARCS,
    CROSSOVER_RARCS,
    OTHER_PAYER,
    PATIENT_NONCOVERED_CARCS,
    RARC_TABLE,
    SEQUENCING_CARCS,
    WAIT,
)
from rules.denials import classify
from rules.disposition import decide
from rules.outcome import NEEDS_REVIEW, REBILL_PRIMARY
from rules.policy import Policy
from tests.support import EXAMPLES, ROOT

PRODUCT = ("edi", "parsers", "rules", "writers")
GROUPS = {"CO", "OA", "PI", "PR", "CR"}  # CAS group codes: may sit next to a CARC, e.g. ("OA", "23")
CODE_SHAPE = re.compile(r"\d{1,3}|[A-Z]\d{1,2}|MA\d{2,3}|M\d{1,3}|N\d{1,3}")  # CARC (45, B7, A1) or RARC
KNOWN = set(CARC_TABLE) | set(RARC_TABLE)
CODE_STRING = re.compile(r"\s*[A-Z]{0,2}\d{1,3}(?:\s*[ ,/]\s*[A-Z]{0,2}\d{1,3})+\s*")  # "1 66", "26/27"

# Literals whose codes collide with CARCs but are something else, by the name that holds them (a name, not
# a path, so that moving the literal to another module does not break the test).
NOT_CARCS = {
    "PROCESSED_AS": "CLP02 claim status codes (1/19 primary, 2/20 secondary ...): rules/payer_order.py",
    "LEVEL_IDS": "HL03 hierarchical level codes (20 provider, 22 subscriber, 23 patient): parsers/read837.py",
    "_IK304_CODES": "999 IK304 segment syntax error codes: edi/validate.py",
    "INPATIENT_BILL_TYPES": "CLM05-1 type-of-bill codes (11 hospital inpatient, 21 SNF inpatient ...): rules/msp.py",
}
HOME = "rules/carc.py"


class _CodeLists(ast.NodeVisitor):
    """Collection literals (set, frozenset({...}), tuple, list, dict keys) of two or more known CARC/RARC
    codes, and strings that are nothing but a list of codes ("1 66", "26/27"), with the name that holds each."""

    def __init__(self):
        self.owner = ["<module>"]
        self.found: list[tuple[str, int, list[str]]] = []

    def _within(self, name: str, node: ast.AST) -> None:
        self.owner.append(name)
        self.generic_visit(node)
        self.owner.pop()

    def visit_FunctionDef(self, node):
        self._within(node.name, node)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Assign(self, node):
        self._within(ast.unparse(node.targets[0]), node)

    def visit_AnnAssign(self, node):
        self._within(ast.unparse(node.target), node)

    def _collection(self, node: ast.AST, elements: list) -> None:
        strings = []
        for e in elements:
            for item in e.elts if isinstance(e, ast.Tuple) else [e]:  # (group, CARC) pairs count too
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    strings.append(item.value)
        codes = [s for s in strings if s and s not in GROUPS]
        if codes and all(CODE_SHAPE.fullmatch(s) for s in codes) and len(KNOWN.intersection(codes)) >= 2:
            self.found.append((self.owner[-1], node.lineno, codes))
        self.generic_visit(node)

    def visit_Set(self, node):
        self._collection(node, node.elts)

    visit_List = visit_Tuple = visit_Set

    def visit_Dict(self, node):
        self._collection(node, [k for k in node.keys if k is not None])

    def visit_Constant(self, node):
        if isinstance(node.value, str) and CODE_STRING.fullmatch(node.value):
            codes = re.findall(r"[A-Z]{0,2}\d{1,3}", node.value)
            if len(KNOWN.intersection(codes)) >= 2:
                self.found.append((self.owner[-1], node.lineno, codes))


def code_lists(source: str) -> list[tuple[str, int, list[str]]]:
    finder = _CodeLists()
    finder.visit(ast.parse(source))
    return finder.found


def product_modules() -> list[Path]:
    modules = sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))
    assert len(modules) > 30 and ROOT / HOME in modules
    return modules


def test_no_module_lists_carcs_or_rarcs_outside_the_table():
    """Only the rows of CARC_TABLE name codes together ("26/27"); every set, even in rules/carc.py, is
    computed from the table."""
    offenders = [
        f"{module}:{line} {owner}: {codes}"
        for path in product_modules()
        for module in [path.relative_to(ROOT).as_posix()]
        for owner, line, codes in code_lists(path.read_text())
        if owner not in NOT_CARCS and (module, owner) != (HOME, "_TABLE")
    ]
    assert offenders == [], "CARC/RARC codes listed by hand (derive the set from rules/carc.py): " + "; ".join(
        offenders
    )


def test_the_allowed_collisions_still_exist():
    """Each NOT_CARCS entry names a literal that is there (a stale entry would hide a future CARC list)."""
    owners = {owner for path in product_modules() for owner, _, _ in code_lists(path.read_text())}
    assert set(NOT_CARCS) <= owners, f"no longer holding codes, drop from NOT_CARCS: {set(NOT_CARCS) - owners}"


@pytest.mark.parametrize(
    "source",
    [
        'CORRECTABLE = frozenset({"16", "107", "252"})',
        'RARCS = ("MA130", "MA04", "N4")',
        'INFO = frozenset({("OA", "23"), ("OA", "94")})',
        'def f(reason):\n    return reason in ("23", "94")',
        'DEDUCTIBLE = ["1", "66"]',
        'BY_CARC = {"45": "WO-C", "B7": "APPEAL"}',
        'DEDUCTIBLE = "1 66".split()',
        'CODES = "26/27/167".split("/")',
    ],
)
def test_the_scan_finds_code_lists(source):
    assert code_lists(source)


@pytest.mark.parametrize(
    "source",
    [
        'TAGS = {"N3", "N4"}',  # segment ids (N4 is also a RARC)
        'ORDER = {"837": 0, "835": 1}',  # transaction sets
        'SEG = ["HL", "", "", "23", "0"]',
        'DTP = ["DTP", "573", "D8", "20240101"]',
        'REFS = {"4N", "F5", "EW", "9F", "G1"}',
        'GROUPS = ("CO", "PI")',
        'ONE = ("OA", "23")',
        'CHECKS = ("B4", "L2", "L3", "SVD02")',
        'TEXT = "CO-45 and OA-23 are adjustments"',
    ],
)
def test_the_scan_leaves_other_literals_alone(source):
    assert code_lists(source) == []


# ------------------------------------------------------------------------------ the table decides both
def _routing_groups(carc: str) -> list[str]:
    return [g for g in CARC_TABLE[carc].groups if g != "PR"]


@pytest.mark.parametrize("carc", sorted(CARC_TABLE))
def test_routing_agrees_with_classification(carc):
    """A CARC routes a whole-claim denial back to the primary as correctable exactly when §2.5 classifies it
    CORRECT or OTHER-PAYER for a provider-liability group it typically comes with."""
    actions = {classify(g, carc, D(5)).action for g in _routing_groups(carc)}
    assert (carc in CORRECTABLE_CARCS) == bool(actions & {CORRECT, OTHER_PAYER})


def test_rarc_sets_agree_with_the_rarc_table():
    for code in CORRECTABLE_RARCS:
        assert RARC_TABLE[code].action == CORRECT
    for code in CROSSOVER_FAILED_RARCS:
        assert RARC_TABLE[code].action == OTHER_PAYER  # not forwarded: bill the next payer yourself
    assert not CROSSOVER_RARCS & CROSSOVER_FAILED_RARCS
    assert {"MA130", "MA04", "N4", "N479"} <= CORRECTABLE_RARCS
    assert {"MA18", "MA07", "N89"} <= CROSSOVER_RARCS and {"MA19", "MA08", "MA68"} <= CROSSOVER_FAILED_RARCS


def test_the_disagreements_resolved():
    # 107: a related/qualifying claim is not adjudicated yet: sequencing, WAIT, then rebill (not a correction)
    assert CARC_TABLE["107"].category == "sequencing" and classify("CO", "107", D(5)).action == WAIT
    assert "107" in SEQUENCING_CARCS and "107" not in CORRECTABLE_CARCS
    # 26/27: expenses before/after coverage: OTHER-PAYER (or BILL-PT); 167: CORRECT if coded wrong, else APPEAL
    for carc in ("26", "27", "167"):
        assert carc in CORRECTABLE_CARCS and classify("CO", carc, D(5)).action in (CORRECT, OTHER_PAYER)
    # 242/243 (out of network) were non-covered patient responsibility for posting only
    assert {"242", "243", "26", "27", "96", "204"} <= PATIENT_NONCOVERED_CARCS


def _denied(*adjustments: Adjustment):
    remittances, _ = read_835(EXAMPLES / "A_primary.835")
    payment = remittances[0].claims[0]
    (claim,) = [c for c in read_837(EXAMPLES / "A_original.837")[0] if c.claim_id == payment.claim_id]
    total = sum((a.amount for a in adjustments), D(0))
    denied = replace(payment, status="4", paid=D(0), adjustments=list(adjustments), services=[], charge=total)
    return denied, claim


@pytest.mark.parametrize("carc", ["16", "26", "27", "167", "109"])
def test_whole_claim_denial_correctable_goes_back_to_the_primary(carc):
    disposition, reasons = decide(*_denied(Adjustment("CO", carc, D(100))), Policy())
    assert disposition == REBILL_PRIMARY and f"CO-{carc}" in reasons[0] and "correctable" in reasons[0]


def test_whole_claim_denial_waiting_for_a_related_claim_goes_back_to_the_primary_later():
    disposition, reasons = decide(*_denied(Adjustment("CO", "107", D(100))), Policy())
    assert disposition == REBILL_PRIMARY and "CO-107" in reasons[0] and "wait" in reasons[0]


def test_whole_claim_denial_of_provider_liability_is_reviewed():
    disposition, _ = decide(*_denied(Adjustment("CO", "50", D(100))), Policy())
    assert disposition == NEEDS_REVIEW
