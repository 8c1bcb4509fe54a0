"""The guide compiler (edi.validation.fast_engine.compile): pyx12's maps as lookup tables, and their disk cache."""

from __future__ import annotations

import pickle

import pytest

from edi.validation.fast_engine import compile as gc
from edi.validation.fast_engine.compile import Comp, Elem, load_tables, map_file_for

P837 = "837.5010.X222.A1.xml"


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty cache folder and no tables loaded in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    gc.forget_loaded()
    yield tmp_path / "edi-cob"
    gc.forget_loaded()


def _node(tables, path_end: str):
    hits = [n for n in tables.nodes if n.path.endswith(path_end)]
    assert len(hits) == 1, (path_end, [n.path for n in hits])
    return hits[0]


def test_maps_are_the_ones_pyx12_picks():
    assert map_file_for("00501", "005010X222A1", "HC") == P837
    assert map_file_for("00501", "005010X223A2", "HC") == "837Q3.I.5010.X223.A1.xml"
    assert map_file_for("00501", "005010X221A1", "HP") == "835.5010.X221.A1.xml"
    assert map_file_for("00501", "005010X231A1", "FA") == "999.5010X231.A1.xml"
    assert map_file_for("00501", "005010X222A2", "HC") is None  # pyx12 ships no A2 map


def test_loops_segments_and_counts_of_the_837p():
    t = load_tables(P837)
    assert t.transaction_id == "837" and t.icvn == "00501"
    claim = _node(t, "/2000B/2300")
    assert claim.usage == "S" and claim.max_repeat == 100  # S: a claim may sit under 2000C instead
    clm = _node(t, "/2000B/2300/CLM")
    assert (clm.usage, clm.max_repeat, clm.match) == ("R", 1, None)
    hl_b = _node(t, "/2000A/2000B/HL")
    assert hl_b.match == (3, 0, frozenset({"22"}))  # the 2000B loop starts at an HL whose HL03 is 22
    ref = [n for n in t.nodes if n.parent == claim.index and n.id == "REF"]
    assert len(ref) > 5 and all(n.match and n.match[0] == 1 for n in ref)
    # pyx12's scan order: by position, loops before segments at the same position
    kids = [t.nodes[i] for i in claim.children]
    assert [k.pos for k in kids] == sorted(k.pos for k in kids)


def test_elements_composites_codes_and_syntax():
    t = load_tables(P837)
    clm = _node(t, "/2000B/2300/CLM")
    clm05 = clm.specs[4]
    assert isinstance(clm05, Comp) and clm05.usage == "R" and len(clm05.elements) == 3
    assert [e.ref for e in clm05.elements] == ["CLM05-1", "CLM05-2", "CLM05-3"]
    assert clm05.elements[1].codes == frozenset({"B"})
    clm02 = clm.specs[1]
    assert isinstance(clm02, Elem) and (clm02.dtype, clm02.min_len, clm02.max_len) == ("R", 1, 18)
    n4 = _node(t, "/2000B/2010BA/N4")
    state = n4.specs[1]
    assert "IL" in state.codes and "ON" in state.codes  # pyx12's external "states" set, resolved
    assert _node(t, "/2000A/2010AA/N4").specs[1].codes is None  # as pyx12's map has it: no list there
    assert ("C", 6, 5) in n4.syntax
    dtp = _node(t, "/2000B/2300/2400/DTP[472]")
    assert dtp.specs[1].formats and dtp.specs[2].is_1251


def test_envelope_slots_are_shared_by_every_map():
    control = load_tables("x12.control.00501.xml")
    for name in (P837, "835.5010.X221.A1.xml", "837Q3.I.5010.X223.A1.xml", "999.5010X231.A1.xml"):
        t = load_tables(name)
        for path, slot in ((n.path, n.slot) for n in control.nodes[1:]):
            assert t.node(path).slot == slot, (name, path)
        assert t.node("/ISA_LOOP/GS_LOOP").below == (5, t.slots)


def test_cache_written_then_read(fresh, monkeypatch):
    load_tables("999.5010X231.A1.xml")
    files = list(fresh.glob("999.5010X231.A1.xml.*.pickle"))
    assert len(files) == 1
    gc.forget_loaded()

    def boom(name):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(gc, "compile_map", boom)
    assert load_tables("999.5010X231.A1.xml").transaction_id == "999"


def test_corrupt_cache_is_compiled_again(fresh):
    load_tables("999.5010X231.A1.xml")
    (path,) = fresh.glob("999.5010X231.A1.xml.*.pickle")
    path.write_bytes(b"not a pickle")
    gc.forget_loaded()
    assert load_tables("999.5010X231.A1.xml").transaction_id == "999"
    assert isinstance(pickle.loads(path.read_bytes()), gc.GuideTables)  # rewritten


def test_unwritable_cache_falls_back_to_memory(fresh):
    fresh.parent.mkdir(exist_ok=True)
    fresh.write_text("a file where the folder should be")
    assert load_tables("999.5010X231.A1.xml").transaction_id == "999"
    assert fresh.is_file()


def test_cache_key_changes_with_the_map(fresh, monkeypatch):
    a = gc.fingerprint("999.5010X231.A1.xml")
    monkeypatch.setattr(gc, "COMPILER_VERSION", gc.COMPILER_VERSION + 1)
    assert gc.fingerprint("999.5010X231.A1.xml") != a
