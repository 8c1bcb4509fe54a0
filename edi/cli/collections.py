"""`edi collections run|payment|charity`: the collection effort on patient balances (edi.office.collections)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from edi.office.collections import record_charity, record_payment, run_collections
from edi.office.items import OfficeError

from .common import CONFIG, STATE, STORE, fail, load_settings
from .worklist import ON, money

DAY = click.DateTime(["%Y-%m-%d"])


@click.group()
def collections() -> None:
    """Patient balances: statements, bad debt after the collection effort ([collections] settings), payments."""


@collections.command("run")
@click.option("--today", type=DAY, help="The day the balances are aged on (default: today).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Also write each statement sent here.")
@STATE
@STORE
@CONFIG
@click.option("--json", "as_json", is_flag=True)
def run(today: datetime | None, out: Path | None, state_dir, store_url, config_path, as_json: bool) -> None:
    """Send the statements due, move what is unpaid after the effort to bad debt (Medicare: deductible and
    coinsurance, 120-day rule), reverse bad debt a payer's later payment covered.

    Exits 0, 2 when the state directory holds no store."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    done = run_collections(settings, (today or datetime.now()).date(), out)
    if as_json:
        click.echo(json.dumps(done, indent=2))
        return
    for entry in done:
        notes = "; ".join(entry.get("notes", []))
        click.echo(f"{entry['claim_id']}: {entry['step']} {entry['amount']}" + (f" ({notes})" if notes else ""))


@collections.command("payment")
@click.argument("claim_id")
@click.argument("amount")
@ON
@STATE
@STORE
@CONFIG
def payment(claim_id: str, amount: str, on: datetime | None, state_dir, store_url, config_path) -> None:
    """Record the patient's payment of AMOUNT on CLAIM_ID (CLM01; bad debt booked on it is reversed first).

    Exits 0, 2 when the amount is not a number, is more than the patient owes, or there is no such claim."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    try:
        result = record_payment(settings, claim_id, money(amount), (on or datetime.now()).date())
    except OfficeError as exc:
        fail(str(exc))
    click.echo(json.dumps(result))


@collections.command("charity")
@click.argument("claim_id")
@click.option("--amount", help="Default: the whole patient balance.")
@ON
@STATE
@STORE
@CONFIG
def charity(claim_id: str, amount: str | None, on: datetime | None, state_dir, store_url, config_path) -> None:
    """Write CLAIM_ID's (CLM01) patient balance (or --amount of it) off as charity care.

    Exits 0, 2 when there is no such claim or nothing to write off."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    try:
        result = record_charity(settings, claim_id, money(amount), (on or datetime.now()).date())
    except OfficeError as exc:
        fail(str(exc))
    click.echo(json.dumps(result))
