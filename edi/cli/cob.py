"""`edi cob order`: the order of benefits for a patient's coverages, with the rule that decided each step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edi.cob_order import FactsError, order_report, render_text
from edi.exits import EXIT_OK

from .common import fail


@click.group()
def cob() -> None:
    """Coordination of benefits: which plan pays first."""


@cob.command()
@click.argument("facts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
def order(facts: Path, as_json: bool) -> None:
    """Print the payer order of each patient in FACTS (.toml or .json): the plans in the order they pay,
    each rule that decided it (NAIC order-of-benefits rules, Medicare Secondary Payer rules) and, when
    Medicare is not primary, the MSP type a claim to Medicare must carry.

    Exits 0, or 2 when FACTS cannot be read (one line naming the file and the field).
    """
    try:
        reports = order_report(facts)
    except FactsError as exc:
        fail(str(exc))
    click.echo(json.dumps(reports, indent=2) if as_json else render_text(reports), nl=as_json)
    sys.exit(EXIT_OK)
