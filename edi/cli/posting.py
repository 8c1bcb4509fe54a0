"""`edi post`, `edi statement`, `edi worklist`, `edi ledger export`: posting on the claim store."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path

import click

from edi.documents.build import statement_file
from edi.exits import EXIT_OK, EXIT_REVIEW
from edi.files import write_atomic
from edi.office.items import claim_items
from edi.posting import WORKLIST_FIELDS, Poster, post_file, worklist_rows
from edi.store import open_existing_store, redacted
from rules.ledger import export_csv, export_jsonl

from .common import CONFIG, STATE, STORE, load_settings


@click.command()
@click.argument("remit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@STATE
@STORE
@CONFIG
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON (claim ids and amounts; no patient data)."
)
def post(remit: Path, state_dir: Path | None, store_url: str | None, config_path: Path | None, as_json: bool) -> None:
    """Post a payer's 835 REMIT (a file holding an 835: primary, secondary or tertiary) on the claim accounts
    of the store.

    Each claim is posted to the account of its stored original claim (the payer resolved from the 835's
    payer id, else as the next expected payer: see edi.posting); posting the same answer again adds nothing.
    Denials go to the worklist with their deadlines. Claims to a later payer (tertiary, replacements) are
    written by `edi batch` / `edi watch`, which post the same way. Exits 0 when all is posted, 1 when
    something needs review, 2 when REMIT cannot be read or is not an 835, or the state directory holds no
    claim store (posting needs the original claims `edi batch` stored).
    """
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    report = post_file(remit, settings)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for c in report["claims"]:
            bal = c.get("balance", {})
            line = (
                f"{c['claim_id']}: {c['posted']} posted, {c['already_posted']} already posted; payer "
                f"{c['sequence'] or '?'} {c['payer'] or '?'}"
            )
            if bal:
                line += (
                    f"; patient balance {bal['patient']} due from {bal['due_from']}, contractual "
                    f"{bal['contractual']}, unresolved {bal['unresolved']}"
                )
            click.echo(line)
            for text in c["refused"] + c["findings"] + c["discrepancies"]:
                click.echo(f"  review: {text}")
    sys.exit(report["exit_code"])


def statement_text(d: dict) -> str:
    """One statement (its `to_dict`, with its worklist items) as lines for a person at a terminal."""
    lines = [f"claim {d['claim_id']}: charge {d['charge']}"]
    for payer, amount in d["paid_by_payer"].items():
        lines.append(f"  paid by {payer}: {amount}")
    for a in d["adjustments"]:
        lines.append(f"  {a['payer']} {a['group']}-{a['reason']} {a['amount']} {a['category']}")
    pb = d["patient_balance"]
    lines.append(
        f"  patient balance {pb['total']} (deductible {pb['deductible']}, coinsurance "
        f"{pb['coinsurance']}, copay {pb['copay']}, non-covered {pb['noncovered']}, other "
        f"{pb['other']}) due from {pb['due_from']}"
    )
    wo = d["write_off"]
    lines.append(
        f"  write-off: contractual {wo['contractual']}, administrative {wo['administrative']}, "
        f"bad debt {wo['bad_debt']}, charity {wo['charity']}; open items {d['other_adjustments']}"
    )
    if d["awaiting_payer"] != "0":
        lines.append(f"  awaiting the payer's answer: {d['awaiting_payer']}")
    if d["credit"] != "0":
        lines.append(f"  credit (paid beyond what was open): {d['credit']}")
    for a in d["informational"]:
        lines.append(f"  not counted: {a['payer']} {a['group']}-{a['reason']} {a['amount']} {a['category']}")
    state = "balanced" if d["balanced"] else f"NOT balanced: {d['unresolved']} cannot be placed"
    lines.append(f"  {state}")
    for r in d["review"]:
        lines.append(f"  review: {r}")
    for item in d["worklist"]:
        lines.append(
            f"  worklist item {item['id']}: {item['group']}-{item['reason']} {item['amount']} "
            f"{item['status']} ({item['stage']})"
        )
        for h in item["history"]:
            lines.append(f"    {h['on']} {h['step']} {h['amount']} {h['by']}: {h['text']}".rstrip())
    return "\n".join(lines)


@click.command()
@click.argument("claim_id")
@STATE
@STORE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the statement as JSON (same as --format json).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    help="html: the patient's statement, in plain words, written owner-only to --out.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="html: the file (default ./statement-CLAIM_ID.html)."
)
def statement(
    claim_id: str,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
    as_json: bool,
    fmt: str,
    out: Path | None,
) -> None:
    """The statement of CLAIM_ID (the claim's id as billed: CLM01 of the 837, CLP01 of the 835): where each
    dollar of the charge stands, counted once, with the history of the claim's worklist items; --format html
    writes the patient's statement.

    charge = payments + write-offs + open items + patient balance + awaiting a payer - credit; what a later
    payer restated of an earlier payer's answer is shown, not counted. The statement is a patient document:
    it holds what the patient owes, so keep it where PHI may be. Exits 0 when it balances, 1 when something
    could not be placed (or there is no account for the claim), 2 when the state directory holds no store.
    """
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    if fmt == "html":
        written = statement_file(settings, claim_id, out or Path(f"statement-{claim_id}.html"), datetime.now().date())
        if written is None:
            click.echo(f"edi: no claim account for {claim_id!r} in {redacted(settings.store)}", err=True)
            sys.exit(EXIT_REVIEW)
        click.echo(str(written))
        sys.exit(EXIT_OK)
    store = open_existing_store(settings.store)
    try:
        statements = Poster(store, settings).statement(claim_id)
        items = claim_items(store, claim_id)
    finally:
        store.close()
    if not statements:
        click.echo(f"edi: no claim account for {claim_id!r} in {redacted(settings.store)}", err=True)
        sys.exit(EXIT_REVIEW)
    docs = [dict(s.to_dict(), worklist=items) for s in statements]
    if as_json or fmt == "json":
        click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    else:
        for d in docs:
            click.echo(statement_text(d))
    sys.exit(EXIT_REVIEW if any(not s.is_balanced() for s in statements) else EXIT_OK)


@click.group(invoke_without_command=True)
@STATE
@STORE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the items as CSV.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="The day deadlines are judged on (default: today).")
@click.pass_context
def worklist(
    ctx: click.Context,
    state_dir: Path | None,
    store_url: str | None,
    config_path: Path | None,
    as_json: bool,
    as_csv: bool,
    today: datetime | None,
) -> None:
    """Open denial and review items by deadline then amount; claims sent onward and unanswered past the
    payer's response window are flagged 'unanswered'. Work an item with `note`, `set` and `show`.

    Exits 0 (the list may be empty), 2 when the state directory holds no claim store.
    """
    if ctx.invoked_subcommand:
        return
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are exclusive")
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    rows = worklist_rows(settings, (today or datetime.now()).date())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, WORKLIST_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        for r in rows:
            click.echo(
                f"{r['id'] or '-':>5} {r['deadline'] or '-':10} {r['flag'] or '':10} {r['claim_id']} {r['payer']} "
                f"{r['group']}-{r['reason']} {r['amount']} {r['action']} {r['note']}"
            )


@click.group()
def ledger() -> None:
    """The append-only ledger of postings (exits 2 when the state directory holds no claim store)."""


@ledger.command("export")
@STATE
@STORE
@CONFIG
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout).")
def ledger_export(
    state_dir: Path | None, store_url: str | None, config_path: Path | None, fmt: str, out: Path | None
) -> None:
    """Export every ledger entry, in the order written (read back exactly by rules.ledger).

    Exits 0, 2 when the state directory holds no claim store.
    """
    settings = load_settings(config_path, state_dir=state_dir, store_url=store_url)
    store = open_existing_store(settings.store)
    try:
        entries = store.ledger()
    finally:
        store.close()
    text = export_jsonl(entries) if fmt == "jsonl" else export_csv(entries)
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)


COMMANDS = (post, statement, worklist, ledger)
