"""The store's schema, as numbered migrations (the schema version is the number of migrations applied).

One list for both engines, written in SQLite's words; `render` gives each engine its own (`edi.store.dialect`:
types, and the append-only triggers). Applied in order by the engine (`edi.store.sqlite`,
`edi.store.postgres`), each in one transaction with the version bump, so a store is always at one version. A
new migration is appended; a shipped one is never edited.

The tables:

* ``inbound_files``: the audit trail of every file taken in: sha256, name, kind (835/837/other), when,
  outcome (processed / rejected / duplicate), report JSON, and ``settled_at`` once the input was moved.
* ``envelopes`` + ``original_claims``: each original 837 claim, unique on (CLM01, billing provider 2010AA
  NM109, payer 2010BB NM109), serialised losslessly (`claim_to_json`); a resubmission replaces the row in
  place (same id). Envelopes (delimiters, ISA, GS, ST..1000B) are stored once per distinct header.
* ``remittance_claims`` (``adjudications`` before migration 4): one row per 835 claim group, unique on
  (TRN02|TRN03, CLP01, CLP07), with the raw
  X12 of its remittance header and CLP loops (`payments_from_raw` re-reads them exactly, Decimal and all) and
  its state: ``pending-original``, ``ready`` (converted, waiting for its interchange), ``converted`` (written)
  or the rules' other dispositions.
* ``secondary_claims``: each secondary claim written: original claim, remittance claim, destination payer,
  ISA13/GS06/ST02 and the output file.
* ``outbox``: each output file's full text and final name, written in the same transaction that reserves its
  control numbers and marks its claims converted; ``gate``, the outbound gate's verdict (NULL until validated:
  ``passed``, ``failed`` with ``gate_report``, or ``skipped`` under --no-gate); ``published_at`` once it is in
  the output folder (or, failed, in the rejected folder).
* ``counters``: the control-number counter shared by `edi convert`, `edi batch` and `edi watch`.
* ``claim_accounts`` (migration 2): one per original claim: charge and payers in sequence (SBR01, payer id).
* ``postings``: every payer answer (one 835 CLP) posted to an account, as payer-answer JSON (`edi.store.codecs`)
  plus the raw X12 of its claim group; unique on (account, payer, CLP07, reversal, TRN02), so posting the
  same answer twice adds nothing. Append-only (triggers refuse UPDATE and DELETE).
* ``ledger_entries``: the append-only ledger (`rules.ledger.LedgerEntry` columns); triggers refuse UPDATE and
  DELETE, so a correction is always a new entry.
* ``worklist``: denial and review items (claim, line, payer, group, reason, amount, action, deadline) with
  status open/closed; closed when the answer they came from is reversed. Migration 5 adds ``stage`` (the
  last step the office recorded: corrected, appealed, won ...) and the status ``resolved``.
* ``worklist_events`` (migration 5): each item's history, one row per step (who, when, what, free text, the
  appeal level and the deadline the step set); append-only (triggers from migration 7).
* ``collection_events`` (migration 5): the collection effort on a patient balance: each statement sent, bad
  debt booked or reversed, charity, a patient's payment; append-only (triggers from migration 7).
* ``workers`` (migration 6): every `edi batch` / `edi watch` process working on the store: host, pid, command,
  and its heartbeat (``seen_at``, ``expires_at``: seconds on the database's clock); ``stopped_at`` once it
  stopped or was found dead.
* ``file_leases``: the inbound file (by name) each worker is working on; valid while its worker is alive.
* ``outbox.worker``: the worker that gates and publishes the row (taken over from a dead one).
* ``inbound_files_content``: one file taken in per content (sha256), other than the duplicates recorded, even
  with several workers at once.
"""

from __future__ import annotations

from .dialect import AppendOnly, Dialect

MIGRATIONS: list[list[str | AppendOnly]] = [
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
        AppendOnly("ledger_entries", "the ledger is append-only"),
        AppendOnly("postings", "postings are append-only"),
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
    [  # 4: one meaning per word: "adjudication" is a prior payer's COB loop in an 837 (2320/2430); the
        # 835 claim groups the runner decides are remittance claims
        "ALTER TABLE adjudications RENAME TO remittance_claims",
        "ALTER TABLE secondary_claims RENAME COLUMN adjudication_id TO remittance_claim_id",
    ],
    [  # 5: the billing office (issue 17): each worklist item's stage and its history, the collection effort
        "ALTER TABLE worklist ADD COLUMN stage TEXT NOT NULL DEFAULT 'new'",
        """CREATE TABLE worklist_events (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES worklist (id),
            step TEXT NOT NULL,
            happened_on TEXT NOT NULL,
            amount TEXT NOT NULL,
            actor TEXT NOT NULL,
            text TEXT NOT NULL,
            level INTEGER NOT NULL,
            deadline TEXT,
            recorded_at TEXT NOT NULL)""",
        "CREATE INDEX worklist_events_item ON worklist_events (item_id)",
        """CREATE TABLE collection_events (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES claim_accounts (id),
            claim_id TEXT NOT NULL,
            step TEXT NOT NULL,
            happened_on TEXT NOT NULL,
            amount TEXT NOT NULL,
            text TEXT NOT NULL,
            recorded_at TEXT NOT NULL)""",
        "CREATE INDEX collection_events_account ON collection_events (account_id)",
    ],
    [  # 6: several workers on one store (issue 16): who works, which file each holds, who publishes what
        """CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            command TEXT NOT NULL,
            started_at REAL NOT NULL,
            seen_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            stopped_at REAL)""",
        "CREATE INDEX workers_host ON workers (host)",
        """CREATE TABLE file_leases (
            name TEXT PRIMARY KEY,
            worker TEXT NOT NULL,
            taken_at REAL NOT NULL)""",
        "CREATE INDEX file_leases_worker ON file_leases (worker)",
        "ALTER TABLE outbox ADD COLUMN worker TEXT",
        "CREATE INDEX outbox_worker ON outbox (worker, published_at)",
        "CREATE UNIQUE INDEX inbound_files_content ON inbound_files (sha256) WHERE outcome != 'duplicate'",
    ],
    [  # 7: the office's histories are append-only in the database too, as the ledger is
        AppendOnly("worklist_events", "a worklist item's history is append-only"),
        AppendOnly("collection_events", "the collection history is append-only"),
    ],
]


def render(dialect: Dialect) -> list[list[str]]:
    """Every migration as the statements `dialect`'s engine runs, in order (index 0 is migration 1)."""
    return [[sql for step in steps for sql in dialect.render(step)] for steps in MIGRATIONS]
