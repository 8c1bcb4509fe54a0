"""Medicare as the secondary payer, end to end (issue 14; fixtures/msp and its README for the arithmetic).

* The three worked claims convert to their expected secondary claims, segment by segment, valid per pyx12.
* Every MSP type on an 837P (2000B SBR05) and an 837I (HI*BE value code with the primary's payment), valid per
  pyx12 (one interchange per guide holding a claim for each type).
* No MSP type known: needs-review with the biller's reason, exit 1, nothing written; the claim's own SBR05
  wins over the settings; the msp_file fills the gap; a primary that paid nothing gives value code 0 and
  occurrence code 24; a multi-line claim answered at claim level is held; Medicare as tertiary is held.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi.cli import cli
from edi.config import GateSettings, MspSettings, Settings
from edi.pipeline import convert
from edi.runner import run_batch
from edi.validation import validate_text
from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.msp import MSP_TYPES, MspFacts
from rules.outcome import CONVERTED, NEEDS_REVIEW
from rules.policy import Policy
from rules.stage import index_claims, secondary_claims
from tests.support import EXAMPLES, FIXTURES, assert_counts, normalise, segments
from writers.claim837 import parties_from, write_837

MSP = FIXTURES / "msp"
INSTITUTIONAL = FIXTURES / "institutional"
REMITS = {
    "M1": EXAMPLES / "A_primary.835",
    "M2": INSTITUTIONAL / "I1_primary.835",
    "M3": INSTITUTIONAL / "I2_primary.835",
}
MEMBER = {"M1": "1EG4TE5MK72", "M2": "1EG4TE5MK72", "M3": "3KN7AW9RT41"}
EXPECTED_TYPE = {"M1": "12", "M2": "12", "M3": "43"}


def settings(tmp_path: Path, **msp) -> Settings:
    return Settings(state_dir=tmp_path / "state", msp=MspSettings(**msp))


def run(tmp_path: Path, case: str, original: Path | None = None, remit: Path | None = None, **msp):
    out = tmp_path / f"{case}.837"
    result = convert(
        remit or REMITS[case],
        [original or MSP / f"{case}_original.837"],
        out,
        tmp_path / f"{case}.json",
        settings(tmp_path, **msp),
    )
    return result, out


def edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new))
    return path


def by_id(segs, tag, qualifier=None):
    return [s for s in segs if s[0] == tag and (qualifier is None or s[1:2] == [qualifier])]


# ------------------------------------------------------------------------------------------ worked claims
@pytest.mark.parametrize("case", ["M1", "M2", "M3"])
def test_worked_claim_converts_to_the_expected_medicare_claim(tmp_path, case):
    members = {MEMBER[case]: EXPECTED_TYPE[case]}
    result, out = run(tmp_path, case, members=members, accept_primary_allowed=True)
    assert result.exit_code == 0
    assert [o.disposition for o in result.outcomes] == [CONVERTED]
    ours = segments(out.read_bytes())
    assert_counts(ours)
    assert normalise(ours) == normalise(segments((MSP / f"{case}_secondary.837").read_bytes()))
    validation = validate_text(result.text)
    assert validation.findings == [] and validation.ok
    notes = json.loads((tmp_path / f"{case}.json").read_text())["claims"][0]["notes"]
    assert any("from the [msp] settings" in n for n in notes)


def _claims_for_every_type(case: str) -> tuple[list, list[str]]:
    remittances, _ = read_835(REMITS[case])
    originals = index_claims(read_837(MSP / f"{case}_original.837")[0])
    out, types = [], []
    for code in MSP_TYPES:
        policy = Policy(msp=MspFacts(members={MEMBER[case]: code}, accept_primary_allowed=True))
        (outcome,) = secondary_claims(remittances[0].claims, originals, policy)
        assert outcome.disposition == CONVERTED, outcome.reasons
        out.append(outcome.secondary)
        types.append(code)
    return out, types


@pytest.mark.parametrize("case, guide", [("M1", "005010X222A1"), ("M2", "005010X223A2")])
def test_every_msp_type_is_carried_and_valid_per_pyx12(case, guide):
    claims, types = _claims_for_every_type(case)
    numbers = itertools.count(1)
    text = write_837(claims, parties_from(claims[0]), lambda: next(numbers), datetime(2024, 6, 1, 9, 0))
    validation = validate_text(text)
    assert validation.guide == guide
    assert validation.findings == [] and validation.ok
    written, _ = read_837(text.encode(), "every-type.837")
    assert len(written) == len(MSP_TYPES)
    for claim, code in zip(written, types, strict=True):
        paid = claim.other_payers[0].paid
        if case == "M1":
            assert claim.subscriber.sbr[5] == code and claim.subscriber.sbr[9] == "MB"
        else:
            (hi,) = [s for s in claim.segments if s[0] == "HI" and s[1].startswith("BE:")]
            assert hi[1:] == [f"BE:{MSP_TYPES[code].value_code}:::{paid}", "BE:44:::9500"]
            assert claim.subscriber.sbr[5:6] in ([], [""])  # SBR05 not used in the 837I


# ------------------------------------------------------------------------------------------ held, or filled
@pytest.mark.parametrize("case, where", [("M1", "2000B SBR05"), ("M2", "the HI*BE value code")])
def test_no_msp_type_known_is_held_for_review_and_nothing_is_written(tmp_path, case, where):
    result, out = run(tmp_path, case)
    assert result.exit_code == 1 and not out.exists() and result.text == ""
    (outcome,) = result.outcomes
    assert outcome.disposition == NEEDS_REVIEW
    (reason,) = outcome.reasons
    assert f"MSP type (why Medicare pays second) is unknown, so {where} cannot be written" in reason
    assert "[msp] members" in reason and MEMBER[case] not in reason


def test_the_claims_own_2320_sbr05_wins_over_the_settings(tmp_path):
    original = edited(tmp_path, MSP / "M1_original.837", "SBR*S*18*******MB~", "SBR*S*18***43****MB~")
    result, out = run(tmp_path, "M1", original, members={MEMBER["M1"]: "12"})
    assert result.exit_code == 0
    assert by_id(segments(out.read_bytes()), "SBR")[0] == ["SBR", "S", "18", "", "", "43", "", "", "", "MB"]
    notes = result.report["claims"][0]["notes"]
    assert any("SBR05 43 wins over [msp] members (12)" in n for n in notes)


def test_the_msp_file_fills_the_gap_and_the_table_wins_over_it(tmp_path):
    csv = tmp_path / "msp.csv"
    csv.write_text(f"member_id,msp_type\n{MEMBER['M1']},47\n{MEMBER['M3']},15\n")
    result, out = run(tmp_path, "M1", msp_file=csv)
    assert by_id(segments(out.read_bytes()), "SBR")[0][5] == "47"
    result, out = run(tmp_path, "M3", msp_file=csv, members={MEMBER["M3"]: "41"})
    assert by_id(segments(out.read_bytes()), "HI")[-1] == ["HI", "BE:41:::520"]  # no 44: OTAF is off


def test_a_primary_that_paid_nothing_gives_zero_and_occurrence_code_24(tmp_path):
    remit = INSTITUTIONAL / "I1_primary.835"
    text = remit.read_text()
    for old, new in [
        ("BPR*I*8050*", "BPR*I*0*"),
        ("CLP*IPCN6001*1*12000*8050*1450*", "CLP*IPCN6001*1*12000*0*9500*"),
        ("CAS*PR*1*1200**2*250~", "CAS*PR*1*9500~"),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    zero = tmp_path / "I1_zero.835"
    zero.write_text(text)
    result, out = run(tmp_path, "M2", remit=zero, members={MEMBER["M2"]: "12"}, accept_primary_allowed=True)
    assert result.exit_code == 0, result.outcomes[0].reasons
    his = by_id(segments(out.read_bytes()), "HI")
    assert his[-2:] == [["HI", "BH:24:D8:20240320"], ["HI", "BE:12:::0"]]  # no 44 on a conditional request
    assert validate_text(result.text).ok


def test_a_multi_line_claim_the_primary_answered_at_claim_level_is_held(tmp_path):
    original = edited(tmp_path, EXAMPLES / "C_original.837", "SBR*S*18*GRP2002******CI~", "SBR*S*18***12****MB~")
    result, out = run(tmp_path, "C", original, remit=EXAMPLES / "C_primary.835")
    assert result.exit_code == 1 and not out.exists()
    (reason,) = result.outcomes[0].reasons
    assert "needs the primary's payment for each of the 2 service lines" in reason


def test_a_claim_to_another_payer_is_untouched(tmp_path):
    result, out = run(
        tmp_path, "A", EXAMPLES / "A_original.837", EXAMPLES / "A_primary.835", members={"SEC778899": "12"}
    )
    assert by_id(segments(out.read_bytes()), "SBR")[0][5:6] in ([], [""])


# ------------------------------------------------------------------------------------------ validate, tertiary
def test_edi_validate_flags_a_medicare_secondary_claim_without_its_msp_type():
    text = (MSP / "M1_secondary.837").read_text()
    assert validate_text(text).ok
    verdict = validate_text(text.replace("SBR*S*18***12****MB~", "SBR*S*18*******MB~"), "no-sbr05.837")
    assert not verdict.ok
    (issue,) = verdict.issues
    assert issue.rule == "MSP" and "SBR05" in issue.message and "CARC 16" in issue.explanation
    institutional = (MSP / "M2_secondary.837").read_text().replace("HI*BE:12:::8050*BE:44:::9500~\n", "")
    institutional = institutional.replace("SE*46*0001~", "SE*45*0001~")
    (issue,) = validate_text(institutional, "no-value-code.837").issues
    assert issue.rule == "MSP" and "value code" in issue.message


def test_medicare_as_the_tertiary_payer_is_held(tmp_path):
    original = edited(
        tmp_path, FIXTURES / "tertiary" / "A3_original.837", "SBR*T*18*GRP3003******CI~", "SBR*T*18***12****MB~"
    )
    state = tmp_path / "state"
    for name, files in (
        ("d1", [original, EXAMPLES / "A_primary.835"]),
        ("d2", [FIXTURES / "tertiary" / "A3_secondary_partial.835"]),
    ):
        drop = tmp_path / name
        drop.mkdir()
        for f in files:
            (drop / f.name).write_bytes(f.read_bytes())
        report = tmp_path / f"{name}.json"
        result = CliRunner().invoke(
            cli,
            [
                "batch",
                str(drop),
                "--out",
                str(tmp_path / "out"),
                "--state",
                str(state),
                "--report",
                str(report),
                "--quiet",
                "--gate-workers",
                "0",
            ],
        )
    data = json.loads(report.read_text())
    assert result.exit_code == 1 and data["outputs"] == []
    (item,) = data["claims"]["attention"]
    assert item["disposition"] == NEEDS_REVIEW
    assert any("Medicare would be a tertiary payer" in r for r in item["reasons"])


def test_batch_sends_the_medicare_claim_through_the_gate_with_its_value_codes(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    for f in (MSP / "M2_original.837", INSTITUTIONAL / "I1_primary.835"):
        (drop / f.name).write_bytes(f.read_bytes())
    settings = Settings(
        state_dir=tmp_path / "state",
        msp=MspSettings(members={MEMBER["M2"]: "13"}),
        gate=GateSettings(workers=0),
    )
    report = run_batch(drop, tmp_path / "out", settings, quiet=True)
    assert report.exit_code == 0
    (published,) = sorted((tmp_path / "out").glob("*.837"))
    his = by_id(segments(published.read_bytes()), "HI")
    assert his[-1] == ["HI", "BE:13:::8050"]  # ESRD; no 44 (OTAF is off)
