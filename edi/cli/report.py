"""`edi report write-offs`, `edi report denials`: the billing office's reports (edi.reports)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from edi.documents.page import write_document
from edi.reports import DIMENSIONS
from edi.reports.run import FORMATS, denials, write_offs

from .common import CONFIG, STATE, STORE, load_settings

DAY = click.DateTime(["%Y-%m-%d"])
FROM = click.option("--from", "start", type=DAY, help="First day (posting date) included. Default: the first.")
TO = click.option("--to", "end", type=DAY, help="Last day included. Default: the last.")
FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout).")


def emit(text: str, out: Path | None) -> None:
    """The report on stdout, or written owner-only at `out` (whose path is printed)."""
    if out is None:
        sys.stdout.write(text)
    else:
        write_document(out, text)
        click.echo(str(out))


def day(value: datetime | None):
    return value.date() if value else None


@click.group()
def report() -> None:
    """The billing office's reports on the claim store."""


@report.command("write-offs")
@FROM
@TO
@click.option("--by", type=click.Choice(DIMENSIONS), default="category", show_default=True)
@FORMAT
@OUT
@STATE
@STORE
@CONFIG
def write_offs_command(start, end, by, fmt, out, state_dir, store_url, config_path) -> None:
    """Contractual, administrative, bad-debt and charity write-offs from the ledger, by payer, reason (CARC and
    its description), category, month or billing provider; the totals equal the ledger's.

    Exits 0, 2 when the state directory holds no store or an option is wrong."""
    if start and end and start > end:
        raise click.UsageError("--from is after --to")
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    emit(write_offs(settings, day(start), day(end), by, fmt), out)


@report.command("denials")
@FROM
@TO
@FORMAT
@OUT
@STATE
@STORE
@CONFIG
def denials_command(start, end, fmt, out, state_dir, store_url, config_path) -> None:
    """Denial rate and amount by payer and by reason, open against resolved, won/lost/written off, and the
    average days from denial to resolution.

    Exits 0, 2 when the state directory holds no store or an option is wrong."""
    if start and end and start > end:
        raise click.UsageError("--from is after --to")
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    emit(denials(settings, day(start), day(end), fmt), out)
