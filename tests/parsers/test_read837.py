"""The 837 reader: loop assignment, lossless rebuild, findings (B7, unknown-segment, not-837), errors."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from parsers.errors import X12Error
from parsers.models import Claim837, Transaction837
from parsers.read837 import Reader837, read_837
from parsers.syntax import Tokenizer
from tests.support import CORPUS, EXAMPLES, corpus_index, fixture_files

CORPUS_837 = corpus_index("837")
TRUNCATED = [row for row in CORPUS_837 if "TRUNCATED" in row["notes"]]
READABLE_837 = [row for row in CORPUS_837 if "TRUNCATED" not in row["notes"]]
EXAMPLE_837 = fixture_files(EXAMPLES, "*.837")
ALL_READABLE = [CORPUS / row["saved_path"] for row in READABLE_837] + EXAMPLE_837


def _b7_expected(row: dict[str, str]) -> int:
    match = re.search(r"(\d+) claim\(s\) CLM02 != sum of line charges", row["notes"])
    return int(match.group(1)) if match else 0


# ------------------------------------------------------------------------------------------------ helpers
def read(source, name: str | None = None, chunk_size: int | None = None) -> tuple[Reader837, list[Claim837]]:
    tok = Tokenizer.open(source, name)
    if chunk_size:
        tok.chunk_size = chunk_size
    reader = Reader837(tok)
    return reader, list(reader.claims())


def rebuild(transactions: list[Transaction837], claims: list[Claim837]) -> list[list[str]]:
    """The flat segment list of every 837 transaction set, rebuilt from the models alone."""
    by_txn: dict[int, list[Claim837]] = {}
    for claim in claims:
        by_txn.setdefault(id(claim.transaction), []).append(claim)
    out: list[list[str]] = []
    for txn in transactions:
        out += txn.segments
        for claim in by_txn.pop(id(txn), []):
            for level in claim.levels:
                out += level.segments
            out += claim.segments
            for other in claim.other_payers:
                out += other.segments
            for line in claim.lines:
                out += line.segments
                for adjudication in line.adjudications:
                    out += adjudication.segments
                out += line.trailing
        out += txn.trailer
    assert not by_txn, "claims that point to a transaction the reader did not list"
    return out


def levels_not_yet_emitted(claims: list[Claim837]) -> list[list]:
    """Per claim, the HL loops of its chain (2000A, 2000B, 2000C) not emitted by an earlier claim."""
    emitted: set[int] = set()
    out = []
    for claim in claims:
        chain = [claim.billing_provider, claim.subscriber, claim.patient]
        new = [level for level in chain if level is not None and id(level) not in emitted]
        emitted.update(id(level) for level in new)
        out.append(new)
        if claim is not claims[-1] and claims[claims.index(claim) + 1].transaction is not claim.transaction:
            emitted = set()
    return out


def raw_837_segments(source) -> list[list[str]]:
    """Every segment of every 837 transaction set (ST..SE) as the tokenizer yields it."""
    out: list[list[str]] = []
    inside = False
    for seg in Tokenizer.open(source):
        if seg[0] == "ST":
            inside = len(seg) > 1 and seg[1] == "837"
        if inside:
            out.append(seg)
        if seg[0] == "SE":
            inside = False
    return out


ISA = "ISA*00*          *00*          *ZZ*ACMECLINIC     *ZZ*CLEARINGHOUSE  *240108*0800*^*00501*000000001*0*T*:"


def x12(*body: str, version: str = "005010X222A1") -> bytes:
    """An enveloped 837 with the given segments after 1000B (SE01 counted)."""
    segs = [
        f"ST*837*0001*{version}",
        "BHT*0019*00*BATCH1*20240108*0800*CH",
        "NM1*41*2*SUBMITTER*****46*SUB1",
        "PER*IC*BILLING*TE*5555551212",
        "NM1*40*2*RECEIVER*****46*RCV1",
        *body,
    ]
    segs.append(f"SE*{len(segs) + 1}*0001")
    return (
        "~\n".join([ISA, f"GS*HC*S*R*20240108*0800*1*X*{version}", *segs, "GE*1*1", "IEA*1*000000001"]) + "~\n"
    ).encode()


BILLING = [
    "HL*1**20*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
    "N3*1 MAIN ST",
    "N4*CITY*IL*627010000",
    "REF*EI*371234567",
]


def subscriber(n: int, child: int = 0, payer: str = "11111", parent: int = 1) -> list[str]:
    return [
        f"HL*{n}*{parent}*22*{child}",
        "SBR*P*18*GRP1******CI",
        "NM1*IL*1*ROE*RITA****MI*MEM998877",
        f"NM1*PR*2*PAYER*****PI*{payer}",
    ]


def dependent(n: int, parent: int) -> list[str]:
    return [
        f"HL*{n}*{parent}*23*0",
        "PAT*19",
        "NM1*QC*1*ROE*KIM",
        "N3*9 ELM ST",
        "N4*CITY*IL*627010000",
        "DMG*D8*20100101*M",
    ]


def claim(cid: str, charge: str, *line_charges: str, freq: str = "1") -> list[str]:
    segs = [f"CLM*{cid}*{charge}***11:B:{freq}*Y*A*Y*Y", "HI*ABK:I10"]
    for i, amount in enumerate(line_charges, 1):
        segs += [f"LX*{i}", f"SV1*HC:99213*{amount}*UN*1***1", "DTP*472*D8*20240105", f"REF*6R*{cid}-{i}"]
    return segs


def rules(reader: Reader837) -> list[str]:
    return [f.rule for f in reader.findings]


def assert_lossless(source, reader: Reader837, claims: list[Claim837]) -> None:
    assert rebuild(reader.transactions, claims) == raw_837_segments(source)


# ------------------------------------------------------------------------------------------------ hierarchy
def test_dependent_2000c_is_the_patient_and_hl_parents_follow_hl02():
    data = x12(*BILLING, *subscriber(2, child=1), *dependent(3, 2), *claim("C1", "100", "60", "40"))
    reader, claims = read(data)
    (c,) = claims
    assert c.patient is not None and c.patient.level_code == "23"
    assert c.patient.find("PAT") == ["PAT", "19"]
    assert c.patient.parent is c.subscriber
    assert c.subscriber.parent is c.billing_provider
    assert c.billing_provider.parent is None
    assert [lv.level_code for lv in c.levels] == ["20", "22", "23"]
    assert c.subscriber.segments[0] == ["HL", "2", "1", "22", "1"] and c.subscriber.sbr[1] == "P"
    assert c.payer_id == "11111"
    assert [ln.charge for ln in c.lines] == [Decimal("60"), Decimal("40")]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_several_claims_under_one_2000b_share_the_subscriber():
    data = x12(
        *BILLING, *subscriber(2), *claim("C1", "100", "100"), *claim("C2", "50", "20", "30"), *claim("C3", "10", "10")
    )
    reader, claims = read(data)
    assert [c.claim_id for c in claims] == ["C1", "C2", "C3"]
    assert all(c.patient is None for c in claims)
    assert claims[0].subscriber is claims[1].subscriber is claims[2].subscriber
    assert claims[0].billing_provider is claims[2].billing_provider
    assert [len(c.levels) for c in claims] == [2, 0, 0]
    assert [len(c.lines) for c in claims] == [1, 2, 1]
    assert claims[1].segments == [["CLM", "C2", "50", "", "", "11:B:1", "Y", "A", "Y", "Y"], ["HI", "ABK:I10"]]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_several_2000b_under_one_2000a_share_the_billing_provider():
    data = x12(
        *BILLING,
        *subscriber(2, payer="11111"),
        *claim("C1", "100", "100"),
        *subscriber(3, payer="22222"),
        *claim("C2", "50", "50"),
        *subscriber(4, child=1, payer="33333"),
        *dependent(5, 4),
        *claim("C3", "5", "5"),
    )
    reader, claims = read(data)
    assert [c.payer_id for c in claims] == ["11111", "22222", "33333"]
    assert claims[0].billing_provider is claims[1].billing_provider is claims[2].billing_provider
    assert claims[0].subscriber is not claims[1].subscriber
    assert claims[1].subscriber.parent is claims[0].billing_provider
    assert claims[2].patient.parent is claims[2].subscriber
    assert [[lv.segments[0][1] for lv in c.levels] for c in claims] == [["1", "2"], ["3"], ["4", "5"]]
    assert levels_not_yet_emitted(claims) == [c.levels for c in claims]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_second_2000a_starts_a_new_billing_provider():
    data = x12(
        *BILLING,
        *subscriber(2),
        *claim("C1", "1", "1"),
        "HL*3**20*1",
        "NM1*85*2*OTHER CLINIC*****XX*1999996666",
        *subscriber(4, parent=3),
        *claim("C2", "2", "2"),
    )
    reader, claims = read(data)
    assert claims[0].billing_provider is not claims[1].billing_provider
    assert claims[1].billing_provider.find("NM1", "85")[9] == "1999996666"
    assert claims[1].subscriber.parent is claims[1].billing_provider
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_hl_without_a_claim_is_flagged_and_kept():
    data = x12(*BILLING, *subscriber(2), *subscriber(3), *claim("C1", "1", "1"), *subscriber(4))
    reader, claims = read(data)
    (c,) = claims
    assert [lv.segments[0][1] for lv in c.levels] == ["1", "2", "3"]
    assert c.subscriber.segments[0][1] == "3"
    empty = [f for f in reader.findings if f.rule == "empty-hl"]
    assert [(f.position.segment_id, f.severity) for f in empty] == [("HL", "warning"), ("HL", "warning")]
    assert reader.transactions[0].trailer[0] == ["HL", "4", "1", "22", "0"]
    assert reader.transactions[0].trailer[-1][0] == "SE"
    assert_lossless(data, reader, claims)


def test_unknown_hl_parent_is_a_finding_and_falls_back_to_the_current_2000a():
    path = CORPUS / "imsweb__x12-parser/src__test__resources__837_5010__x12_complex.txt"
    reader, claims = read(path)
    hl02 = [f for f in reader.findings if f.rule == "HL02"]
    assert len(hl02) == 2  # "HL*2*3*22*1" in each of the two transaction sets
    assert all(f.position.element == "HL02" and f.position.segment_id == "HL" for f in hl02)
    second = claims[1]
    assert second.subscriber.segments[0][:3] == ["HL", "2", "3"]
    assert second.subscriber.parent is second.billing_provider
    assert second.patient.parent is second.subscriber
    assert_lossless(path, reader, claims)


# ------------------------------------------------------------------------------------------------ 2320 / 2400
def test_2320_with_2330a_b_and_2430_as_in_the_tr3_cob_example():
    path = CORPUS / "LinuxForHealth__x12/src__tests__resources__837_005010X222A2__demo.cob.example3.B.837"
    reader, claims = read(path)
    (c,) = claims
    assert c.claim_id == "26407789" and c.charge == Decimal("79.04")
    assert c.patient is not None and c.patient.find("PAT") == ["PAT", "19"]
    # 2300 + 2310B (rendering) + 2310C (facility) stay with the claim, up to the 2320 SBR
    assert [s[0] for s in c.segments] == ["CLM", "HI", "NM1", "PRV", "REF", "NM1", "N3", "N4"]
    (other,) = c.other_payers
    assert [s[0] for s in other.segments] == ["SBR", "CAS", "AMT", "AMT", "OI", "NM1", "N3", "N4", "NM1"]
    assert other.responsibility == "P" and other.payer_id == "999996666" and other.paid == Decimal("39.15")
    assert other.subscriber[9] == "JS00111223333"
    assert [len(ln.adjudications) for ln in c.lines] == [1, 1, 1]
    first = c.lines[0].adjudications[0]
    assert [s[0] for s in first.segments] == ["SVD", "CAS", "DTP"]
    assert first.payer_id == "999996666" and first.paid == Decimal("40.00")
    assert [s[0] for s in c.lines[0].segments] == ["LX", "SV1", "DTP"]
    assert c.lines[0].trailing == []
    assert rules(reader) == []
    assert_lossless(path, reader, claims)


def test_several_2320_loops_each_end_at_the_next_sbr_or_lx():
    data = x12(
        *BILLING,
        *subscriber(2),
        "CLM*C1*30***11:B:1*Y*A*Y*Y",
        "HI*ABK:I10",
        "NM1*82*1*DOC*DAN****XX*1999996666",
        "SBR*S*18*G2******CI",
        "OI***Y***Y",
        "NM1*IL*1*ROE*RITA****MI*M2",
        "NM1*PR*2*SECOND*****PI*22222",
        "SBR*T*18*G3******CI",
        "AMT*D*0",
        "OI***Y***Y",
        "NM1*IL*1*ROE*RITA****MI*M3",
        "NM1*PR*2*THIRD*****PI*33333",
        "DTP*573*D8*20240110",
        "REF*F8*ICN3",
        "LX*1",
        "SV1*HC:99213*30*UN*1***1",
        "DTP*472*D8*20240105",
    )
    reader, claims = read(data)
    (c,) = claims
    assert c.segments[-1][:2] == ["NM1", "82"]
    assert [(o.responsibility, o.payer_id, o.paid) for o in c.other_payers] == [
        ("S", "22222", None),
        ("T", "33333", Decimal("0")),
    ]
    assert c.other_payers[1].segments[-1] == ["REF", "F8", "ICN3"]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_2410_drug_2420_providers_2430_and_2440_forms():
    data = x12(
        *BILLING,
        *subscriber(2),
        "CLM*C1*25***11:B:1*Y*A*Y*Y",
        "HI*ABK:I10",
        "SBR*P*18*G1******CI",
        "AMT*D*20",
        "OI***Y***Y",
        "NM1*IL*1*ROE*RITA****MI*M1",
        "NM1*PR*2*FIRST*****PI*11111",
        "LX*1",
        "SV1*HC:J3301*25*UN*1***1",
        "DTP*472*D8*20240105",
        "REF*6R*L1",
        "LIN**N4*00026063512",
        "CTP****10*ML",
        "REF*XZ*RX123",  # 2410 drug
        "NM1*82*1*DOC*DAN****XX*1999996666",
        "PRV*PE*PXC*204C00000X",  # 2420A rendering
        "NM1*DK*1*ORDER*OLGA****XX*1999996667",
        "N3*2 OAK ST",
        "N4*CITY*IL*62701",  # 2420E ordering
        "SVD*11111*20*HC:J3301**1",
        "CAS*CO*45*5",
        "DTP*573*D8*20240120",
        "AMT*EAF*0",  # 2430
        "LQ*UT*01.02",
        "FRM*12N",
        "FRM*13**Y",
    )  # 2440
    reader, claims = read(data)
    (line,) = claims[0].lines
    assert [s[0] for s in line.segments] == [
        "LX",
        "SV1",
        "DTP",
        "REF",
        "LIN",
        "CTP",
        "REF",
        "NM1",
        "PRV",
        "NM1",
        "N3",
        "N4",
    ]
    assert line.control_number == "L1" and line.service_date == "20240105" and line.charge == Decimal("25")
    (adj,) = line.adjudications
    assert [s[0] for s in adj.segments] == ["SVD", "CAS", "DTP", "AMT"]
    assert line.trailing == [["LQ", "UT", "01.02"], ["FRM", "12N"], ["FRM", "13", "", "Y"]]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_2440_without_2430_and_several_2430_per_line():
    data = x12(
        *BILLING,
        *subscriber(2),
        "CLM*C1*30***11:B:1*Y*A*Y*Y",
        "LX*1",
        "SV1*HC:99213*10*UN*1***1",
        "LQ*UT*01.02",
        "FRM*12N",
        "LX*2",
        "SV1*HC:99214*20*UN*1***1",
        "SVD*11111*5*HC:99214**1",
        "DTP*573*D8*20240120",
        "SVD*11111*15*HC:99215**1",
        "DTP*573*D8*20240120",
    )
    reader, claims = read(data)
    first, second = claims[0].lines
    assert first.adjudications == [] and [s[0] for s in first.trailing] == ["LQ", "FRM"]
    assert [a.paid for a in second.adjudications] == [Decimal("5"), Decimal("15")]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)


def test_837i_sv2_lines_use_sv203_and_kind_i():
    data = x12(
        *BILLING,
        *subscriber(2),
        "CLM*I1*89.93***13:A:1**A*Y*Y",
        "DTP*434*RD8*20240101-20240102",
        "CL1*1**01",
        "HI*ABK:I10",
        "NM1*71*1*ATTENDING*ANN****XX*1999996666",
        "LX*1",
        "SV2*0305*HC:85025*13.39*UN*1",
        "DTP*472*D8*20240101",
        "LX*2",
        "SV2*0730*HC:93005*76.54*UN*3",
        "DTP*472*D8*20240101",
        version="005010X223A2",
    )
    reader, claims = read(data)
    (c,) = claims
    assert c.kind == "I" and c.frequency == "1"
    assert [ln.charge for ln in c.lines] == [Decimal("13.39"), Decimal("76.54")]
    assert [s[0] for s in c.segments] == ["CLM", "DTP", "CL1", "HI", "NM1"]
    assert rules(reader) == []
    assert_lossless(data, reader, claims)
    mismatch = x12(
        *BILLING,
        *subscriber(2),
        "CLM*I1*90***13:A:1**A*Y*Y",
        "LX*1",
        "SV2*0305*HC:85025*13.39*UN*1",
        version="005010X223A2",
    )
    reader, _ = read(mismatch)
    (b7,) = reader.findings
    assert b7.rule == "B7" and "90" in b7.message and "13.39" in b7.message


# ------------------------------------------------------------------------------------------------ findings
def test_b7_when_clm02_is_not_the_sum_of_the_line_charges():
    data = x12(
        *BILLING,
        *subscriber(2),
        *claim("SECRETCLAIM", "100", "60", "30"),
        *claim("C2", "79.04", "43", "15.00", "21.04"),
    )
    reader, claims = read(data)
    (b7,) = reader.findings
    assert b7.rule == "B7" and b7.severity == "error"
    assert b7.position.segment_id == "CLM" and b7.position.element == "CLM02"
    assert b7.position.segment == claims[0].position.segment
    assert "100" in b7.message and "90" in b7.message
    assert "SECRETCLAIM" not in b7.message and "SECRETCLAIM" not in str(b7)
    assert b7 in reader.transactions[0].header.findings


def test_unknown_segments_are_flagged_and_kept_where_they_stand():
    data = x12(
        *BILLING,
        *subscriber(2),
        "CLM*C1*30***11:B:1*Y*A*Y*Y",
        "ZZZ*1",
        "LX*1",
        "SV1*HC:99213*10*UN*1***1",
        "CAS*CO*45*1",
        "SBR*S*18",
        "LX*2",
        "SV1*HC:99213*20*UN*1***1",
        "SV1*HC:99213*99*UN*1***1",
        "LQ*UT*01.02",
        "SVD*11111*5*HC:99213**1",
    )
    reader, claims = read(data)
    (c,) = claims
    unknown = [f for f in reader.findings if f.rule == "unknown-segment"]
    assert [f.position.segment_id for f in unknown] == ["ZZZ", "CAS", "SBR", "SV1", "SVD"]
    assert all(f.severity == "warning" for f in unknown)
    assert c.segments[-1] == ["ZZZ", "1"]
    assert [s[0] for s in c.lines[0].segments] == ["LX", "SV1", "CAS", "SBR"]
    assert c.lines[1].trailing[-1][0] == "SVD" and c.lines[1].adjudications == []
    assert c.other_payers == []
    assert c.lines[1].charge == Decimal("20")  # the first SV1 counts; the second is flagged
    assert "B7" not in rules(reader)
    assert_lossless(data, reader, claims)


def test_clm_outside_any_2000b_is_kept_and_flagged_not_read_as_a_claim():
    data = x12(
        "CLM*C0*5***11:B:1*Y*A*Y*Y", *BILLING, "CLM*C1*5***11:B:1*Y*A*Y*Y", *subscriber(2), *claim("C2", "5", "5")
    )
    reader, claims = read(data)
    assert [c.claim_id for c in claims] == ["C2"]
    assert [f.position.segment_id for f in reader.findings if f.rule == "unknown-segment"] == ["CLM", "CLM"]
    assert reader.transactions[0].segments[-1][0] == "CLM"
    assert claims[0].billing_provider.segments[-1][0] == "CLM"
    assert_lossless(data, reader, claims)


def test_non_837_transaction_sets_are_skipped_with_a_finding():
    body835 = ["ST*835*0009", "BPR*I*0*C*CHK************20240101", "TRN*1*1*1", "SE*4*0009"]
    segs837 = x12(*BILLING, *subscriber(2), *claim("C1", "5", "5")).decode().split("~\n")
    st = next(i for i, s in enumerate(segs837) if s.startswith("ST*"))
    data = ("~\n".join(segs837[:st] + body835 + segs837[st:]).replace("GE*1*1", "GE*2*1")).encode()
    reader, claims = read(data)
    assert [c.claim_id for c in claims] == ["C1"]
    (not837,) = [f for f in reader.findings if f.rule == "not-837"]
    assert not837.position.segment_id == "ST" and "835" in not837.message and not837.severity == "warning"
    assert len(reader.transactions) == 1 and reader.transactions[0].header.set_id == "837"
    assert [f.rule for f in reader.findings] == ["not-837"]
    assert_lossless(data, reader, claims)


def test_envelope_findings_are_part_of_the_reader_findings():
    data = x12(*BILLING, *subscriber(2), *claim("C1", "5", "5")).replace(b"SE*", b"SE*9", 1)
    reader, _ = read(data)
    assert "SE01" in rules(reader)


@pytest.mark.parametrize(
    ("clm02", "problem"),
    [
        ("ABC", "is not a decimal amount"),
        ("", "is empty"),
        ("1E3", "is in exponent form"),
        ("2.5E2", "is in exponent form"),
        ("NaN", "is not a decimal amount"),
        ("+5", "is not a decimal amount"),
        ("1.2.3", "is not a decimal amount"),
        ("1234567890123456789", "has 19 digits"),
    ],
)
def test_clm02_that_is_not_a_number_raises_x12error_naming_the_element(clm02, problem):
    data = x12(*BILLING, *subscriber(2), f"CLM*PRIVATE77*{clm02}***11:B:1*Y*A*Y*Y", "LX*1", "SV1*HC:99213*5*UN*1***1")
    with pytest.raises(X12Error) as info:
        read(data)
    err = info.value
    assert err.position.segment_id == "CLM" and err.position.element == "CLM02"
    assert err.position.segment == 17  # ISA GS ST BHT NM1 PER NM1, 2000A (5), 2000B (4), then CLM
    assert problem in err.message and "total claim charge" in err.message
    assert "PRIVATE77" not in str(err)


def test_line_charge_that_is_not_a_number_raises_x12error():
    data = x12(*BILLING, *subscriber(2), "CLM*C1*5***11:B:1*Y*A*Y*Y", "LX*1", "SV1*HC:99213*FIVE*UN*1***1")
    with pytest.raises(X12Error) as info:
        read(data)
    assert info.value.position.element == "SV102" and "line charge" in info.value.message
    data = x12(
        *BILLING, *subscriber(2), "CLM*C1*5***13:A:1**A*Y*Y", "LX*1", "SV2*0305*HC:85025**UN*1", version="005010X223A2"
    )
    with pytest.raises(X12Error) as info:
        read(data)
    assert info.value.position.element == "SV203" and "is empty" in info.value.message


def test_negative_amounts_are_numbers():
    data = x12(*BILLING, *subscriber(2), *claim("C1", "-5.50", "-5.5"))
    reader, claims = read(data)
    assert claims[0].charge == Decimal("-5.50") and rules(reader) == []


# ------------------------------------------------------------------------------------------------ streaming
def test_claims_stream_before_the_file_is_read_to_the_end():
    body = [*BILLING]
    for n in range(200):
        body += subscriber(n + 2) + claim(f"C{n}", "5", "5")
    data = x12(*body)
    tok = Tokenizer(io.BytesIO(data), "stream", chunk_size=256)
    reader = Reader837(tok)
    stream = reader.claims()
    first = next(stream)
    assert first.claim_id == "C0"
    assert tok.stream.tell() < len(data) // 10
    rest = list(stream)
    assert len(rest) == 199 and rest[-1].claim_id == "C199"
    assert len(reader.transactions) == 1
    assert_lossless(data, reader, [first, *rest])


def test_read_837_takes_a_path_or_bytes(tmp_path):
    data = x12(*BILLING, *subscriber(2), *claim("C1", "5", "5"))
    path = tmp_path / "one.837"
    path.write_bytes(data)
    from_path, findings = read_837(path)
    from_bytes, _ = read_837(data, "one.837")
    assert (
        [c.segments for c in from_path]
        == [c.segments for c in from_bytes]
        == [[["CLM", "C1", "5", "", "", "11:B:1", "Y", "A", "Y", "Y"], ["HI", "ABK:I10"]]]
    )
    assert from_path[0].position.file == str(path) and from_bytes[0].position.file == "one.837"
    assert findings == []


# ------------------------------------------------------------------------------------------------ examples
def test_reference_example_a_secondary_properties():
    reader, claims = read(EXAMPLES / "A_secondary.837")
    (c,) = claims
    assert (c.claim_id, c.charge, c.frequency, c.kind, c.payer_id) == ("PCN1001", Decimal("250"), "1", "P", "22222")
    assert c.subscriber.sbr[1] == "S" and c.patient is None
    assert [(ln.number, ln.charge, ln.control_number, ln.service_date) for ln in c.lines] == [
        ("1", Decimal("150"), "PCN1001-1", "20240105"),
        ("2", Decimal("100"), "PCN1001-2", "20240105"),
    ]
    (other,) = c.other_payers
    assert (other.responsibility, other.payer_id, other.paid) == ("P", "11111", Decimal("108"))
    assert [[(a.payer_id, a.paid) for a in ln.adjudications] for ln in c.lines] == [
        [("11111", Decimal("72"))],
        [("11111", Decimal("36"))],
    ]
    assert [s[0] for s in c.lines[0].adjudications[0].segments] == ["SVD", "CAS", "CAS", "DTP", "AMT"]
    assert reader.transactions[0].version == "005010X222A1" and reader.transactions[0].kind == "P"


def test_reference_originals_list_the_secondary_payer_in_2320():
    for name, claim_id, charge, charges in [
        ("A_original.837", "PCN1001", "250", ["150", "100"]),
        ("B_original.837", "PCN2002", "290", ["120", "80", "90"]),
        ("C_original.837", "PCN3003", "500", ["400", "100"]),
        ("C2_original.837", "26407789", "79.04", ["43", "15", "21.04"]),
        ("D_original.837", "PCN4004", "200", ["200"]),
        ("E_original.837", "PCN5005", "300", ["300"]),
    ]:
        reader, (c,) = read(EXAMPLES / name)
        assert (c.claim_id, c.charge, c.frequency, c.kind) == (claim_id, Decimal(charge), "1", "P"), name
        assert [ln.charge for ln in c.lines] == [Decimal(x) for x in charges], name
        (other,) = c.other_payers
        assert other.responsibility == "S" and other.paid is None, name
        assert all(ln.adjudications == [] for ln in c.lines), name
        assert rules(reader) == [], name


def test_reference_secondaries_carry_the_primary_adjudication():
    expected = {  # file: (frequency, AMT*D, adjudications per line)
        "B_secondary.837": ("1", "60", [1, 1, 1]),
        "C_secondary.837": ("1", "300", [0, 0]),
        "C2_secondary.837": ("1", "39.15", [1, 1, 1]),
        "E_secondary_replacement.837": ("7", "190", [1]),
    }
    for name, (frequency, paid, adjudications) in expected.items():
        _, (c,) = read(EXAMPLES / name)
        (other,) = c.other_payers
        assert (c.frequency, other.responsibility, other.paid) == (frequency, "P", Decimal(paid)), name
        assert [len(ln.adjudications) for ln in c.lines] == adjudications, name
    _, (c,) = read(EXAMPLES / "E_secondary_replacement.837")
    assert c.find("REF", "F8") == ["REF", "F8", "SECCLM0042"]
    _, (c,) = read(EXAMPLES / "C_secondary.837")
    assert c.other_payers[0].segments[-1] == ["DTP", "573", "D8", "20240305"]  # 2330B, no 2430


def test_frequency_uses_the_files_component_separator():
    _, claims = read(
        CORPUS / "imsweb__x12-parser" / "src__test__resources__837_5010__x12_valid_different_separators.txt"
    )
    assert [c.frequency for c in claims] == ["1", "1"]
    assert claims[0].clm[5] == "11^B^1"
    _, (c,) = read(CORPUS / "xlate__staedi/src__test__resources__x12__sample837-original.edi")
    assert c.clm[5] == "12>B>1" and c.frequency == "1" and c.charge == Decimal("5332.54")
    assert [s[0] for s in c.lines[0].segments] == ["LX", "SV1", "DTP", "REF", "NTE", "LIN", "CTP", "NM1", "N3", "N4"]


def test_837i_and_837d_corpus_files():
    reader, claims = read(
        CORPUS / "LinuxForHealth__x12" / "src__tests__resources__837_005010X223A3__two-claims-single-provider.837i"
    )
    assert [(c.kind, c.claim_id, c.charge) for c in claims] == [
        ("I", "756048Q", Decimal("89.95")),
        ("I", "756049Q", Decimal("50.00")),
    ]
    assert [[ln.charge for ln in c.lines] for c in claims] == [[Decimal("13.39"), Decimal("76.56")], [Decimal("50.00")]]
    assert claims[0].billing_provider is claims[1].billing_provider
    assert claims[0].subscriber is not claims[1].subscriber
    dental = CORPUS / (
        "bryanbritten__edi-x12-healthcare-demo/docker__producer__data__raw__837__Dental__orthodontics.edi"
    )
    reader, (c,) = read(dental)
    assert c.kind == "D" and c.lines[0].service[0] == "SV3" and c.lines[0].charge == Decimal("4000")
    assert c.patient is not None and [s[0] for s in c.segments] == ["CLM", "DTP", "DN1"]
    assert rules(reader) == ["no-envelope"]


# ------------------------------------------------------------------------------------------------ corpus
@pytest.mark.parametrize("path", ALL_READABLE, ids=lambda p: p.name)
def test_every_readable_837_reads_losslessly(path):
    reader, claims = read(path)
    assert claims
    assert rebuild(reader.transactions, claims) == raw_837_segments(path)
    if not any(f.rule == "empty-hl" for f in reader.findings):
        assert levels_not_yet_emitted(claims) == [c.levels for c in claims]
    assert not [f for f in reader.findings if f.rule == "unknown-segment"]


def test_lossless_with_tiny_chunks():
    path = CORPUS / "imsweb__x12-parser/src__test__resources__837_5010__x12_complex.txt"
    reader, claims = read(path, chunk_size=7)
    assert len(claims) == 6 and len(reader.transactions) == 2
    assert rebuild(reader.transactions, claims) == raw_837_segments(path)


@pytest.mark.parametrize("row", READABLE_837, ids=lambda r: r["saved_path"].split("/")[-1])
def test_b7_matches_the_corpus_index(row):
    reader, claims = read(CORPUS / row["saved_path"])
    b7 = [f for f in reader.findings if f.rule == "B7"]
    assert len(b7) == _b7_expected(row)
    assert len(claims) == int(row["n_CLP_or_CLM"].split("=")[1])


def test_the_corpus_has_both_b7_and_clean_files():
    assert sum(_b7_expected(row) for row in READABLE_837) == 9
    assert sum(1 for row in READABLE_837 if _b7_expected(row) == 0) >= 20
    assert len(TRUNCATED) == 1


@pytest.mark.parametrize("row", TRUNCATED, ids=lambda r: r["saved_path"].split("/")[-1])
def test_truncated_837_raises_x12error_naming_the_position(row):
    path = CORPUS / row["saved_path"]
    stream = Reader837(Tokenizer.open(path)).claims()
    first = next(stream)  # claims before the cut still stream
    assert first.kind == "I"
    with pytest.raises(X12Error) as info:
        list(stream)
    err = info.value
    assert "file ends inside transaction set '987654': expected SE" in err.message
    assert err.position.file == str(path) and err.position.segment == 46 and err.position.segment_id == "PRV"
    assert str(err).startswith(f"{path}: segment 46 (PRV) at byte 1149")


def test_messages_never_carry_claim_ids_names_member_ids_birth_dates_or_addresses():
    private: set[str] = set()
    messages: list[str] = []
    for path in ALL_READABLE:
        reader, claims = read(path)
        messages += [f.message for f in reader.findings]
        for seg in raw_837_segments(path):
            if seg[0] == "CLM":
                private.add(seg[1])
            elif seg[0] == "NM1" and len(seg) > 3 and seg[1] in ("IL", "QC"):
                private.update(seg[3:5])
                private.add(seg[-1] if len(seg) > 9 else "")
            elif seg[0] in ("N3", "DMG"):
                private.update(seg[1:3] if seg[0] == "N3" else seg[2:3])
    private = {p for p in private if len(p) >= 4}
    assert len(private) > 50 and len(messages) > 20
    leaks = [(p, m) for m in messages for p in private if p in m]
    assert leaks == []


def test_fast_positions_equal_ordinary_ones():
    from parsers.errors import Position, fast_position

    fast = fast_position("f.837", 12, 345, "LX")
    assert fast == Position("f.837", 12, 345, "LX") and hash(fast) == hash(Position("f.837", 12, 345, "LX"))
    assert str(fast) == "f.837: segment 12 (LX) at byte 345" and fast.element == ""
