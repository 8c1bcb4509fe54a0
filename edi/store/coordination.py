"""The queries of several workers on one store (migration 5), in SQL both engines run: who is working (a
row per worker, its heartbeat on the database's clock), which inbound file each holds (a lease row per file,
valid while its worker is alive), which outputs each publishes, and what `edi status` shows.

A worker is alive while it is not stopped and its ``expires_at`` (pushed on by every heartbeat) is ahead of
the database's clock. Everything a dead worker held is taken over by the next worker that asks, in one
statement that a concurrent worker cannot also win: an upsert (leases) or an update (outputs) whose condition
is checked again on the row it locks.
"""

from __future__ import annotations

from .interface import OutboxRecord

ALIVE = "w.stopped_at IS NULL AND w.expires_at >= {now}"  # of a row ``w`` of workers


class CoordinationQueries:
    """Mixed into `edi.store.sql.SQLStore` (which supplies `_run`, `transaction` and `dialect`)."""

    def _alive(self) -> str:
        return ALIVE.format(now=self.dialect.now)

    # -------------------------------------------------------------------------------- workers
    def register_worker(self, worker_id: str, host: str, pid: int, command: str, lease_seconds: float) -> None:
        """A worker starts: its row, alive for `lease_seconds`; rows of workers gone for a day are dropped."""
        now = self.dialect.now
        with self.transaction():
            self._run(f"DELETE FROM workers WHERE expires_at < {now} - 86400 OR stopped_at < {now} - 86400")
            self._run(
                "INSERT INTO workers (id, host, pid, command, started_at, seen_at, expires_at) "
                f"VALUES (?, ?, ?, ?, {now}, {now}, {now} + ?)",
                (worker_id, host, pid, command, lease_seconds),
            )

    def heartbeat(self, worker_id: str, lease_seconds: float) -> bool:
        """The worker is alive for `lease_seconds` more; False when it had already been taken for dead (what it
        held may have been taken over)."""
        now = self.dialect.now
        with self.transaction():
            row = self._run(
                f"SELECT stopped_at IS NULL AND expires_at >= {now} FROM workers WHERE id = ?", (worker_id,)
            ).fetchone()
            self._run(
                f"UPDATE workers SET seen_at = {now}, expires_at = {now} + ?, stopped_at = NULL WHERE id = ?",
                (lease_seconds, worker_id),
            )
            return bool(row and row[0])

    def stop_worker(self, worker_id: str) -> None:
        """A worker stops (or is found dead): it is not alive any more and holds no file."""
        with self.transaction():
            self._run(
                f"UPDATE workers SET stopped_at = {self.dialect.now} WHERE id = ? AND stopped_at IS NULL",
                (worker_id,),
            )
            self._run("DELETE FROM file_leases WHERE worker = ?", (worker_id,))

    def workers_on(self, host: str) -> list[tuple[str, int]]:
        """(id, pid) of the workers of `host` that are not stopped (their processes can be looked at)."""
        return self._run("SELECT id, pid FROM workers WHERE host = ? AND stopped_at IS NULL", (host,)).fetchall()

    # -------------------------------------------------------------------------------- inbound files
    def take_lease(self, name: str, worker_id: str) -> bool:
        """Take the lease of inbound file `name` for this worker: True when it is free, already this worker's,
        or held by a worker that is not alive; False when a live worker holds it."""
        now = self.dialect.now
        with self.transaction():
            row = self._run(
                f"INSERT INTO file_leases (name, worker, taken_at) VALUES (?, ?, {now}) "
                "ON CONFLICT (name) DO UPDATE SET worker = excluded.worker, taken_at = excluded.taken_at "
                "WHERE file_leases.worker = excluded.worker OR NOT EXISTS "
                f"(SELECT 1 FROM workers w WHERE w.id = file_leases.worker AND {self._alive()}) RETURNING worker",
                (name, worker_id),
            ).fetchone()
            return row is not None

    def release_lease(self, name: str, worker_id: str) -> None:
        with self.transaction():
            self._run("DELETE FROM file_leases WHERE name = ? AND worker = ?", (name, worker_id))

    # -------------------------------------------------------------------------------- outputs
    def take_outbox(self, worker_id: str) -> list[OutboxRecord]:
        """The unpublished outputs this worker is to gate and publish: its own, and those of workers that are
        not alive (taken over here, so that no two workers gate or publish the same one)."""
        with self.transaction():
            self._run(
                "UPDATE outbox SET worker = ? WHERE published_at IS NULL AND (worker IS NULL OR worker != ?) "
                f"AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = outbox.worker AND {self._alive()})",
                (worker_id, worker_id),
            )
            rows = self._run(
                "SELECT id, name, directory, gate, claims FROM outbox WHERE published_at IS NULL AND worker = ? "
                "ORDER BY id",
                (worker_id,),
            ).fetchall()
        return [OutboxRecord(*row) for row in rows]

    # -------------------------------------------------------------------------------- edi status
    def status(self) -> dict:
        """Workers (alive or lately gone), leases, inbound files by outcome, claims by state, the outbox."""
        now = self.dialect.now
        workers = self._run(
            f"SELECT w.id, w.host, w.pid, w.command, {now} - w.started_at, {now} - w.seen_at, {self._alive()}, "
            "(SELECT COUNT(*) FROM file_leases l WHERE l.worker = w.id) FROM workers w ORDER BY w.started_at"
        ).fetchall()
        leases = self._run(
            f"SELECT l.name, l.worker, {now} - l.taken_at, EXISTS (SELECT 1 FROM workers w WHERE w.id = l.worker "
            f"AND {self._alive()}) FROM file_leases l ORDER BY l.taken_at"
        ).fetchall()
        files = dict(self._run("SELECT outcome, COUNT(*) FROM inbound_files GROUP BY outcome").fetchall())
        unsettled = self._run(
            "SELECT COUNT(*) FROM inbound_files WHERE settled_at IS NULL AND outcome != 'duplicate'"
        ).fetchone()[0]
        outbox = self._run(
            "SELECT CASE WHEN published_at IS NOT NULL THEN 'published' WHEN gate IS NULL THEN 'to validate' "
            "ELSE 'to publish' END, COUNT(*), CAST(COALESCE(SUM(claims), 0) AS BIGINT) FROM outbox GROUP BY 1"
        ).fetchall()
        claims = dict(self._run("SELECT state, COUNT(*) FROM remittance_claims GROUP BY state").fetchall())
        return {
            "workers": [
                {
                    "id": w[0],
                    "host": w[1],
                    "pid": w[2],
                    "command": w[3],
                    "running_seconds": round(w[4], 1),
                    "last_seen_seconds": round(w[5], 1),
                    "alive": bool(w[6]),
                    "leases": w[7],
                }
                for w in workers
            ],
            "leases": [
                {"file": name, "worker": worker, "held_seconds": round(held, 1), "worker_alive": bool(alive)}
                for name, worker, held, alive in leases
            ],
            "files": {"by_outcome": files, "not_settled": unsettled},
            "claims": claims,
            "outbox": {state: {"files": n, "claims": c} for state, n, c in outbox},
        }
