"""The claim store: lossless claims, exact remittances, migrations, the shared control-number counter."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from edi.control import ControlNumbers
from edi.store import STORE_FILE, open_store, payments_from_raw
from edi.store.codecs import claim_from_json, claim_to_json
from edi.store.migrations import MIGRATIONS
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


def test_original_claims_round_trip_losslessly(tmp_path):
    store = open_store(tmp_path)
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


def test_a_resubmitted_claim_replaces_the_older_one(tmp_path):
    store = open_store(tmp_path)
    claim = read_837(EXAMPLES / "A_original.837")[0][0]
    first = store.put_original(claim, None)
    claim.segments.append(["NTE", "ADD", "CORRECTED"])
    assert store.put_original(claim, None) == first
    (back,) = store.originals(claim.claim_id)
    assert back.claim.segments[-1] == ["NTE", "ADD", "CORRECTED"]
    store.close()


def test_remittance_claims_re_read_exactly(tmp_path):
    from edi.config import Settings
    from edi.runner import Runner
    from parsers.read835 import read_835

    b837, b835 = pair(2, 40)
    store = open_store(tmp_path / "state")
    runner = Runner(store, tmp_path / "out", Settings(state_dir=tmp_path / "state"))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "r.835").write_bytes(b835)
    from edi.runner.intake import inputs_from_folder

    runner.run(inputs_from_folder(drop))  # no 837 yet: every claim waits, raw X12 kept
    remittances, _ = read_835(b835, "r.835")
    by_id = {}
    for rem in remittances:
        for c in rem.claims:
            by_id.setdefault(c.claim_id, []).append(c)
    rows = store.db.execute("SELECT claim_id, raw FROM remittance_claims").fetchall()
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


def test_schema_is_migrated_once_and_versioned(tmp_path):
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
    for steps in MIGRATIONS[:3]:
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
    columns = {r[1] for r in store.db.execute("PRAGMA table_info(secondary_claims)")}
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


def test_a_rolled_back_transaction_leaves_nothing(tmp_path):
    store = open_store(tmp_path)
    claim = read_837(EXAMPLES / "A_original.837")[0][0]
    try:
        with store.transaction():
            store.put_original(claim, None)
            store.reserve_control_numbers(5)
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert store.originals(claim.claim_id) == []
    assert store.reserve_control_numbers(1) == 1
    store.put_original(claim, None)  # the envelope cache forgot the rolled-back row
    assert len(store.originals(claim.claim_id)) == 1
    store.close()
