"""999 and TA1: the right codes and positions, the same IK/AK content as pyx12's own 999, valid per pyx12's
999 map, and a TA1 with the right note code when the envelope is bad or one is requested."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from edi.cli import cli
from edi.validation import validate_files
from edi.validation.pyx12_engine import validate_guide
from parsers.envelope import EnvelopeWalker
from parsers.syntax import Tokenizer
from tests.support import EXAMPLES, acks_for, lines, ordinal, recount, replace, write

WHEN = datetime(2024, 3, 1, 10, 30)


def ack_lines(text: str) -> list[str]:
    """The acknowledgment content (AK1..AK9), without the envelope that differs between writers."""
    return [s for s in text.replace("\n", "").split("~") if s[:3] in ("AK1", "AK2", "IK3", "IK4", "IK5", "AK9")]


def segments(text: str) -> list[list[str]]:
    walker = EnvelopeWalker(Tokenizer.open(text.encode("latin-1"), "<ack>"))
    segs = list(walker)
    assert walker.findings == []  # counts, control numbers and widths of our envelope are right
    return segs


def assert_valid_999(path: Path) -> None:
    result = validate_guide(path)
    assert result.findings == [], [str(f) for f in result.findings]
    assert result.ok and result.guide == "005010X231A1"


def test_accepted_837(tmp_path):
    path = EXAMPLES / "A_original.837"
    acks = acks_for(path, tmp_path)
    assert set(acks) == {".999"}  # ISA14=0 and a good envelope: no TA1
    text = acks[".999"]
    assert ack_lines(text) == ["AK1*HC*1*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1"]
    assert ack_lines(text) == ack_lines(validate_guide(path).ack_999)  # what pyx12 says, too
    segs = segments(text)
    isa, gs = segs[0], segs[1]
    # sent back to the sender, by the receiver
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("ZZ", "CLEARINGHOUSE", "ZZ", "ACMECLINIC")
    assert isa[13] == "000000500" and isa[15] == "T"
    assert gs[1] == "FA" and gs[8] == "005010X231A1" and gs[2:4] == ["CLEARINGHOUSE", "ACMECLINIC"]
    assert_valid_999(tmp_path / "A_original.837.999")


def test_rejected_837_names_segments_and_elements(tmp_path):
    segs = replace(lines("A_original.837"), "SV1*HC:93000*100*UN*1***1~", "SV1*HC:93000*100*XX*1***1~")
    segs = recount(replace(segs, "HI*ABK:I10~", None))
    path = write(tmp_path, "bad.837", segs)
    text = acks_for(path, tmp_path)[".999"]
    st = ordinal(segs, "ST*")
    hi_at = ordinal(lines("A_original.837"), "HI*") - st + 1  # where pyx12 noticed the HI missing
    sv1_at = ordinal(segs, "SV1*HC:93000") - st + 1
    assert ack_lines(text) == [
        "AK1*HC*1*005010X222A1",
        "AK2*837*0001*005010X222A1",
        f"IK3*HI*{hi_at}**3",
        f"IK3*SV1*{sv1_at}**8",
        "IK4*3*355*7*XX",
        "IK5*R*5",
        "AK9*R*1*1*0",
    ]
    assert ack_lines(text) == ack_lines(validate_guide(path).ack_999)
    assert_valid_999(tmp_path / "bad.837.999")


def test_wrong_se01_rejects_the_set_with_ik5_4(tmp_path):
    path = write(tmp_path, "se01.837", replace(lines("A_original.837"), "SE*32*0001~", "SE*30*0001~"))
    text = acks_for(path, tmp_path)[".999"]
    assert ack_lines(text)[-2:] == ["IK5*R*4", "AK9*R*1*1*0"]
    assert_valid_999(tmp_path / "se01.837.999")


def test_partially_accepted_group(tmp_path):
    segs = lines("A_original.837")
    st, se = ordinal(segs, "ST*"), ordinal(segs, "SE*")
    second = [s.replace("*0001", "*0002") if s.startswith(("ST*", "SE*")) else s for s in segs[st - 1 : se]]
    second = replace(second, "SV1*HC:93000*100*UN*1***1~", "SV1*HC:93000*100*XX*1***1~")
    both = replace(segs[:se] + second + segs[se:], "GE*1*1~", "GE*2*1~")
    path = write(tmp_path, "partial.837", both)
    text = acks_for(path, tmp_path)[".999"]
    got = ack_lines(text)
    assert got[:3] == ["AK1*HC*1*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A"]
    assert got[3] == "AK2*837*0002*005010X222A1"
    assert got[-2:] == ["IK5*R*5", "AK9*P*2*2*1"]
    theirs = ack_lines(validate_guide(path).ack_999)
    # pyx12 agrees on every AK2/IK3/IK4/IK5 but never says P: it rejects the whole group (AK9*R) although
    # one transaction set was accepted. X12 defines P for exactly this; one more reason the 999 is ours.
    assert got[:-1] == theirs[:-1] and theirs[-1] == "AK9*R*2*2*1"
    assert_valid_999(tmp_path / "partial.837.999")


def test_group_error_rejects_the_group(tmp_path):
    path = write(tmp_path, "ge01.837", replace(lines("A_original.837"), "GE*1*1~", "GE*3*1~"))
    text = acks_for(path, tmp_path)[".999"]
    assert ack_lines(text)[-1] == "AK9*R*3*1*1*5"  # GE01 says 3, 1 received and accepted, code 5
    assert_valid_999(tmp_path / "ge01.837.999")


# ---------------------------------------------------------------------------------------------- TA1


def ta1_of(text: str) -> list[str]:
    segs = segments(text)
    assert [s[0] for s in segs] == ["ISA", "TA1", "IEA"] and segs[2][1] == "0"
    return segs[1]


def test_iea02_mismatch_rejects_the_interchange_with_note_001(tmp_path):
    path = write(tmp_path, "iea02.837", replace(lines("A_original.837"), "IEA*1*000000001~", "IEA*1*000000007~"))
    acks = acks_for(path, tmp_path)
    assert set(acks) == {".ta1"}  # a rejected interchange is not opened: no 999
    assert ta1_of(acks[".ta1"]) == ["TA1", "000000001", "240108", "0800", "R", "001"]


def test_group_count_and_bad_isa_field_note_codes(tmp_path):
    segs = lines("A_original.837")
    iea01 = write(tmp_path, "iea01.837", replace(segs, "IEA*1*000000001~", "IEA*2*000000001~"))
    assert ta1_of(acks_for(iea01, tmp_path)[".ta1"])[4:] == ["R", "021"]
    isa15 = write(tmp_path, "isa15.837", [segs[0].replace("*0*T*:~", "*0*Q*:~"), *segs[1:]])
    assert ta1_of(acks_for(isa15, tmp_path)[".ta1"])[4:] == ["R", "020"]


def test_requested_ta1_accepts_a_good_interchange_and_the_999_still_goes(tmp_path):
    segs = lines("A_original.837")
    path = write(tmp_path, "ta1.837", [segs[0].replace("*0*T*:~", "*1*T*:~"), *segs[1:]])
    acks = acks_for(path, tmp_path)
    assert set(acks) == {".ta1", ".999"}
    assert ta1_of(acks[".ta1"]) == ["TA1", "000000001", "240108", "0800", "A", "000"]
    assert "AK9*A*1*1*1~" in acks[".999"]


def test_duplicate_isa13_is_note_025(tmp_path):
    one = write(tmp_path, "one.837", lines("A_original.837"))
    two = write(tmp_path, "two.837", lines("A_original.837"))
    first, second = validate_files([one, two])
    assert set(acks_for(one, tmp_path / "1", first)) == {".999"}
    acks = acks_for(two, tmp_path / "2", second)
    assert set(acks) == {".ta1"} and ta1_of(acks[".ta1"])[4:] == ["R", "025"]


def test_no_999_for_an_835(tmp_path):
    assert acks_for(EXAMPLES / "A_primary.835", tmp_path) == {}
    segs = lines("A_primary.835")
    path = write(tmp_path, "ta1.835", [segs[0].replace("*0*T*:~", "*1*T*:~"), *segs[1:]])
    acks = acks_for(path, tmp_path)
    assert set(acks) == {".ta1"} and ta1_of(acks[".ta1"])[4:] == ["A", "000"]


def test_cli_writes_acks_atomically_with_fresh_control_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("EDI_STATE_DIR", str(tmp_path / "state"))
    segs = lines("A_original.837")
    good = write(tmp_path, "good.837", [segs[0].replace("*0*T*:~", "*1*T*:~"), *segs[1:]])
    bad = write(
        tmp_path,
        "bad.837",
        replace(lines("B_secondary.837"), "SV1*HC:97140*80*UN*2***1~", "SV1*HC:97140*80*XX*2***1~"),
    )
    out = tmp_path / "acks"
    result = CliRunner().invoke(cli, ["validate", "--ack", str(out), str(good), str(bad)])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["bad.837.999", "good.837.999", "good.837.ta1"]
    numbers = [segments(p.read_text())[0][13] for p in sorted(out.iterdir())]
    assert len(set(numbers)) == 3  # every acknowledgment interchange has its own ISA13
    assert "IK5*R*5~" in (out / "bad.837.999").read_text()
    for name in ("bad.837.999", "good.837.999"):
        assert_valid_999(out / name)
