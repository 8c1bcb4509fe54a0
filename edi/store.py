"""The durable claim store: what a batch or watch run must remember across runs and crashes.

`ClaimStore` is the interface the runner needs; `SQLiteStore` fills it with one SQLite file
(``store.sqlite3`` under the state directory, WAL journal, ``synchronous=FULL``) and keeps every line of SQL
in this module, so a PostgreSQL implementation can fill the same interface for several workers later.

Tables (schema version in ``PRAGMA user_version``, migrations in `MIGRATIONS`):

* ``inbound_files``: the audit trail of every file taken in: sha256, name, kind (835/837/other), when,
  outcome (processed / rejected / duplicate), report JSON, and ``settled_at`` once the input was moved.
* ``envelopes`` + ``original_claims``: each original 837 claim, unique on (CLM01, billing provider 2010AA
  NM109, payer 2010BB NM109), serialised losslessly (`claim_to_json`); a resubmission replaces the row in
  place (same id). Envelopes (delimiters, ISA, GS, ST..1000B) are stored once per distinct header.
* ``adjudications``: one row per netted 835 claim group, unique on (TRN02|TRN03, CLP01, CLP07), with the raw
  X12 of its remittance header and CLP loops (`payments_from_raw` re-reads them exactly, Decimal and all) and
  its state: ``pending-original``, ``ready`` (converted, waiting for its interchange), ``converted`` (written)
  or the rules' other dispositions.
* ``secondary_claims``: each secondary claim written: original claim, adjudication, destination payer,
  ISA13/GS06/ST02 and the output file.
* ``outbox``: each output file's full text and final name, written in the same transaction that reserves its
  control numbers and marks its claims converted; ``gate``, the outbound gate's verdict (NULL until validated:
  ``passed``, ``failed`` with ``gate_report``, or ``skipped`` under --no-gate); ``published_at`` once it is in
  the output folder (or, failed, in the rejected folder).
* ``counters``: the control-number counter shared by `edi convert`, `edi batch` and `edi watch`.
* ``claim_accounts`` (migration 2): one per original claim: charge and payers in sequence (SBR01, payer id).
* ``postings``: every payer answer (one 835 CLP) posted to an account, as `rules.posting.Adjudication` JSON
  plus the raw X12 of its claim group; unique on (account, payer, CLP07, reversal, TRN02), so posting the
  same answer twice adds nothing. Append-only (triggers refuse UPDATE and DELETE).
* ``ledger_entries``: the append-only ledger (`rules.ledger.LedgerEntry` columns); triggers refuse UPDATE and
  DELETE, so a correction is always a new entry.
* ``worklist``: denial and review items (claim, line, payer, group, reason, amount, action, deadline) with
  status open/closed; closed when the answer they came from is reversed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from parsers.envelope import Group, Interchange, TransactionHeader
from parsers.errors import Finding, Position
from parsers.models import (
    Claim837,
    ClaimPayment,
    HierarchyLevel,
    LineAdjudication,
    OtherPayer,
    ServiceLine,
    Transaction837,
)
from parsers.read835 import read_835
from parsers.syntax import Delimiters

STORE_FILE = "store.sqlite3"
LEGACY_COUNTER_FILE = "control-number"  # edi.control's file counter, taken over on first use
CONTROL_COUNTER = "control-number"
CONTROL_LIMIT = 999_999_999  # ISA13 has nine digits

# Adjudication states besides the rules' dispositions (rules.outcome).
PENDING_ORIGINAL = "pending-original"
READY = "ready"
CONVERTED = "converted"
ALREADY_BILLED = "already-billed"

MIGRATIONS: list[list[str]] = [
    [  # 1: the first schema
        """CREATE TABLE inbound_files (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            report TEXT,
            settled_at TEXT)""",
        "CREATE INDEX inbound_files_sha256 ON inbound_files (sha256)",
        """CREATE TABLE envelopes (
            id INTEGER PRIMARY KEY,
            body TEXT NOT NULL UNIQUE)""",
        """CREATE TABLE original_claims (
            id INTEGER PRIMARY KEY,
            claim_id TEXT NOT NULL,
            provider_id TEXT NOT NULL,
            payer_id TEXT NOT NULL,
            charge TEXT NOT NULL,
            envelope_id INTEGER NOT NULL REFERENCES envelopes (id),
            body TEXT NOT NULL,
            file_id INTEGER REFERENCES inbound_files (id),
            stored_at TEXT NOT NULL,
            UNIQUE (claim_id, provider_id, payer_id))""",
        """CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            remittance_key TEXT NOT NULL,
            claim_id TEXT NOT NULL,
            payer_claim_number TEXT NOT NULL,
            status TEXT NOT NULL,
            raw TEXT NOT NULL,
            file_id INTEGER REFERENCES inbound_files (id),
            state TEXT NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            original_id INTEGER REFERENCES original_claims (id),
            destination TEXT,
            parties TEXT,
            secondary TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (remittance_key, claim_id, payer_claim_number))""",
        "CREATE INDEX adjudications_state ON adjudications (state, claim_id)",
        "CREATE INDEX adjudications_original ON adjudications (original_id)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            directory TEXT NOT NULL,
            text TEXT NOT NULL,
            claims INTEGER NOT NULL,
            destination TEXT NOT NULL,
            run_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            published_at TEXT)""",
        "CREATE INDEX outbox_unpublished ON outbox (published_at)",
        """CREATE TABLE secondary_claims (
            id INTEGER PRIMARY KEY,
            adjudication_id INTEGER NOT NULL UNIQUE REFERENCES adjudications (id),
            original_id INTEGER NOT NULL REFERENCES original_claims (id),
            claim_id TEXT NOT NULL,
            payer_id TEXT NOT NULL,
            isa13 TEXT NOT NULL,
            gs06 TEXT NOT NULL,
            st02 TEXT NOT NULL,
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            file_name TEXT NOT NULL)""",
        "CREATE INDEX secondary_claims_original ON secondary_claims (original_id)",
        """CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL)""",
    ],
    [  # 2: posting (issue 6): claim accounts, the payers' answers posted, the ledger, the denial worklist
        """CREATE TABLE claim_accounts (
            id INTEGER PRIMARY KEY,
            original_id INTEGER NOT NULL UNIQUE REFERENCES original_claims (id),
            claim_id TEXT NOT NULL,
            charge TEXT NOT NULL,
            payers TEXT NOT NULL,
            opened_at TEXT NOT NULL)""",
        "CREATE INDEX claim_accounts_claim ON claim_accounts (claim_id)",
        """CREATE TABLE postings (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES claim_accounts (id),
            sequence TEXT NOT NULL,
            payer_id TEXT NOT NULL,
            payer_claim_number TEXT NOT NULL,
            reversal INTEGER NOT NULL,
            trace TEXT NOT NULL,
            body TEXT NOT NULL,
            raw TEXT NOT NULL,
            resolved_by TEXT NOT NULL,
            posted_at TEXT NOT NULL,
            UNIQUE (account_id, payer_id, payer_claim_number, reversal, trace))""",
        """CREATE TABLE ledger_entries (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES claim_accounts (id),
            posting_id INTEGER REFERENCES postings (id),
            timestamp TEXT NOT NULL,
            claim TEXT NOT NULL,
            payer TEXT NOT NULL,
            level TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount TEXT NOT NULL,
            category TEXT NOT NULL,
            grp TEXT NOT NULL,
            reason TEXT NOT NULL,
            line TEXT NOT NULL,
            trace TEXT NOT NULL,
            trace_payer TEXT NOT NULL,
            payer_claim_number TEXT NOT NULL,
            sequence TEXT NOT NULL,
            note TEXT NOT NULL)""",
        "CREATE INDEX ledger_entries_account ON ledger_entries (account_id)",
        """CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
        """CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
        """CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
            BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END""",
        """CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
            BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END""",
        """CREATE TABLE worklist (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES claim_accounts (id),
            posting_id INTEGER REFERENCES postings (id),
            claim_id TEXT NOT NULL,
            line TEXT NOT NULL,
            payer_id TEXT NOT NULL,
            payer_claim_number TEXT NOT NULL,
            grp TEXT NOT NULL,
            reason TEXT NOT NULL,
            amount TEXT NOT NULL,
            action TEXT NOT NULL,
            deadline TEXT,
            alert_on TEXT,
            status TEXT NOT NULL DEFAULT 'open',
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            closed_at TEXT)""",
        "CREATE INDEX worklist_status ON worklist (status, deadline)",
        "CREATE INDEX worklist_account ON worklist (account_id, payer_id, payer_claim_number)",
    ],
    [  # 3: the outbound gate's verdict on each outbox row (NULL: not validated yet, so never published)
        "ALTER TABLE outbox ADD COLUMN gate TEXT",
        "ALTER TABLE outbox ADD COLUMN gate_report TEXT",
    ],
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# ------------------------------------------------------------------------------------------ records
@dataclass(slots=True)
class FileRecord:
    id: int
    sha256: str
    name: str
    kind: str
    outcome: str
    report: dict | None
    settled: bool


@dataclass(slots=True)
class StoredClaim:
    row_id: int
    claim: Claim837


@dataclass(slots=True)
class AdjudicationRecord:
    id: int
    remittance_key: str
    claim_id: str
    payer_claim_number: str
    state: str
    raw: str
    original_id: int | None


@dataclass(slots=True)
class ReadyClaim:
    adjudication_id: int
    original_id: int
    claim_id: str
    destination: str
    parties: dict
    secondary: str


@dataclass(slots=True)
class AccountRecord:
    id: int
    original_id: int
    claim_id: str
    charge: str
    payers: list  # [[sequence, payer id, member id], ...]


@dataclass(slots=True)
class PostingRecord:
    id: int
    account_id: int
    sequence: str
    payer_id: str
    payer_claim_number: str
    reversal: bool
    trace: str
    body: str
    raw: str
    resolved_by: str
    posted_at: str


@dataclass(slots=True)
class WorklistItem:
    id: int
    account_id: int
    claim_id: str
    line: str
    payer_id: str
    payer_claim_number: str
    group: str
    reason: str
    amount: str
    action: str
    deadline: str | None
    alert_on: str | None
    status: str
    note: str
    created_at: str


@dataclass(slots=True)
class OutboxRecord:
    id: int
    name: str
    directory: str
    gate: str | None = None  # the outbound gate's verdict: None (not validated), passed, failed, skipped
    claims: int = 0


# ------------------------------------------------------------------------------------------ interface
class ClaimStore(Protocol):
    """What the batch/watch runner needs from a store. Every method runs inside `transaction()` when the
    caller holds one, else in its own."""

    def transaction(self): ...  # context manager: one atomic unit of work (nests; inner levels join)
    def savepoint(self): ...  # context manager: undo part of a transaction on error
    def close(self) -> None: ...

    # inbound files
    def file_by_hash(self, sha256: str) -> FileRecord | None: ...
    def add_file(
        self, sha256: str, name: str, kind: str, size: int, outcome: str, report: dict | None = None
    ) -> int: ...
    def finish_file(self, file_id: int, kind: str, outcome: str, report: dict | None) -> None: ...
    def settle_file(self, file_id: int) -> None: ...

    # original claims
    def put_original(self, claim: Claim837, file_id: int | None) -> int: ...
    def originals(self, claim_id: str) -> list[StoredClaim]: ...

    # adjudications
    def find_adjudication(
        self, remittance_key: str, claim_id: str, payer_claim_number: str
    ) -> AdjudicationRecord | None: ...
    def save_adjudication(
        self,
        remittance_key: str,
        claim_id: str,
        payer_claim_number: str,
        status: str,
        raw: str,
        file_id: int | None,
        state: str,
        reasons: list[str],
        original_id: int | None = None,
        destination: str | None = None,
        parties: dict | None = None,
        secondary: Claim837 | None = None,
    ) -> int: ...
    def billed_elsewhere(self, original_id: int, adjudication_id: int | None) -> bool: ...
    def pending_with_originals(self, limit: int) -> list[AdjudicationRecord]: ...
    def ready_claims(self) -> list[tuple[int, str]]: ...
    def load_ready(self, ids: list[int]) -> list[ReadyClaim]: ...
    def secondary_claim(self, ready: ReadyClaim) -> Claim837: ...

    # outputs
    def add_outbox(self, name: str, directory: str, text: str, claims: int, destination: str, run_id: str) -> int: ...
    def record_secondary(
        self,
        adjudication_id: int,
        original_id: int,
        claim_id: str,
        payer_id: str,
        isa13: str,
        gs06: str,
        st02: str,
        outbox_id: int,
        file_name: str,
    ) -> None: ...
    def set_state(self, adjudication_id: int, state: str, reasons: list[str] | None = None) -> None: ...
    def unpublished(self) -> list[OutboxRecord]: ...
    def outbox_text(self, outbox_id: int) -> str: ...
    def mark_published(self, outbox_id: int) -> None: ...
    def set_gate(self, outbox_id: int, gate: str, report: dict | None = None) -> bool: ...
    def gate_report(self, outbox_id: int) -> dict | None: ...
    def outbox_claims(self, outbox_id: int) -> list[tuple[int, str]]: ...
    def unbill(self, outbox_id: int) -> None: ...
    def outbox_for(self, destination: str) -> list[str]: ...

    # control numbers
    def reserve_control_numbers(self, count: int) -> int: ...

    # posting (migration 2)
    def open_account(self, original_id: int, claim_id: str, charge: str, payers: list) -> AccountRecord: ...
    def accounts(self, claim_id: str) -> list[AccountRecord]: ...
    def account(self, account_id: int) -> AccountRecord | None: ...
    def postings(self, account_id: int) -> list[PostingRecord]: ...
    def add_posting(
        self,
        account_id: int,
        sequence: str,
        payer_id: str,
        payer_claim_number: str,
        reversal: bool,
        trace: str,
        body: str,
        raw: str,
        resolved_by: str,
    ) -> int | None: ...
    def add_ledger_entries(self, account_id: int, posting_id: int | None, entries: list) -> None: ...
    def ledger(self, claim_id: str | None = None, account_id: int | None = None) -> list: ...
    def add_worklist_item(self, item: dict) -> int: ...
    def close_worklist(self, account_id: int, payer_id: str, payer_claim_number: str, note: str) -> int: ...
    def worklist(self, status: str = "open") -> list[WorklistItem]: ...
    def secondaries_sent(self, original_id: int) -> list[tuple[str, str]]: ...
    def sent_claims(self) -> list[tuple[int, str, str, str]]: ...


# ------------------------------------------------------------------------------------------ SQLite
class SQLiteStore:
    """`ClaimStore` on one SQLite file. One connection per instance; use one instance per thread."""

    def __init__(self, path: str | Path, legacy_counter: Path | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=600, check_same_thread=False)
        if new:
            os.chmod(self.path, 0o600)  # it holds claims (PHI): owner only
        self.db.execute("PRAGMA busy_timeout = 600000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not only kill -9
        self.db.execute("PRAGMA foreign_keys = ON")
        self._depth = 0
        self._savepoints = 0
        self._lock = threading.RLock()
        self._envelope_ids: dict[int, tuple[Transaction837, int]] = {}  # id(txn) -> (txn, envelope id)
        self._envelopes: dict[int, Transaction837] = {}  # envelope id -> decoded transaction
        self._migrate(legacy_counter)

    @classmethod
    def open(cls, state_dir: str | Path) -> SQLiteStore:
        state = Path(state_dir)
        return cls(state / STORE_FILE, legacy_counter=state / LEGACY_COUNTER_FILE)

    def close(self) -> None:
        self.db.close()

    # -------------------------------------------------------------------------------- transactions
    def _migrate(self, legacy_counter: Path | None) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version >= len(MIGRATIONS):
            return
        with self.transaction():
            (version,) = self.db.execute("PRAGMA user_version").fetchone()  # another process may have won
            for number, steps in enumerate(MIGRATIONS[version:], start=version + 1):
                for sql in steps:
                    self.db.execute(sql)
                if number == 1 and legacy_counter is not None and legacy_counter.exists():
                    text = legacy_counter.read_text().strip()
                    if text.isdigit():  # carry on after the numbers `edi convert` already used
                        self.db.execute(
                            "INSERT INTO counters (name, value) VALUES (?, ?)", (CONTROL_COUNTER, int(text))
                        )
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self):
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self.db.execute("ROLLBACK")
                self._forget_envelopes()
                raise
            self._depth = 0
            self.db.execute("COMMIT")

    @contextmanager
    def savepoint(self):
        with self.transaction():
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            self.db.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
                self._forget_envelopes()
                raise
            self.db.execute(f"RELEASE {name}")

    def _forget_envelopes(self) -> None:
        self._envelope_ids.clear()  # rows inserted in what was rolled back are gone

    # -------------------------------------------------------------------------------- inbound files
    def file_by_hash(self, sha256: str) -> FileRecord | None:
        row = self.db.execute(
            "SELECT id, sha256, name, kind, outcome, report, settled_at FROM inbound_files "
            "WHERE sha256 = ? AND outcome != 'duplicate' ORDER BY id LIMIT 1",
            (sha256,),
        ).fetchone()
        if row is None:
            return None
        return FileRecord(
            row[0], row[1], row[2], row[3], row[4], json.loads(row[5]) if row[5] else None, row[6] is not None
        )

    def add_file(self, sha256: str, name: str, kind: str, size: int, outcome: str, report: dict | None = None) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO inbound_files (sha256, name, kind, size, received_at, outcome, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sha256,
                    name,
                    kind,
                    size,
                    _now(),
                    outcome,
                    json.dumps(report) if report is not None else None,
                ),
            )
            return cur.lastrowid

    def finish_file(self, file_id: int, kind: str, outcome: str, report: dict | None) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE inbound_files SET kind = ?, outcome = ?, report = ? WHERE id = ?",
                (kind, outcome, json.dumps(report) if report is not None else None, file_id),
            )

    def settle_file(self, file_id: int) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE inbound_files SET settled_at = ? WHERE id = ? AND settled_at IS NULL",
                (_now(), file_id),
            )

    # -------------------------------------------------------------------------------- original claims
    def _envelope_id(self, txn: Transaction837) -> int:
        cached = self._envelope_ids.get(id(txn))
        if cached is not None and cached[0] is txn:
            return cached[1]
        body = envelope_to_json(txn)
        row = self.db.execute("SELECT id FROM envelopes WHERE body = ?", (body,)).fetchone()
        if row is None:
            row = (self.db.execute("INSERT INTO envelopes (body) VALUES (?)", (body,)).lastrowid,)
        if len(self._envelope_ids) > 1000:
            self._envelope_ids.clear()
        self._envelope_ids[id(txn)] = (txn, row[0])
        return row[0]

    def put_original(self, claim: Claim837, file_id: int | None) -> int:
        """Store (or replace: same CLM01, billing provider and payer) an original claim; returns its row id."""
        with self.transaction():
            envelope = self._envelope_id(claim.transaction)
            provider = claim.billing_provider.find("NM1", "85")
            provider_id = provider[9] if provider and len(provider) > 9 else ""
            row = self.db.execute(
                "INSERT INTO original_claims (claim_id, provider_id, payer_id, charge, envelope_id, body, "
                "file_id, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (claim_id, provider_id, payer_id) DO UPDATE SET charge = excluded.charge, "
                "envelope_id = excluded.envelope_id, body = excluded.body, file_id = excluded.file_id, "
                "stored_at = excluded.stored_at RETURNING id",
                (
                    claim.claim_id,
                    provider_id,
                    claim.payer_id,
                    str(claim.charge),
                    envelope,
                    claim_to_json(claim),
                    file_id,
                    _now(),
                ),
            ).fetchone()
            return row[0]

    def _transaction_of(self, envelope_id: int) -> Transaction837:
        txn = self._envelopes.get(envelope_id)
        if txn is None:
            (body,) = self.db.execute("SELECT body FROM envelopes WHERE id = ?", (envelope_id,)).fetchone()
            txn = envelope_from_json(body)
            if len(self._envelopes) > 1000:
                self._envelopes.clear()
            self._envelopes[envelope_id] = txn
        return txn

    def originals(self, claim_id: str) -> list[StoredClaim]:
        rows = self.db.execute(
            "SELECT id, envelope_id, body FROM original_claims WHERE claim_id = ? ORDER BY id", (claim_id,)
        ).fetchall()
        return [
            StoredClaim(row_id, claim_from_json(body, self._transaction_of(envelope)))
            for row_id, envelope, body in rows
        ]

    # -------------------------------------------------------------------------------- adjudications
    _ADJ = "id, remittance_key, claim_id, payer_claim_number, state, raw, original_id"

    def find_adjudication(
        self, remittance_key: str, claim_id: str, payer_claim_number: str
    ) -> AdjudicationRecord | None:
        row = self.db.execute(
            f"SELECT {self._ADJ} FROM adjudications WHERE remittance_key = ? AND claim_id = ? "
            "AND payer_claim_number = ?",
            (remittance_key, claim_id, payer_claim_number),
        ).fetchone()
        return AdjudicationRecord(*row) if row else None

    def save_adjudication(
        self,
        remittance_key: str,
        claim_id: str,
        payer_claim_number: str,
        status: str,
        raw: str,
        file_id: int | None,
        state: str,
        reasons: list[str],
        original_id: int | None = None,
        destination: str | None = None,
        parties: dict | None = None,
        secondary: Claim837 | None = None,
    ) -> int:
        with self.transaction():
            envelope = self._envelope_id(secondary.transaction) if secondary is not None else None
            body = json.dumps({"envelope": envelope, "claim": claim_to_json(secondary)}) if secondary else None
            row = self.db.execute(
                "INSERT INTO adjudications (remittance_key, claim_id, payer_claim_number, status, raw, file_id, "
                "state, reasons, original_id, destination, parties, secondary, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (remittance_key, claim_id, payer_claim_number) DO UPDATE SET state = excluded.state, "
                "reasons = excluded.reasons, original_id = excluded.original_id, "
                "destination = excluded.destination, parties = excluded.parties, secondary = excluded.secondary, "
                "updated_at = excluded.updated_at RETURNING id",
                (
                    remittance_key,
                    claim_id,
                    payer_claim_number,
                    status,
                    raw,
                    file_id,
                    state,
                    json.dumps(reasons),
                    original_id,
                    destination,
                    json.dumps(parties) if parties else None,
                    body,
                    _now(),
                ),
            ).fetchone()
            return row[0]

    def billed_elsewhere(self, original_id: int, adjudication_id: int | None) -> bool:
        """Whether another adjudication of this original claim is already converted or waiting to be."""
        row = self.db.execute(
            "SELECT 1 FROM adjudications WHERE original_id = ? AND state IN (?, ?) AND id != ? LIMIT 1",
            (original_id, READY, CONVERTED, adjudication_id or -1),
        ).fetchone()
        return row is not None

    def pending_with_originals(self, limit: int) -> list[AdjudicationRecord]:
        rows = self.db.execute(
            f"SELECT {self._ADJ} FROM adjudications a WHERE state = ? AND EXISTS "
            "(SELECT 1 FROM original_claims o WHERE o.claim_id = a.claim_id) ORDER BY id LIMIT ?",
            (PENDING_ORIGINAL, limit),
        ).fetchall()
        return [AdjudicationRecord(*row) for row in rows]

    def ready_claims(self) -> list[tuple[int, str]]:
        """(adjudication id, destination) of the claims converted but not yet in an interchange, by destination
        then arrival (ids only: `load_ready` reads the claims a chunk at a time)."""
        return self.db.execute(
            "SELECT id, destination FROM adjudications WHERE state = ? ORDER BY destination, id", (READY,)
        ).fetchall()

    def load_ready(self, ids: list[int]) -> list[ReadyClaim]:
        out = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self.db.execute(
                "SELECT id, original_id, claim_id, destination, parties, secondary FROM adjudications WHERE id IN "
                f"({','.join('?' * len(part))}) AND state = ?",
                (*part, READY),
            ).fetchall()
            by_id = {row[0]: row for row in rows}
            out += [ReadyClaim(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in map(by_id.get, part) if r]
        return out

    def secondary_claim(self, ready: ReadyClaim) -> Claim837:
        doc = json.loads(ready.secondary)
        return claim_from_json(doc["claim"], self._transaction_of(doc["envelope"]))

    def set_state(self, adjudication_id: int, state: str, reasons: list[str] | None = None) -> None:
        with self.transaction():
            if reasons is None:
                self.db.execute(
                    "UPDATE adjudications SET state = ?, updated_at = ? WHERE id = ?",
                    (state, _now(), adjudication_id),
                )
            else:
                self.db.execute(
                    "UPDATE adjudications SET state = ?, reasons = ?, updated_at = ? WHERE id = ?",
                    (state, json.dumps(reasons), _now(), adjudication_id),
                )

    def counts(self) -> dict[str, int]:
        """Adjudications by state (for reports and tests)."""
        return dict(self.db.execute("SELECT state, COUNT(*) FROM adjudications GROUP BY state").fetchall())

    # -------------------------------------------------------------------------------- outputs
    def add_outbox(self, name: str, directory: str, text: str, claims: int, destination: str, run_id: str) -> int:
        with self.transaction():
            return self.db.execute(
                "INSERT INTO outbox (name, directory, text, claims, destination, run_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, directory, text, claims, destination, run_id, _now()),
            ).lastrowid

    def record_secondary(
        self,
        adjudication_id: int,
        original_id: int,
        claim_id: str,
        payer_id: str,
        isa13: str,
        gs06: str,
        st02: str,
        outbox_id: int,
        file_name: str,
    ) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO secondary_claims (adjudication_id, original_id, claim_id, payer_id, isa13, gs06, st02, "
                "outbox_id, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (adjudication_id, original_id, claim_id, payer_id, isa13, gs06, st02, outbox_id, file_name),
            )
            self.db.execute(
                "UPDATE adjudications SET state = ?, updated_at = ? WHERE id = ?",
                (CONVERTED, _now(), adjudication_id),
            )

    def unpublished(self) -> list[OutboxRecord]:
        return [
            OutboxRecord(*row)
            for row in self.db.execute(
                "SELECT id, name, directory, gate, claims FROM outbox WHERE published_at IS NULL ORDER BY id"
            )
        ]

    def set_gate(self, outbox_id: int, gate: str, report: dict | None = None) -> bool:
        """Record the outbound gate's verdict on a row not judged yet; False when one was already recorded
        (by a concurrent run): the first verdict stands."""
        with self.transaction():
            cur = self.db.execute(
                "UPDATE outbox SET gate = ?, gate_report = ? WHERE id = ? AND gate IS NULL",
                (gate, json.dumps(report) if report is not None else None, outbox_id),
            )
            return cur.rowcount == 1

    def gate_report(self, outbox_id: int) -> dict | None:
        row = self.db.execute("SELECT gate_report FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def outbox_claims(self, outbox_id: int) -> list[tuple[int, str]]:
        """(adjudication id, CLM01) of the secondary claims an outbox row holds, in file order."""
        return self.db.execute(
            "SELECT adjudication_id, claim_id FROM secondary_claims WHERE outbox_id = ? ORDER BY id",
            (outbox_id,),
        ).fetchall()

    def unbill(self, outbox_id: int) -> None:
        """Forget the secondary claims of an outbox row that will never be published (its gate failed)."""
        with self.transaction():
            self.db.execute("DELETE FROM secondary_claims WHERE outbox_id = ?", (outbox_id,))

    def outbox_for(self, destination: str) -> list[str]:
        """Names of the outbox rows written for `destination` (acknowledgments: ``ack:<input sha256>``)."""
        return [
            row[0]
            for row in self.db.execute("SELECT name FROM outbox WHERE destination = ? ORDER BY id", (destination,))
        ]

    def outbox_text(self, outbox_id: int) -> str:
        return self.db.execute("SELECT text FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]

    def mark_published(self, outbox_id: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE outbox SET published_at = ? WHERE id = ?", (_now(), outbox_id))

    def secondary_rows(self) -> list[tuple]:
        """(claim_id, isa13, gs06, st02, file_name) of every secondary claim written (for reports and tests)."""
        return self.db.execute(
            "SELECT claim_id, isa13, gs06, st02, file_name FROM secondary_claims ORDER BY id"
        ).fetchall()

    # -------------------------------------------------------------------------------- control numbers
    def reserve_control_numbers(self, count: int) -> int:
        """Take `count` consecutive numbers; returns the first. Wraps after nine digits."""
        with self.transaction():
            row = self.db.execute("SELECT value FROM counters WHERE name = ?", (CONTROL_COUNTER,)).fetchone()
            start = (row[0] if row else 0) + 1
            if start + count - 1 > CONTROL_LIMIT:
                start = 1  # nine digits exhausted: wrap (receivers keep far fewer)
            self.db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (CONTROL_COUNTER, start + count - 1),
            )
            return start

    # -------------------------------------------------------------------------------- posting
    def open_account(self, original_id: int, claim_id: str, charge: str, payers: list) -> AccountRecord:
        """The claim account of an original claim, opened on first use (its payers refreshed from the
        original, which a resubmission may have changed)."""
        with self.transaction():
            row = self.db.execute(
                "INSERT INTO claim_accounts (original_id, claim_id, charge, payers, opened_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (original_id) DO UPDATE SET charge = excluded.charge, payers = excluded.payers "
                "RETURNING id",
                (original_id, claim_id, charge, json.dumps(payers), _now()),
            ).fetchone()
            return AccountRecord(row[0], original_id, claim_id, charge, payers)

    def accounts(self, claim_id: str) -> list[AccountRecord]:
        rows = self.db.execute(
            "SELECT id, original_id, claim_id, charge, payers FROM claim_accounts WHERE claim_id = ? ORDER BY id",
            (claim_id,),
        ).fetchall()
        return [AccountRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def account(self, account_id: int) -> AccountRecord | None:
        r = self.db.execute(
            "SELECT id, original_id, claim_id, charge, payers FROM claim_accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return AccountRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) if r else None

    _POSTING = (
        "id, account_id, sequence, payer_id, payer_claim_number, reversal, trace, body, raw, resolved_by, posted_at"
    )

    def postings(self, account_id: int) -> list[PostingRecord]:
        rows = self.db.execute(
            f"SELECT {self._POSTING} FROM postings WHERE account_id = ? ORDER BY id", (account_id,)
        ).fetchall()
        return [PostingRecord(*r[:5], bool(r[5]), *r[6:]) for r in rows]

    def add_posting(
        self,
        account_id: int,
        sequence: str,
        payer_id: str,
        payer_claim_number: str,
        reversal: bool,
        trace: str,
        body: str,
        raw: str,
        resolved_by: str,
    ) -> int | None:
        """Record one posted answer; None (nothing written) when the same answer is already posted."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO postings (account_id, sequence, payer_id, payer_claim_number, reversal, trace, body, "
                "raw, resolved_by, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    account_id,
                    sequence,
                    payer_id,
                    payer_claim_number,
                    int(reversal),
                    trace,
                    body,
                    raw,
                    resolved_by,
                    _now(),
                ),
            )
            return cur.lastrowid if cur.rowcount else None

    _LEDGER = (
        "timestamp, claim, payer, level, kind, amount, category, grp, reason, line, trace, trace_payer, "
        "payer_claim_number, sequence, note"
    )

    def add_ledger_entries(self, account_id: int, posting_id: int | None, entries: list) -> None:
        with self.transaction():
            self.db.executemany(
                f"INSERT INTO ledger_entries (account_id, posting_id, {self._LEDGER}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        account_id,
                        posting_id,
                        e.timestamp.isoformat(),
                        e.claim,
                        e.payer,
                        e.level,
                        e.kind,
                        str(e.amount),
                        e.category,
                        e.group,
                        e.reason,
                        e.line,
                        e.trace,
                        e.trace_payer,
                        e.payer_claim_number,
                        e.sequence,
                        e.note,
                    )
                    for e in entries
                ],
            )

    def ledger(self, claim_id: str | None = None, account_id: int | None = None) -> list:
        """Every ledger entry (of one claim or account, or all) in the order written, as `LedgerEntry`."""
        from decimal import Decimal

        from rules.ledger import LedgerEntry

        where, args = "", ()
        if account_id is not None:
            where, args = "WHERE account_id = ?", (account_id,)
        elif claim_id is not None:
            where, args = "WHERE claim = ?", (claim_id,)
        rows = self.db.execute(f"SELECT {self._LEDGER} FROM ledger_entries {where} ORDER BY id", args)
        return [
            LedgerEntry(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], Decimal(r[5]), r[6], *r[7:]) for r in rows
        ]

    def add_worklist_item(self, item: dict) -> int:
        keys = (
            "account_id",
            "posting_id",
            "claim_id",
            "line",
            "payer_id",
            "payer_claim_number",
            "grp",
            "reason",
            "amount",
            "action",
            "deadline",
            "alert_on",
            "note",
        )
        with self.transaction():
            return self.db.execute(
                f"INSERT INTO worklist ({', '.join(keys)}, status, created_at) "
                f"VALUES ({', '.join('?' * len(keys))}, 'open', ?)",
                (
                    *(item.get(k) if k in ("posting_id", "deadline", "alert_on") else item.get(k, "") for k in keys),
                    _now(),
                ),
            ).lastrowid

    def close_worklist(self, account_id: int, payer_id: str, payer_claim_number: str, note: str) -> int:
        """Close the open items that came from one payer answer (it was reversed); returns how many."""
        with self.transaction():
            return self.db.execute(
                "UPDATE worklist SET status = 'closed', closed_at = ?, note = ? WHERE account_id = ? "
                "AND payer_id = ? AND payer_claim_number = ? AND status = 'open'",
                (_now(), note, account_id, payer_id, payer_claim_number),
            ).rowcount

    def worklist(self, status: str = "open") -> list[WorklistItem]:
        rows = self.db.execute(
            "SELECT id, account_id, claim_id, line, payer_id, payer_claim_number, grp, reason, amount, action, "
            "deadline, alert_on, status, note, created_at FROM worklist WHERE status = ? ORDER BY id",
            (status,),
        ).fetchall()
        return [WorklistItem(*r) for r in rows]

    def secondaries_sent(self, original_id: int) -> list[tuple[str, str]]:
        """(destination payer id, when written) of every claim we sent onward for this original claim."""
        return self.db.execute(
            "SELECT s.payer_id, o.created_at FROM secondary_claims s JOIN outbox o ON o.id = s.outbox_id "
            "WHERE s.original_id = ? ORDER BY s.id",
            (original_id,),
        ).fetchall()

    def sent_claims(self) -> list[tuple[int, str, str, str]]:
        """(original id, claim id, destination payer id, when written) of every claim sent onward."""
        return self.db.execute(
            "SELECT s.original_id, s.claim_id, s.payer_id, o.created_at FROM secondary_claims s "
            "JOIN outbox o ON o.id = s.outbox_id ORDER BY s.id"
        ).fetchall()


def open_store(state_dir: str | Path) -> SQLiteStore:
    """The store of a state directory, created (and migrated) on first use."""
    return SQLiteStore.open(state_dir)


# ------------------------------------------------------------------------------------------ 837 codec
def envelope_to_json(txn: Transaction837) -> str:
    """What every claim of one 837 transaction set shares: delimiters, ISA, GS, ST..1000B."""
    header = txn.header
    d = txn.delimiters
    return json.dumps(
        {
            "delimiters": [d.element, d.component, d.repetition, d.segment],
            "isa": header.interchange.segment if header.interchange else None,
            "gs": header.group.segment if header.group else None,
            "segments": txn.segments,
        },
        separators=(",", ":"),
    )


def envelope_from_json(body: str) -> Transaction837:
    doc = json.loads(body)
    delimiters = Delimiters(*doc["delimiters"])
    where = Position("store")
    interchange = Interchange(doc["isa"], delimiters, where) if doc["isa"] else None
    group = Group(doc["gs"], where) if doc["gs"] else None
    header = TransactionHeader(doc["segments"][0], where, interchange, group)
    return Transaction837(header, delimiters, doc["segments"])


def claim_to_json(claim: Claim837) -> str:
    """The claim below its envelope, segment for segment: HL loops above it, 2300..2440."""
    p = claim.position
    return json.dumps(
        {
            "position": [p.file, p.segment, p.offset],
            "provider": claim.billing_provider.segments,
            "subscriber": claim.subscriber.segments,
            "patient": claim.patient.segments if claim.patient is not None else None,
            "claim": claim.segments,
            "other_payers": [o.segments for o in claim.other_payers],
            "lines": [[line.segments, [a.segments for a in line.adjudications], line.trailing] for line in claim.lines],
        },
        separators=(",", ":"),
    )


def claim_from_json(body: str, transaction: Transaction837) -> Claim837:
    """Rebuild a `Claim837` from `claim_to_json` and its envelope: the same segments in the same loops."""
    doc = json.loads(body)
    file, segment, offset = doc["position"]
    where = Position(file)
    provider = HierarchyLevel(doc["provider"], where)
    subscriber = HierarchyLevel(doc["subscriber"], where, provider)
    patient = HierarchyLevel(doc["patient"], where, subscriber) if doc["patient"] is not None else None
    lines = []
    for segments, adjudications, trailing in doc["lines"]:
        lines.append(ServiceLine(segments, where, [LineAdjudication(a, where) for a in adjudications], trailing))
    levels = [level for level in (provider, subscriber, patient) if level is not None]
    return Claim837(
        doc["claim"],
        transaction,
        provider,
        subscriber,
        patient,
        Position(file, segment, offset, "CLM"),
        [OtherPayer(o, where) for o in doc["other_payers"]],
        lines,
        levels,
    )


# ------------------------------------------------------------------------------------------ 835 codec
def raw_remittance(
    isa: str | None,
    gs: str | None,
    delimiters: Delimiters,
    parts: list[tuple[str, str]],
    findings: list[Finding] = (),
) -> str:
    """JSON of the raw X12 a group of 835 claims was read from: (remittance header, CLP loop) pairs, and the
    error findings of the whole remittance as read (B3 is a fact of the whole transaction set, which the small
    835 re-read later does not hold)."""
    kept = [[f.rule, f.message] for f in findings if f.severity == "error"][:50]
    return json.dumps(
        {
            "isa": isa,
            "gs": gs,
            "element": delimiters.element,
            "terminator": delimiters.segment,
            "parts": parts,
            "findings": kept,
        },
        separators=(",", ":"),
    )


def payments_from_raw(raw: str, name: str = "store") -> list[ClaimPayment]:
    """Re-read a stored group of 835 claims with the 835 reader, on a small 835 synthesised around them:
    the same ClaimPayment values (Decimal exact), each with its remittance header (payer, BPR, TRN, dates)."""
    doc = json.loads(raw)
    e, t = doc["element"], doc["terminator"]
    out = [doc["isa"] or "", doc["gs"] or ""]
    by_header: dict[str, list[str]] = {}
    for header, claim in doc["parts"]:
        by_header.setdefault(header, []).append(claim)
    for header, claims in by_header.items():
        out.append(header)
        out.extend(claims)
        st02 = header.split(t, 1)[0].split(e)[2] if e in header else "0001"
        out.append(f"SE{e}0{e}{st02.strip()}{t}")
    if doc["gs"]:
        out.append(f"GE{e}{len(by_header)}{e}0{t}")
    if doc["isa"]:
        out.append(f"IEA{e}1{e}0{t}")
    remittances, _ = read_835("".join(out).encode("latin-1"), name)
    for remittance in remittances:  # the findings of the remittance as first read, not of the small copy
        remittance.header.findings[:] = [Finding(rule, message, Position(name)) for rule, message in doc["findings"]]
    return [claim for remittance in remittances for claim in remittance.claims]
