"""The reports read from the store and rendered (`edi report write-offs`, `edi report denials`): table (a
person at a terminal), CSV, JSON or one HTML page."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

from edi.config import Settings
from edi.store import open_existing_store

from .denials import denial_report
from .html import denial_html, write_off_html
from .writeoffs import remark_text, write_off_report

FORMATS = ("table", "csv", "json", "html")


def text_table(rows: list[dict], columns: list[str]) -> str:
    """Rows as aligned columns (numbers right-aligned)."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if v.replace(".", "").replace("-", "").isdigit() else v.ljust(w)
            for v, w in zip(values, widths, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]) + "\n"


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """Rows as CSV with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def denial_dates(store, items) -> dict[int, date]:
    """Item id -> the date of the payer's answer that denied it (the 835's adjudication date)."""
    out: dict[int, date] = {}
    for account_id in {i.account_id for i in items}:
        dates = {p.id: json.loads(p.body).get("adjudication_date") for p in store.postings(account_id)}
        for i in items:
            if i.account_id == account_id and dates.get(i.posting_id):
                out[i.id] = date.fromisoformat(dates[i.posting_id])
    return out


def write_offs(settings: Settings, start: date | None, end: date | None, by: str, fmt: str) -> str:
    """The write-off report of the store of `settings`, rendered in `fmt`."""
    store = open_existing_store(settings.store)
    try:
        entries = store.ledger()
        providers = store.claim_providers()
        remarks = store.answer_remarks()
    finally:
        store.close()
    report = write_off_report(entries, start, end, by, providers, remarks)
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "html":
        views = {d: write_off_report(entries, start, end, d, providers)["rows"] for d in ("month", "reason", "payer")}
        return write_off_html(report, by, views, datetime.now())
    columns = [by, "description", "contractual", "administrative", "bad_debt", "charity", "total", "entries"]
    columns.append("remarks")
    total = {by: "total", **report["totals"], "total": f"{sum(Decimal(v) for v in report['totals'].values()):.2f}"}
    if fmt == "csv":  # each RARC with its words; the table, the codes only
        return csv_text([{**r, "remarks": remark_text(r["remarks"], True)} for r in report["rows"]], columns)
    rows = [{**r, "remarks": remark_text(r["remarks"], False)} for r in report["rows"]]
    return text_table(rows + [total], columns)


def denials(settings: Settings, start: date | None, end: date | None, fmt: str) -> str:
    """The denial report of the store of `settings`, rendered in `fmt` (table/csv: by payer, then by reason)."""
    store = open_existing_store(settings.store)
    try:
        items = store.worklist_items()
        report = denial_report(
            items, store.worklist_events(), store.answers_by_payer(), start, end, denial_dates(store, items)
        )
    finally:
        store.close()
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "html":
        return denial_html(report, datetime.now())
    payer_cols = [
        "payer",
        "answers",
        "denied_answers",
        "denial_rate",
        "amount",
        "open",
        "resolved",
        "won",
        "lost",
        "written_off",
        "average_days_to_resolve",
    ]
    reason_cols = [
        "reason",
        "description",
        "items",
        "amount",
        "open",
        "resolved",
        "written_off",
        "average_days_to_resolve",
    ]
    if fmt == "csv":
        rows = [{"by": "payer", **r} for r in report["by_payer"]] + [{"by": "reason", **r} for r in report["by_reason"]]
        return csv_text(rows, ["by", *dict.fromkeys(payer_cols + reason_cols)])
    return text_table(report["by_payer"], payer_cols) + "\n" + text_table(report["by_reason"], reason_cols)
