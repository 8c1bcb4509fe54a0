"""Several workers on one store, on both engines: leases of inbound files held while their worker lives and taken
over after it died, outputs published by one worker only, and two `edi batch` processes on one drop (the
claim whose 837 and 835 two workers take at once converts exactly once)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from edi.runner.intake import InputFile
from edi.runner.workers import Worker, lease_key
from edi.store import is_store_url, open_store
from tests.support import ROOT, check_outputs, expected_converted, write_drops


def named(name: str) -> InputFile:
    return InputFile(name, lambda: b"", lambda: b"")


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_file_is_held_by_one_live_worker_and_taken_over_after_its_lease(store_location):
    store = open_store(store_location)
    store.register_worker("elsewhere:1:a", "elsewhere", 1, "watch", 0.5)  # a worker on another machine
    assert store.take_lease("in/a.835", "elsewhere:1:a")
    worker = Worker(store, "batch", lease_seconds=30)
    try:
        assert not worker.take(named("in/a.835"))  # held by a live worker
        assert worker.take(named("in/b.835")) and worker.take(named("in/b.835"))  # free; ours stays ours
        time.sleep(0.7)  # the other machine went silent past its lease
        assert worker.take(named("in/a.835"))
        assert not store.take_lease("in/a.835", "elsewhere:1:a")  # it cannot take it back while we live
        status = store.status()
        assert {w["id"]: w["alive"] for w in status["workers"]} == {"elsewhere:1:a": False, worker.id: True}
        assert sorted(lease["file"] for lease in status["leases"]) == ["in/a.835", "in/b.835"]
    finally:
        worker.close()
    assert store.status()["leases"] == []  # a worker that stops lets its files go
    store.close()


def test_a_dead_worker_of_this_machine_is_found_at_once(store_location):
    store = open_store(store_location)
    host = socket.gethostname()
    store.register_worker(f"{host}:x:dead", host, dead_pid(), "watch", 3600)
    assert store.take_lease("in/c.837", f"{host}:x:dead")
    store.add_outbox("X-1.837", "/out", "ISA", 1, "d", "run", f"{host}:x:dead")
    worker = Worker(store, "watch", lease_seconds=3600)
    try:
        assert worker.take(named("in/c.837"))  # its process is gone: no need to wait an hour
        assert [r.name for r in store.take_outbox(worker.id)] == ["X-1.837"]
    finally:
        worker.close()
    store.close()


def test_outputs_are_published_by_their_worker_while_it_lives(store_location):
    store = open_store(store_location)
    store.register_worker("a:1:x", "a", 1, "batch", 30)
    store.register_worker("b:1:x", "b", 1, "batch", 30)
    store.add_outbox("A-1.837", "/out", "ISA", 1, "d", "run", "a:1:x")
    store.add_outbox("B-2.837", "/out", "ISA", 1, "d", "run", "b:1:x")
    store.add_outbox("OLD-3.837", "/out", "ISA", 1, "d", "run")  # written before workers were recorded
    assert [r.name for r in store.take_outbox("a:1:x")] == ["A-1.837", "OLD-3.837"]
    assert [r.name for r in store.take_outbox("b:1:x")] == ["B-2.837"]
    store.stop_worker("b:1:x")
    assert [r.name for r in store.take_outbox("a:1:x")] == ["A-1.837", "B-2.837", "OLD-3.837"]
    store.close()


def test_lease_keys_name_zip_members_by_their_archive():
    assert lease_key(named("a.835")) == "a.835"
    member = InputFile("x/a.835", lambda: b"", lambda: b"", archive="drop.zip")
    assert lease_key(member) == "drop.zip:x/a.835"


def test_two_batch_workers_on_one_drop_bill_every_claim_once(tmp_path: Path, store_location):
    """Two processes on one drop whose 837s and 835s are interleaved: each file is taken once, each claim is
    written once (wherever its 837 and 835 were taken in), no control number twice."""
    drop = tmp_path / "drop"
    write_drops(drop, drop, range(60, 66), 15)
    sources = sorted(drop.iterdir())
    reference = tmp_path / "sources"
    reference.mkdir()
    for path in sources:
        (reference / path.name).write_bytes(path.read_bytes())
    where = ["--store" if is_store_url(store_location) else "--state", store_location]
    args = ["--out", str(tmp_path / "out"), *where, "--quiet", "--gate-workers", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "edi.cli", "batch", str(drop), *args]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(2)]
    assert all(w.wait(timeout=600) in (0, 1) for w in workers)  # 1: some claims need review (as in one run)
    assert sorted(p.name for p in (drop / "processed").iterdir()) == [p.name for p in sources]
    store = open_store(store_location)
    taken = store.query("SELECT name FROM inbound_files WHERE outcome = 'processed' ORDER BY name")
    status = store.status()
    store.close()
    assert [name for (name,) in taken] == [p.name for p in sources]  # each input once
    assert status["leases"] == [] and not any(w["alive"] for w in status["workers"])
    assert "pending-original" not in status["claims"] and "ready" not in status["claims"]
    written = check_outputs(tmp_path / "out")
    assert sorted(written) == sorted(expected_converted(tmp_path, sorted(reference.iterdir())))
