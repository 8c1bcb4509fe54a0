"""Three `edi watch` workers on one inbox and one PostgreSQL store, killed with SIGKILL at random moments and
restarted while 200 files (837s and 835s, a claim's two halves often at different workers) are dropped. Then:
every input processed once, every claim in exactly one published output (the claims one clean batch of the
same files converts), no control number (ISA13, GS06, ST02) used twice. `make test-pg` runs it (CI too).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from edi.store import open_store
from tests.support import DEADLINE, ROOT, check_outputs, drop, expected_converted, pair, pending_inputs, settled

WORKERS = 3
PAIRS = 100  # 200 files
LEASE_SECONDS = 2.0


def start(tmp_path: Path, location: str, slot: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDI_TEST_CRASH_AT", None)
    command = [
        sys.executable,
        "-m",
        "edi.cli",
        "--log-level",
        "INFO",
        "watch",
        str(tmp_path / "inbox"),
        "--out",
        str(tmp_path / "out"),
        "--store",
        location,
        "--config",
        str(tmp_path / "edi.toml"),
        "--stable-seconds",
        "0.2",
        "--poll-interval",
        "0.2",
        "--gate-workers",
        "0",
    ]
    log = open(tmp_path / f"worker-{slot}.log", "ab")
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=log)


def quiet(location: str) -> bool:
    """Nothing left to do on the store: no claim ready, no output unpublished, no pending claim whose
    original is in (the sweeps of live workers get there)."""
    store = open_store(location)
    try:
        status = store.status()
        waiting = store.query(
            "SELECT COUNT(*) FROM remittance_claims a WHERE state = 'pending-original' AND EXISTS "
            "(SELECT 1 FROM original_claims o WHERE o.claim_id = a.claim_id)"
        )[0][0]
    finally:
        store.close()
    unpublished = sum(v["files"] for k, v in status["outbox"].items() if k != "published")
    return "ready" not in status["claims"] and not unpublished and not waiting


def started(tmp_path: Path, workers: list[subprocess.Popen]) -> bool:
    """Every worker is watching (its SIGTERM handler in place), not still starting up."""
    return all(f'"pid": {w.pid}' in (tmp_path / f"worker-{slot}.log").read_text() for slot, w in enumerate(workers))


def wait_until(condition, workers: list[subprocess.Popen]) -> None:
    limit = time.monotonic() + DEADLINE
    while not condition():
        dead = [w.returncode for w in workers if w.poll() is not None]
        assert not dead, f"a worker exited by itself: {dead}"
        assert time.monotonic() < limit, "not done before the deadline"
        time.sleep(0.2)


def kill_and_restart(tmp_path: Path, location: str, workers: list, items: list, rng: random.Random) -> int:
    """Drop the files in bursts; after each, SIGKILL a random worker and start it again. How many kills."""
    inbox = tmp_path / "inbox"
    kills = 0
    while items:
        for _ in range(rng.randint(2, 12)):
            if items:
                drop(inbox, *items.pop())
        time.sleep(rng.uniform(0.3, 2.5))
        slot = rng.randrange(WORKERS)
        workers[slot].send_signal(signal.SIGKILL)  # wherever it is: reading, committing, validating, moving
        workers[slot].wait(timeout=DEADLINE)
        kills += 1
        if rng.random() < 0.3:
            time.sleep(LEASE_SECONDS * 1.5)  # sometimes the others take over its lease before it is back
        workers[slot] = start(tmp_path, location, slot)
    return kills


@pytest.mark.pg
@pytest.mark.slow
def test_three_workers_killed_at_random_process_every_file_once(tmp_path, pg_location):
    rng = random.Random(16)
    (tmp_path / "edi.toml").write_text(f"[workers]\nlease_seconds = {LEASE_SECONDS}\n")
    files: dict[str, bytes] = {}
    for seed in range(300, 300 + PAIRS):
        b837, b835 = pair(seed, rng.choice((3, 6, 9)))
        files[f"f{seed:04d}-835.x12"] = b835
        files[f"f{seed:04d}-837.x12"] = b837
    items = list(files.items())
    rng.shuffle(items)  # an 835 often arrives before its 837, and the two go to different workers
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    open_store(pg_location).close()  # migrated once, before three workers race for it
    workers = [start(tmp_path, pg_location, slot) for slot in range(WORKERS)]
    try:
        kills = kill_and_restart(tmp_path, pg_location, workers, items, rng)
        wait_until(lambda: settled(inbox, len(files)) and quiet(pg_location) and started(tmp_path, workers), workers)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=DEADLINE) for w in workers] == [0] * WORKERS
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert kills >= 15

    # every input processed once: in processed/, unchanged, and taken in once by the store
    assert not pending_inputs(inbox)
    assert {p.name: p.read_bytes() for p in (inbox / "processed").iterdir()} == files
    store = open_store(pg_location)
    outcomes = Counter(row[0] for row in store.query("SELECT outcome FROM inbound_files"))
    per_content = Counter(row[0] for row in store.query("SELECT sha256 FROM inbound_files"))
    status = store.status()
    store.close()
    assert outcomes == {"processed": len(files)} and set(per_content.values()) == {1}
    assert status["leases"] == [] and not any(w["alive"] for w in status["workers"])
    # every start registered but those killed while Python was still importing: most did work before the kill
    assert WORKERS + kills / 2 < len(status["workers"]) <= WORKERS + kills

    # every claim in exactly one published output, no control number twice
    written = check_outputs(tmp_path / "out")
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, data in files.items():
        (sources / name).write_bytes(data)
    assert sorted(written) == sorted(expected_converted(tmp_path, sorted(sources.iterdir())))
    logs = "".join((tmp_path / f"worker-{slot}.log").read_text() for slot in range(WORKERS))
    assert '"worker": "' in logs and "SMITH" not in logs  # events carry the worker id, never a name
