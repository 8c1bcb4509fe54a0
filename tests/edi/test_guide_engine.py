"""The guide engine (edi.validation.fast_engine) on planted faults: what it reports, where, with which 999 code, and the
verdict per transaction set; every case also run through pyx12 (tests.support.guide_oracle), which must agree."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi.validation.fast_engine import STOP_RULES, validate_bytes
from tests.support import lines, ordinal, recount
from tests.support.guide_oracle import compare, mutant_sources

BASE = "A_secondary.837"
SOURCES = mutant_sources()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _bytes(segs: list[str]) -> bytes:
    return ("\n".join(segs) + "\n").encode("ascii")


def _replace(segs: list[str], old: str, new: str | None) -> list[str]:
    """Replace (or, with None, delete) the first segment equal to `old`."""
    i = segs.index(old)
    return segs[:i] + ([new] if new is not None else []) + segs[i + 1 :]


def _edit(old: str, new: str | None, name: str = BASE) -> tuple[bytes, list[str]]:
    segs = recount(_replace(lines(name), old, new))
    return _bytes(segs), segs


def _check(data: bytes, rule: str, seg_id: str, element: str = "", at: int | None = None):
    """The engine reports `rule` at `seg_id` (and `element`), pyx12 agrees on every verdict; returns the
    engine's result."""
    result = validate_bytes(data, "planted.837")
    hits = [f for f in result.findings if f.rule == rule and f.position.segment_id == seg_id]
    assert hits, [str(f) for f in result.findings]
    if element:
        assert any(f.position.element == element for f in hits), [str(f) for f in hits]
    if at is not None:
        assert any(f.position.segment == at for f in hits), [str(f) for f in hits]
    oracle = compare(data, "planted.837")
    assert not oracle.differences, oracle.differences
    assert oracle.our_rules == oracle.their_rules
    return result


def test_clean_file_is_accepted():
    result = validate_bytes((lines(BASE) and "\n".join(lines(BASE)) + "\n").encode(), BASE)
    assert result.ok and result.checked and not result.findings
    (st,) = result.transactions
    assert (st.set_id, st.control_number, st.accepted, st.start, st.end) == ("837", "0001", True, 3, 45)


def test_mandatory_component_missing():
    data, segs = _edit("CLM*PCN1001*250***11:B:1*Y*A*Y*Y~", "CLM*PCN1001*250***11:B:*Y*A*Y*Y~")
    result = _check(data, "IK403-1", "CLM", "CLM05-3", at=ordinal(segs, "CLM*"))
    assert not result.transactions[0].accepted
    assert result.transactions[0].codes == ["IK403-1"]


def test_bad_code_keeps_the_code_for_the_999():
    data, _ = _edit("SBR*S*18*GRP2002******CI~", "SBR*S*99*GRP2002******CI~")
    result = _check(data, "IK403-7", "SBR", "SBR02")
    assert any(f.message.startswith("(99) is not a valid code") for f in result.findings)


def test_a_bad_qualifier_means_the_segment_is_not_found():
    data, segs = _edit("SBR*S*18*GRP2002******CI~", "SBR*Q*18*GRP2002******CI~")
    _check(data, "IK304-1", "SBR", at=ordinal(segs, "SBR*Q"))


def test_missing_mandatory_segment_names_it():
    data, segs = _edit("N3*100 MAIN ST~", None)
    _check(data, "IK304-3", "N3", at=ordinal(segs, "N4*SPRINGFIELD*IL*627010000"))


def test_segment_out_of_place_is_not_found():
    segs = lines(BASE)
    dmg = segs.pop(ordinal(segs, "DMG*") - 1)
    segs.insert(ordinal(segs, "LX*2") - 1, dmg)
    _check(_bytes(recount(segs)), "IK304-1", "DMG")


def test_segment_repeated_beyond_max_use():
    segs = lines(BASE)
    i = ordinal(segs, "DMG*")
    segs.insert(i, segs[i - 1])
    _check(_bytes(recount(segs)), "IK304-5", "DMG", at=i + 1)


def test_hl_parent_and_number():
    data, _ = _edit("HL*2*1*22*0~", "HL*2*7*22*0~")
    _check(data, "IK304-HL2", "HL")
    data, _ = _edit("HL*2*1*22*0~", "HL*3*1*22*0~")
    _check(data, "IK304-HL1", "HL")


def test_element_too_long_and_bad_date():
    data, _ = _edit("REF*6R*PCN1001-1~", "REF*6R*" + "9" * 60 + "~")
    _check(data, "IK403-5", "REF", "REF02")
    data, _ = _edit("DTP*472*D8*20240105~", "DTP*472*D8*20240231~")
    _check(data, "IK403-8", "DTP", "DTP03")


def test_too_many_elements_and_syntax_note():
    data, _ = _edit("AMT*D*108~", "AMT*D*108**X~")
    _check(data, "IK304-8", "AMT")
    data, _ = _edit("N4*SPRINGFIELD*IL*627020000~", "N4*SPRINGFIELD*IL*627020000****X~")  # N407 without N404
    _check(data, "IK304-8", "N4")


def test_service_line_numbers_count_within_the_claim():
    data, _ = _edit("LX*2~", "LX*3~")
    _check(data, "IK304-LX", "LX")


def test_envelope_counts_and_control_numbers():
    segs = lines(BASE)
    data = _bytes(_replace(segs, "SE*43*0001~", "SE*44*0001~"))
    result = _check(data, "IK502-4", "ST", at=3)  # pyx12 logs SE errors at the ST
    assert not result.transactions[0].accepted
    data = _bytes(_replace(segs, "GE*1*101~", "GE*1*102~"))
    result = _check(data, "AK905-4", "GS", at=2)
    assert result.transactions[0].accepted and not result.groups[0].accepted
    data = _bytes(_replace(segs, "IEA*1*000000101~", "IEA*1*000000102~"))
    result = _check(data, "TA105-001", "ISA", at=1)
    assert result.transactions[0].accepted and not result.interchanges[0].accepted


def test_verdict_per_transaction_set():
    segs = lines(BASE)
    body = segs[2 : ordinal(segs, "SE*")]
    second = [s.replace("ST*837*0001", "ST*837*0002").replace("SE*43*0001", "SE*43*0002") for s in body]
    second = _replace(second, "SBR*S*18*GRP2002******CI~", "SBR*S*99*GRP2002******CI~")
    both = segs[:2] + body + second + ["GE*2*101~", segs[-1]]
    result = validate_bytes(_bytes(both), "two.837")
    first, bad = result.transactions
    assert first.accepted and not bad.accepted and bad.codes == ["IK403-7"]
    assert not compare(_bytes(both), "two.837").differences


def test_pyx12_crash_leaves_the_rest_unchecked():
    data, segs = _edit("SV1*HC:99214*150*UN*1***1~", "SV1*HC:99214:1:2:3:4:5:6:7*150*UN*1***1~")
    result = validate_bytes(data, "crash.837")
    (stop,) = [f for f in result.findings if f.rule in STOP_RULES]
    assert stop.rule == "pyx12-crash" and stop.position.segment == ordinal(segs, "SV1*HC:99214")
    assert not result.checked and not result.transactions[0].checked
    assert not compare(data, "crash.837").differences


@pytest.mark.parametrize(
    "edit, rule",
    [
        (lambda d: d.replace(b"005010X222A1", b"005010X222A2"), "no-map"),
        (lambda d: d.replace(b"ACME CLINIC*****XX", b"ACM\xc9 CLINIC*****XX", 1), "encoding"),
        (lambda d: d.replace(b"ZZ*ACMECLINIC     *", b"ZZ*ACMECLINIC*", 1), "not-x12"),
    ],
)
def test_what_pyx12_cannot_check_is_not_accepted(edit, rule):
    data = edit("\n".join(lines(BASE)).encode("ascii") + b"\n")
    result = validate_bytes(data, "x.837")
    assert rule in [f.rule for f in result.findings]
    assert not any(s.accepted for s in result.transactions)
    oracle = compare(data, "x.837")
    assert not oracle.we_accept_what_pyx12_rejects


def test_positions_carry_byte_offsets():
    data, segs = _edit("SBR*S*18*GRP2002******CI~", "SBR*S*99*GRP2002******CI~")
    (f,) = [f for f in validate_bytes(data, "x").findings if f.rule == "IK403-7"]
    assert data[f.position.offset : f.position.offset + 8] == b"SBR*S*99"
    assert f.position.segment == ordinal(segs, "SBR*S*99")


# ------------------------------------------------------------------------------------------ other guides
def _file(path) -> list[str]:
    return path.read_text(encoding="ascii").splitlines()


def _planted(path, old: str, new: str) -> bytes:
    return _bytes(recount(_replace(_file(path), old, new)))


@pytest.mark.parametrize(
    "old, new, rule, seg_id, element",
    [
        ("DTP*434*RD8*20240301-20240305~", "DTP*434*RD8*20240301-20241305~", "IK403-8", "DTP", "DTP03"),
        ("CLM*IPCN6001*12000***11:A:1**A*Y*Y~", "CLM*IPCN6001*12000***11:X:1**A*Y*Y~", "IK403-7", "CLM", "CLM05-2"),
        ("HI*ABK:I214~", "HI*ABK~", "IK403-1", "HI", "HI01-2"),
        ("SBR*P*18*GRP1001******12~", "SBR*P*18*GRP1001******12*X~", "IK304-8", "SBR", ""),
        ("DTP*435*DT*202403011000~", "DTP*435*DT*202403011060~", "IK403-8", "DTP", "DTP03"),
    ],
)
def test_837i(old, new, rule, seg_id, element):
    from tests.support import FIXTURES

    _check(_planted(FIXTURES / "institutional" / "I1_secondary.837", old, new), rule, seg_id, element)


def test_837i_lx_numbers_are_not_checked_as_pyx12_does_not():
    from tests.support import FIXTURES

    data = _planted(FIXTURES / "institutional" / "I1_secondary.837", "LX*3~", "LX*7~")
    result = validate_bytes(data, "i.837")
    assert result.ok  # pyx12 checks LX numbering for its 837P map only (map id "837", not "837Q3")
    assert not compare(data, "i.837").differences


def test_837i_rd8_with_two_hyphens_stops_as_pyx12_crashes():
    from tests.support import FIXTURES

    data = _planted(
        FIXTURES / "institutional" / "I1_secondary.837",
        "DTP*434*RD8*20240301-20240305~",
        "DTP*434*RD8*20240301-20240305-1~",
    )
    result = validate_bytes(data, "i.837")
    assert [f.rule for f in result.findings if f.rule in STOP_RULES] == ["pyx12-crash"]
    assert not compare(data, "i.837").differences


@pytest.mark.parametrize(
    "old, new, rule, seg_id, element",
    [
        (
            "CLP*PCN1001*1*250*108*47*12*PRICLM0001~",
            "CLP*PCN1001*77*250*108*47*12*PRICLM0001~",
            "IK403-7",
            "CLP",
            "CLP02",
        ),
        ("SVC*HC:99214*150*72**1~", "SVC*HC*150*72**1~", "IK403-1", "SVC", "SVC01-2"),
        ("DTM*472*20240105~", "DTM*472*2024~", "IK403-4", "DTM", "DTM02"),
        ("TRN*1*EFT0001*1111111111~", None, "IK304-3", "TRN", ""),
        ("CAS*CO*45*40~", "CAS*CO*45~", "IK403-1", "CAS", "CAS03"),
    ],
)
def test_835(old, new, rule, seg_id, element):
    from tests.support import EXAMPLES

    segs = recount(_replace(_file(EXAMPLES / "A_primary.835"), old, new))
    _check(_bytes(segs), rule, seg_id, element)


def test_999(tmp_path):
    from tests.support import acks_for

    data, _ = _edit("SBR*S*18*GRP2002******CI~", "SBR*S*99*GRP2002******CI~")
    source = tmp_path / "planted.837"
    source.write_bytes(data)
    ack = acks_for(source, tmp_path)[".999"].encode("ascii")
    result = validate_bytes(ack, "planted.999")
    assert result.ok and [s.set_id for s in result.transactions] == ["999"]
    assert not compare(ack, "planted.999").differences
    bad = ack.replace(b"IK4*2*1069*7*99", b"IK4*2*1069*Q*99")
    assert bad != ack
    _check(bad, "IK403-7", "IK4", "IK403")
    _check(ack.replace(b"IK5*R*5", b"IK5*Q*5"), "IK304-1", "IK5")  # IK501 is the qualifier it is found by


# ------------------------------------------------------------------------------------------ fast path
def _fast_equals_full(seed: int, mp: pytest.MonkeyPatch) -> None:
    from edi.validation.fast_engine import engine
    from tests.support.guide_oracle import make_mutant

    data, what = make_mutant(seed, SOURCES)
    fast = validate_bytes(data, what).findings
    mp.setattr(engine, "FAST_PATH", False)
    try:
        full = validate_bytes(data, what).findings
    finally:
        mp.setattr(engine, "FAST_PATH", True)
    assert fast == full, what


@given(seed=st.integers(min_value=0, max_value=10**9))
def test_fast_path_finds_what_the_full_check_finds(seed, monkeypatch_module):
    """The generated clean-segment tests never hide an error: same findings with and without them."""
    _fast_equals_full(seed, monkeypatch_module)


@pytest.mark.slow
@settings(max_examples=10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 2000)
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_fast_path_on_many_mutants(seed, monkeypatch_module):
    """As above, on 2,000 mutants (10,000 under HYPOTHESIS_PROFILE=long)."""
    _fast_equals_full(seed, monkeypatch_module)
