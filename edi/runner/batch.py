"""`edi batch`: a clearinghouse drop (a folder or a .zip of mixed 837 and 835 files) on the claim store, as
one run of the protocol (`edi.runner.protocol`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from edi.config import Settings
from edi.files import write_atomic
from edi.store import open_store

from .intake import DropError, inside, open_drop
from .protocol import Runner
from .report import RunReport


def refuse_outputs_in(source: Path, settings: Settings, **places: str | Path | None) -> None:
    """DropError (exit 2) when an output (`places`: --out, --report ...), the acknowledgment or rejected folder
    or the state directory lies inside the drop or inbox `source`, or is the drop itself: the run would take
    its own output as input, move its own store, or overwrite what it reads."""
    named = {name: value for name, value in places.items() if value is not None}
    if not settings.store_url:  # a PostgreSQL store lives elsewhere
        named["state"] = settings.state_dir
    if settings.ack_dir:
        named["ack"] = settings.ack_dir
    if settings.gate.rejected_dir:
        named["rejected_dir"] = settings.gate.rejected_dir
    for name, value in named.items():
        if inside(Path(value), source):
            raise DropError(f"--{name} {value} lies inside {source}, which is read as input: choose a place outside it")


def run_batch(
    drop: str | Path,
    out: str | Path,
    settings: Settings | None = None,
    quiet: bool = False,
    report_path: str | Path | None = None,
    progress_stream=None,
) -> RunReport:
    """The whole drop in one run. Raises edi.runner.intake.DropError when the drop cannot be read."""
    settings = settings or Settings()
    drop = Path(drop)
    refuse_outputs_in(drop, settings, out=out, report=report_path)
    inputs, archive = open_drop(drop, settings.limits)
    store = open_store(settings.store)
    runner = None
    try:
        runner = Runner(store, Path(out), settings)
        stream = progress_stream or sys.stderr
        if not quiet and stream.isatty() and inputs:
            with click.progressbar(length=len(inputs), label="edi batch", file=stream) as bar:
                report = runner.run(inputs, bar.update, wait=True)
        else:
            report = runner.run(inputs, wait=True)
    finally:
        if runner is not None:
            runner.close()
        store.close()
        if archive is not None:
            archive.close()
    report.drop, report.out = str(drop), str(Path(out))
    if report_path is not None:
        write_atomic(report_path, report.json_text())
    return report
