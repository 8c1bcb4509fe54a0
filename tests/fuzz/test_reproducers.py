"""Every reproducer in fixtures/hostile/ (the issue 13 findings, and what `make fuzz` finds) replayed on every
entry point: no crash, no fault of ours behind a safety net. And the harness itself: it tells a crash from an
answer, and minimises one."""

from __future__ import annotations

import csv

import pytest

from fuzz.engine import mutate, seeds
from fuzz.minimise import minimise
from fuzz.targets import FAST, TARGETS, Crash, Workspace, run_target
from tests.support import EXAMPLES, FIXTURES, fixture_files

HOSTILE = FIXTURES / "hostile"
REPRODUCERS = fixture_files(HOSTILE, "*.x12")
with (HOSTILE / "INDEX.tsv").open(newline="") as handle:
    INDEX = {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("fuzz"))
    yield ws
    ws.close()


def test_every_reproducer_is_indexed_with_its_entry_point():
    assert sorted(INDEX) == sorted(p.name for p in REPRODUCERS)
    for path in REPRODUCERS:
        assert INDEX[path.name]["target"] in TARGETS and path.name.startswith(INDEX[path.name]["target"])


@pytest.mark.parametrize("path", REPRODUCERS, ids=lambda p: p.name)
def test_a_reproducer_crashes_no_entry_point(workspace, path):
    data = path.read_bytes()
    own = INDEX[path.name]["target"]
    for target in dict.fromkeys((own, *FAST)):  # validate and batch (pyx12) for their own reproducers only
        run_target(workspace, target, data)


def test_a_crash_is_told_from_an_answer(workspace, monkeypatch):
    from fuzz import targets

    run_target(workspace, "inspect", b"not x12 at all")  # an X12Error is the documented answer
    monkeypatch.setattr(targets, "inspect_file", lambda path: 1 / 0)
    with pytest.raises(Crash) as info:
        run_target(workspace, "inspect", b"anything")
    assert info.value.kind == "ZeroDivisionError" and info.value.target == "inspect"


def test_a_crash_is_minimised_to_the_segments_and_elements_that_make_it():
    data = (EXAMPLES / "A_primary.835").read_bytes().replace(b"AMT*B6*45~", b"AMT*B6*45*BOOM*x~")
    crash = Crash("inspect", "Boom", "here")

    def check(candidate: bytes) -> Crash | None:
        return crash if b"BOOM" in candidate else None

    small = minimise(data, crash, check)
    assert small.strip(b"\n") == b"BOOM" or small.count(b"~") <= 1 and b"BOOM" in small
    assert len(small) < 40


def test_mutations_are_deterministic_and_seeds_are_there():
    data = (EXAMPLES / "A_primary.835").read_bytes()
    steps = [(0, 12, 3), (1, 5, 0), (2, 7, 9), (3, 2, 1), (4, 30, 65), (5, 20, 9)]
    assert mutate(data, steps) == mutate(data, steps) != data
    assert len(seeds()) >= 30
