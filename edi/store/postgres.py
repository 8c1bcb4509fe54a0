"""The PostgreSQL engine of the claim store: one database (or one schema of it, named in the URL's
``options=-csearch_path=...``) shared by any number of workers on any number of machines. psycopg 3 with its
connection pool; every transaction holds one pooled connection (READ COMMITTED), statements are prepared by the
server once they repeat. The queries are `edi.store.sql`'s; this module holds the connections, the
transactions and the migrations' runner (the schema version in ``edi_schema_version``, migrations serialised
across workers by an advisory lock).

Control numbers are taken in a transaction of their own, committed at once, so that one worker's long emit
does not hold the counter against the others: a block reserved by a transaction that then rolls back is
skipped (never reused), as after a crash.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from .dialect import POSTGRES
from .interface import Conflict, StoreError
from .location import redacted
from .migrations import render
from .sql import SQLStore

CONNECT_SECONDS = 10
RETRYABLE = (errors.UniqueViolation, errors.DeadlockDetected, errors.SerializationFailure)


class Result:
    """What `_run` returns: the rows (read at once) and the row count of one statement."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[tuple], rowcount: int):
        self.rows, self.rowcount = rows, rowcount

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple]:
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class PostgresStore(SQLStore):
    """`ClaimStore` on a PostgreSQL database. Thread-safe: each thread's transaction has its own connection."""

    dialect = POSTGRES

    def __init__(self, url: str, migrate: bool = True, pool_size: int = 4):
        super().__init__()
        self.location = url
        self._sql: dict[str, str] = {}
        self._local = threading.local()
        try:  # one plain connection first: a clear error when the server cannot be reached
            with psycopg.connect(url, connect_timeout=CONNECT_SECONDS, autocommit=True) as probe:
                self._migrate(probe, migrate)
        except psycopg.Error as exc:
            raise StoreError(f"{redacted(url)}: {_first_line(exc)}") from exc
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"autocommit": True},
            open=False,
            name="edi-store",
        )
        try:
            self.pool.open(wait=True, timeout=CONNECT_SECONDS)
        except PoolTimeout as exc:
            raise StoreError(f"{redacted(url)}: no connection within {CONNECT_SECONDS}s") from exc

    def close(self) -> None:
        self.pool.close()
        self.closed = True

    # -------------------------------------------------------------------------------- statements
    def _translate(self, sql: str) -> str:
        out = self._sql.get(sql)
        if out is None:
            out = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return out

    def _run(self, sql: str, args: tuple = ()) -> Result:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self.transaction():
                return self._run(sql, args)
        try:
            cur = conn.execute(self._translate(sql), args)
            return Result(cur.fetchall() if cur.description else [], cur.rowcount)
        except RETRYABLE as exc:
            raise Conflict(_first_line(exc)) from exc
        except psycopg.OperationalError as exc:
            raise StoreError(f"{redacted(self.location)}: {_first_line(exc)}") from exc

    def _run_many(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        with self.transaction():
            try:
                with self._local.conn.cursor() as cur:
                    cur.executemany(self._translate(sql), rows)
            except RETRYABLE as exc:
                raise Conflict(_first_line(exc)) from exc

    def reserve_control_numbers(self, count: int) -> int:
        """Take `count` consecutive numbers in a transaction of their own, committed at once (module doc)."""
        with self.pool.connection() as conn:

            def run(sql: str, args: tuple) -> Result:
                cur = conn.execute(self._translate(sql), args)
                return Result(cur.fetchall(), cur.rowcount)

            return self._reserve(run, count)

    def schema_version(self) -> int:
        """How many migrations this store has had."""
        row = self._run("SELECT version FROM edi_schema_version").fetchone()
        return row[0] if row else 0

    # -------------------------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self):
        local = self._local
        if getattr(local, "conn", None) is not None:
            yield self  # inner levels join the outer transaction
            return
        conn = self.pool.getconn()
        local.conn, local.savepoints = conn, 0
        try:
            conn.execute("BEGIN")
            try:
                yield self
            except BaseException:
                if not (conn.closed or conn.broken):
                    conn.execute("ROLLBACK")
                self._forget_envelopes()
                raise
            try:
                conn.execute("COMMIT")
            except RETRYABLE as exc:  # a deferred check failed at commit
                self._forget_envelopes()
                raise Conflict(_first_line(exc)) from exc
        finally:
            local.conn = None
            self.pool.putconn(conn)

    @contextmanager
    def savepoint(self):
        with self.transaction():
            conn = self._local.conn
            self._local.savepoints += 1
            name = f"sp{self._local.savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
                self._forget_envelopes()
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")

    # -------------------------------------------------------------------------------- migrations
    def _migrate(self, conn: psycopg.Connection, migrate: bool) -> None:
        migrations = render(POSTGRES)
        if _version(conn) >= len(migrations):
            return  # the common case: nothing to do, no lock, no right to change the schema needed
        try:
            with conn.transaction():
                # one migrating worker at a time, per schema; the others find the work done
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('edi-store:' || current_schema()))")
                # IF NOT EXISTS: a worker that migrated while we waited for the lock may have created it
                conn.execute("CREATE TABLE IF NOT EXISTS edi_schema_version (version INTEGER NOT NULL)")
                row = conn.execute("SELECT version FROM edi_schema_version").fetchone()
                if row is None:
                    conn.execute("INSERT INTO edi_schema_version (version) VALUES (0)")
                version = row[0] if row else 0
                if version < len(migrations) and not migrate:
                    raise StoreError(
                        f"the store's schema is at version {version}, this edi needs {len(migrations)}: "
                        "run `edi store migrate`"
                    )
                for number, steps in enumerate(migrations[version:], start=version + 1):
                    for sql in steps:
                        conn.execute(sql)
                    conn.execute("UPDATE edi_schema_version SET version = %s", (number,))
        except errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"the store's schema needs migrating and this role may not ({_first_line(exc)}): run "
                "`edi store migrate` as the schema's owner"
            ) from exc


def _version(conn: psycopg.Connection) -> int:
    """The schema version of the store on `conn` (0: an empty schema)."""
    if conn.execute("SELECT to_regclass('edi_schema_version')").fetchone()[0] is None:
        return 0
    row = conn.execute("SELECT version FROM edi_schema_version").fetchone()
    return row[0] if row else 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return re.sub(r"\s+", " ", text[0]) if text else type(exc).__name__
