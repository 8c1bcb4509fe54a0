"""The SQLite engine of the claim store: one file (``store.sqlite3`` under the state directory), WAL journal,
``synchronous=FULL`` (a commit survives power loss, not only kill -9), schema version in ``PRAGMA user_version``.
The queries are `edi.store.sql`'s; this module holds the connection, the transactions and the migrations' runner.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .dialect import SQLITE
from .interface import Conflict, StoreError
from .migrations import render
from .sql import CONTROL_COUNTER, SQLStore

STORE_FILE = "store.sqlite3"
LEGACY_COUNTER_FILE = "control-number"  # the file counter of early versions, taken over on first use
MEMORY = ":memory:"  # a store that lives as long as its object (tests, one-off computations)
BUSY_SECONDS = 600  # how long a connection waits for another process's lock before it gives up


class SQLiteStore(SQLStore):
    """`ClaimStore` on one SQLite file. One connection per instance; use one instance per thread."""

    dialect = SQLITE

    def __init__(self, path: str | Path, legacy_counter: Path | None = None):
        super().__init__()
        self.path = Path(path)
        self.location = str(self.path.parent)
        self._depth = 0
        self._savepoints = 0
        self._lock = threading.RLock()
        in_memory = str(path) == MEMORY
        try:
            if not in_memory:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not in_memory and not self.path.exists()
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_SECONDS, check_same_thread=False)
            if new:
                os.chmod(self.path, 0o600)  # it holds claims (PHI): owner only
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
            self._use_wal()
            self.db.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not only kill -9
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate(legacy_counter)
        except (sqlite3.Error, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StoreError(f"{self.path}: cannot open the claim store ({why})") from exc

    def _use_wal(self) -> None:
        """Switch the file to WAL (once for good: the mode is kept in the file). Several processes opening a
        new store at once race for it, and SQLite answers the losers "database is locked" at once instead of
        waiting as busy_timeout says: they wait and try again, within the same bound."""
        deadline = time.monotonic() + BUSY_SECONDS
        pause = 0.01
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    @classmethod
    def open(cls, state_dir: str | Path) -> SQLiteStore:
        """The store of a state directory (its `store.sqlite3`)."""
        state = Path(state_dir)
        return cls(state / STORE_FILE, legacy_counter=state / LEGACY_COUNTER_FILE)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()
        self.closed = True

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            if str(exc).startswith("UNIQUE constraint failed"):
                raise Conflict(str(exc)) from exc
            raise

    def _run_many(self, sql: str, rows: list[tuple]) -> None:
        self.db.executemany(sql, rows)

    def schema_version(self) -> int:
        """How many migrations this store has had."""
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # -------------------------------------------------------------------------------- transactions
    def _migrate(self, legacy_counter: Path | None) -> None:
        migrations = render(SQLITE)
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version >= len(migrations):
            return
        with self.transaction():
            (version,) = self.db.execute("PRAGMA user_version").fetchone()  # another process may have won
            for number, steps in enumerate(migrations[version:], start=version + 1):
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
        """One atomic unit of work (BEGIN IMMEDIATE ... COMMIT); nested calls join the outer one."""
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
        """Part of a transaction that an error undoes alone."""
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
