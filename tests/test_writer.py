"""The 837 writer: what it writes reads back as the same claims, with a consistent HL hierarchy."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from benchmarks.generate import generate_pair
from parsers.read837 import read_837
from parsers.syntax import Delimiters, Tokenizer
from writers.claim837 import claim_body, parties_from, write_837
from writers.x12 import SegmentRenderer, WriterError

WHEN = datetime(2024, 5, 1, 10, 30)


def counter():
    numbers = itertools.count(1)
    return lambda: next(numbers)


def check_hierarchy(text: str) -> None:
    """HL01 sequential; HL02 names an earlier HL of the level above; HL04 = 1 exactly when a child follows."""
    levels: dict[str, str] = {}
    has_child: dict[str, bool] = {}
    declared: dict[str, str] = {}
    expected = 1
    for seg in Tokenizer.from_bytes(text.encode("latin-1")):
        if seg[0] == "ST":
            levels, has_child, declared, expected = {}, {}, {}, 1
        if seg[0] == "HL":
            number, parent, code, child = seg[1], seg[2], seg[3], seg[4]
            assert number == str(expected)
            expected += 1
            if code == "20":
                assert parent == ""
            else:
                assert levels[parent] == {"22": "20", "23": "22"}[code]
                has_child[parent] = True
            levels[number] = code
            declared[number] = child
            has_child.setdefault(number, False)
        if seg[0] == "SE":
            for number, child in declared.items():
                assert (child == "1") == has_child[number], f"HL {number} child code {child}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_written_claims_read_back_identical_with_a_valid_hierarchy(seed):
    data, _ = generate_pair(150, seed=seed)
    claims, _ = read_837(data)
    assert any(c.patient is not None for c in claims) and any(c.patient is None for c in claims)
    text = write_837(claims, parties_from(claims[0]), counter(), WHEN)
    check_hierarchy(text)
    again, findings = read_837(text.encode("latin-1"))
    assert [f for f in findings if f.severity == "error"] == []
    assert len(again) == len(claims)
    for before, after in zip(claims, again, strict=True):
        assert claim_body(after) == claim_body(before)
        assert after.subscriber.segments[1:] == before.subscriber.segments[1:]
        assert (after.patient is None) == (before.patient is None)
        if before.patient is not None:
            assert after.patient.segments[1:] == before.patient.segments[1:]
        assert after.billing_provider.segments[1:] == before.billing_provider.segments[1:]


def test_claims_in_any_order_keep_a_valid_hierarchy():
    data, _ = generate_pair(60, seed=7)
    claims, _ = read_837(data)
    shuffled = claims[::2] + claims[1::2][::-1]
    text = write_837(shuffled, parties_from(claims[0]), counter(), WHEN)
    check_hierarchy(text)
    again, _ = read_837(text.encode("latin-1"))
    assert [c.claim_id for c in again] == [c.claim_id for c in shuffled]


def test_other_delimiters_are_translated_and_data_containing_them_refused():
    data, _ = generate_pair(5, seed=1)
    claims, _ = read_837(data)
    renderer = SegmentRenderer(Delimiters("|", ">", "!", "\n"), line_break=False)
    text = write_837(claims, parties_from(claims[0]), counter(), WHEN, renderer)
    again, _ = read_837(text.encode("latin-1"))
    assert [c.frequency for c in again] == [c.frequency for c in claims]
    claims[0].segments[0] = claims[0].segments[0][:1] + ["A|B"] + claims[0].segments[0][2:]
    with pytest.raises(WriterError):
        write_837(claims, parties_from(claims[0]), counter(), WHEN, renderer)
