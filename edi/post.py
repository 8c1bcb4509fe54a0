"""`edi post`, `edi statement`, `edi worklist`, `edi ledger export` (issue 6): posting on the claim store.

Exit status: 0 clean, 1 done but something needs a person, 2 unreadable input or bad usage.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from parsers.envelope import element
from parsers.read835 import Reader835
from parsers.syntax import Tokenizer
from rules.deadlines import RESPONSE_WAIT, deadline
from rules.ledger import export_csv, export_jsonl
from rules.netting import group_by_claim

from .config import Settings
from .exits import EXIT_OK, EXIT_REVIEW, EXIT_UNREADABLE
from .files import write_atomic
from .options import CONFIG, STATE
from .posting import Poster
from .remittance import remittance_envelope
from .store import open_store, raw_remittance


def _settings(config_path: Path | None, state_dir: Path | None) -> Settings:
    try:
        return Settings.load(config_path, state_dir=state_dir)
    except (ValueError, OSError) as exc:
        click.echo(f"edi: {config_path or 'settings'}: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)


def read_groups(data: bytes, name: str) -> list[tuple[list, str]]:
    """Every claim group (one CLP01 of one remittance) of an 835, with the raw X12 the store keeps."""
    text = data.decode("latin-1")
    tok = Tokenizer.from_bytes(data, name)
    reader = Reader835(tok)
    raw, envelopes, payments = {}, {}, []
    for payment in reader.claims():
        loop = text[payment.position.offset : tok.offset]
        rem = payment.remittance
        if id(rem) not in envelopes:
            envelopes[id(rem)] = remittance_envelope(text, rem, payment.position.offset)
        raw[id(payment)] = (envelopes[id(rem)][2], loop)
        payments.append(payment)
    out = []
    by_remittance: dict[int, list] = {}
    for payment in payments:
        by_remittance.setdefault(id(payment.remittance), []).append(payment)
    for members in by_remittance.values():
        for group in group_by_claim(members).values():
            rem = group[-1].remittance
            isa, gs, _ = envelopes[id(rem)]
            out.append((group, raw_remittance(isa, gs, rem.delimiters, [raw[id(p)] for p in group], rem.findings)))
    return out


def post_file(path: Path, settings: Settings, now=datetime.now) -> dict:
    """Post every claim of the 835 at `path` on the store of `settings`; the report."""
    data = path.read_bytes()
    groups = read_groups(data, str(path))
    store = open_store(settings.state_dir)
    try:
        poster = Poster(store, settings, now)
        claims = []
        with store.transaction():
            for group, raw in groups:
                posted = poster.post_group(group, store.originals(group[0].claim_id), raw)
                entry = posted.as_dict()
                entry["trace"] = element(group[-1].remittance.trn, 2)
                claims.append(entry)
                entry["needs_review"] = posted.needs_review
    finally:
        store.close()
    return {
        "file": str(path),
        "claims": claims,
        "posted": sum(c["posted"] for c in claims),
        "already_posted": sum(c["already_posted"] for c in claims),
        "exit_code": EXIT_REVIEW if any(c["needs_review"] for c in claims) else EXIT_OK,
    }


@click.command()
@click.argument("remit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@STATE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def post(remit: Path, state_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """Post a payer's 835 REMIT (primary, secondary or tertiary) on the claim accounts of the store.

    Each claim is posted to the account of its stored original claim (the payer resolved from the 835's
    payer id, else as the next expected payer: see edi.posting); posting the same answer again adds nothing.
    Denials go to the worklist with their deadlines. Claims to a later payer (tertiary, replacements) are
    written by `edi batch` / `edi watch`, which post the same way. Exits 1 when something needs review.
    """
    settings = _settings(config_path, state_dir)
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


@click.command()
@click.argument("claim_id")
@STATE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the statement as JSON.")
def statement(claim_id: str, state_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """The statement of CLAIM_ID: charge = payments + write-offs + other adjustments + patient balance.

    Exits 1 when the claim has amounts unresolved (or no account), 0 otherwise.
    """
    settings = _settings(config_path, state_dir)
    store = open_store(settings.state_dir)
    try:
        statements = Poster(store, settings).statement(claim_id)
    finally:
        store.close()
    if not statements:
        click.echo(f"edi: no claim account for {claim_id!r} in {settings.state_dir}", err=True)
        sys.exit(EXIT_REVIEW)
    docs = [s.to_dict() for s in statements]
    if as_json:
        click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    else:
        for d in docs:
            click.echo(f"claim {d['claim_id']}: charge {d['charge']}")
            for payer, amount in d["paid_by_payer"].items():
                click.echo(f"  paid by {payer}: {amount}")
            for a in d["adjustments"]:
                click.echo(f"  {a['payer']} {a['group']}-{a['reason']} {a['amount']} {a['category']}")
            pb = d["patient_balance"]
            click.echo(
                f"  patient balance {pb['total']} (deductible {pb['deductible']}, coinsurance "
                f"{pb['coinsurance']}, copay {pb['copay']}, non-covered {pb['noncovered']}, other "
                f"{pb['other']}) due from {pb['due_from']}"
            )
            wo = d["write_off"]
            click.echo(
                f"  write-off: contractual {wo['contractual']}, administrative {wo['administrative']}, "
                f"bad debt {wo['bad_debt']}; unresolved {d['unresolved']}"
            )
            for r in d["review"]:
                click.echo(f"  review: {r}")
    sys.exit(EXIT_REVIEW if any(s.unresolved != 0 for s in statements) else EXIT_OK)


WORKLIST_FIELDS = (
    "claim_id",
    "line",
    "payer",
    "payer_claim_number",
    "group",
    "reason",
    "amount",
    "action",
    "deadline",
    "flag",
    "note",
)


def worklist_rows(settings: Settings, today: date) -> list[dict]:
    """Open worklist items by deadline (none last) then amount (largest first), plus every claim sent onward
    that its payer has not answered past its response window (flag 'unanswered')."""
    store = open_store(settings.state_dir)
    try:
        rows = []
        for item in store.worklist("open"):
            flag = ""
            if item.deadline and today > date.fromisoformat(item.deadline):
                flag = "overdue"
            elif item.alert_on and today >= date.fromisoformat(item.alert_on):
                flag = "alert"
            rows.append(
                {
                    "claim_id": item.claim_id,
                    "line": item.line,
                    "payer": item.payer_id,
                    "payer_claim_number": item.payer_claim_number,
                    "group": item.group,
                    "reason": item.reason,
                    "amount": item.amount,
                    "action": item.action,
                    "deadline": item.deadline or "",
                    "flag": flag,
                    "note": item.note,
                }
            )
        poster = Poster(store, settings)
        for original_id, claim_id, payer_id, created in store.sent_claims():
            account = next((a for a in store.accounts(claim_id) if a.original_id == original_id), None)
            answered = account is not None and any(a.payer_id == payer_id for a in poster.load(account).active())
            if answered:
                continue
            sent = datetime.fromisoformat(created).date()
            due = deadline(settings.posting.payer_class(payer_id), RESPONSE_WAIT, sent)
            if due is not None and today > due.due:
                rows.append(
                    {
                        "claim_id": claim_id,
                        "line": "",
                        "payer": payer_id,
                        "payer_claim_number": "",
                        "group": "",
                        "reason": "",
                        "amount": "",
                        "action": "FOLLOW-UP",
                        "deadline": due.due.isoformat(),
                        "flag": "unanswered",
                        "note": f"sent {sent.isoformat()}; no answer past the payer's "
                        f"{due.window.days}-day response window: check claim status (276)",
                    }
                )
    finally:
        store.close()

    def key(r):
        from decimal import Decimal

        return (r["deadline"] == "", r["deadline"], -Decimal(r["amount"] or 0), r["claim_id"])

    return sorted(rows, key=key)


@click.command()
@STATE
@CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the items as CSV.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="The day deadlines are judged on (default: today).")
def worklist(
    state_dir: Path | None, config_path: Path | None, as_json: bool, as_csv: bool, today: datetime | None
) -> None:
    """Open denial and review items by deadline then amount; claims sent onward and unanswered past the
    payer's response window are flagged 'unanswered'."""
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are exclusive")
    settings = _settings(config_path, state_dir)
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
                f"{r['deadline'] or '-':10} {r['flag'] or '':10} {r['claim_id']} {r['payer']} "
                f"{r['group']}-{r['reason']} {r['amount']} {r['action']} {r['note']}"
            )


@click.group()
def ledger() -> None:
    """The append-only ledger of postings."""


@ledger.command("export")
@STATE
@CONFIG
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout).")
def ledger_export(state_dir: Path | None, config_path: Path | None, fmt: str, out: Path | None) -> None:
    """Export every ledger entry, in the order written (read back exactly by rules.ledger)."""
    settings = _settings(config_path, state_dir)
    store = open_store(settings.state_dir)
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
