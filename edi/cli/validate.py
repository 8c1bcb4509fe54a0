"""`edi validate`: guide validation plus the project's own checks, in words a biller understands; 999/TA1."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import click

from edi.control import ControlNumbers
from edi.exits import EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE
from edi.store import open_store
from edi.validation import FileVerdict, validate_files, write_acks

from .common import STATE, STORE, load_settings


def render_text(verdicts: list[FileVerdict]) -> str:
    """The verdicts as text: one line per file, then each finding with where it is and what it means."""
    lines = []
    for v in verdicts:
        what = " ".join(x for x in (v.kind and f"X12 {v.kind}", v.guide) if x) or "no transaction set"
        errors, warnings = len(v.errors), len(v.issues) - len(v.errors)
        state = "UNREADABLE" if v.unreadable else f"{errors} error(s), {warnings} warning(s)" if v.issues else "clean"
        claims = f", {v.claims} claim(s)" if v.kind in ("835", "837") else ""
        lines.append(f"{v.file}: {what}{claims}: {state}")
        for i in v.issues:
            where = "file"
            if i.segment:
                where = f"segment {i.segment} ({i.segment_id or '?'}{', ' + i.element if i.element else ''})"
                where += f" at byte {i.offset}"
            lines.append(f"  {i.severity:<7} {where} [{i.rule}] {i.explanation}")
            lines.append(f"          {i.message}")
    return "\n".join(lines)


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option(
    "--ack",
    "ack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write acknowledgments here: <file>.999 for inbound 837 groups, <file>.ta1 when the "
    "envelope is bad or ISA14=1 asks for one (<file>.<hash>.999 when another input has the same name).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Validate in this many processes (with --engine pyx12 about 0.4 s per small file).",
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "pyx12"]),
    default="fast",
    show_default=True,
    help="The guide engine: fast (compiled from pyx12's maps, held to pyx12 by differential tests) or pyx12 "
    "(the validator of record, ~40x slower).",
)
@STATE
@STORE
def validate(
    files: tuple[Path, ...],
    as_json: bool,
    ack_dir: Path | None,
    workers: int,
    engine: str,
    state_dir: Path | None,
    store_url: str | None,
) -> None:
    """Validate FILE... (X12 files: 837, 835, 999 ...) against their implementation guides (pyx12) and our
    balancing and envelope rules.

    Every file gets a verdict, whatever its bytes. Every finding names the file, segment, byte offset,
    element and what it means. Exits 0 when no file has errors (warnings alone are fine), 1 when some do,
    2 when a file cannot be read (not X12, cut short, missing).
    """
    verdicts = validate_files(files, workers, engine)
    written: list[Path] = []
    if ack_dir is not None:
        store = open_store(load_settings(None, state_dir=state_dir, store_url=store_url).store)
        try:
            numbers = ControlNumbers(store)
            when = datetime.now()
            taken = {os.path.realpath(f) for f in files}  # never overwrite an input, nor an ack of this run
            for v in verdicts:
                written += write_acks(v, ack_dir, numbers, when, taken)
        finally:
            store.close()
    if as_json:
        click.echo(
            json.dumps(
                {"files": [v.as_dict() for v in verdicts], "acknowledgments": [str(p) for p in written]},
                indent=2,
            )
        )
    else:
        click.echo(render_text(verdicts))
        for p in written:
            click.echo(f"wrote {p}", err=True)
    codes = {v.exit_code for v in verdicts}
    sys.exit(EXIT_UNREADABLE if EXIT_UNREADABLE in codes else EXIT_REVIEW if EXIT_REVIEW in codes else EXIT_OK)
