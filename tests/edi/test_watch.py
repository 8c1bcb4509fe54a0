"""`edi watch` as a real subprocess: files dropped, kill -9 at named points of the protocol, restarts.

After every scenario: each converted claim appears exactly once across the outputs, none is lost (the set
equals what one clean batch of the same files converts), no control number is reused, every input sits in
processed/ or rejected/. Waits poll the file system with a generous deadline; nothing asserts on timing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import (
    DEADLINE,
    EXAMPLES,
    ROOT,
    check_outputs,
    drop,
    expected_converted,
    pair,
    pending_inputs,
    settled,
    wait_for,
    watching,
)


def start(tmp_path: Path, crash_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDI_TEST_CRASH_AT", None)
    if crash_at:
        env["EDI_TEST_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edi.cli",
            "--log-level",
            "INFO",
            "watch",
            str(tmp_path / "inbox"),
            "--create-inbox",
            "--out",
            str(tmp_path / "out"),
            "--state",
            str(tmp_path / "state"),
            "--stable-seconds",
            "0.3",
            "--poll-interval",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stderr=open(tmp_path / "watch.log", "ab"),
    )


def make_files(tmp_path: Path, seeds, claims: int = 15) -> dict[str, bytes]:
    files = {}
    for seed in seeds:
        b837, b835 = pair(seed, claims)
        files[f"f{seed:04d}-835.x12"] = b835  # remittances and claims interleaved, some 835s before their 837
        files[f"f{seed:04d}-837.x12"] = b837
    return files


def assert_exactly_once(tmp_path: Path, files: dict[str, bytes]) -> None:
    inbox = tmp_path / "inbox"
    assert not pending_inputs(inbox)
    kept = {p.name: p.read_bytes() for p in (inbox / "processed").iterdir()}
    assert kept == files, "an input was lost or changed"
    sources = tmp_path / "sources"
    sources.mkdir(exist_ok=True)
    for name, data in files.items():
        (sources / name).write_bytes(data)
    written = check_outputs(tmp_path / "out")
    assert set(written) == expected_converted(tmp_path, sorted(sources.iterdir()))


def run_with_crash(tmp_path: Path, files: dict[str, bytes], crash_at: str) -> None:
    inbox = tmp_path / "inbox"
    process = start(tmp_path, crash_at)
    items = list(files.items())
    for name, data in items[:2]:
        drop(inbox, name, data)
    wait_for(lambda: process.poll() is not None or settled(inbox, 2))
    try:  # the inputs may look settled a moment before the process reaches a point just after the move
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"the crash point {crash_at} was not reached") from None
    assert process.returncode == 137
    for name, data in items[2:]:
        drop(inbox, name, data)
    process = start(tmp_path)
    wait_for(lambda: settled(inbox, len(files)) and watching(tmp_path, process), process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=DEADLINE) == 0
    assert_exactly_once(tmp_path, files)


def test_watch_takes_complete_files_and_stops_on_sigterm(tmp_path):
    inbox = tmp_path / "inbox"
    files = make_files(tmp_path, [101, 102])
    inbox.mkdir()
    (inbox / ".hidden.837").write_bytes(b"ignored")
    (inbox / "upload.part").write_bytes(b"ignored")
    process = start(tmp_path)
    # a poison file first (issue 13: it made the watcher exit, and crash-loop on restart): rejected, and the
    # watcher keeps running past it
    poison = (EXAMPLES / "A_primary.835").read_bytes().replace(b"*1*250*108*", b"*1*1E+1000000*108*")
    drop(inbox, "poison.835", poison)
    wait_for(lambda: (inbox / "rejected" / "poison.835.report.json").exists(), process)
    for name, data in files.items():
        drop(inbox, name, data)
    drop(inbox, "garbage.x12", b"ISA*this is not right")
    wait_for(lambda: len(pending_inputs(inbox)) == 2, process)  # only the two ignored names remain
    wait_for(lambda: (inbox / "rejected" / "garbage.x12.report.json").exists(), process)
    (inbox / "rejected" / "poison.835").unlink()
    (inbox / "rejected" / "poison.835.report.json").unlink()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=DEADLINE) == 0
    assert sorted(pending_inputs(inbox)) == [".hidden.837", "upload.part"]
    for name in (".hidden.837", "upload.part"):
        (inbox / name).unlink()
    (inbox / "rejected" / "garbage.x12").unlink()
    (inbox / "rejected" / "garbage.x12.report.json").unlink()
    assert_exactly_once(tmp_path, files)
    log = (tmp_path / "watch.log").read_text()
    assert '"event": "watch.file"' in log and '"event": "watch.stop"' in log
    assert "SMITH" not in log and "PRI0000" not in log  # no names, no member ids


def test_watch_waits_for_a_file_being_written(tmp_path):
    """A file written in place (no rename) is taken only once its size and mtime stop moving."""
    inbox = tmp_path / "inbox"
    files = make_files(tmp_path, [103])
    name, data = next(iter(files.items()))
    inbox.mkdir()
    process = start(tmp_path)
    with open(inbox / name, "wb") as handle:
        for start_at in range(0, len(data), 2000):
            handle.write(data[start_at : start_at + 2000])
            handle.flush()
            time.sleep(0.02)
    rest = dict(list(files.items())[1:])
    for other, content in rest.items():
        drop(inbox, other, content)
    wait_for(lambda: settled(inbox, 2), process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=DEADLINE) == 0
    assert not list((inbox / "rejected").iterdir())
    assert_exactly_once(tmp_path, files)


@pytest.mark.parametrize(
    "crash_at",
    [
        "after-file-commit:2",  # the 837 is committed (its pending 835 claims not yet decided)
        "after-commit-before-publish:2",  # the outbox row is committed, the file not written
        "after-publish-before-mark:1",  # the output is in place, the outbox row not marked published
        "after-publish-before-move:2",  # outputs published, the input not moved
        "after-move-before-settle:2",  # the input moved, its row not marked settled
    ],
)
def test_kill_at_a_protocol_point_then_restart_is_exactly_once(tmp_path, crash_at):
    """The first two files dropped are an 835 and its 837 (taken in that order): the second one converts."""
    files = make_files(tmp_path, [110, 111])
    run_with_crash(tmp_path, files, crash_at)


@pytest.mark.slow
@pytest.mark.parametrize(
    "crash_at",
    [
        "after-file-commit:1",
        "after-commit-before-publish:1",
        "after-publish-before-move:1",
        "after-move-before-settle:1",
    ],
)
def test_crash_points_at_every_count(tmp_path, crash_at):
    files = make_files(tmp_path, [120, 121, 122], claims=10)
    run_with_crash(tmp_path, files, crash_at)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_kill_9_at_random_moments_until_everything_is_in(tmp_path, seed):
    """SIGKILL after a random delay, again and again, while files keep arriving; then one clean run."""
    rng = random.Random(seed)
    files = make_files(tmp_path, range(200 + 10 * seed, 206 + 10 * seed), claims=rng.choice((10, 30)))
    inbox = tmp_path / "inbox"
    items = list(files.items())
    rng.shuffle(items)
    kills = 0
    while items or kills < 3:
        process = start(tmp_path)
        for _ in range(rng.randint(1, 3)):
            if items:
                drop(inbox, *items.pop())
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE)
        kills += 1
        if kills > 40:
            break
    process = start(tmp_path)
    wait_for(lambda: settled(inbox, len(files)) and watching(tmp_path, process), process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=DEADLINE) == 0
    assert_exactly_once(tmp_path, files)
