"""`edi worklist note|set|show`: working a worklist item to its end, its history kept (edi.office.items)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from edi.exits import EXIT_OK
from edi.office.items import OfficeError, add_note, find_item, item_view, record_step
from edi.store import open_existing_store
from rules.appeals import STEPS

from .common import CONFIG, STATE, STORE, fail, load_settings
from .posting import worklist

ON = click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), help="The date of the step (default: today).")
BY = click.option("--by", "by", default="", help="Who did it (kept in the item's history).")


def money(value: str | None) -> Decimal | None:
    """--amount as an exact Decimal (exit 2 when it is not a number)."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        fail(f"--amount {value!r} is not an amount")


def echo_item(view: dict, as_json: bool) -> None:
    """An item and its history, as JSON or as lines a person reads."""
    if as_json:
        click.echo(json.dumps(view, indent=2))
        return
    click.echo(
        f"item {view['id']}: claim {view['claim_id']} {view['payer']} {view['group']}-{view['reason']} "
        f"{view['amount']} {view['action']}; {view['status']} ({view['stage']}); deadline {view['deadline'] or '-'}"
    )
    click.echo(f"  {view['description']}")
    for h in view["history"]:
        extra = f" {h['amount']}" if h["amount"] else ""
        due = f" (deadline {h['deadline']})" if h["deadline"] else ""
        click.echo(f"  {h['on']} {h['step']}{extra} by {h['by'] or '-'}{due}: {h['text']}")


def run(state_dir: Path | None, store_url: str | None, config_path: Path | None, action):
    """Open the store of the settings, run `action(store, settings)`, close; OfficeError -> exit 2."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    store = open_existing_store(settings.store)
    try:
        return action(store, settings)
    except OfficeError as exc:
        fail(str(exc))
    finally:
        store.close()


@worklist.command("note")
@click.argument("item", type=int)
@click.argument("text")
@ON
@BY
@STATE
@STORE
@CONFIG
def note(
    item: int,
    text: str,
    on: datetime | None,
    by: str,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
):
    """Add TEXT to the history of worklist ITEM (its id in `edi worklist --json`): a call, a letter, what was
    said.

    Exits 0 when recorded, 2 when the item does not exist or the state directory holds no store."""
    day = (on or datetime.now()).date()
    view = run(state_dir, store_url, config_path, lambda store, _: add_note(store, item, text, day, by))
    echo_item(view, False)


@worklist.command("set")
@click.argument("item", type=int)
@click.argument("step", type=click.Choice(STEPS))
@ON
@click.option("--amount", help="lost/written-off: the amount written off (default: all still open); won: paid.")
@BY
@click.option("--text", default="", help="A note kept with the step.")
@STATE
@STORE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
def set_step(
    item: int,
    step: str,
    on: datetime | None,
    amount: str | None,
    by: str,
    text: str,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
    as_json: bool,
):
    """Record STEP on worklist ITEM (its id in `edi worklist --json`): lost and written-off post an
    administrative write-off and resolve it, won waits for the payer's new 835, reopened reverses the item's
    write-off; the deadline moves.

    Exits 0 when recorded, 2 when the step is not allowed from the item's stage, the item does not exist or
    the state directory holds no store."""
    day: date = (on or datetime.now()).date()
    value = money(amount)
    view = run(
        state_dir,
        store_url,
        config_path,
        lambda store, settings: record_step(store, settings, item, step, day, amount=value, by=by, text=text),
    )
    echo_item(view, as_json)
    sys.exit(EXIT_OK)


@worklist.command("show")
@click.argument("item", type=int)
@STATE
@STORE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
def show(item: int, state_dir: Path | None, store_url: str | None, config_path: Path | None, as_json: bool):
    """Worklist ITEM (its id in `edi worklist --json`) with its whole history (who, when, what).

    Exits 0, 2 when the item does not exist or the state directory holds no store."""
    view = run(state_dir, store_url, config_path, lambda store, _: item_view(store, find_item(store, item)))
    echo_item(view, as_json)
