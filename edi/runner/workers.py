"""This process as one worker of the store, beside any number of others (`edi batch`, `edi watch`, on one or
several machines) over one inbox and one store.

A worker registers (id ``host:pid:token``), then a heartbeat thread, on its own connection, keeps it alive
every ``lease_seconds / 5``. Before it reads an inbound file it takes the file's lease (`take`); another worker
passes the file over while the lease's holder is alive. A worker that dies (kill -9, a lost machine) stops
beating: ``lease_seconds`` later its leases and its unpublished outputs are taken over by the next worker that
asks; a dead worker on the same machine is found at once (its process is gone), by the restarted worker or by
a neighbour's heartbeat. Structured logs of this process carry the worker id (``worker``).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

import structlog

from edi.log import get_logger
from edi.store import ClaimStore, open_store
from edi.store.location import redacted

from .intake import InputFile

log = get_logger("edi.worker")


def lease_key(inp: InputFile) -> str:
    """The name two workers agree a file by: its name in the inbox (and the zip it is a member of)."""
    return f"{inp.archive}:{inp.name}" if inp.archive else inp.name


def process_alive(pid: int) -> bool:
    """Whether a process of this machine has this pid (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Worker:
    """One worker on one store: registration, heartbeat, leases of inbound files."""

    def __init__(self, store: ClaimStore, command: str, lease_seconds: float = 30.0):
        self.store = store
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:6]}"
        self.command = command
        self.lease_seconds = lease_seconds
        self.held: set[str] = set()
        self._stop = threading.Event()
        store.register_worker(self.id, self.host, self.pid, command, lease_seconds)
        structlog.contextvars.bind_contextvars(worker=self.id)
        self.bury_dead_neighbours(store)
        log.info("worker.start", command=command, store=redacted(store.location), lease_seconds=lease_seconds)
        self._thread = threading.Thread(target=self._beat, name="edi-heartbeat", daemon=True)
        self._thread.start()

    def take(self, inp: InputFile) -> bool:
        """Take the lease of an inbound file; False when a live worker holds it."""
        key = lease_key(inp)
        if key in self.held:
            return True
        if not self.store.take_lease(key, self.id):
            log.debug("worker.lease_held", file=inp.name)
            return False
        self.held.add(key)
        return True

    def release(self, inp: InputFile) -> None:
        key = lease_key(inp)
        if key in self.held:
            self.store.release_lease(key, self.id)
            self.held.discard(key)

    def bury_dead_neighbours(self, store: ClaimStore) -> list[str]:
        """Workers of this machine whose process is gone (or is this one, an earlier incarnation): stopped now,
        so that their files and outputs are taken over at once rather than after their lease."""
        dead = [
            worker_id
            for worker_id, pid in store.workers_on(self.host)
            if worker_id != self.id and (pid == self.pid or not process_alive(pid))
        ]
        for worker_id in dead:
            store.stop_worker(worker_id)
            log.warning("worker.dead", dead=worker_id)
        return dead

    def _beat(self) -> None:
        structlog.contextvars.bind_contextvars(worker=self.id)  # a thread starts with a context of its own
        interval = max(0.1, self.lease_seconds / 5)
        store = None
        while not self._stop.wait(interval) and not self.store.closed:  # a worker never closed ends with its store
            try:
                if store is None:
                    store = open_store(self.store.location)
                if not store.heartbeat(self.id, self.lease_seconds):
                    log.warning("worker.lapsed", reason="heartbeat late: what it held may have been taken over")
                self.bury_dead_neighbours(store)
            except Exception as exc:  # the store is unreachable: try again at the next beat
                log.error("worker.heartbeat_failed", error=f"{type(exc).__name__}: {exc}")
                if store is not None:
                    store.close()
                    store = None
        if store is not None:
            store.close()

    def close(self) -> None:
        """Stop the heartbeat, release every lease and say this worker stopped."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.store.stop_worker(self.id)
        self.held.clear()
        log.info("worker.stop")
        structlog.contextvars.unbind_contextvars("worker")
