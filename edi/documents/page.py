"""One self-contained HTML page: inline CSS (screen and print), no script, nothing fetched. Every report and
document the office prints (write-off and denial reports, statements, EOB pages, appeal letters) is built on
it, and written owner-only (`write_document`): statements, EOBs and letters hold PHI."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

CSS = """
:root { --ink: #1d2733; --muted: #5b6775; --line: #d5dbe3; --band: #f3f6f9; --accent: #1f5f99; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 2rem auto;
       max-width: 60rem; padding: 0 1.5rem; font-size: 14px; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; color: var(--accent); }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
p.sub { color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { flex: 1 1 10rem; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.card .label { color: var(--muted); font-size: .85rem; }
.card .value { font-size: 1.35rem; font-weight: 700; }
.charts { display: flex; flex-wrap: wrap; gap: 1.2rem; }
figure { margin: 0; flex: 1 1 26rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font-family: inherit; font-size: 11px; fill: #1d2733; }
.legend span { display: inline-block; margin-right: 1rem; font-size: .85rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
.box { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; }
.owe { font-size: 1.4rem; font-weight: 700; }
.muted { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--line);
         padding-top: .5rem; }
.page-break { break-before: page; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  figure, table, .box { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: letter; margin: 16mm; }
"""


def esc(value: object) -> str:
    """Text made safe for HTML."""
    return escape(str(value), quote=True)


def page(title: str, body: str, footer: str = "") -> str:
    """A whole HTML document: `body` is HTML already escaped by the caller."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{CSS}</style></head><body>{body}"
        + (f"<footer>{footer}</footer>" if footer else "")
        + "</body></html>\n"
    )


def table(
    headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), total: list[str] | None = None
) -> str:
    """An HTML table; cells are escaped; columns in `numeric` are right-aligned."""

    def cells(values: list[str], tag: str) -> str:
        out = []
        for i, v in enumerate(values):
            css = ' class="num"' if i in numeric else ""
            out.append(f"<{tag}{css}>{esc(v)}</{tag}>")
        return "".join(out)

    head = f"<tr>{cells(headers, 'th')}</tr>"
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    if total is not None:
        body += f'<tr class="total">{cells(total, "td")}</tr>'
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"


def write_document(path: Path, html: str) -> Path:
    """Write `html` at `path` owner-only (0600), atomically: the file may hold PHI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(html.encode("utf-8") if isinstance(html, str) else html)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        if temp.exists():
            temp.unlink()
        raise
    return path
