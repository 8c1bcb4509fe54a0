"""Provider numbers by payer (rules.provider_ids): the primary's payer-assigned numbers (REF*G2/LU) leave the
2310 loops and 2010BB for its 2330 provider loops, the destination's own numbers come in from its 2330 loops,
a line's numbers are dropped with a note; the claim stays valid per pyx12."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

from edi.validation import validate_text
from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.outcome import CONVERTED
from rules.stage import index_claims, secondary_claims
from tests.support import EXAMPLES, FIXTURES
from writers.claim837 import parties_from, write_837


def edit(source: Path, *pairs: tuple[str, str]) -> bytes:
    text = source.read_text()
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    segs = text.strip().split("~\n")
    start = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    end = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    segs[end] = f"SE*{end - start + 1}*" + segs[end].split("*")[2]
    return ("~\n".join(segs) + "~\n").encode()


def convert(original: bytes, remit: Path):
    remittances, _ = read_835(remit)
    claims, _ = read_837(original, "original.837")
    (outcome,) = secondary_claims(remittances[0].claims, index_claims(claims))
    assert outcome.disposition == CONVERTED, outcome.reasons
    numbers = itertools.count(1)
    text = write_837([outcome.secondary], parties_from(outcome.secondary), lambda: next(numbers), datetime(2024, 6, 1))
    return outcome, text, [s.split("*") for s in text.strip().split("~\n")]


PROFESSIONAL = edit(
    EXAMPLES / "A_original.837",
    ("REF*EI*371234567~\n", "REF*EI*371234567~\nREF*G2*PRIAA3~\n"),  # not a 5010 2010AA REF, seen in the wild
    (
        "NM1*PR*2*PRIMARY HEALTH PLAN*****PI*11111~\n",
        "NM1*PR*2*PRIMARY HEALTH PLAN*****PI*11111~\nREF*G2*PRIBILL01~\n",
    ),
    (
        "HI*ABK:I10~\n",
        "HI*ABK:I10~\nNM1*82*1*SMITH*ANN****XX*1234567893~\nPRV*PE*PXC*207Q00000X~\nREF*0B*IL12345~\n"
        "REF*G2*PRIREND77~\n",
    ),
    (
        "NM1*PR*2*SECONDARY HEALTH PLAN*****PI*22222~\n",
        "NM1*PR*2*SECONDARY HEALTH PLAN*****PI*22222~\nNM1*82*1~\nREF*G2*SECREND88~\nNM1*85*2~\nREF*G2*SECBILL02~\n",
    ),
    (
        "REF*6R*PCN1001-1~\n",
        "REF*6R*PCN1001-1~\nNM1*82*1*SMITH*ANN****XX*1234567893~\nREF*G2*PRILINE5~\n",
    ),
)


def test_837p_numbers_go_to_the_payer_that_assigned_them():
    outcome, text, segs = convert(PROFESSIONAL, EXAMPLES / "A_primary.835")
    g2 = [(i, s[2]) for i, s in enumerate(segs) if s[:2] == ["REF", "G2"]]
    index = {value: i for i, value in g2}
    assert set(index) == {"SECBILL02", "SECREND88", "PRIREND77", "PRIAA3", "PRIBILL01"}  # PRILINE5: no place
    # the destination's billing number closes its 2010BB, its rendering number joins the 2310B
    assert (
        segs[index["SECBILL02"] - 1][:2] == ["NM1", "PR"] and segs[index["SECBILL02"] - 1][3] == "SECONDARY HEALTH PLAN"
    )
    assert segs[index["SECREND88"] - 1] == ["REF", "0B", "IL12345"]
    # the primary's numbers in its 2330D and 2330G, after its 2330B, in guide order
    assert segs[index["PRIREND77"] - 1] == ["NM1", "82", "1"]
    assert segs[index["PRIAA3"] - 1] == ["NM1", "85", "2"] and index["PRIBILL01"] == index["PRIAA3"] + 1
    assert segs[index["PRIREND77"] - 2] == ["REF", "F8", "PRICLM0001"] and index["PRIAA3"] == index["PRIREND77"] + 2
    assert any("2010AA REF*G2/LU" in n for n in outcome.notes)
    assert any("line 1" in n and "not sent" in n for n in outcome.notes)
    assert any("2330 provider loops" in n for n in outcome.notes)
    validation = validate_text(text)
    assert validation.findings == [] and validation.ok


def test_837i_attending_number_goes_to_2330c():
    original = edit(
        FIXTURES / "institutional" / "I1_original.837",
        ("NM1*71*1*SMITH*ROBERT****XX*1456789019~\n", "NM1*71*1*SMITH*ROBERT****XX*1456789019~\nREF*G2*PRIATT9~\n"),
    )
    outcome, text, segs = convert(original, FIXTURES / "institutional" / "I1_primary.835")
    at = segs.index(["REF", "G2", "PRIATT9"])
    assert segs[at - 1] == ["NM1", "71", "1"]
    assert segs[at - 2] == ["REF", "F8", "PRICLM6001"]  # after the primary's 2330B
    assert validate_text(text).ok


def test_a_destination_number_for_a_provider_the_claim_lacks_is_dropped_with_a_note():
    original = edit(
        EXAMPLES / "A_original.837",
        (
            "NM1*PR*2*SECONDARY HEALTH PLAN*****PI*22222~\n",
            "NM1*PR*2*SECONDARY HEALTH PLAN*****PI*22222~\nNM1*DQ*1~\nREF*G2*SECSUP1~\n",
        ),
    )
    outcome, text, segs = convert(original, EXAMPLES / "A_primary.835")
    assert ["REF", "G2", "SECSUP1"] not in segs
    assert any("NM1*DQ" in n and "no 2310 loop" in n for n in outcome.notes)
