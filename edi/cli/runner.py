"""`edi batch` and `edi watch`: the runner on a drop, or as a service on an inbox."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from edi.config import Settings
from edi.exits import EXIT_OK
from edi.runner import DropError, run_batch
from edi.runner import watch as run_watch

from .common import fail, load_settings, runner_options


def _runner_settings(
    config_path: Path | None,
    state_dir: Path | None,
    store_url: str | None,
    ack_dir: Path | None,
    gate_workers: int | None,
    no_gate: bool,
) -> Settings:
    """Settings of `edi batch` / `edi watch`: the TOML file, then the flags."""
    return load_settings(
        config_path,
        state_dir=state_dir,
        store_url=store_url,
        ack_dir=ack_dir,
        gate__workers=gate_workers,
        gate__enabled=False if no_gate else None,
    )


@click.command()
@click.argument("drop", type=click.Path(path_type=Path))
@runner_options
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the run report (JSON) here."
)
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def batch(
    drop: Path,
    out: Path,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
    report_path: Path | None,
    quiet: bool,
    ack_dir: Path | None,
    gate_workers: int | None,
    no_gate: bool,
) -> None:
    """Process a clearinghouse DROP (a folder, or a .zip) of mixed 837 and 835 files on the claim store.

    Original claims (837) are stored first, then remittances (835) are decided; an 835 claim whose original
    has not arrived waits (pending-original) and converts when its 837 comes in a later drop. Converted claims
    go out as one interchange per destination (receiver and secondary payer). Inputs move to processed/ or
    rejected/ (with NAME.report.json); a file seen before (same SHA-256) is a duplicate and is not read again.
    Every output is validated before it is published (the outbound gate: pyx12 against its implementation
    guide, COB balancing on every claim); one that fails goes to OUTDIR/rejected/ (or [gate] rejected_dir) with
    NAME.report.json, and its claims become needs-review.
    A file that cannot be processed, for any reason, is rejected with its report and the run goes on;
    symbolic links and special files in DROP are skipped (logged). Exits 0 when clean, 1 when a file was
    rejected, an output failed the gate or a claim needs review, 2 when DROP cannot be read or --out,
    --report, --ack or --state lies inside DROP.
    """
    settings = _runner_settings(config_path, state_dir, store_url, ack_dir, gate_workers, no_gate)
    try:
        report = run_batch(drop, out, settings, quiet=quiet, report_path=report_path)
    except DropError as exc:
        fail(str(exc))
    if not quiet:
        click.echo(report.summary(), err=True)
    sys.exit(report.exit_code)


@click.command()
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@runner_options
@click.option(
    "--stable-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="A file is taken once unchanged (size and mtime) for this long; files renamed into place "
    "with an older mtime are taken at once. Names starting with '.' or ending .part/.tmp are "
    "never taken.",
)
@click.option(
    "--poll-interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between looks at the folder when no event arrives.",
)
@click.option("--force-polling", is_flag=True, help="Poll instead of inotify (network file systems).")
@click.option(
    "--create-inbox", is_flag=True, help="Create INBOX when it does not exist (else a missing INBOX exits 2)."
)
def watch(
    inbox: Path,
    out: Path,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
    stable_seconds: float,
    poll_interval: float,
    force_polling: bool,
    ack_dir: Path | None,
    gate_workers: int | None,
    no_gate: bool,
    create_inbox: bool,
) -> None:
    """Watch INBOX and process each complete file as a one-file batch, until SIGTERM or SIGINT.

    Files move to INBOX/processed/ or INBOX/rejected/ (with NAME.report.json). After a crash, a restart
    publishes what was committed, loses no input, bills no claim twice and reuses no control number.
    Every output passes the outbound gate (pyx12 + COB balancing) before it is published, as in edi batch.
    A file that cannot be processed, for any reason, goes to INBOX/rejected/ with its report and the
    service keeps watching. Exits 0 on SIGTERM/SIGINT once the current file is done; 2 when INBOX is missing
    (see --create-inbox) or --out, --ack or --state lies inside it.
    """
    settings = _runner_settings(config_path, state_dir, store_url, ack_dir, gate_workers, no_gate)
    try:
        run_watch(
            inbox,
            out,
            settings,
            stable_seconds=stable_seconds,
            poll_interval=poll_interval,
            force_polling=force_polling,
            create_inbox=create_inbox,
        )
    except DropError as exc:
        fail(str(exc))
    sys.exit(EXIT_OK)
