"""The 837 writer: what it writes reads back as the same claims, with a consistent HL hierarchy."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_pair
from parsers.read837 import read_837
from parsers.syntax import Delimiters, Tokenizer
from tests.support import EXAMPLES, FIXTURES
from writers.claim837 import claim_body, parties_from, write_837, write_837_placed
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


def _placements_read_back(text: str) -> list[tuple[str, str, str, str, int, int]]:
    """(CLM01, ISA13, GS06, ST02, first, last) of every claim, found by reading the interchange."""
    out, current = [], None
    isa13 = gs06 = st02 = ""
    tok = Tokenizer.from_bytes(text.encode("latin-1"))
    for seg in tok:
        if seg[0] in ("CLM", "HL", "SE") and current is not None:
            out.append((*current, tok.ordinal - 1))
            current = None
        if seg[0] == "ISA":
            isa13 = seg[13]
        elif seg[0] == "GS":
            gs06 = seg[6]
        elif seg[0] == "ST":
            st02 = seg[2]
        elif seg[0] == "CLM":
            current = (seg[1], isa13, gs06, st02, tok.ordinal)
    return out


def test_the_writer_says_where_each_claim_landed():
    """Professional and institutional claims (two functional groups), several transaction-set headers, a
    claim id twice, in mixed order: the placements are what reading the file back finds, and the text is
    write_837's."""
    generated, _ = read_837(generate_pair(40, seed=5)[0])
    originals = [
        claim
        for folder in (EXAMPLES, FIXTURES / "institutional")
        for path in sorted(folder.glob("*_original.837"))
        for claim in read_837(path)[0]
    ]
    assert {c.kind for c in originals} == {"P", "I"}
    claims = generated[:20] + originals[::2] + generated[20:] + originals[1::2] + [generated[3]]
    text, placements = write_837_placed(claims, parties_from(claims[0]), counter(), WHEN)
    assert text == write_837(claims, parties_from(claims[0]), counter(), WHEN)
    read_back = _placements_read_back(text)
    assert len({st02 for *_, st02, _, _ in read_back}) > 2 and len({gs06 for _, _, gs06, *_ in read_back}) == 2
    assert [(p.claim_id, p.isa13, p.gs06, p.st02, p.first, p.last) for p in placements] == read_back
    assert sorted(p.index for p in placements) == list(range(len(claims)))
    assert all(claims[p.index].claim_id == p.claim_id for p in placements)


def _outcome(call):
    try:
        return call()
    except WriterError as exc:
        return ("refused", str(exc))


_VALUES = st.text(alphabet="AB1 *~:^|\n", max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(st.lists(_VALUES, min_size=1, max_size=5), max_size=6),
    pipe_source=st.booleans(),
    line_break=st.booleans(),
)
def test_render_all_is_render_of_each_segment_joined(segments, pipe_source, line_break):
    renderer = SegmentRenderer(line_break=line_break)
    source = Delimiters("|", "^", ":", "~") if pipe_source else Delimiters()
    each = _outcome(lambda: "".join(renderer.render(seg, source) for seg in segments))
    assert _outcome(lambda: renderer.render_all(segments, source)) == each
