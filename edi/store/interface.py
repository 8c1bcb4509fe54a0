"""What the rest of the product needs from a claim store: the records it hands out, the states a stored 835
claim goes through, and the `ClaimStore` interface every engine fills (`edi.store.sqlite`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parsers.models import Claim837


class StoreError(Exception):
    """The store cannot be opened or used (unreachable server, schema behind and no right to migrate, a bad
    URL): one line for the person running the command (exit 2), without the URL's password."""


class Conflict(Exception):
    """A unique key another writer took first (a concurrent worker, or a name already used); the statement
    failed and the transaction (or savepoint) it ran in must be rolled back: retry, or take another name."""


# States of a stored 835 claim group besides the rules' dispositions (rules.outcome).
PENDING_ORIGINAL = "pending-original"
READY = "ready"
CONVERTED = "converted"
ALREADY_BILLED = "already-billed"


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
class RemittanceClaim:
    id: int
    remittance_key: str
    claim_id: str
    payer_claim_number: str
    state: str
    raw: str
    original_id: int | None


@dataclass(slots=True)
class ReadyClaim:
    remittance_claim_id: int
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
    stage: str = "new"  # the last step recorded (migration 5)
    posting_id: int | None = None

    def heading(self) -> dict:
        """What names the item, first in every row that shows it (the worklist, `edi worklist show`)."""
        return {
            "id": self.id,
            "claim_id": self.claim_id,
            "line": self.line,
            "payer": self.payer_id,
            "payer_claim_number": self.payer_claim_number,
            "group": self.group,
            "reason": self.reason,
        }


@dataclass(slots=True)
class WorklistEvent:
    """One step of a worklist item's history (migration 5)."""

    id: int
    item_id: int
    step: str
    happened_on: str
    amount: str
    actor: str
    text: str
    level: int
    deadline: str | None
    recorded_at: str


@dataclass(slots=True)
class CollectionEvent:
    """One step of the collection effort on a claim's patient balance (migration 5)."""

    id: int
    account_id: int
    claim_id: str
    step: str
    happened_on: str
    amount: str
    text: str
    recorded_at: str


@dataclass(slots=True)
class OutboxRecord:
    id: int
    name: str
    directory: str
    gate: str | None = None  # the outbound gate's verdict: None (not validated), passed, failed, skipped
    claims: int = 0


class ClaimStore(Protocol):
    """What the batch/watch runner needs from a store. Every method runs inside `transaction()` when the
    caller holds one, else in its own. A unique key taken by a concurrent writer raises `Conflict`."""

    location: str  # the state directory (SQLite) or the store URL (PostgreSQL): `open_store` opens it again

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

    # remittance claims: the 835 claim groups decided (their pipeline state)
    def find_remittance_claim(
        self, remittance_key: str, claim_id: str, payer_claim_number: str
    ) -> RemittanceClaim | None: ...
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
    ) -> int | None: ...
    def billed_elsewhere(self, original_id: int, remittance_claim_id: int | None) -> bool: ...
    def pending_with_originals(self, limit: int) -> list[RemittanceClaim]: ...
    def ready_claims(self) -> dict[str, list[int]]: ...
    def load_ready(self, ids: list[int]) -> list[ReadyClaim]: ...
    def secondary_claim(self, ready: ReadyClaim) -> Claim837: ...

    # outputs
    def add_outbox(
        self,
        name: str,
        directory: str,
        text: str,
        claims: int,
        destination: str,
        run_id: str,
        worker: str | None = None,
    ) -> int: ...
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
    ) -> None: ...
    def set_state(self, remittance_claim_id: int, state: str, reasons: list[str] | None = None) -> None: ...
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

    # several workers (migration 5: edi.store.coordination)
    def register_worker(self, worker_id: str, host: str, pid: int, command: str, lease_seconds: float) -> None: ...
    def heartbeat(self, worker_id: str, lease_seconds: float) -> bool: ...
    def stop_worker(self, worker_id: str) -> None: ...
    def workers_on(self, host: str) -> list[tuple[str, int]]: ...
    def take_lease(self, name: str, worker_id: str) -> bool: ...
    def release_lease(self, name: str, worker_id: str) -> None: ...
    def take_outbox(self, worker_id: str) -> list[OutboxRecord]: ...
    def status(self) -> dict: ...

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
    def close_worklist(self, account_id: int, payer_id: str, payer_claim_number: str, note: str) -> list[int]: ...
    def worklist(self, status: str = "open") -> list[WorklistItem]: ...
    def secondaries_sent(self, original_id: int) -> list[tuple[str, str]]: ...
    def sent_claims(self) -> list[tuple[int, str, str, str]]: ...

    # the billing office (migration 5)
    def all_accounts(self) -> list[AccountRecord]: ...
    def original_claim(self, original_id: int) -> StoredClaim | None: ...
    def claim_providers(self) -> dict[str, str]: ...
    def answers_by_payer(self) -> list[tuple[str, int]]: ...
    def answer_remarks(self) -> dict[tuple[str, str], tuple[str, ...]]: ...
    def worklist_item(self, item_id: int) -> WorklistItem | None: ...
    def worklist_items(self) -> list[WorklistItem]: ...
    def update_worklist_item(
        self, item_id: int, stage: str, status: str, deadline: str | None, alert_on: str | None
    ) -> None: ...
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
    ) -> int: ...
    def worklist_events(self, item_id: int | None = None) -> list[WorklistEvent]: ...
    def settle_won(self, account_id: int, payer_id: str, happened_on: str, note: str) -> list[int]: ...
    def add_collection_event(
        self, account_id: int, claim_id: str, step: str, happened_on: str, amount: str, text: str = ""
    ) -> int: ...
    def collection_events(self, account_id: int | None = None) -> list[CollectionEvent]: ...
