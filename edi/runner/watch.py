"""`edi watch`: a long-running service on an inbound folder; each complete file is a one-file batch.

Watching uses watchfiles (Rust `notify`: inotify/FSEvents/kqueue, with a polling fallback for network file
systems): events only wake the loop up; a directory scan decides. A file is taken once it is complete: its
name does not start with '.' nor end with .part/.tmp (writers that rename into place are taken at once when
their mtime is already older than --stable-seconds), and its size and mtime have not moved for
--stable-seconds. SIGTERM/SIGINT set a flag: the file in hand is finished (committed, published, moved),
then the service exits 0.

Any number of watchers may share one inbox and one store (`edi.runner.workers`): a file another live worker
holds is passed over. When no file came for a while (a fifth of the lease), the watcher sweeps: claims whose
original another worker took in, and outputs a dead worker left, are emitted and published.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from watchfiles import watch as watch_folder

from edi.config import Settings
from edi.log import get_logger
from edi.store import open_store

from .batch import refuse_outputs_in
from .intake import PROCESSED, REJECTED, DropError, file_input, ignored_name, skipped, special_file
from .protocol import Runner

log = get_logger("edi.watch")


class Watcher:
    """Watches an inbox folder and runs each complete file through the protocol."""

    def __init__(
        self,
        inbox: Path,
        out: Path,
        settings: Settings,
        stable_seconds: float = 2.0,
        poll_interval: float = 1.0,
        force_polling: bool = False,
    ):
        self.inbox = Path(inbox)
        self.out = Path(out)
        self.settings = settings
        self.stable_seconds = stable_seconds
        self.poll_interval = poll_interval
        self.force_polling = force_polling
        self.stop = threading.Event()
        self._seen: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) at the previous look
        self._skipped: set[str] = set()  # links and special files already logged as skipped
        self._failed: dict[str, tuple[int, int]] = {}  # name -> signature of a file whose run failed
        self.files = 0
        self._swept = time.monotonic()

    def complete_files(self) -> list[Path]:
        """The files of the inbox that are complete now, oldest first."""
        now = time.time()
        ready: list[tuple[float, str, Path]] = []
        seen: dict[str, tuple[int, int]] = {}
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                if ignored_name(entry.name):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # moved away between listing and stat
                    continue
                why = special_file(st.st_mode)
                if why:
                    if not why.startswith("a folder") and entry.name not in self._skipped:
                        self._skipped.add(entry.name)
                        skipped(entry.name, why)
                    continue
                signature = (st.st_size, st.st_mtime_ns)
                if self._failed.get(entry.name) == signature:
                    continue  # its run failed and logged why; taken again once it changes
                previous = self._seen.get(entry.name)
                seen[entry.name] = signature
                quiet_for = now - st.st_mtime
                if quiet_for >= self.stable_seconds and (previous is None or previous == signature):
                    ready.append((st.st_mtime, entry.name, Path(entry.path)))
        self._seen = seen
        return [path for _, _, path in sorted(ready)]

    def run(self, create_inbox: bool = False) -> int:
        """Watch until `stop` is set. DropError when the inbox is missing (unless `create_inbox`) or an output
        lies inside it."""
        if not self.inbox.is_dir():
            if self.inbox.exists() or not create_inbox:
                what = "is not a folder" if self.inbox.exists() else "does not exist (--create-inbox creates it)"
                raise DropError(f"{self.inbox}: the inbox {what}")
            self.inbox.mkdir(parents=True)
        refuse_outputs_in(self.inbox, self.settings, out=self.out)
        for sub in (PROCESSED, REJECTED):
            (self.inbox / sub).mkdir(exist_ok=True)
        store = open_store(self.settings.store)
        runner = Runner(store, self.out, self.settings, command="watch")
        started = time.perf_counter()
        log.info(
            "watch.start",
            inbox=str(self.inbox),
            out=str(self.out),
            stable_seconds=self.stable_seconds,
            poll_interval=self.poll_interval,
            pid=os.getpid(),
        )
        try:
            republished = runner.publish()  # a previous run's committed outputs first
            if republished:
                log.info("watch.recovered", outputs=republished)
            self._take(runner)
            timeout_ms = max(50, int(self.poll_interval * 1000))
            for _changes in watch_folder(
                self.inbox,
                stop_event=self.stop,
                rust_timeout=timeout_ms,
                yield_on_timeout=True,
                debounce=200,
                step=50,
                recursive=False,
                force_polling=self.force_polling or None,
                raise_interrupt=False,
            ):
                if self.stop.is_set():
                    break
                self._take(runner)
                if self.stop.is_set():
                    break
        finally:
            runner.close()
            store.close()
            log.info("watch.stop", files=self.files, seconds=round(time.perf_counter() - started, 3))
        return 0

    def _take(self, runner: Runner) -> None:
        took = False
        for path in self.complete_files():
            if self.stop.is_set():
                return
            if not path.exists():
                continue
            try:
                report = runner.run([file_input(path, self.inbox, self.settings.limits)])
            except Exception as exc:  # a fault of ours outside one file's processing: log it, keep watching
                log.error("watch.error", file=path.name, error=f"{type(exc).__name__}")
                try:
                    st = path.stat()
                    self._failed[path.name] = (st.st_size, st.st_mtime_ns)
                except FileNotFoundError:
                    pass
                continue
            if not report.files:
                continue  # another worker holds it
            took = True
            self.files += 1
            log.info(
                "watch.file",
                file=path.name,
                outcome=dict(report.by_outcome),
                dispositions=dict(report.dispositions),
                outputs=[o["name"] for o in report.outputs],
                seconds=round(report.seconds, 3),
            )
        if not took and time.monotonic() - self._swept >= self.settings.workers.lease_seconds / 5:
            self._sweep(runner)

    def _sweep(self, runner: Runner) -> None:
        """A run without inputs: pending claims decided again, ready ones emitted, dead workers' outputs
        published (work another worker's files brought, or a dead worker left)."""
        self._swept = time.monotonic()
        report = runner.run([])
        if report.outputs or report.republished or sum(report.resolved_pending.values()):
            log.info(
                "watch.sweep",
                resolved_pending=dict(report.resolved_pending),
                outputs=[o["name"] for o in report.outputs],
                republished=report.republished,
            )


def watch(
    inbox: str | Path,
    out: str | Path,
    settings: Settings | None = None,
    stable_seconds: float = 2.0,
    poll_interval: float = 1.0,
    force_polling: bool = False,
    create_inbox: bool = False,
) -> int:
    """Run the service until SIGTERM or SIGINT; returns 0. DropError when the inbox is missing (and not
    `create_inbox`) or an output lies inside it."""
    watcher = Watcher(Path(inbox), Path(out), settings or Settings(), stable_seconds, poll_interval, force_polling)

    def stop(signum, _frame) -> None:
        log.info("watch.signal", signal=signal.Signals(signum).name)
        watcher.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return watcher.run(create_inbox)
