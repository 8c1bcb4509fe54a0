"""The queries of posting and of the billing office, in SQL both engines run: claim accounts, the payers'
answers posted (append-only), the ledger (append-only), the worklist and its items' history, the collection
effort."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from rules.ledger import LedgerEntry

from .clock import now_text
from .codecs import claim_from_json
from .interface import (
    AccountRecord,
    CollectionEvent,
    PostingRecord,
    StoredClaim,
    WorklistEvent,
    WorklistItem,
)


class AccountQueries:
    """Mixed into `edi.store.sql.SQLStore` (which supplies `_run`, `_run_many`, `transaction`)."""

    # -------------------------------------------------------------------------------- posting
    def open_account(self, original_id: int, claim_id: str, charge: str, payers: list) -> AccountRecord:
        """The claim account of an original claim, opened on first use (its payers refreshed from the
        original, which a resubmission may have changed)."""
        with self.transaction():
            row = self._run(
                "INSERT INTO claim_accounts (original_id, claim_id, charge, payers, opened_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (original_id) DO UPDATE SET charge = excluded.charge, payers = excluded.payers "
                "RETURNING id",
                (original_id, claim_id, charge, json.dumps(payers), now_text()),
            ).fetchone()
            return AccountRecord(row[0], original_id, claim_id, charge, payers)

    def accounts(self, claim_id: str) -> list[AccountRecord]:
        rows = self._run(
            "SELECT id, original_id, claim_id, charge, payers FROM claim_accounts WHERE claim_id = ? ORDER BY id",
            (claim_id,),
        ).fetchall()
        return [AccountRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def account(self, account_id: int) -> AccountRecord | None:
        r = self._run(
            "SELECT id, original_id, claim_id, charge, payers FROM claim_accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return AccountRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) if r else None

    _POSTING = (
        "id, account_id, sequence, payer_id, payer_claim_number, reversal, trace, body, raw, resolved_by, posted_at"
    )

    def postings(self, account_id: int) -> list[PostingRecord]:
        rows = self._run(
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
            row = self._run(
                "INSERT INTO postings (account_id, sequence, payer_id, payer_claim_number, reversal, trace, body, "
                "raw, resolved_by, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING RETURNING id",
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
                    now_text(),
                ),
            ).fetchone()
            return row[0] if row else None

    _LEDGER = (
        "timestamp, claim, payer, level, kind, amount, category, grp, reason, line, trace, trace_payer, "
        "payer_claim_number, sequence, note"
    )

    def add_ledger_entries(self, account_id: int, posting_id: int | None, entries: list) -> None:
        with self.transaction():
            self._run_many(
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
        where, args = "", ()
        if account_id is not None:
            where, args = "WHERE account_id = ?", (account_id,)
        elif claim_id is not None:
            where, args = "WHERE claim = ?", (claim_id,)
        rows = self._run(f"SELECT {self._LEDGER} FROM ledger_entries {where} ORDER BY id", args)
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
            return self._run(
                f"INSERT INTO worklist ({', '.join(keys)}, status, created_at) "
                f"VALUES ({', '.join('?' * len(keys))}, 'open', ?) RETURNING id",
                (
                    *(item.get(k) if k in ("posting_id", "deadline", "alert_on") else item.get(k, "") for k in keys),
                    now_text(),
                ),
            ).fetchone()[0]

    def close_worklist(self, account_id: int, payer_id: str, payer_claim_number: str, note: str) -> list[int]:
        """Close the items that came from one payer answer (it was reversed): the open ones, and those the
        office resolved by writing them off (lost, written-off); their ids."""
        with self.transaction():
            rows = self._run(
                "UPDATE worklist SET status = 'closed', stage = 'reversed', closed_at = ?, note = ? "
                "WHERE account_id = ? AND payer_id = ? AND payer_claim_number = ? "
                "AND (status = 'open' OR (status = 'resolved' AND stage IN ('lost', 'written-off'))) RETURNING id",
                (now_text(), note, account_id, payer_id, payer_claim_number),
            ).fetchall()
            return sorted(r[0] for r in rows)

    _ITEM = (
        "id, account_id, claim_id, line, payer_id, payer_claim_number, grp, reason, amount, action, "
        "deadline, alert_on, status, note, created_at, stage, posting_id"
    )

    def worklist(self, status: str = "open") -> list[WorklistItem]:
        rows = self._run(f"SELECT {self._ITEM} FROM worklist WHERE status = ? ORDER BY id", (status,)).fetchall()
        return [WorklistItem(*r) for r in rows]

    def secondaries_sent(self, original_id: int) -> list[tuple[str, str]]:
        """(destination payer id, when written) of every claim we sent onward for this original claim."""
        return self._run(
            "SELECT s.payer_id, o.created_at FROM secondary_claims s JOIN outbox o ON o.id = s.outbox_id "
            "WHERE s.original_id = ? ORDER BY s.id",
            (original_id,),
        ).fetchall()

    def sent_claims(self) -> list[tuple[int, str, str, str]]:
        """(original id, claim id, destination payer id, when written) of every claim sent onward."""
        return self._run(
            "SELECT s.original_id, s.claim_id, s.payer_id, o.created_at FROM secondary_claims s "
            "JOIN outbox o ON o.id = s.outbox_id ORDER BY s.id"
        ).fetchall()

    # -------------------------------------------------------------------------------- the billing office
    def all_accounts(self) -> list[AccountRecord]:
        """Every claim account, in the order opened."""
        rows = self._run("SELECT id, original_id, claim_id, charge, payers FROM claim_accounts ORDER BY id").fetchall()
        return [AccountRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def original_claim(self, original_id: int) -> StoredClaim | None:
        """The stored original claim of this row id."""
        row = self._run("SELECT id, envelope_id, body FROM original_claims WHERE id = ?", (original_id,)).fetchone()
        return StoredClaim(row[0], claim_from_json(row[2], self._transaction_of(row[1]))) if row else None

    def claim_providers(self) -> dict[str, str]:
        """Claim id (CLM01) -> billing provider id (2010AA NM109) of its stored original claim."""
        rows = self._run("SELECT claim_id, provider_id FROM original_claims ORDER BY id").fetchall()
        return {claim_id: provider for claim_id, provider in rows}

    def answers_by_payer(self) -> list[tuple[str, int]]:
        """(payer id, number of distinct claim answers posted, reversals not counted) per payer."""
        return self._run(
            "SELECT payer_id, COUNT(DISTINCT account_id || '|' || payer_claim_number) FROM postings "
            "WHERE reversal = 0 GROUP BY payer_id ORDER BY payer_id"
        ).fetchall()

    def answer_remarks(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(claim id, payer id) -> the RARCs (MOA/MIA/LQ) of that payer's answers on the claim, each once, in the
        order given (reversals not counted)."""
        out: dict[tuple[str, str], dict[str, None]] = {}
        for (body,) in self._run("SELECT body FROM postings WHERE reversal = 0 ORDER BY id"):
            answer = json.loads(body)
            if answer["remarks"]:
                out.setdefault((answer["claim_id"], answer["payer_id"]), {}).update(dict.fromkeys(answer["remarks"]))
        return {key: tuple(codes) for key, codes in out.items()}

    def worklist_item(self, item_id: int) -> WorklistItem | None:
        row = self._run(f"SELECT {self._ITEM} FROM worklist WHERE id = ?", (item_id,)).fetchone()
        return WorklistItem(*row) if row else None

    def worklist_items(self) -> list[WorklistItem]:
        """Every worklist item, whatever its status, in the order created."""
        return [WorklistItem(*r) for r in self._run(f"SELECT {self._ITEM} FROM worklist ORDER BY id").fetchall()]

    def update_worklist_item(
        self, item_id: int, stage: str, status: str, deadline: str | None, alert_on: str | None
    ) -> None:
        """Set an item's stage, status and deadline (its history is `add_worklist_event`'s)."""
        with self.transaction():
            self._run(
                "UPDATE worklist SET stage = ?, status = ?, deadline = ?, alert_on = ?, closed_at = ? WHERE id = ?",
                (stage, status, deadline, alert_on, None if status == "open" else now_text(), item_id),
            )

    _EVENT = "id, item_id, step, happened_on, amount, actor, text, level, deadline, recorded_at"

    def add_worklist_event(
        self,
        item_id: int,
        step: str,
        happened_on: str,
        amount: str = "",
        actor: str = "",
        text: str = "",
        level: int = 0,
        deadline: str | None = None,
    ) -> int:
        with self.transaction():
            return self._run(
                "INSERT INTO worklist_events (item_id, step, happened_on, amount, actor, text, level, deadline, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (item_id, step, happened_on, amount, actor, text, level, deadline, now_text()),
            ).fetchone()[0]

    def worklist_events(self, item_id: int | None = None) -> list[WorklistEvent]:
        """The history of one item (or of every item), in the order recorded."""
        where, args = ("WHERE item_id = ?", (item_id,)) if item_id is not None else ("", ())
        rows = self._run(f"SELECT {self._EVENT} FROM worklist_events {where} ORDER BY id", args).fetchall()
        return [WorklistEvent(*r) for r in rows]

    def settle_won(self, account_id: int, payer_id: str, happened_on: str, note: str) -> list[int]:
        """Close the items of this account and payer that wait for the payer's new answer (stage 'won');
        each gets a 'paid' step in its history. Returns their ids."""
        with self.transaction():
            ids = [
                r[0]
                for r in self._run(
                    "SELECT id FROM worklist WHERE account_id = ? AND payer_id = ? AND stage = 'won' "
                    "AND status = 'open' ORDER BY id",
                    (account_id, payer_id),
                ).fetchall()
            ]
            for item_id in ids:
                self.add_worklist_event(item_id, "paid", happened_on, actor="edi", text=note)
                self._run(
                    "UPDATE worklist SET stage = 'paid', status = 'resolved', closed_at = ? WHERE id = ?",
                    (now_text(), item_id),
                )
            return ids

    _COLLECTION = "id, account_id, claim_id, step, happened_on, amount, text, recorded_at"

    def add_collection_event(
        self, account_id: int, claim_id: str, step: str, happened_on: str, amount: str, text: str = ""
    ) -> int:
        with self.transaction():
            return self._run(
                "INSERT INTO collection_events (account_id, claim_id, step, happened_on, amount, text, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (account_id, claim_id, step, happened_on, amount, text, now_text()),
            ).fetchone()[0]

    def collection_events(self, account_id: int | None = None) -> list[CollectionEvent]:
        """The collection effort of one account (or of all), in the order recorded."""
        where, args = ("WHERE account_id = ?", (account_id,)) if account_id is not None else ("", ())
        rows = self._run(f"SELECT {self._COLLECTION} FROM collection_events {where} ORDER BY id", args).fetchall()
        return [CollectionEvent(*r) for r in rows]
