"""`edi statements` and `edi appeal packet`: documents people read, written owner-only (edi.documents)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from edi.documents.build import appeal_packet, patient_statements
from edi.office.items import OfficeError

from .common import CONFIG, STATE, STORE, fail, load_settings

TODAY = click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="The statement's date (default: today).")
OUT = click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Write here.")


@click.command()
@OUT
@TODAY
@STATE
@STORE
@CONFIG
def statements(
    out: Path, today: datetime | None, state_dir: Path | None, store_url: str | None, config_path: Path | None
) -> None:
    """A patient statement (HTML, owner-only: it holds PHI) in OUT for every claim whose balance is due from
    the patient.

    Exits 0, 2 when the state directory holds no store."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    for path in patient_statements(settings, out, (today or datetime.now()).date()):
        click.echo(str(path))


@click.group()
def appeal() -> None:
    """Appeals of denied worklist items."""


@appeal.command("packet")
@click.argument("item", type=int)
@OUT
@TODAY
@STATE
@STORE
@CONFIG
def packet(
    item: int,
    out: Path,
    today: datetime | None,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
) -> None:
    """The appeal packet of worklist ITEM in OUT: the letter draft, the primary's and the denying payer's
    remittances as EOB pages, the claim summary (HTML) and appeal-packet.pdf; owner-only (they hold PHI).

    Exits 0, 2 when the item is not a denial that can be appealed, does not exist, or there is no store."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    try:
        written = appeal_packet(settings, item, out, (today or datetime.now()).date())
    except OfficeError as exc:
        fail(str(exc))
    for path in written:
        click.echo(str(path))
