"""The order of benefits in the product (issue 14): `edi cob order` answers the reference's worked decisions
(§4.1 NAIC, §4.2 MSP) with their rules, and `edi convert` holds a claim billed against the order the facts
decide (the CARC 22 case), or takes the MSP type from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi.cli import cli
from edi.cob_order import FactsError, order_report, read_facts
from edi.config import MspSettings, Settings
from edi.pipeline import convert
from rules.outcome import CONVERTED, NEEDS_REVIEW
from tests.support import EXAMPLES, FIXTURES, segments

WORKED = FIXTURES / "benefits" / "worked-decisions.toml"

# label -> (order, a rule that decided it, MSP type)
DECISIONS = {
    "4.1a child, parents married": (["MOM-PLAN", "DAD-PLAN"], "rule 2 birthday rule", None),
    "4.1b child, parents divorced, decree names dad": (["DAD-PLAN", "MOM-PLAN"], "rule 3a: court decree", None),
    "4.1c child, no decree, mom has custody and remarried": (
        ["MOM-PLAN", "STEP-PLAN", "DAD-PLAN"],
        "rule 3c: custodial parent",
        None,
    ),
    "4.1d employee with own active plan and spouse's plan": (
        ["OWN-PLAN", "SPOUSE-PLAN"],
        "rule 1: non-dependent before dependent",
        None,
    ),
    "4.1e retiree working part-time with a new employer's plan": (
        ["NEWJOB-PLAN", "RETIREE-PLAN"],
        "rule 4: active before inactive",
        None,
    ),
    "4.1f COBRA from an old job plus a new employer's plan": (
        ["NEWJOB-PLAN", "OLDJOB-COBRA"],
        "rule 5: COBRA/continuation pays after",
        None,
    ),
    "4.2a 67, still working, employer has 15 employees": (["MEDICARE", "EGHP"], "(< 20) employees: Medicare", None),
    "4.2b 67, covered as spouse by a 500-employee firm": (["SPOUSE-EGHP", "MEDICARE"], "(>= 20) employees", "12"),
    "4.2c 55, on SSDI, own employer has 60 employees": (["MEDICARE", "LGHP"], "(< 100) employees: Medicare", None),
    "4.2d 58, ESRD from 2024-03, retiree plan, care in month 30": (
        ["RETIREE-GHP", "MEDICARE"],
        "ESRD 30-month coordination period (to 2026-08-31)",
        "13",
    ),
    "4.2d' the same patient, care in month 31": (["MEDICARE", "RETIREE-GHP"], "coordination period ended", None),
    "4.2e 70, retired, retiree plan and Medicaid": (
        ["MEDICARE", "RETIREE-PLAN", "MEDICAID"],
        "Medicaid is always last",
        None,
    ),
    "4.2f 72, auto accident": (["AUTO-PIP", "MEDICARE"], "no-fault primary for related care", "14"),
}


@pytest.fixture(scope="module")
def answered() -> dict[str, dict]:
    result = CliRunner().invoke(cli, ["cob", "order", "--json", str(WORKED)])
    assert result.exit_code == 0, result.output
    return {entry["patient"]: entry for entry in json.loads(result.stdout)}


@pytest.mark.parametrize("label", sorted(DECISIONS))
def test_edi_cob_order_answers_the_worked_decision_with_its_rule(answered, label):
    order, rule, msp_type = DECISIONS[label]
    entry = answered[label]
    assert [p["plan"] for p in entry["order"]] == order
    assert any(rule in step for step in entry["rules"]), entry["rules"]
    assert entry["msp_type"] == msp_type
    if msp_type:
        assert entry["msp_meaning"].startswith(f"{msp_type} (")


def test_every_worked_decision_is_in_the_file():
    assert sorted(p.label for p in read_facts(WORKED)) == sorted(DECISIONS)


def test_the_text_output_names_order_rules_and_msp_type():
    result = CliRunner().invoke(cli, ["cob", "order", str(WORKED)])
    assert result.exit_code == 0
    assert "4.2b 67, covered as spouse by a 500-employee firm: SPOUSE-EGHP -> MEDICARE" in result.stdout
    assert "Medicare is secondary: MSP type 12 (working aged" in result.stdout


def test_one_patient_in_json(tmp_path):
    facts = tmp_path / "one.json"
    facts.write_text(
        json.dumps(
            {
                "age": 67,
                "medicare_basis": "age",
                "coverages": [{"plan": "MEDICARE", "kind": "medicare"}, {"plan": "EGHP", "employer_size": 20}],
            }
        )
    )
    (entry,) = order_report(facts)
    assert entry["patient"] == "patient 1" and [p["plan"] for p in entry["order"]] == ["EGHP", "MEDICARE"]


@pytest.mark.parametrize(
    "text, where",
    [
        ('[[coverages]]\nplan = "X"\nkind = "hmo"\nmember_id = "W999"\n', "patients[0].coverages[0].kind"),
        ('[[coverages]]\nplan = "X"\nholder_birthday = 1985-13-02\n', "not valid TOML"),
        ('[[coverages]]\nplan = "X"\nholder_birthday = "02/03/1985"\n', "coverages[0].holder_birthday"),
        ("age = 67\n", "patients[0].coverages"),
        ('[[coverages]]\nplan = "X"\n[[coverages]]\nplan = "X"\n', "own plan name"),
    ],
)
def test_a_bad_facts_file_exits_2_with_one_line_naming_the_field_not_its_value(tmp_path, text, where):
    facts = tmp_path / "facts.toml"
    facts.write_text(text)
    with pytest.raises(FactsError):
        read_facts(facts)
    done = CliRunner().invoke(cli, ["cob", "order", str(facts)])
    assert done.exit_code == 2 and isinstance(done.exception, SystemExit)
    (line,) = done.stderr.strip().splitlines()
    assert str(facts) in line and where in line
    assert "W999" not in line and "02/03/1985" not in line


# ------------------------------------------------------------------------------------------ convert with the facts
FACTS = """
[[patients]]
label = "working spouse"
age = 67
medicare_basis = "age"
[[patients.coverages]]
plan = "EGHP"
role = "dependent"
employer_size = {size}
payer_id = "11111"
member_id = "PRI112233"
[[patients.coverages]]
plan = "MEDICARE"
kind = "medicare"
payer_id = "12402"
member_id = "1EG4TE5MK72"
"""


def convert_with_facts(tmp_path: Path, facts: str):
    path = tmp_path / "facts.toml"
    path.write_text(facts)
    settings = Settings(state_dir=tmp_path / "state", msp=MspSettings(order_facts=path))
    out = tmp_path / "out.837"
    result = convert(EXAMPLES / "A_primary.835", [FIXTURES / "msp" / "M1_original.837"], out, None, settings)
    return result, out


def test_the_facts_give_the_msp_type_when_the_claim_follows_their_order(tmp_path):
    result, out = convert_with_facts(tmp_path, FACTS.format(size=500))
    (outcome,) = result.outcomes
    assert outcome.disposition == CONVERTED, outcome.reasons
    assert [s for s in segments(out.read_bytes()) if s[0] == "SBR"][0][5] == "12"
    assert any("from the order-of-benefits facts" in n for n in outcome.notes)


def test_a_claim_billed_against_the_order_is_held_naming_the_rule(tmp_path):
    result, out = convert_with_facts(tmp_path, FACTS.format(size=15))
    assert result.exit_code == 1 and not out.exists()
    (outcome,) = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW
    (reason,) = outcome.reasons
    assert "the CARC 22 case" in reason and "position 1: billed EGHP, the order of benefits says MEDICARE" in reason
    assert "working aged, employer has 15 (< 20) employees: Medicare primary" in reason
    assert "PRI112233" not in reason and "1EG4TE5MK72" not in reason


def test_a_claim_no_facts_match_is_not_checked(tmp_path):
    other = FACTS.format(size=15).replace("PRI112233", "SOMEONE-ELSE").replace("1EG4TE5MK72", "2AB3CD4EF56")
    result, _ = convert_with_facts(tmp_path, other)
    (outcome,) = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW and "MSP type" in outcome.reasons[0]  # unchecked, type unknown


def test_esrd_facts_take_the_claims_date_of_service(tmp_path):
    esrd = FACTS.format(size=15).replace('medicare_basis = "age"', 'medicare_basis = "esrd"')
    esrd = esrd.replace("age = 67", 'age = 58\nesrd_eligibility_start = "2022-01-01"')
    result, out = convert_with_facts(tmp_path, esrd)  # 30 months to 2024-06-30; the claim's DOS is 2024-01-05
    (outcome,) = result.outcomes
    assert outcome.disposition == CONVERTED, outcome.reasons
    assert [s for s in segments(out.read_bytes()) if s[0] == "SBR"][0][5] == "13"


def test_edi_convert_takes_the_facts_from_the_command_line(tmp_path):
    facts = tmp_path / "facts.toml"
    facts.write_text(FACTS.format(size=15))
    args = ["convert", str(EXAMPLES / "A_primary.835"), "--claims", str(FIXTURES / "msp" / "M1_original.837")]
    args += ["--out", str(tmp_path / "out.837"), "--state", str(tmp_path / "state"), "--facts", str(facts)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "the CARC 22 case" in result.stderr


@pytest.mark.parametrize(
    "settings, where",
    [
        ('[msp.members]\n"1EG4TE5MK72" = "99"\n', "msp.members: [msp] members: MSP type '99'"),
        ('[msp.members]\n"1EG4TE5MK72" = 1.5\n', "msp.members: [msp] members: each MSP type is a code"),
        ('[msp]\nmsp_file = "{csv}"\n', "msp_file {csv} line 2: MSP type 'ZZ'"),
    ],
)
def test_bad_msp_settings_exit_2_in_one_line_without_the_member_id(tmp_path, settings, where):
    csv = tmp_path / "msp.csv"
    csv.write_text("member_id,msp_type\n1EG4TE5MK72,ZZ\n")
    config = tmp_path / "edi.toml"
    config.write_text(settings.format(csv=csv))
    args = ["convert", str(EXAMPLES / "A_primary.835"), "--claims", str(EXAMPLES / "A_original.837")]
    done = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "o.837"), "--config", str(config)])
    assert done.exit_code == 2 and isinstance(done.exception, SystemExit)
    (line,) = done.stderr.strip().splitlines()
    assert where.format(csv=csv) in line and "1EG4TE5MK72" not in line
