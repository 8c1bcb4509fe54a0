"""Institutional claims end to end (issue 5; COB-REFERENCE §3.9).

* The three hand-derived cases in fixtures/institutional/ (arithmetic in its README) convert to their
  expected secondary 837I segment by segment, control numbers and dates set aside exactly as in
  tests/test_convert_examples.py.
* Every 837I written, and every hand-written fixture, passes pyx12 against 005010X223A2 with zero errors.
* 837P and 837I claims in one run: one interchange, one functional group per guide.
* Every 837I in the public corpus (fixtures/corpus) reads.
* Line matching and the 837I-only COB rules on small edited claims.
* Hypothesis properties over generated 837I/835 pairs (tests/strategies_institutional.py): balancing B4-B7,
  AMT*D = the primary's net paid, EAF = sum PR at exactly one level, no money created or lost, and
  parse(write(x)) == x.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings

from edi.config import Settings
from edi.pipeline import convert
from edi.validation import validate_text
from edi.validation.pyx12_engine import validate_guide
from parsers.errors import X12Error
from parsers.models import find
from parsers.read835 import read_835
from parsers.read837 import Reader837, read_837
from parsers.syntax import Tokenizer
from rules.balance import cas_total, check_cob_balance
from rules.matching import match_lines
from rules.outcome import CONVERTED, NOTHING_DUE
from rules.stage import index_claims, secondary_claims
from tests.support import (
    CORPUS,
    EXAMPLES,
    assert_counts,
    corpus_index,
    fixture_files,
    normalise,
    remove_other_payer_claim_number,
    segments,
)
from tests.support import FIXTURES as FIXTURES_ROOT
from tests.support import strategies_institutional as SI
from writers.claim837 import claim_body, write_837
from writers.x12 import InterchangeParties

FIXTURES = FIXTURES_ROOT / "institutional"
CASES = ("I1", "I2", "I3")
PARTIES = InterchangeParties("ZZ", "ACMEHOSP", "ZZ", "CLEARINGHOUSE", "ACMEHOSP", "CLEARINGHOUSE", "T")
WHEN = datetime(2024, 4, 26, 10, 0)


def run(tmp_path: Path, case: str):
    out = tmp_path / f"{case}.837"
    result = convert(
        FIXTURES / f"{case}_primary.835",
        [FIXTURES / f"{case}_original.837"],
        out,
        tmp_path / f"{case}.json",
        Settings(state_dir=tmp_path / "state"),
    )
    return result, out


def by_id(segs: list[list[str]], tag: str, qualifier: str | None = None) -> list[list[str]]:
    return [s for s in segs if s[0] == tag and (qualifier is None or s[1:2] == [qualifier])]


# ------------------------------------------------------------------------------------- worked fixtures
@pytest.mark.parametrize("case", CASES)
def test_fixture_converts_to_the_expected_secondary_837i(tmp_path, case):
    result, out = run(tmp_path, case)
    assert result.exit_code == 0
    assert [o.disposition for o in result.outcomes] == [CONVERTED]
    ours = segments(out.read_bytes())
    assert_counts(ours)
    assert [s[8] for s in by_id(ours, "GS")] == ["005010X223A2"]
    assert [s[3] for s in by_id(ours, "ST")] == ["005010X223A2"]
    assert normalise(ours) == normalise(segments((FIXTURES / f"{case}_secondary.837").read_bytes()))


@pytest.mark.parametrize("case", CASES)
def test_written_837i_passes_pyx12_with_zero_errors(tmp_path, case):
    result, _ = run(tmp_path, case)
    validation = validate_text(result.text)
    assert validation.guide == "005010X223A2"
    assert validation.findings == []
    assert validation.ok


@pytest.mark.parametrize("name", [p.name for p in fixture_files(FIXTURES, "I*_*.8*")])
def test_hand_written_fixture_passes_pyx12(name):
    validation = validate_guide(FIXTURES / name)
    assert validation.findings == []
    assert validation.ok
    assert validation.guide == ("005010X221A1" if name.endswith(".835") else "005010X223A2")


def test_inpatient_drg_is_claim_level_only_with_mia_and_2330b_date(tmp_path):
    _, out = run(tmp_path, "I1")
    segs = segments(out.read_bytes())
    assert by_id(segs, "SVD") == []
    assert by_id(segs, "MIA") == [["MIA", "4", "", "", "9500", "MA01"]]  # MIA02 (0 in the 835) not used
    assert by_id(segs, "DTP", "573") == [["DTP", "573", "D8", "20240320"]]
    amts = [s[1] for s in by_id(segs, "AMT")]
    assert amts == ["D", "EAF"]
    assert by_id(segs, "AMT", "D") == [["AMT", "D", "8050"]]
    assert by_id(segs, "AMT", "EAF") == [["AMT", "EAF", "1450"]]


def test_outpatient_svd_revenue_codes_come_from_svc04_nu_or_sv201(tmp_path):
    _, out = run(tmp_path, "I2")
    svds = by_id(segments(out.read_bytes()), "SVD")
    assert [s[3:6] for s in svds] == [
        ["", "0450", "1"],  # NU:0450: no procedure; SVD04 from SVC01
        ["HC:71046", "0320", "1"],  # SVD04 from SVC04
        ["HC:80053", "0300", "0"],
    ]  # no SVC04: SVD04 from the billed SV201


def test_dependent_patient_gets_2000c_and_2320_relationship(tmp_path):
    _, out = run(tmp_path, "I3")
    segs = segments(out.read_bytes())
    assert [s[3:5] for s in by_id(segs, "HL")] == [["20", "1"], ["22", "1"], ["23", "0"]]
    sbrs = by_id(segs, "SBR")
    assert [s[1:3] for s in sbrs] == [["S", ""], ["P", "19"]]
    assert by_id(segs, "PAT") == [["PAT", "19"]]
    # the 835 returned line 2 first: REF*6R puts each SVD under its own line
    assert [s[2] for s in by_id(segs, "SVD")] == ["115", "0"]


def test_837i_sbr05_is_emptied_in_2000b_and_2320(tmp_path):
    """SBR05 is not used in the 837I; a provider's claim that carries one anyway does not pass it on."""
    text = (FIXTURES / "I1_original.837").read_text()
    text = text.replace("SBR*P*18*GRP1001******12~", "SBR*P*18*GRP1001**47****12~")
    text = text.replace("SBR*S*18*GRP2002******CI~", "SBR*S*18*GRP2002**47****CI~")
    original = tmp_path / "I1_sbr05.837"
    original.write_text(text)
    result = convert(FIXTURES / "I1_primary.835", [original], None, None, Settings(state_dir=tmp_path / "s"))
    sbrs = by_id(segments(result.text), "SBR")
    assert len(sbrs) == 2
    assert [s[9] for s in sbrs] == ["CI", "12"]  # SBR09 kept in place
    assert all(s[5] == "" for s in sbrs)
    assert validate_text(result.text).ok


# --------------------------------------------------------------------------- 837P and 837I in one run
def test_professional_and_institutional_claims_in_one_run_get_one_group_each(tmp_path):
    remit = tmp_path / "both.835"
    remit.write_bytes((EXAMPLES / "A_primary.835").read_bytes() + (FIXTURES / "I2_primary.835").read_bytes())
    out = tmp_path / "both.837"
    result = convert(
        remit,
        [EXAMPLES / "A_original.837", FIXTURES / "I2_original.837"],
        out,
        None,
        Settings(state_dir=tmp_path / "state"),
    )
    assert [o.disposition for o in result.outcomes] == [CONVERTED, CONVERTED]
    segs = segments(out.read_bytes())
    assert_counts(segs)
    assert len(by_id(segs, "ISA")) == 1 and by_id(segs, "IEA")[0][1] == "2"
    groups = by_id(segs, "GS")
    assert sorted(g[8] for g in groups) == ["005010X222A1", "005010X223A2"]
    assert len({g[6] for g in groups}) == 2  # GS06 unique within the interchange
    for ge, gs in zip(by_id(segs, "GE"), groups, strict=True):
        assert ge[1:] == ["1", gs[6]]

    def transaction(segs, version):
        start = next(i for i, s in enumerate(segs) if s[0] == "ST" and s[3] == version)
        end = next(i for i in range(start, len(segs)) if segs[i][0] == "SE")
        return segs[start : end + 1]

    professional = transaction(segs, "005010X222A1")
    expected_p = transaction(segments((EXAMPLES / "A_secondary.837").read_bytes()), "005010X222A1")
    assert normalise(remove_other_payer_claim_number(professional, "A_primary.835")) == normalise(expected_p)
    institutional = transaction(segs, "005010X223A2")
    expected_i = transaction(segments((FIXTURES / "I2_secondary.837").read_bytes()), "005010X223A2")
    assert normalise(institutional) == normalise(expected_i)
    validation = validate_text(result.text)
    assert validation.findings == [] and validation.ok


# ------------------------------------------------------------------------------------------------ corpus
CORPUS_837I = [r for r in corpus_index("837") if "837 lines I" in r["notes"]]


def test_the_corpus_has_the_837i_files_the_issue_names():
    names = " ".join(r["saved_path"] for r in CORPUS_837I)
    for expected in ("X223A3__institutional-claim", "Silvenga", "x223-test", "Institutional__claim"):
        assert expected in names
    assert len(CORPUS_837I) >= 9


@pytest.mark.parametrize(
    "row", [r for r in CORPUS_837I if "TRUNCATED" not in r["notes"]], ids=lambda r: r["saved_path"].split("/")[-1]
)
def test_every_corpus_837i_reads(row):
    claims, findings = read_837(CORPUS / row["saved_path"])
    assert len(claims) == int(row["n_CLP_or_CLM"].split("=")[1])
    version = row["version_GS08"]
    for claim in claims:
        assert claim.lines and all(line.service[0] == "SV2" for line in claim.lines)
        assert all(line.charge == Decimal(line.service[3]) for line in claim.lines)  # SV203
        if "X223" in version:  # the labelled ones, X223A3 included; bryanbritten's ST03 says X292
            assert claim.kind == "I"
        # CLM05-3, split on ISA16; the files whose composites use another separator do not split
        assert claim.frequency == ("" if "COMPOSITE SEP MISMATCH" in row["notes"] else "1")
        assert all(line.service[1] for line in claim.lines)  # SV201 revenue code
    b7 = [f for f in findings if f.rule == "B7"]
    assert bool(b7) == ("CLM02 != sum of line charges" in row["notes"])


def test_truncated_corpus_837i_streams_its_claims_then_names_the_truncation():
    (row,) = [r for r in CORPUS_837I if "TRUNCATED" in r["notes"]]
    reader = Reader837(Tokenizer.open(CORPUS / row["saved_path"]))
    claims = []
    with pytest.raises(X12Error, match="ends inside transaction set"):
        for claim in reader.claims():
            claims.append(claim)
    assert claims and all(c.kind == "I" for c in claims)


# ------------------------------------------------------------------------------------------- matching
def _claim_and_payment(case: SI.ICase):
    claims, _ = read_837(SI.render_837(case))
    remittances, _ = read_835(SI.render_835(case))
    return claims[0], remittances[0].claims[0]


def _line(revenue, hcpcs="", charge=10000, adjustments=None, modifiers=()):
    return SI.ILine(revenue, hcpcs, modifiers, charge, 1, adjustments or [("CO", "45", 1000)], False, False)


def test_revenue_code_only_lines_match_on_sv201_not_on_line_order():
    # Same charges, so line order alone could not tell them apart; the 835 answers NU:<revenue code>.
    case = SI.ICase(
        False,
        [_line("0450", adjustments=[("CO", "45", 1000)]), _line("0300", adjustments=[("PR", "1", 2500)])],
        [],
        False,
        [0, 1],
        False,
        "18",
        False,
        False,
    )
    claim, payment = _claim_and_payment(case)
    payment.services.reverse()
    matches = match_lines(claim, payment)
    assert [[s.procedure.code for s in matches[i]] for i in (0, 1)] == [["0450"], ["0300"]]


def test_hcpcs_lines_match_on_sv202_and_modifiers():
    case = SI.ICase(
        False,
        [_line("0300", "80053", modifiers=("59",)), _line("0300", "80053")],
        [],
        False,
        [0, 1],
        False,
        "18",
        False,
        False,
    )
    claim, payment = _claim_and_payment(case)
    payment.services.reverse()
    matches = match_lines(claim, payment)
    assert [matches[i][0].procedure.modifiers for i in (0, 1)] == [("59",), ()]


def test_control_number_wins_over_codes():
    case = SI.ICase(False, [_line("0450"), _line("0450")], [], True, [1, 0], False, "18", False, False)
    claim, payment = _claim_and_payment(case)
    matches = match_lines(claim, payment)
    assert [matches[i][0].control_number for i in (0, 1)] == ["ICN9001-1", "ICN9001-2"]


# ------------------------------------------------------------------------------------------ properties
def _convert(case: SI.ICase):
    claims, _ = read_837(SI.render_837(case))
    remittances, findings = read_835(SI.render_835(case))
    assert not [f for f in findings if f.severity == "error"]
    payments = [c for r in remittances for c in r.claims]
    (outcome,) = secondary_claims(payments, index_claims(claims))
    return outcome


def _write(claims) -> str:
    return write_837(claims, PARTIES, itertools.count(1).__next__, WHEN)


def _cas_triplets(segs) -> Counter:
    out: Counter = Counter()
    for seg in segs:
        if seg[0] == "CAS":
            for i in range(2, len(seg), 3):
                if seg[i]:
                    out[(seg[1], seg[i])] += Decimal(seg[i + 1])
    return out


def _expected_triplets(adjustments) -> Counter:
    out: Counter = Counter()
    for group, reason, cents in adjustments:
        out[(group, reason)] += Decimal(cents) / 100
    return Counter({k: v for k, v in out.items() if v})


@settings(max_examples=50, deadline=None)
@given(SI.institutional_cases())
def test_generated_837i_converts_and_balances(case):
    outcome = _convert(case)
    if case.patient_responsibility == 0:
        assert outcome.disposition == NOTHING_DUE
        return
    assert outcome.disposition == CONVERTED, outcome.reasons
    text = _write([outcome.secondary])
    (claim,), findings = read_837(text.encode("latin-1"))
    assert not [f for f in findings if f.severity == "error"]
    assert claim.kind == "I"
    assert check_cob_balance(claim) == []

    cents = Decimal(100)
    charge = Decimal(case.charge) / cents
    (primary,) = [p for p in claim.other_payers if p.payer_id == SI.PAYER_ID]
    # B7 and AMT*D = the primary's net paid (CLP04)
    assert claim.charge == charge == sum((line.charge for line in claim.lines), Decimal(0))
    assert primary.paid == Decimal(case.paid) / cents
    # claim-level CAS exactly as the 835's 2100 CAS
    assert _cas_triplets(primary.segments) == _expected_triplets(case.claim_adjustments)
    claim_cas = cas_total(primary.segments)
    line_cas = Decimal(0)
    svd_paid = Decimal(0)
    line_eaf = []
    for line, billed in zip(claim.lines, case.lines, strict=True):
        adjs = [a for a in line.adjudications if a.payer_id == SI.PAYER_ID]
        if case.inpatient:
            assert adjs == []
            continue
        (adj,) = adjs
        svd = adj.segments[0]
        assert svd[4] == billed.revenue  # SVD04 required
        assert svd[3] == ("" if not billed.hcpcs else SI.procedure_code(billed))  # SVD03 only for a procedure
        assert svd[5] == ("0" if billed.denied else str(billed.units))
        # B4: SVD02 + sum 2430 CAS = SV203
        assert adj.paid + cas_total(adj.segments) == line.charge == Decimal(billed.charge) / cents
        assert _cas_triplets(adj.segments) == _expected_triplets(billed.adjustments)
        line_cas += cas_total(adj.segments)
        svd_paid += adj.paid
        eaf = find(adj.segments, "AMT", "EAF")
        if eaf:
            line_eaf.append(Decimal(eaf[2]))
    # B5, B6
    assert primary.paid + claim_cas + line_cas == claim.charge
    if not case.inpatient:
        assert primary.paid == svd_paid - claim_cas
    # no money created or lost: every adjustment of the 835 is in the 837 once, at its own level
    assert claim_cas + line_cas == Decimal(case.charge - case.paid) / cents
    # EAF = sum PR, at exactly one level
    pr = Decimal(case.patient_responsibility) / cents
    claim_eaf = find(primary.segments, "AMT", "EAF")
    if case.inpatient or any(g == "PR" for g, _, _ in case.claim_adjustments):
        assert claim_eaf is not None and Decimal(claim_eaf[2]) == pr and line_eaf == []
    else:
        assert claim_eaf is None and sum(line_eaf, Decimal(0)) == pr and len(line_eaf) == len(case.lines)
    # DTP*573 at exactly one level; MIA only inpatient, MIA02 empty; SBR05 empty; OI04 empty
    date_2330b = find(primary.segments, "DTP", "573")
    assert (date_2330b is not None) == case.inpatient
    mia = find(primary.segments, "MIA")
    assert (mia is not None) == case.inpatient
    if mia:
        assert mia[1] == str(len(case.lines)) and (len(mia) < 3 or mia[2] == "")
    assert (find(primary.segments, "MOA") is not None) == case.moa
    oi = find(primary.segments, "OI")
    assert len(oi) < 5 or oi[4] == ""
    for sbr in (claim.subscriber.sbr, primary.sbr):
        assert len(sbr) < 6 or sbr[5] == ""
    # the patient: 2000C when a dependent on the secondary's policy; 2320 SBR02 is the relationship to the
    # primary's subscriber
    assert (claim.patient is not None) == case.dependent
    assert primary.sbr[2] == ("19" if case.dependent else "18")
    if case.dependent:
        assert find(claim.patient.segments, "PAT")[1] == case.relationship


@settings(max_examples=50, deadline=None)
@given(SI.institutional_cases())
def test_parse_of_written_837i_round_trips(case):
    outcome = _convert(case)
    if outcome.secondary is None:
        return
    text = _write([outcome.secondary])
    claims, _ = read_837(text.encode("latin-1"))
    assert _write(claims) == text
    (claim,) = claims
    assert normalise(claim_body(claim)) == normalise(claim_body(outcome.secondary))
    original, _ = read_837(SI.render_837(case))
    assert _write(original) == _write(read_837(_write(original).encode("latin-1"))[0])


@settings(max_examples=5, deadline=None)
@given(SI.institutional_cases())
def test_generated_837i_passes_pyx12(case):
    original = validate_text(SI.render_837(case).decode("ascii"))
    assert original.findings == [] and original.ok
    outcome = _convert(case)
    if outcome.secondary is None:
        return
    validation = validate_text(_write([outcome.secondary]))
    assert validation.findings == []
    assert validation.ok
