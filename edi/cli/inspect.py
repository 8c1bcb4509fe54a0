"""`edi inspect`: what a file holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from edi.inspect import inspect_file, render_text


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(file: Path, as_json: bool) -> None:
    """Say what FILE (an X12 file: 835, 837, 999 ...) holds: interchanges, transaction sets, claims, totals,
    balancing and envelope findings.

    Exits 0 when the file is readable (findings or not), 2 when it is not X12 or is cut short.
    """
    summary = inspect_file(file)
    click.echo(json.dumps(summary, indent=2) if as_json else render_text(summary))
