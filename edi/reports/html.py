"""The reports as one self-contained HTML page each: totals, inline SVG charts (write-offs by category per
month, the top reasons, by payer; denials by reason and by payer) and the tables, printable, nothing fetched."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from edi.documents.page import esc, page, table
from rules.carc import CODE_LIST_SOURCE

from .charts import bars, legend, stacked_columns
from .writeoffs import CATEGORIES, field, remark_text

TOP = 10


def period(report: dict) -> str:
    """'2024-01-01 to 2024-12-31', or 'all dates'."""
    start, end = report["from"] or "the first posting", report["to"] or "the last posting"
    return "all dates" if not (report["from"] or report["to"]) else f"{start} to {end}"


def cards(values: list[tuple[str, str]]) -> str:
    """Totals as cards."""
    inner = "".join(
        f'<div class="card"><div class="label">{esc(k)}</div><div class="value">{esc(v)}</div></div>' for k, v in values
    )
    return f'<div class="cards">{inner}</div>'


def figure(caption: str, svg: str, extra: str = "") -> str:
    return f"<figure><figcaption>{esc(caption)}</figcaption>{svg}{extra}</figure>"


def write_off_html(report: dict, by: str, views: dict[str, list[dict]], generated: datetime) -> str:
    """The write-off report page. `views`: the report's rows by month, reason and payer (for the charts)."""
    t = report["totals"]
    total = sum((Decimal(v) for v in t.values()), Decimal(0))
    head = (
        f'<h1>Write-off report</h1><p class="sub">Ledger write-offs posted {esc(period(report))}, '
        f"by {esc(by)}.</p>"
        + cards([(c.replace("-", " "), t[field(c)]) for c in CATEGORIES] + [("total", f"{total:.2f}")])
    )
    months = [(r["month"], {c: Decimal(r[field(c)]) for c in CATEGORIES}) for r in views["month"]]
    reasons = [(r["reason"], Decimal(r["total"])) for r in views["reason"][:TOP]]
    payers = [(r["payer"], Decimal(r["total"])) for r in views["payer"][:TOP]]
    charts = (
        '<h2>Charts</h2><div class="charts">'
        + figure(
            "Write-offs by category per month", stacked_columns("by-month", months, CATEGORIES), legend(CATEGORIES)
        )
        + figure(f"Top {TOP} reasons", bars("top-reasons", reasons))
        + figure("By payer", bars("by-payer", payers))
        + "</div>"
    )
    headers = [by, "description", "contractual", "administrative", "bad debt", "charity", "total", "entries"]
    headers.append("remarks (RARC)")
    rows = [
        [
            r[by],
            r["description"],
            *(r[field(c)] for c in CATEGORIES),
            r["total"],
            str(r["entries"]),
            remark_text(r["remarks"], True),
        ]
        for r in report["rows"]
    ]
    total_row = ["total", "", *(t[field(c)] for c in CATEGORIES), f"{total:.2f}", "", ""]
    body = head + charts + f"<h2>By {esc(by)}</h2>" + table(headers, rows, {2, 3, 4, 5, 6, 7}, total_row)
    return page("Write-off report", body, footer(generated))


def denial_html(report: dict, generated: datetime) -> str:
    """The denial report page."""
    t = report["totals"]
    head = f'<h1>Denial report</h1><p class="sub">Denials posted {esc(period(report))}.</p>' + cards(
        [
            ("denial rate", t["denial_rate"] or "-"),
            ("denied", t["amount"]),
            ("open", f"{t['open']} ({t['open_amount']})"),
            ("resolved", str(t["resolved"])),
            ("written off", t["written_off"]),
            ("avg days to resolve", t["average_days_to_resolve"] or "-"),
        ]
    )
    charts = (
        '<h2>Charts</h2><div class="charts">'
        + figure(
            "Denied amount by reason",
            bars("denials-by-reason", [(r["reason"], Decimal(r["amount"])) for r in report["by_reason"][:TOP]]),
        )
        + figure(
            "Denied amount by payer",
            bars("denials-by-payer", [(r["payer"], Decimal(r["amount"])) for r in report["by_payer"]]),
        )
        + "</div>"
    )
    body = head + charts + denial_tables(report)
    return page("Denial report", body, footer(generated))


def denial_tables(report: dict) -> str:
    """The by-payer and by-reason tables of the denial report."""
    payer_cols = ["payer", "answers", "denied_answers", "denial_rate", "amount", "open", "resolved", "won", "lost"]
    payer_cols += ["written_off", "average_days_to_resolve"]
    reason_cols = ["reason", "description", "items", "amount", "open", "resolved", "written_off"]
    reason_cols += ["average_days_to_resolve"]
    payer_rows = [[str(r[c]) for c in payer_cols] for r in report["by_payer"]]
    reason_rows = [[str(r[c]) for c in reason_cols] for r in report["by_reason"]]
    payer_heads = ["payer", "answers", "denied", "rate", "amount", "open", "resolved", "won", "lost", "written off"]
    return (
        "<h2>By payer</h2>"
        + table(payer_heads + ["avg days"], payer_rows, set(range(1, 11)))
        + "<h2>By reason</h2>"
        + table(
            ["reason", "description", "items", "amount", "open", "resolved", "written off", "avg days"],
            reason_rows,
            {2, 3, 4, 5, 6, 7},
        )
    )


def footer(generated: datetime) -> str:
    return f"Generated {esc(generated.strftime('%Y-%m-%d %H:%M'))} by edi-cob. {esc(CODE_LIST_SOURCE)}."
