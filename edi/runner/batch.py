"""`edi batch`: a clearinghouse drop (a folder or a .zip of mixed 837 and 835 files) on the claim store, as
one run of the protocol (`edi.runner.protocol`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edi.config import Settings
from edi.files import write_atomic
from edi.store import open_store

from .intake import open_drop
from .protocol import Runner
from .report import RunReport


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
    inputs, archive = open_drop(drop)
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
        write_atomic(report_path, json.dumps(report.as_dict(), indent=2) + "\n")
    return report
