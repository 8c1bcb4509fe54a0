"""The 835 reader: per-segment behaviour on small inline files, the whole public corpus, and balancing
checked against an independent summing pass over raw split segments."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from parsers.errors import X12Error
from parsers.models import Adjustment, ClaimPayment, Procedure
from parsers.read835 import Reader835, read_835
from parsers.syntax import Tokenizer
from tests.support import CORPUS, EXAMPLES, corpus_index, fixture_files, make835


def ordinal_of(data: bytes, prefix: str, nth: int = 1) -> int:
    """1-based segment ordinal of the nth segment starting with `prefix` in a make835 file."""
    segs = [s.strip() for s in data.decode().split("~") if s.strip()]
    hits = [i + 1 for i, s in enumerate(segs) if s.startswith(prefix)]
    return hits[nth - 1]


def read(data: bytes):
    rems, findings = read_835(data, "t.835")
    return rems, findings


def one_claim(data: bytes) -> tuple[ClaimPayment, list]:
    rems, findings = read(data)
    assert len(rems) == 1 and len(rems[0].claims) == 1
    return rems[0].claims[0], findings


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


# --------------------------------------------------------------------------------------------- CAS
def test_cas_with_six_triplets_reads_every_reason_amount_and_quantity():
    data = make835(
        "LX*1",
        "CLP*PCN1*1*300*90**12*ICN1",
        "SVC*HC:99214*300*90**1",
        "CAS*CO*45*100*1*59*10**97*20*2*B7*30**16*40*3*18*10",
        bpr02="90",
    )
    claim, findings = one_claim(data)
    assert findings == []
    adj = claim.services[0].adjustments
    assert adj == [
        Adjustment("CO", "45", D("100"), D("1")),
        Adjustment("CO", "59", D("10"), None),
        Adjustment("CO", "97", D("20"), D("2")),
        Adjustment("CO", "B7", D("30"), None),
        Adjustment("CO", "16", D("40"), D("3")),
        Adjustment("CO", "18", D("10"), None),
    ]
    assert all(type(a.amount) is D for a in adj)
    assert claim.adjustment_total() == D("210")


def test_cas_before_the_first_svc_is_claim_level_and_after_it_line_level():
    data = make835(
        "LX*1",
        "CLP*PCN1*1*200*70*30*12*ICN1",
        "CAS*PR*1*30",
        "NM1*QC*1*DOE*JANE****MI*X1",
        "SVC*HC:99213*120*60**1",
        "DTM*472*20240105",
        "CAS*CO*45*60",
        "SVC*HC:93000*80*40**1",
        "CAS*CO*45*40",
        bpr02="70",
    )
    claim, findings = one_claim(data)
    assert findings == []
    assert claim.adjustments == [Adjustment("PR", "1", D("30"))]
    assert claim.services[0].adjustments == [Adjustment("CO", "45", D("60"))]
    assert claim.services[1].adjustments == [Adjustment("CO", "45", D("40"))]
    assert claim.patient_responsibility_total() == D("30")
    assert claim.services[0].dates == {"472": "20240105"}


def test_cas_with_an_invalid_group_code_is_a_finding_and_not_read():
    data = make835("LX*1", "CLP*PCN1*1*100*100**12*ICN1", "CAS*grp_code*reason_code*amount*quantity", bpr02="100")
    claim, findings = one_claim(data)
    assert claim.adjustments == []
    [f] = findings
    assert (f.rule, f.position.segment_id, f.position.element) == ("CAS01", "CAS", "CAS01")
    assert f.position.segment == ordinal_of(data, "CAS")


# --------------------------------------------------------------------------------------------- SVC
def test_svc05_absent_means_one_unit_and_present_is_read():
    data = make835(
        "LX*1", "CLP*PCN1*1*150*150**12*ICN1", "SVC*HC:99214:25*100*100", "SVC*HC:J3420*50*50**3", bpr02="150"
    )
    claim, findings = one_claim(data)
    assert findings == []
    first, second = claim.services
    assert (first.units_paid, first.units_absent) == (D(1), True)
    assert (second.units_paid, second.units_absent) == (D(3), False)
    assert first.procedure == Procedure("HC", "99214", ("25",))
    assert first.original_procedure is None and first.submitted_procedure == first.procedure


def test_svc06_original_procedure_svc07_units_and_svc04_revenue_code():
    data = make835(
        "LX*1", "CLP*PCN1*1*100*80**12*ICN1", "SVC*HC:99213*100*80*0510*1*HC:99214:25*2", "CAS*CO*45*20", bpr02="80"
    )
    claim, findings = one_claim(data)
    assert findings == []
    svc = claim.services[0]
    assert svc.original_procedure == Procedure("HC", "99214", ("25",))
    assert svc.submitted_procedure.code == "99214"
    assert svc.original_units == D(2)
    assert svc.revenue_code == "0510"


def test_line_ref_6r_dtm_amt_qty_lq():
    data = make835(
        "LX*1",
        "CLP*PCN1*1*100*80**12*ICN1",
        "SVC*HC:99213*100*80**1",
        "DTM*150*20240101",
        "DTM*151*20240103",
        "CAS*CO*45*20",
        "REF*6R*LINE-1",
        "REF*G1*AUTH9",
        "AMT*B6*80",
        "AMT*KH*1.50",
        "QTY*ZK*2",
        "LQ*HE*N130",
        "LQ*RX*70",
        bpr02="80",
    )
    claim, findings = one_claim(data)
    assert findings == []
    svc = claim.services[0]
    assert svc.control_number == "LINE-1"
    assert svc.references == [("G1", "AUTH9")]
    assert svc.dates == {"150": "20240101", "151": "20240103"} and svc.service_date == "20240101"
    assert svc.amounts == {"B6": D("80"), "KH": D("1.50")}
    assert svc.quantities == {"ZK": D("2")}
    assert svc.remarks == [("HE", "N130"), ("RX", "70")]
    assert claim.remark_codes() == ["N130"]
    assert claim.references == []  # REF*6R and REF*G1 after the SVC belong to the line


# --------------------------------------------------------------------------------------------- claim
def test_claim_segments_names_moa_mia_ref_dtm_per_amt_qty():
    data = make835(
        "LX*7",
        "CLP*PCN1*19*500*400*100*MB*ICN1*11*1",
        "CAS*PR*1*100",
        "NM1*QC*1*DOE*JANE****MI*X1",
        "NM1*IL*1*DOE*JOHN****MI*X2",
        "NM1*82*1*WELBY*MARCUS****XX*1",
        "NM1*TT*2*MEDIGAP PLAN*****PI*99999",
        "MOA***MA01*MA18",
        "REF*1L*GRP1",
        "REF*F8*OLDICN",
        "DTM*232*20240101",
        "DTM*233*20240102",
        "PER*CX*CLAIMS*TE*8005550100",
        "AMT*AU*500",
        "AMT*I*2.10",
        "QTY*CA*2",
        bpr02="400",
    )
    claim, findings = one_claim(data)
    assert findings == []
    assert claim.clp == ["CLP", "PCN1", "19", "500", "400", "100", "MB", "ICN1", "11", "1"]
    assert (claim.claim_id, claim.status, claim.charge, claim.paid, claim.patient_responsibility) == (
        "PCN1",
        "19",
        D("500"),
        D("400"),
        D("100"),
    )
    assert (claim.payer_claim_number, claim.filing_indicator, claim.facility_type, claim.frequency) == (
        "ICN1",
        "MB",
        "11",
        "1",
    )
    assert set(claim.names) == {"QC", "IL", "82", "TT"}
    assert claim.names["TT"][9] == "99999"
    assert claim.outpatient == ["MOA", "", "", "MA01", "MA18"] and claim.inpatient is None
    assert claim.remark_codes() == ["MA01", "MA18"]
    assert claim.references == [("1L", "GRP1"), ("F8", "OLDICN")] and claim.reference("F8") == "OLDICN"
    assert claim.dates == {"232": "20240101", "233": "20240102"}
    assert claim.contacts == [["PER", "CX", "CLAIMS", "TE", "8005550100"]]
    assert claim.amounts == {"AU": D("500"), "I": D("2.10")}
    assert claim.quantities == {"CA": D("2")}
    assert claim.header_number == "7"


def test_mia_remark_codes():
    mia = "MIA*0***138018.40*MA02" + "*" * 15 + "*N20*N30"
    data = make835("LX*1", "CLP*PCN1*1*100*100**MA*ICN1", mia, bpr02="100")
    claim, findings = one_claim(data)
    assert findings == []
    assert claim.inpatient[0] == "MIA" and claim.inpatient[5] == "MA02"
    assert claim.remark_codes() == ["MA02", "N20", "N30"]


def test_reversal_with_negative_amounts_balances_and_skips_the_clp05_check():
    data = make835(
        "LX*1",
        "CLP*PCN5*22*-300*-160**12*ICN5",
        "SVC*HC:99215*-300*-160**1",
        "CAS*CO*45*-100",
        "CAS*PR*1*-40",
        "CLP*PCN5*1*300*190*40*12*ICN5B",
        "REF*F8*ICN5",
        "SVC*HC:99215*300*190**1",
        "CAS*CO*45*70",
        "CAS*PR*1*40",
        bpr02="30",
    )
    rems, findings = read(data)
    assert findings == []
    reversal, correction = rems[0].claims
    assert reversal.is_reversal and not correction.is_reversal
    assert (reversal.charge, reversal.paid, reversal.patient_responsibility) == (D("-300"), D("-160"), None)
    assert reversal.all_adjustments() == [Adjustment("CO", "45", D("-100")), Adjustment("PR", "1", D("-40"))]
    assert correction.reference("F8") == "ICN5"
    assert rems[0].claim_paid_total == D("30") and rems[0].claim_count == 2


def test_clp05_differing_from_pr_adjustments_is_a_warning():
    data = make835("LX*1", "CLP*PCN1*1*100*70*25*12*ICN1", "CAS*PR*1*30", bpr02="70")
    claim, findings = one_claim(data)
    [f] = findings
    assert (f.rule, f.severity, f.position.segment_id, f.position.element) == ("CLP05", "warning", "CLP", "CLP05")
    assert "25" in f.message and "30" in f.message
    assert claim.findings == [f]


def test_empty_clp05_with_no_pr_is_not_a_warning():
    data = make835("LX*1", "CLP*PCN1*4*100*0**12*ICN1", "CAS*CO*50*100", bpr02="0")
    _, findings = one_claim(data)
    assert findings == []


# --------------------------------------------------------------------------------------------- PLB
def test_plb_pairs_reason_reference_and_sign_take_part_in_b3():
    # Σ CLP04 = 100; PLB withholds 25 (WO) and 5 (FB) and adds interest 2.5 (L6 negative): BPR02 = 72.50
    data = make835(
        "LX*1", "CLP*PCN1*1*100*100**12*ICN1", "PLB*1234567893*20241231*WO:ICN0*25*L6*-2.5*FB:ICN0*5", bpr02="72.50"
    )
    rems, findings = read(data)
    assert findings == []
    plb = rems[0].provider_adjustments
    assert [(p.reason, p.reference, p.amount) for p in plb] == [
        ("WO", "ICN0", D("25")),
        ("L6", "", D("-2.5")),
        ("FB", "ICN0", D("5")),
    ]
    assert {(p.provider_id, p.fiscal_period_date) for p in plb} == {("1234567893", "20241231")}
    assert [p.position.element for p in plb] == ["PLB03", "PLB05", "PLB07"]
    assert plb[0].position.segment == ordinal_of(data, "PLB")


def test_plb_with_the_wrong_sign_breaks_b3_at_the_se():
    data = make835("LX*1", "CLP*PCN1*1*100*100**12*ICN1", "PLB*1234567893*20241231*L6*2.5", bpr02="102.50")
    rems, findings = read(data)
    [f] = findings
    assert (f.rule, f.position.segment_id, f.position.segment) == ("B3", "SE", ordinal_of(data, "SE"))
    assert "100" in f.message and "2.5" in f.message and "102.50" in f.message
    assert rems[0].findings == [f]


# --------------------------------------------------------------------------------------------- balancing
def test_b1_and_b2_findings_name_the_segment_and_the_numbers():
    data = make835(
        "LX*1",
        "CLP*PCN1*1*250*100**12*ICN1",
        "CAS*CO*45*4",
        "SVC*HC:99214*150*72**1",
        "CAS*CO*45*78",
        "SVC*HC:93000*100*36**1",
        "CAS*CO*45*60",
        bpr02="100",
    )
    claim, findings = one_claim(data)
    b1, b2 = sorted((f for f in findings), key=lambda f: f.rule)
    assert (b1.rule, b1.position.segment, b1.position.segment_id, b1.position.element) == (
        "B1",
        ordinal_of(data, "SVC", 2),
        "SVC",
        "SVC03",
    )
    assert b1.message == "line out of balance: SVC02 100 − adjustments 60 = 40, but SVC03 is 36"
    assert (b2.rule, b2.position.segment, b2.position.segment_id) == ("B2", ordinal_of(data, "CLP"), "CLP")
    assert b2.message == ("claim out of balance (CLP07 ICN1): CLP03 250 − adjustments 142 = 108, but CLP04 is 100")
    assert claim.findings == [b1, b2]
    assert "PCN1" not in b1.message + b2.message  # CLP01 (patient control number) stays out of findings


def test_an_unbalanced_file_is_still_read_completely():
    data = make835("LX*1", "CLP*PCN1*1*100*90**12*ICN1", "CLP*PCN2*1*50*50**12*ICN2", bpr02="1")
    rems, findings = read(data)
    assert [c.claim_id for c in rems[0].claims] == ["PCN1", "PCN2"]
    assert sorted(rules(findings)) == ["B2", "B3"]


# --------------------------------------------------------------------------------------------- header
def test_header_parties_summaries_and_streaming():
    data = make835(
        "LX*1",
        "TS3*1234567893*11*20241231*2*300",
        "TS2*100*50",
        "CLP*PCN1*1*100*100**12*ICN1",
        "CLP*PCN2*1*200*200**12*ICN2",
        "LX*2",
        "CLP*PCN3*1*5*5**12*ICN3",
        bpr02="305",
        header=("CUR*PR*USD", "REF*EV*RECEIVER1", "REF*F2*V1", "DTM*405*20240119"),
    )
    reader = Reader835(Tokenizer.open(data, "t.835"))
    seen = []
    for claim in reader.claims():
        rem = claim.remittance
        # the header is complete by the first CLP
        assert rem.payer.name == "PRIMARY HEALTH PLAN" and rem.payee.id == "1234567893"
        seen.append((claim.claim_id, claim.header_number))
    assert seen == [("PCN1", "1"), ("PCN2", "1"), ("PCN3", "2")]
    [rem] = reader.remittances
    assert rem.claims == []  # streaming mode
    assert (rem.claim_count, rem.claim_paid_total, rem.payment_amount) == (3, D("305"), D("305"))
    assert rem.trace_number == "EFT0001" and rem.handling == "I" and rem.payment_date == "20240120"
    assert rem.references == [("EV", "RECEIVER1"), ("F2", "V1")]
    assert rem.production_date == "20240119"
    assert rem.currency == ["CUR", "PR", "USD"]
    assert [s[0] for s in rem.payer.segments] == ["N1", "N3", "N4", "REF", "PER"]
    assert rem.payer_id == "11111"
    assert rem.payee.segments == [["N1", "PE", "ACME CLINIC", "XX", "1234567893"]]
    assert rem.provider_summaries == {
        "1": [["TS3", "1234567893", "11", "20241231", "2", "300"], ["TS2", "100", "50"]],
        "2": [],
    }
    assert reader.findings == []


def test_unknown_segments_are_warnings_with_positions_and_reading_goes_on():
    data = make835("LX*1", "CLP*PCN1*1*100*100**12*ICN1", "ZZZ*1", "SVC*HC:1*100*100", "K3*x", bpr02="100")
    claim, findings = one_claim(data)
    assert len(claim.services) == 1
    assert [(f.rule, f.severity, f.position.segment_id, f.position.segment) for f in findings] == [
        ("unknown-segment", "warning", "ZZZ", ordinal_of(data, "ZZZ")),
        ("unknown-segment", "warning", "K3", ordinal_of(data, "K3")),
    ]


def test_a_transaction_that_is_not_an_835_is_skipped_with_a_finding():
    data = make835("LX*1", "CLP*PCN1*1*100*100**12*ICN1", bpr02="100").decode()
    other = "ST*277*0002~\nBHT*0010*08*1*20240120*0900~\nCLP*X*1*1*1~\nSE*4*0002~\n"
    se = data[data.index("SE*") : data.index("GE*")]
    data = data.replace("GE*1*501", "GE*2*501").replace(se, se + other).encode()
    rems, findings = read(data)
    assert len(rems) == 1 and len(rems[0].claims) == 1
    [f] = findings
    assert (f.rule, f.position.segment_id) == ("not-835", "ST")


def test_composite_separator_mismatch_is_read_with_the_separator_used():
    path = CORPUS / "LinuxForHealth__x12" / ("src__tests__resources__835_005010X221A1__cob-contractural-adjustment.835")
    rems, findings = read_835(path)
    svc = rems[0].claims[0].services[0]
    assert svc.procedure.qualifier == "HC" and svc.procedure.code.isdigit()
    assert rules(findings) == ["composite-separator"]


# --------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("segment", "bad", "element"),
    [
        ("CLP*PCN1*1*100*1O0**12*ICN1", "CLP", "CLP04"),
        ("CLP*PCN1*1*12.3.4*100**12*ICN1", "CLP", "CLP03"),
        ("SVC*HC:99213*100*abc**1", "SVC", "SVC03"),
        ("CAS*CO*45*10*1*59*1,0", "CAS", "CAS06"),
        ("AMT*B6*NaN", "AMT", "AMT02"),
        ("PLB*1234567893*20241231*WO:ICN0*2x5", "PLB", "PLB04"),
    ],
)
def test_a_malformed_amount_is_an_x12_error_naming_ordinal_segment_and_element(segment, bad, element):
    body = ["LX*1", "CLP*PCN1*1*100*100**12*ICN1", "SVC*HC:99213*100*100**1"]
    if bad == "CLP":
        body[1] = segment
    else:
        body.append(segment)
    data = make835(*body, bpr02="100")
    with pytest.raises(X12Error) as info:
        read(data)
    pos = info.value.position
    assert (pos.file, pos.segment, pos.segment_id, pos.element) == ("t.835", ordinal_of(data, segment), bad, element)
    assert "PCN1" not in str(info.value) and "DOE" not in str(info.value)


def test_a_mutated_amount_in_a_reference_example_is_an_x12_error():
    text = (EXAMPLES / "A_primary.835").read_text()
    assert "CLP*PCN1001*1*250*108*" in text
    data = text.replace("CLP*PCN1001*1*250*108*", "CLP*PCN1001*1*250*10.8.1*").encode()
    with pytest.raises(X12Error) as info:
        read_835(data, "A.835")
    pos = info.value.position
    assert (pos.segment, pos.segment_id, pos.element) == (ordinal_of(data, "CLP"), "CLP", "CLP04")
    assert pos.segment == 14
    assert "PCN1001" not in str(info.value)


def test_a_missing_required_amount_is_a_finding_and_reads_as_zero():
    data = make835("LX*1", "CLP*PCN1*1*100*100**12*ICN1", "SVC*HC:99213*****1*100*100", bpr02="100")
    claim, findings = one_claim(data)
    assert claim.services[0].charge == 0 and claim.services[0].paid == 0
    assert [(f.rule, f.position.element) for f in findings] == [
        ("missing-amount", "SVC02"),
        ("missing-amount", "SVC03"),
    ]


# --------------------------------------------------------------------------------------------- corpus
INDEX_835 = corpus_index("835")
EXAMPLE_835 = fixture_files(EXAMPLES, "*.835")
ALL_835 = [CORPUS / r["saved_path"] for r in INDEX_835] + EXAMPLE_835
BROKEN = {r["saved_path"] for r in INDEX_835 if any(w in r["notes"] for w in ("TRUNCATED", "BROKEN"))}


def test_the_corpus_has_the_835_files_the_index_lists():
    assert len(INDEX_835) >= 20 and len(EXAMPLE_835) >= 6
    assert all(p.exists() for p in ALL_835)


@pytest.mark.parametrize("row", INDEX_835, ids=lambda r: r["saved_path"].split("/")[-1])
def test_every_corpus_835_reads_with_the_claim_count_the_index_gives(row):
    path = CORPUS / row["saved_path"]
    try:
        rems, findings = read_835(path)
    except X12Error:
        assert row["saved_path"] in BROKEN, "X12Error on a file the index does not mark broken"
        raise
    expected = int(row["n_CLP_or_CLM"].split("=")[1])
    assert sum(len(r.claims) for r in rems) == expected
    assert sum(r.claim_count for r in rems) == expected
    for rem in rems:
        for claim in rem.claims:
            assert claim.remittance is rem
            assert all(type(v) is D for v in (claim.charge, claim.paid))
    # no finding text carries a CLP01 (patient control number)
    claim_ids = {c.claim_id for r in rems for c in r.claims if len(c.claim_id) > 3}
    assert not [f for f in findings for cid in claim_ids if cid in f.message]


def test_the_broken_plb_file_gives_precise_findings():
    name = "affect-therapeutics__edi-835-parser/tests__test_edi_835_files__sample_835_with_interests.txt"
    assert name in BROKEN
    data = (CORPUS / name).read_bytes()
    rems, findings = read_835(CORPUS / name)
    plb_ordinal = ordinal_of(data, "PLB*1002*20211216*resnCode>adjID*5")
    [plb] = [f for f in findings if f.rule == "PLB-reason"]
    assert (plb.severity, plb.position.segment, plb.position.segment_id, plb.position.element) == (
        "error",
        plb_ordinal,
        "PLB",
        "PLB03",
    )
    assert "'resnCode'" in plb.message
    # the placeholder left on a line of its own is an unknown segment, reported where it is
    [unknown] = [f for f in findings if f.rule == "unknown-segment"]
    assert unknown.position.segment == ordinal_of(data, "resnCode>adjID>5")
    assert [p.reason for p in rems[0].provider_adjustments] == ["resnCode"]
    assert [(p.reason, p.amount) for p in rems[1].provider_adjustments] == [("L6", D("-10.3"))]


@pytest.mark.parametrize("path", EXAMPLE_835, ids=lambda p: p.name)
def test_the_reference_examples_balance_with_no_findings(path):
    rems, findings = read_835(path)
    assert findings == []
    assert rems and all(r.claims for r in rems)


# ---------------------------------------------------------------- independent balancing (raw split pass)
CAS_GROUPS = {"CO", "OA", "PI", "PR", "CR"}


def raw_segments(path: Path) -> list[list[str]]:
    """Split a file into segments the simple way: delimiters from the ISA (or the ST), no tokenizer."""
    text = path.read_bytes().decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \r\n\t")
    if text.startswith("ISA"):
        el = text[3]
        isa16 = text.split(el, 16)[16]
        term = isa16[1]
    else:
        el = text[2]
        i = 3
        while text[i].isalnum() or text[i] in (el, " "):
            i += 1
        term = text[i]
    if term == "\r":
        term = "\n"
    out = []
    for raw in text.split(term):
        raw = raw.strip().replace("\r", "").replace("\n", "")
        if raw:
            out.append(raw.split(el))
    return out


def amt(value: str) -> D:
    return D(value) if value else D(0)


def independent_flags(path: Path) -> set[tuple[str, int]]:
    """{(rule, segment ordinal)} of every B1 (SVC), B2 (CLP) and B3 (SE) failure, summed from raw segments."""
    flags = set()
    in835 = False
    bpr = paid = plb = D(0)
    claim = line = None  # [ordinal, charge, paid, Σ cas]

    def close_line():
        if line and line[1] - line[3] != line[2]:
            flags.add(("B1", line[0]))

    def close_claim():
        if claim and claim[1] - claim[3] != claim[2]:
            flags.add(("B2", claim[0]))

    for n, s in enumerate(raw_segments(path), 1):
        tag = s[0]
        if tag == "ST":
            in835 = s[1] == "835"
            bpr = paid = plb = D(0)
            claim = line = None
        if not in835:
            continue
        if tag in ("CLP", "LX", "PLB", "SE"):
            close_line()
            close_claim()
            claim = line = None
        if tag == "BPR":
            bpr = amt(s[2])
        elif tag == "CLP":
            claim = [n, amt(s[3]), amt(s[4]), D(0)]
            paid += amt(s[4])
        elif tag == "SVC":
            close_line()
            line = [n, amt(s[2]), amt(s[3]), D(0)]
        elif tag == "CAS" and s[1] in CAS_GROUPS:
            total = sum((amt(s[i]) for i in range(3, len(s), 3)), D(0))
            claim[3] += total
            if line:
                line[3] += total
        elif tag == "PLB":
            plb += sum((amt(s[i]) for i in range(4, len(s), 2)), D(0))
        elif tag == "SE":
            if bpr != paid - plb:
                flags.add(("B3", n))
            in835 = False
    return flags


@pytest.mark.parametrize("path", ALL_835, ids=lambda p: p.name)
def test_balancing_findings_agree_with_an_independent_summing_pass(path):
    rems, findings = read_835(path)
    reported = {(f.rule, f.position.segment) for f in findings if f.rule in ("B1", "B2", "B3")}
    assert reported == independent_flags(path)
    for f in findings:
        if f.rule in ("B1", "B2", "B3"):
            assert f.position.segment_id == {"B1": "SVC", "B2": "CLP", "B3": "SE"}[f.rule]


@pytest.mark.parametrize("row", INDEX_835, ids=lambda r: r["saved_path"].split("/")[-1])
def test_balancing_findings_agree_with_the_index_notes(row):
    _, findings = read_835(CORPUS / row["saved_path"])
    counts = {rule: sum(f.rule == rule for f in findings) for rule in ("B1", "B2", "B3")}
    balance = row["notes"].split("balance: ")[1]
    if balance.startswith("OK"):
        assert counts == {"B1": 0, "B2": 0, "B3": 0}
    if "SVC02-SVC03!=sum CAS" in balance:
        assert counts["B1"] == int(balance.split(" line(s)")[0])
    if "BPR02!=sum CLP04-PLB" in balance:
        assert counts["B3"] == int(balance.split(" in ")[1].split(" txn")[0])


def test_streaming_and_whole_file_reading_agree():
    path = CORPUS / "tastypackets__x12-parser" / "test__test-files__835__profee-multiple.edi"
    reader = Reader835(Tokenizer.open(path))
    streamed = [(c.position.segment, c.paid, len(c.services)) for c in reader.claims()]
    rems, findings = read_835(path)
    assert streamed == [(c.position.segment, c.paid, len(c.services)) for r in rems for c in r.claims]
    assert len(rems) == 156 and len(streamed) == 468
    assert reader.findings == findings
    with pytest.raises(RuntimeError):
        next(iter(reader.claims()))
