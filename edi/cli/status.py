"""`edi status` (what the workers of a store are doing) and `edi store migrate` (the schema, brought up to
date), on either engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edi.exits import EXIT_OK
from edi.runner.intake import ignored_name
from edi.store import open_existing_store, open_store, redacted

from .common import CONFIG, STATE, STORE, load_settings


@click.command()
@STATE
@STORE
@CONFIG
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also count the files waiting in this inbox (not yet taken by a worker).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(
    state_dir: Path | None, store_url: str | None, config_path: Path | None, inbox: Path | None, as_json: bool
) -> None:
    """What the workers of the claim store are doing: workers alive (and lately gone), the files each holds,
    inbound files waiting, in flight, processed and failed, claims by state, and the outbox.

    Exits 0, 2 when there is no claim store there (or its schema is behind: `edi store migrate`)."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    store = open_existing_store(settings.store)
    try:
        doc = {"store": redacted(settings.store), "schema_version": store.schema_version(), **store.status()}
    finally:
        store.close()
    if inbox is not None:
        leased = {lease["file"] for lease in doc["leases"]}
        names = [p.name for p in inbox.iterdir() if p.is_file() and not ignored_name(p.name)]
        doc["files"]["waiting"] = sum(name not in leased for name in names)
    doc["files"]["in_flight"] = len(doc["leases"])
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render(doc))
    sys.exit(EXIT_OK)


def render(doc: dict) -> str:
    """`edi status` in lines a person reads."""
    alive = [w for w in doc["workers"] if w["alive"]]
    lines = [
        f"store {doc['store']} (schema version {doc['schema_version']})",
        f"workers: {len(alive)} alive, {len(doc['workers']) - len(alive)} stopped or dead (last day)",
    ]
    for w in doc["workers"]:
        if w["alive"]:
            lines.append(
                f"  alive {w['id']} {w['command']}: running {_ago(w['running_seconds'])}, last heartbeat "
                f"{_ago(w['last_seen_seconds'])} ago, {w['leases']} file(s) in hand"
            )
        else:
            lines.append(f"  gone  {w['id']} {w['command']}: last heard of {_ago(w['last_seen_seconds'])} ago")
    files = doc["files"]
    by = files["by_outcome"]
    waiting = f"{files['waiting']} waiting, " if "waiting" in files else ""
    lines.append(
        f"files: {waiting}{files['in_flight']} in flight, {by.get('processed', 0)} processed, "
        f"{by.get('rejected', 0)} failed (rejected), {by.get('duplicate', 0)} duplicate(s); "
        f"{files['not_settled']} taken in but not yet moved"
    )
    for lease in doc["leases"]:
        holder = "" if lease["worker_alive"] else " (worker gone: taken over by the next that asks)"
        lines.append(f"  {lease['file']}: {lease['worker']}, {_ago(lease['held_seconds'])}{holder}")
    claims = ", ".join(f"{k} {v}" for k, v in sorted(doc["claims"].items())) or "none"
    lines.append(f"835 claims: {claims}")
    outbox = doc["outbox"]
    lines.append(
        "outbox: "
        + (", ".join(f"{v['files']} {k} ({v['claims']} claims)" for k, v in sorted(outbox.items())) or "empty")
    )
    return "\n".join(lines)


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@click.group("store")
def store_group() -> None:
    """The claim store itself."""


@store_group.command("migrate")
@STATE
@STORE
@CONFIG
def migrate(state_dir: Path | None, store_url: str | None, config_path: Path | None) -> None:
    """Bring the store's schema up to this version of edi (every migration not applied yet, each in one
    transaction; safe while workers run, and a no-op when nothing is left). Run it as the schema's owner
    before starting workers of a new version.

    Exits 0, 2 when the store cannot be opened or migrated."""
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    store = open_store(settings.store, migrate=True)
    try:
        version = store.schema_version()
    finally:
        store.close()
    click.echo(f"store {redacted(settings.store)}: schema at version {version}")
    sys.exit(EXIT_OK)


COMMANDS = (status, store_group)
