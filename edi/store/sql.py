"""The claim store's queries, in SQL that SQLite and PostgreSQL both run (placeholders written ``?``; every
insert that needs its new id says ``RETURNING id``; the few words that differ come from the engine's
`edi.store.dialect`). An engine (`edi.store.sqlite`, `edi.store.postgres`) subclasses `SQLStore` and supplies
the connection: `_run`, `_run_many`, `transaction` and `savepoint`.

Several workers may share one PostgreSQL store, each in its own READ COMMITTED transactions, so every query
that decides something is safe against a concurrent writer: the claims a worker takes (ready to emit, pending
to decide again) are locked and skipped by the others (`Dialect.skip_locked`), a remittance claim already
ready or converted is never written over (`save_remittance_claim`), control numbers are taken by one atomic
statement, and a unique key two workers race for raises `Conflict` (the loser's transaction is retried)."""

from __future__ import annotations

import json

from parsers.models import Claim837, Transaction837

from .accounts import AccountQueries
from .clock import now_text
from .codecs import claim_from_json, claim_to_json, envelope_from_json, envelope_to_json
from .coordination import CoordinationQueries
from .dialect import Dialect
from .interface import (
    CONVERTED,
    PENDING_ORIGINAL,
    READY,
    FileRecord,
    OutboxRecord,
    ReadyClaim,
    RemittanceClaim,
    StoredClaim,
)

CONTROL_COUNTER = "control-number"
CONTROL_LIMIT = 999_999_999  # ISA13 has nine digits


class SQLStore(AccountQueries, CoordinationQueries):
    """Every query of `ClaimStore`. Caches decoded envelopes (claims of one 837 share one)."""

    dialect: Dialect  # set by the engine
    location: str  # what `open_store` opens again: the state directory or the store URL
    closed = False  # set by the engine's close()

    def __init__(self) -> None:
        self._envelope_ids: dict[int, tuple[Transaction837, int]] = {}  # id(txn) -> (txn, envelope id)
        self._envelopes: dict[int, Transaction837] = {}  # envelope id -> decoded transaction

    def _run(self, sql: str, args: tuple = ()):
        """Execute one statement; returns a cursor (fetchone, fetchall, rowcount, iteration)."""
        raise NotImplementedError

    def _run_many(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Rows of one read-only statement (``?`` placeholders): for reports and tests."""
        return self._run(sql, args).fetchall()

    def _forget_envelopes(self) -> None:
        self._envelope_ids.clear()  # rows inserted in what was rolled back are gone

    # -------------------------------------------------------------------------------- inbound files
    def file_by_hash(self, sha256: str) -> FileRecord | None:
        row = self._run(
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
            row = self._run(
                "INSERT INTO inbound_files (sha256, name, kind, size, received_at, outcome, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    sha256,
                    name,
                    kind,
                    size,
                    now_text(),
                    outcome,
                    json.dumps(report) if report is not None else None,
                ),
            ).fetchone()
            return row[0]

    def finish_file(self, file_id: int, kind: str, outcome: str, report: dict | None) -> None:
        with self.transaction():
            self._run(
                "UPDATE inbound_files SET kind = ?, outcome = ?, report = ? WHERE id = ?",
                (kind, outcome, json.dumps(report) if report is not None else None, file_id),
            )

    def settle_file(self, file_id: int) -> None:
        with self.transaction():
            self._run(
                "UPDATE inbound_files SET settled_at = ? WHERE id = ? AND settled_at IS NULL",
                (now_text(), file_id),
            )

    # -------------------------------------------------------------------------------- original claims
    def _envelope_id(self, txn: Transaction837) -> int:
        cached = self._envelope_ids.get(id(txn))
        if cached is not None and cached[0] is txn:
            return cached[1]
        body = envelope_to_json(txn)
        row = self._run("SELECT id FROM envelopes WHERE body = ?", (body,)).fetchone()
        if row is None:
            row = self._run("INSERT INTO envelopes (body) VALUES (?) RETURNING id", (body,)).fetchone()
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
            row = self._run(
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
                    now_text(),
                ),
            ).fetchone()
            return row[0]

    def _transaction_of(self, envelope_id: int) -> Transaction837:
        txn = self._envelopes.get(envelope_id)
        if txn is None:
            (body,) = self._run("SELECT body FROM envelopes WHERE id = ?", (envelope_id,)).fetchone()
            txn = envelope_from_json(body)
            if len(self._envelopes) > 1000:
                self._envelopes.clear()
            self._envelopes[envelope_id] = txn
        return txn

    def originals(self, claim_id: str) -> list[StoredClaim]:
        rows = self._run(
            "SELECT id, envelope_id, body FROM original_claims WHERE claim_id = ? ORDER BY id", (claim_id,)
        ).fetchall()
        return [
            StoredClaim(row_id, claim_from_json(body, self._transaction_of(envelope)))
            for row_id, envelope, body in rows
        ]

    # -------------------------------------------------------------------------------- remittance claims
    _ADJ = "id, remittance_key, claim_id, payer_claim_number, state, raw, original_id"

    def find_remittance_claim(
        self, remittance_key: str, claim_id: str, payer_claim_number: str
    ) -> RemittanceClaim | None:
        row = self._run(
            f"SELECT {self._ADJ} FROM remittance_claims WHERE remittance_key = ? AND claim_id = ? "
            "AND payer_claim_number = ?",
            (remittance_key, claim_id, payer_claim_number),
        ).fetchone()
        return RemittanceClaim(*row) if row else None

    def save_remittance_claim(
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
    ) -> int | None:
        """Record an 835 claim group and its state; None (nothing written) when the row is already ready or
        converted: a concurrent worker billed it first, and a claim is never billed twice."""
        with self.transaction():
            envelope = self._envelope_id(secondary.transaction) if secondary is not None else None
            body = json.dumps({"envelope": envelope, "claim": claim_to_json(secondary)}) if secondary else None
            row = self._run(
                "INSERT INTO remittance_claims (remittance_key, claim_id, payer_claim_number, status, raw, file_id, "
                "state, reasons, original_id, destination, parties, secondary, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (remittance_key, claim_id, payer_claim_number) DO UPDATE SET state = excluded.state, "
                "reasons = excluded.reasons, original_id = excluded.original_id, "
                "destination = excluded.destination, parties = excluded.parties, secondary = excluded.secondary, "
                "updated_at = excluded.updated_at WHERE remittance_claims.state NOT IN (?, ?) RETURNING id",
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
                    now_text(),
                    READY,
                    CONVERTED,
                ),
            ).fetchone()
            return row[0] if row else None

    def billed_elsewhere(self, original_id: int, remittance_claim_id: int | None) -> bool:
        """Whether another remittance claim of this original claim is already converted or waiting to be."""
        row = self._run(
            "SELECT 1 FROM remittance_claims WHERE original_id = ? AND state IN (?, ?) AND id != ? LIMIT 1",
            (original_id, READY, CONVERTED, remittance_claim_id or -1),
        ).fetchone()
        return row is not None

    def pending_with_originals(self, limit: int) -> list[RemittanceClaim]:
        """Pending remittance claims whose original claim is now in the store, taken for this transaction
        (another worker's transaction passes over them)."""
        rows = self._run(
            f"SELECT {self._ADJ} FROM remittance_claims a WHERE state = ? AND EXISTS "
            "(SELECT 1 FROM original_claims o WHERE o.claim_id = a.claim_id) ORDER BY id LIMIT ?"
            + self.dialect.skip_locked,
            (PENDING_ORIGINAL, limit),
        ).fetchall()
        return [RemittanceClaim(*row) for row in rows]

    def ready_claims(self) -> dict[str, list[int]]:
        """Destination -> the remittance claim ids converted but not yet in an interchange, destinations in order
        and each one's claims by arrival (ids only, one destination string each, however many claims:
        `load_ready` reads the claims a chunk at a time), taken for this transaction: a concurrent worker's emit
        passes over them."""
        by_destination: dict[str, list[int]] = {}
        rows = self._run(
            "SELECT id, destination FROM remittance_claims WHERE state = ? ORDER BY destination, id"
            + self.dialect.skip_locked,
            (READY,),
        )
        for remittance_claim_id, destination in rows:
            by_destination.setdefault(destination, []).append(remittance_claim_id)
        return by_destination

    def load_ready(self, ids: list[int]) -> list[ReadyClaim]:
        out = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self._run(
                "SELECT id, original_id, claim_id, destination, parties, secondary FROM remittance_claims WHERE id IN "
                f"({','.join('?' * len(part))}) AND state = ?",
                (*part, READY),
            ).fetchall()
            by_id = {row[0]: row for row in rows}
            out += [ReadyClaim(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in map(by_id.get, part) if r]
        return out

    def secondary_claim(self, ready: ReadyClaim) -> Claim837:
        doc = json.loads(ready.secondary)
        return claim_from_json(doc["claim"], self._transaction_of(doc["envelope"]))

    def set_state(self, remittance_claim_id: int, state: str, reasons: list[str] | None = None) -> None:
        with self.transaction():
            if reasons is None:
                self._run(
                    "UPDATE remittance_claims SET state = ?, updated_at = ? WHERE id = ?",
                    (state, now_text(), remittance_claim_id),
                )
            else:
                self._run(
                    "UPDATE remittance_claims SET state = ?, reasons = ?, updated_at = ? WHERE id = ?",
                    (state, json.dumps(reasons), now_text(), remittance_claim_id),
                )

    def counts(self) -> dict[str, int]:
        """Remittance claims by state (for reports and tests)."""
        return dict(self._run("SELECT state, COUNT(*) FROM remittance_claims GROUP BY state").fetchall())

    # -------------------------------------------------------------------------------- outputs
    def add_outbox(
        self,
        name: str,
        directory: str,
        text: str,
        claims: int,
        destination: str,
        run_id: str,
        worker: str | None = None,
    ) -> int:
        """A committed output, to be gated and published by `worker` (or, once it is gone, by another)."""
        with self.transaction():
            return self._run(
                "INSERT INTO outbox (name, directory, text, claims, destination, run_id, created_at, worker) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (name, directory, text, claims, destination, run_id, now_text(), worker),
            ).fetchone()[0]

    def record_secondary(
        self,
        remittance_claim_id: int,
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
            self._run(
                "INSERT INTO secondary_claims (remittance_claim_id, original_id, claim_id, payer_id, isa13, gs06, "
                "st02, outbox_id, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (remittance_claim_id, original_id, claim_id, payer_id, isa13, gs06, st02, outbox_id, file_name),
            )
            self._run(
                "UPDATE remittance_claims SET state = ?, updated_at = ? WHERE id = ?",
                (CONVERTED, now_text(), remittance_claim_id),
            )

    def unpublished(self) -> list[OutboxRecord]:
        return [
            OutboxRecord(*row)
            for row in self._run(
                "SELECT id, name, directory, gate, claims FROM outbox WHERE published_at IS NULL ORDER BY id"
            )
        ]

    def set_gate(self, outbox_id: int, gate: str, report: dict | None = None) -> bool:
        """Record the outbound gate's verdict on a row not judged yet; False when one was already recorded
        (by a concurrent run): the first verdict stands."""
        with self.transaction():
            cur = self._run(
                "UPDATE outbox SET gate = ?, gate_report = ? WHERE id = ? AND gate IS NULL",
                (gate, json.dumps(report) if report is not None else None, outbox_id),
            )
            return cur.rowcount == 1

    def gate_report(self, outbox_id: int) -> dict | None:
        row = self._run("SELECT gate_report FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def outbox_claims(self, outbox_id: int) -> list[tuple[int, str]]:
        """(remittance claim id, CLM01) of the secondary claims an outbox row holds, in file order."""
        return self._run(
            "SELECT remittance_claim_id, claim_id FROM secondary_claims WHERE outbox_id = ? ORDER BY id",
            (outbox_id,),
        ).fetchall()

    def unbill(self, outbox_id: int) -> None:
        """Forget the secondary claims of an outbox row that will never be published (its gate failed)."""
        with self.transaction():
            self._run("DELETE FROM secondary_claims WHERE outbox_id = ?", (outbox_id,))

    def outbox_for(self, destination: str) -> list[str]:
        """Names of the outbox rows written for `destination` (acknowledgments: ``ack:<input sha256>``)."""
        return [
            row[0] for row in self._run("SELECT name FROM outbox WHERE destination = ? ORDER BY id", (destination,))
        ]

    def outbox_text(self, outbox_id: int) -> str:
        return self._run("SELECT text FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]

    def mark_published(self, outbox_id: int) -> None:
        with self.transaction():
            self._run("UPDATE outbox SET published_at = ? WHERE id = ?", (now_text(), outbox_id))

    def secondary_rows(self) -> list[tuple]:
        """(claim_id, isa13, gs06, st02, file_name) of every secondary claim written (for reports and tests)."""
        return self._run("SELECT claim_id, isa13, gs06, st02, file_name FROM secondary_claims ORDER BY id").fetchall()

    # -------------------------------------------------------------------------------- control numbers
    def reserve_control_numbers(self, count: int) -> int:
        """Take `count` consecutive numbers; returns the first. Wraps after nine digits."""
        with self.transaction():
            return self._reserve(self._run, count)

    @staticmethod
    def _reserve(run, count: int) -> int:
        """The counter moved on by `count` in one statement (atomic against any concurrent writer: the row is
        locked until the transaction that ran it ends); returns the first number of the block."""
        (last,) = run(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = "
            "CASE WHEN counters.value + ? > ? THEN ? ELSE counters.value + ? END RETURNING value",
            # nine digits exhausted: wrap to 1 (receivers keep far fewer)
            (CONTROL_COUNTER, count, count, CONTROL_LIMIT, count, count),
        ).fetchone()
        return last - count + 1
