"""The run report of `edi batch`: the claims that need a person kept on disk (edi.runner.attention), and the
report's JSON written from them piece by piece, the same text as json.dumps of the whole."""

from __future__ import annotations

import json

from edi.config import Settings
from edi.runner import run_batch
from edi.runner.spool import Spool
from rules.outcome import NEEDS_REVIEW
from tests.support import pair


def _entry(n: int, disposition: str = "pending-original") -> dict:
    return {"file": f"f{n}.835", "claim_id": f"C{n}", "disposition": disposition, "reasons": [f"why {n}\nand how"]}


def test_attention_keeps_its_entries_in_order_and_rolls_back_a_file():
    attention = Spool([_entry(1), _entry(2)])
    mark = attention.mark()
    attention.append(_entry(3, NEEDS_REVIEW))
    attention.append(_entry(4))
    assert len(attention) == 4 and attention.needs_review
    attention.rollback(mark)  # the file's transaction is read again: its entries go
    assert len(attention) == 2 and not attention.needs_review
    attention.append(_entry(5))
    assert list(attention) == [_entry(1), _entry(2), _entry(5)]
    seen = []
    for entry in attention:  # appending while reading moves neither
        seen.append(entry["claim_id"])
        if len(seen) == 1:
            attention.append(_entry(6))
    assert seen == ["C1", "C2", "C5"] and [e["claim_id"] for e in attention] == ["C1", "C2", "C5", "C6"]
    attention.close()


def test_the_report_is_written_in_pieces_as_json_dumps_would_write_it_whole(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    for seed in (1, 2):  # generated pairs: reversals with nothing to reverse are posting exceptions
        b837, b835 = pair(seed, 60)
        (drop / f"claims-{seed}.837").write_bytes(b837)
        (drop / f"remit-{seed}.835").write_bytes(b835)
    _, lone = pair(3, 30)
    (drop / "remit-3.835").write_bytes(lone)  # no 837: its claims wait for their original (need a person)
    settings = Settings(state_dir=tmp_path / "state")
    report = run_batch(drop, tmp_path / "out", settings, quiet=True, report_path=tmp_path / "r.json")
    written = (tmp_path / "r.json").read_text()
    assert written == json.dumps(report.as_dict(), indent=2) + "\n"
    parsed = json.loads(written)
    attention, exceptions = parsed["claims"]["attention"], parsed["postings"]["exceptions"]
    assert len(attention) == len(report.attention) >= 30 and len(exceptions) == len(report.postings.exceptions) > 0
    assert sum(e["disposition"] == "pending-original" for e in attention) == 30
    again = run_batch(drop, tmp_path / "out", settings, quiet=True, report_path=tmp_path / "again.json")
    text = (tmp_path / "again.json").read_text()  # nothing left to take in: empty lists
    assert text == json.dumps(again.as_dict(), indent=2) + "\n"
    assert json.loads(text)["claims"]["attention"] == [] == json.loads(text)["postings"]["exceptions"]
