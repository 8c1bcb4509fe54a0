"""Hostile and broken input at the parsers (issue 13): X12 data types checked where a value is read, a
tokenizer that stays linear and bounded whatever the bytes, and messages that never echo the input."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.errors import X12Error
from parsers.read835 import read_835
from parsers.read837 import read_837
from parsers.syntax import (
    MAX_SEGMENT_BYTES,
    Tokenizer,
    is_decimal,
    is_number,
    is_time,
    parse_date,
    read_date,
    read_decimal,
)
from tests.support import EXAMPLES


def example(name: str, old: str, new: str) -> bytes:
    data = (EXAMPLES / name).read_bytes()
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


# --------------------------------------------------------------------------------------- X12 R, N, DT, TM
@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0"), ("72", "72"), ("-21.04", "-21.04"), ("40.5", "40.5"), (".5", "0.5"), ("100.", "100")],
)
def test_x12_decimals_read_exactly(value, expected):
    assert read_decimal(value) == Decimal(expected)
    assert is_decimal(value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1E+1000000", "exponent form"),
        ("2.5E2", "exponent form"),
        ("1e3", "exponent form"),
        ("NaN", "not a decimal amount"),
        ("Infinity", "not a decimal amount"),
        ("-sNaN", "not a decimal amount"),
        ("+5", "not a decimal amount"),
        (" 5", "not a decimal amount"),
        ("1_000", "not a decimal amount"),
        ("1.2.3", "not a decimal amount"),
        ("-", "not a decimal amount"),
        (".", "not a decimal amount"),
        ("١٢", "not a decimal amount"),  # Arabic-Indic digits: Decimal() would take them
        ("", "is empty"),
        ("1" * 19, "has 19 digits"),
        ("-12345678901234567.89", "has 19 digits"),
    ],
)
def test_what_is_not_an_x12_decimal_is_refused_and_the_reason_named(value, problem):
    with pytest.raises(ValueError, match=problem) as info:
        read_decimal(value)
    assert not is_decimal(value)
    if len(value) > 3:
        assert value not in str(info.value)  # the reason never echoes the value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15), max_value=10**15))
def test_every_amount_we_write_reads_back_the_same(amount):
    from parsers.syntax import format_decimal

    assert read_decimal(format_decimal(amount)) == amount


@given(st.text(max_size=25))
def test_read_decimal_raises_only_value_error_and_agrees_with_is_decimal(text):
    try:
        value = read_decimal(text)
    except ValueError:
        assert not is_decimal(text)
    else:
        assert is_decimal(text) and value.is_finite()


def test_numbers_dates_and_times():
    assert is_number("12") and is_number("-3") and not is_number("1.5") and not is_number("²")
    assert read_date("20240229").isoformat() == "2024-02-29"
    assert parse_date("20230229") is None and parse_date("20002316") is None and parse_date("2024012") is None
    assert parse_date("２０２４０１０１") is None  # full-width digits are not X12 digits
    with pytest.raises(ValueError, match="not a calendar date"):
        read_date("20241301")
    assert is_time("0930") and is_time("235959") and not is_time("2460") and not is_time("93")


# --------------------------------------------------------------------------------------- amounts at the edge
@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("CLP*PCN1001*1*250*108", "CLP*PCN1001*1*1E+1000000*108", "CLP03"),
        ("CLP*PCN1001*1*250*108", "CLP*PCN1001*1*250*1E+1000000", "CLP04"),
        ("CAS*CO*45*40~", "CAS*CO*45*1E+1000000~", "CAS03"),
        ("SVC*HC:93000*100*36", "SVC*HC:93000*100*2.5E2", "SVC03"),
        ("AMT*B6*45", "AMT*B6*NaN", "AMT02"),
        ("BPR*I*108*", "BPR*I*123456789012345678901*", "BPR02"),
    ],
)
def test_a_835_amount_that_is_not_x12_r_is_an_x12error_at_its_element(old, new, element):
    data = example("A_primary.835", old, new)
    with pytest.raises(X12Error) as info:
        read_835(data, "bad.835")
    assert info.value.position.element == element
    assert info.value.position.segment > 0 and info.value.position.file == "bad.835"


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("AMT*D*108", "AMT*D*ABC", "AMT02"),
        ("SVD*11111*72*", "SVD*11111*7.2E1*", "SVD02"),
        ("CAS*CO*45*55~", "CAS*CO*45*1E+1000000~", "CAS03"),
        ("AMT*EAF*9~", "AMT*EAF*-~", "AMT02"),
    ],
)
def test_a_837_cob_amount_that_is_not_x12_r_is_an_x12error_at_its_element(old, new, element):
    data = example("A_secondary.837", old, new)
    with pytest.raises(X12Error) as info:
        read_837(data, "bad.837")
    assert info.value.position.element == element


def test_cas_outside_2320_and_2430_is_kept_with_a_warning():
    data = example("A_original.837", "HI*ABK:I10~", "HI*ABK:I10~\nCAS*CO*45*5~")
    claims, findings = read_837(data)
    assert [f.rule for f in findings] == ["unknown-segment", "SE01"] and ["CAS", "CO", "45", "5"] in claims[0].segments


def test_a_bpr16_that_is_not_a_date_is_a_finding_and_no_date_is_taken():
    data = example("A_primary.835", "*98765*20240120~", "*98765*20241340~")
    rems, findings = read_835(data)
    [bad] = [f for f in findings if f.rule == "bad-date"]
    assert (bad.severity, bad.position.element) == ("error", "BPR16")
    assert parse_date(rems[0].adjudication_date) is None


# --------------------------------------------------------------------------------------- the tokenizer
def test_nul_and_blank_files_are_empty_files():
    for filler in (b"\x00", b" ", b"\r\n", b"\x1a"):
        with pytest.raises(X12Error, match="empty file"):
            list(Tokenizer.from_bytes(filler * (3 * (1 << 20) + 7), "blank.x12"))


def test_blank_padding_before_the_interchange_is_skipped_with_the_offset_kept():
    data = (EXAMPLES / "A_primary.835").read_bytes()
    tok = Tokenizer.from_bytes(b"\x00" * 2_500_000 + data, "padded.835")
    first = next(iter(tok))
    assert first[0] == "ISA" and tok.offset == 2_500_000


def test_an_endless_segment_stops_at_the_segment_limit_with_its_position():
    isa = (EXAMPLES / "A_primary.835").read_bytes().split(b"\n", 1)[0]
    data = isa + b"\nGS*HP*" + b"A" * (MAX_SEGMENT_BYTES + (1 << 20))
    with pytest.raises(X12Error, match="runs past") as info:
        list(Tokenizer.from_bytes(data, "endless.835"))
    assert info.value.position.segment == 2 and info.value.position.segment_id == "GS"
    assert info.value.position.offset == len(isa) + 1


def test_a_file_that_ends_inside_a_long_segment_says_so():
    isa = (EXAMPLES / "A_primary.835").read_bytes().split(b"\n", 1)[0]
    with pytest.raises(X12Error, match="ends inside a segment"):
        list(Tokenizer(io.BytesIO(isa + b"\nGS*" + b"B" * 900_000), "cut.835", chunk_size=1 << 16))


# --------------------------------------------------------------------------------------- no input echoed
def test_not_x12_names_no_bytes_of_the_file():
    with pytest.raises(X12Error) as info:
        list(Tokenizer.from_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 5, "passwd"))
    assert "root" not in str(info.value) and "not X12" in str(info.value)


def test_trailing_data_is_reported_without_its_bytes():
    data = (EXAMPLES / "A_primary.835").read_bytes() + b"NM1*IL*1*DOE*JANE****MI*SECRET1234~"
    _, findings = read_835(data)
    [trailing] = [f for f in findings if f.rule == "trailing-data"]
    assert "DOE" not in trailing.message and "SECRET" not in trailing.message


def test_envelope_findings_show_codes_not_data():
    data = example("A_primary.835", "SE*27*0001~", "SE*JANE DOE 19700315*0001~")
    _, findings = read_835(data)
    [se01] = [f for f in findings if f.rule == "SE01"]
    assert "JANE" not in se01.message and "characters, not shown" in se01.message
