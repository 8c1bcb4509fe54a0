"""The claim store, on both engines (the `store_location` fixture: SQLite, then PostgreSQL): lossless claims,
exact remittances, migrations, the shared control-number counter, what concurrent writers cannot break."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from decimal import Decimal

import pytest

from edi.control import ControlNumbers
from edi.store import READY, STORE_FILE, Conflict, is_store_url, open_store, payments_from_raw
from edi.store.codecs import claim_from_json, claim_to_json
from edi.store.dialect import SQLITE
from edi.store.migrations import MIGRATIONS, render
from parsers.read837 import read_837
from tests.support import EXAMPLES, pair
from writers.claim837 import claim_body


def _segments(claim):
    return (
        claim.transaction.segments,
        claim.billing_provider.segments,
        claim.subscriber.segments,
        claim.patient.segments if claim.patient else None,
        claim_body(claim),
    )


def test_original_claims_round_trip_losslessly(store_location):
    store = open_store(store_location)
    claims = []
    for name in ("A_original.837", "B_original.837", "C_original.837", "E_original.837"):
        read, _ = read_837(EXAMPLES / name)
        claims += read
    claims += read_837(pair(1, 30)[0], "generated")[0]
    for claim in claims:
        store.put_original(claim, None)
    for claim in claims:
        stored = [s.claim for s in store.originals(claim.claim_id)]
        assert len(stored) == 1
        back = stored[0]
        assert _segments(back) == _segments(claim)
        assert back.charge == claim.charge and back.payer_id == claim.payer_id and back.kind == claim.kind
        assert back.delimiters == claim.delimiters
        isa = claim.transaction.header.interchange
        assert back.transaction.header.interchange.receiver_id == isa.receiver_id
        assert claim_to_json(claim_from_json(claim_to_json(claim), claim.transaction)) == claim_to_json(claim)
    store.close()


def test_a_resubmitted_claim_replaces_the_older_one(store_location):
    store = open_store(store_location)
    claim = read_837(EXAMPLES / "A_original.837")[0][0]
    first = store.put_original(claim, None)
    claim.segments.append(["NTE", "ADD", "CORRECTED"])
    assert store.put_original(claim, None) == first
    (back,) = store.originals(claim.claim_id)
    assert back.claim.segments[-1] == ["NTE", "ADD", "CORRECTED"]
    store.close()


def test_remittance_claims_re_read_exactly(tmp_path, store_location):
    from edi.config import Settings
    from edi.runner import Runner
    from parsers.read835 import read_835

    b837, b835 = pair(2, 40)
    store = open_store(store_location)
    runner = Runner(store, tmp_path / "out", Settings(state_dir=tmp_path / "state"))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "r.835").write_bytes(b835)
    from edi.runner.intake import inputs_from_folder

    runner.run(inputs_from_folder(drop))  # no 837 yet: every claim waits, raw X12 kept
    runner.close()
    remittances, _ = read_835(b835, "r.835")
    by_id = {}
    for rem in remittances:
        for c in rem.claims:
            by_id.setdefault(c.claim_id, []).append(c)
    rows = store.query("SELECT claim_id, raw FROM remittance_claims")
    assert len(rows) == len(by_id)
    for claim_id, raw in rows:
        again = payments_from_raw(raw)
        original = by_id[claim_id]
        assert [p.clp for p in again] == [p.clp for p in original]
        for a, b in zip(again, original, strict=True):
            assert (a.charge, a.paid, a.patient_responsibility) == (
                b.charge,
                b.paid,
                b.patient_responsibility,
            )
            assert isinstance(a.paid, Decimal)
            assert a.adjustments == b.adjustments and a.references == b.references
            assert [(s.procedure, s.charge, s.paid, s.adjustments, s.control_number) for s in a.services] == [
                (s.procedure, s.charge, s.paid, s.adjustments, s.control_number) for s in b.services
            ]
            assert a.remittance.payer_id == b.remittance.payer_id
            assert a.remittance.trn == b.remittance.trn and a.remittance.bpr == b.remittance.bpr
            assert [f.rule for f in a.remittance.findings] == [
                f.rule for f in b.remittance.findings if f.severity == "error"
            ]
    store.close()


def test_schema_is_migrated_once_and_versioned(store_location):
    open_store(store_location).close()
    store = open_store(store_location, migrate=False)  # nothing left to do
    assert store.schema_version() == len(MIGRATIONS)
    for table in ("inbound_files", "original_claims", "remittance_claims", "secondary_claims", "outbox", "counters"):
        assert store.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]
    store.close()


def test_the_sqlite_store_is_one_wal_file_with_its_version_in_user_version(tmp_path):
    open_store(tmp_path).close()
    open_store(tmp_path).close()
    db = sqlite3.connect(tmp_path / STORE_FILE)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "inbound_files",
        "original_claims",
        "remittance_claims",
        "secondary_claims",
        "outbox",
        "counters",
    } <= tables


def test_a_store_of_version_3_keeps_its_rows_through_the_rename(tmp_path):
    """Migration 4 renames adjudications to remittance_claims (and the column that points at it)."""
    db = sqlite3.connect(tmp_path / STORE_FILE, isolation_level=None)
    for steps in render(SQLITE)[:3]:
        for sql in steps:
            db.execute(sql)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO adjudications (remittance_key, claim_id, payer_claim_number, status, raw, state, updated_at) "
        "VALUES ('T|1', 'C1', 'ICN', '1', '{}', 'pending-original', 'now')"
    )
    db.close()
    store = open_store(tmp_path)
    record = store.find_remittance_claim("T|1", "C1", "ICN")
    assert record is not None and record.state == "pending-original"
    columns = {r[1] for r in store.query("PRAGMA table_info(secondary_claims)")}
    assert "remittance_claim_id" in columns and "adjudication_id" not in columns
    store.close()


def test_control_numbers_come_from_the_store_and_take_over_the_old_counter_file(tmp_path):
    (tmp_path / "control-number").write_text("41\n")  # what edi convert used before the store existed
    store = open_store(tmp_path)
    numbers = ControlNumbers(store)
    assert [numbers() for _ in range(3)] == [42, 43, 44]
    other = ControlNumbers(open_store(tmp_path))
    assert other() > 44 + 13  # the first block (16 numbers) is reserved, never handed out twice
    store.close()


def test_a_rolled_back_transaction_leaves_nothing(store_location):
    store = open_store(store_location)
    claim = read_837(EXAMPLES / "A_original.837")[0][0]
    try:
        with store.transaction():
            store.put_original(claim, None)
            store.reserve_control_numbers(5)
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert store.originals(claim.claim_id) == []
    # SQLite takes numbers inside the transaction: rolled back, they are free again; PostgreSQL commits them
    # at once (one worker's emit must not hold the counter against the others): skipped, never reused
    assert store.reserve_control_numbers(1) == (6 if is_store_url(store_location) else 1)
    store.put_original(claim, None)  # the envelope cache forgot the rolled-back row
    assert len(store.originals(claim.claim_id)) == 1
    store.close()


def test_the_ledger_postings_and_office_histories_refuse_updates_and_deletes(store_location):
    store = open_store(store_location)
    claim = read_837(EXAMPLES / "A_original.837")[0][0]
    account = store.open_account(store.put_original(claim, None), claim.claim_id, "100", [])
    posting = store.add_posting(account.id, "P", "11111", "ICN1", False, "T1", "{}", "", "claim")
    assert store.add_posting(account.id, "P", "11111", "ICN1", False, "T1", "{}", "", "claim") is None
    item = store.add_worklist_item(
        dict(account_id=account.id, posting_id=posting, claim_id=claim.claim_id, line="", payer_id="11111")
        | dict(payer_claim_number="ICN1", grp="CO", reason="50", amount="80", action="APPEAL", note="")
    )
    store.add_worklist_event(item, "note", "2024-03-01", text="called the payer")
    store.add_collection_event(account.id, claim.claim_id, "statement", "2024-03-01", "17")
    edits = ("UPDATE postings SET body = '[]'", "DELETE FROM postings")
    edits += ("UPDATE worklist_events SET text = ''", "DELETE FROM worklist_events", "DELETE FROM collection_events")
    for sql in edits + (
        ("TRUNCATE ledger_entries", "TRUNCATE worklist_events") if is_store_url(store_location) else ()
    ):
        with pytest.raises(Exception, match="append-only"):
            store.query(sql)
    assert [p.id for p in store.postings(account.id)] == [posting]
    store.close()


def test_a_ready_or_converted_claim_is_never_written_over(store_location):
    """A worker that decided the same 835 claim as another, a moment later, changes nothing."""
    store = open_store(store_location)
    first = store.save_remittance_claim("T|1", "C1", "ICN", "1", "{}", None, READY, [])
    assert first is not None
    assert store.save_remittance_claim("T|1", "C1", "ICN", "1", "{}", None, "pending-original", []) is None
    assert store.find_remittance_claim("T|1", "C1", "ICN").state == READY
    store.close()


def test_a_unique_key_taken_by_another_writer_is_a_conflict(store_location):
    store = open_store(store_location)
    store.add_outbox("A.837", "/out", "ISA", 0, "d", "run")
    with pytest.raises(Conflict):
        with store.savepoint():
            store.add_outbox("A.837", "/out", "ISA", 0, "d", "run")
    assert store.outbox_for("d") == ["A.837"]
    store.close()


def test_control_numbers_never_repeat_across_concurrent_writers(store_location):
    open_store(store_location).close()
    taken: list[list[int]] = []

    def worker() -> None:
        store = open_store(store_location)
        mine = []
        for size in (1, 3, 16) * 10:
            start = store.reserve_control_numbers(size)
            mine += range(start, start + size)
        taken.append(mine)
        store.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [n for mine in taken for n in mine]
    assert len(every) == 4 * 10 * 20 and len(set(every)) == len(every)


def _open_at_once(state: str, barrier, results) -> None:
    barrier.wait()
    try:
        open_store(state).close()
        results.put("ok")
    except Exception as exc:  # the test reports what went wrong
        results.put(str(exc))


def test_processes_opening_a_new_sqlite_store_at_once_all_open_it(tmp_path):
    """Workers started together on a new state directory race to switch the new file to WAL; SQLite answers
    the losers "database is locked" without waiting, so each waits and tries again (before, 19 rounds in 100
    of three processes failed, and this test failed 3 runs in 3)."""
    for round_ in range(40):
        state = str(tmp_path / f"state-{round_}")
        barrier, results = multiprocessing.Barrier(3), multiprocessing.Queue()
        openers = [multiprocessing.Process(target=_open_at_once, args=(state, barrier, results)) for _ in range(3)]
        for p in openers:
            p.start()
        for p in openers:
            p.join(timeout=60)
        assert [results.get(timeout=5) for _ in openers] == ["ok"] * 3
