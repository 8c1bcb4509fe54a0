"""`edi convert`: one primary 835 and its original claims to secondary claims."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from edi.pipeline import OutputConflict
from edi.pipeline import convert as run

from .common import CONFIG, STATE, STORE, fail, load_settings


@click.command()
@click.argument("remit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--claims",
    "claim_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An original 837 file (the provider's claims) the 835 answers (repeat for several).",
)
@click.option("--out", required=True, help="Where to write the secondary 837 ('-' for standard output).")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON report here."
)
@CONFIG
@STATE
@STORE
@click.option("--sender-id", help="ISA06/GS02 of the output (default: the original claim's).")
@click.option("--receiver-id", help="ISA08/GS03 of the output (default: the original claim's).")
@click.option("--usage", type=click.Choice(["P", "T"]), help="ISA15 of the output (default: the original's).")
@click.option(
    "--send-nothing-due/--no-send-nothing-due",
    default=None,
    help="Send claims with nothing left for the secondary (some payers, e.g. Medicaid, want them).",
)
@click.option(
    "--send-provider-liability-denials/--no-send-provider-liability-denials",
    default=None,
    help="Send whole-claim provider-liability denials (CO-50 ...) to the secondary.",
)
@click.option(
    "--facts",
    "order_facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Order-of-benefits facts (TOML/JSON, as `edi cob order` reads them): hold a claim billed in another "
    "order, and take the MSP type of a claim to Medicare from them. Default: settings [msp] order_facts.",
)
def convert(
    remit: Path,
    claim_files: tuple[Path, ...],
    out: str,
    report_path: Path | None,
    config_path: Path | None,
    state_dir: Path | None,
    store_url: str | None,
    sender_id: str | None,
    receiver_id: str | None,
    usage: str | None,
    send_nothing_due: bool | None,
    send_provider_liability_denials: bool | None,
    order_facts: Path | None,
) -> None:
    """Turn the primary payer's 835 REMIT (a file holding an 835) and the original claims into secondary
    837 claims.

    Every claim in the 835 gets a disposition in the report: converted, crossover, no-secondary,
    nothing-due, rebill-primary or needs-review, with reasons. The 837 passes the outbound gate's checks
    (pyx12 against its guide, plain ASCII, COB balancing) before it is written, and the report is written
    before it; nothing is written when no claim converts or the checks fail. Exits 0 when no claim needs
    review, 1 when some do, 2 when an input cannot be read, is not an 835/837, or --out/--report names an
    input.
    """
    settings = load_settings(
        config_path,
        state_dir=state_dir,
        store_url=store_url,
        interchange__sender_id=sender_id,
        interchange__receiver_id=receiver_id,
        interchange__usage=usage,
        policy__send_nothing_due=send_nothing_due,
        policy__send_provider_liability_denials=send_provider_liability_denials,
        msp__order_facts=order_facts,
    )
    try:
        result = run(remit, claim_files, out, report_path, settings, keep_claims=False)
    except OutputConflict as exc:
        fail(str(exc))
    totals = result.report["totals"]
    summary = ", ".join(f"{k} {v}" for k, v in sorted(totals["by_disposition"].items()))
    click.echo(
        f"{totals['claims']} claim(s): {summary or 'none'}"
        + (f"; written to {result.output}" if result.output and out != "-" else ""),
        err=True,
    )
    for entry in result.report["claims"]:
        if entry["disposition"] not in ("converted",):
            click.echo(f"  {entry['claim_id']}: {entry['disposition']}: {'; '.join(entry['reasons'])}", err=True)
    sys.exit(result.exit_code)
