"""Inline SVG charts for the HTML reports: horizontal bars and stacked columns. Geometry is computed in
Decimal and rounded to whole pixels (no float touches an amount); every mark carries a <title> with its
exact amount, and the chart a data-chart name the tests look for."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from edi.documents.page import esc

COLORS = {"contractual": "#1f5f99", "administrative": "#d98c1f", "bad-debt": "#b23b3b", "charity": "#4f9a5a"}
BAR = "#1f5f99"


def px(value: Decimal) -> int:
    """Whole pixels."""
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def scale(value: Decimal, top: Decimal, length: int) -> int:
    """`value` on a scale where `top` is `length` pixels (0 when top is 0; negatives drawn as 0)."""
    if top <= 0 or value <= 0:
        return 0
    return px(value * length / top)


def bars(name: str, items: list[tuple[str, Decimal]], width: int = 420) -> str:
    """Horizontal bars, one per (label, amount), largest scale = the largest amount."""
    label_w, row_h, bar_w = 150, 22, width - 150 - 80
    top = max((v for _, v in items), default=Decimal(0))
    height = max(row_h * len(items), row_h) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" data-chart="{esc(name)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row_h + 3
        w = scale(value, top, bar_w)
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(short)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{row_h - 6}" fill="{BAR}">'
            f"<title>{esc(label)}: {esc(value)}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 14}">{esc(value)}</text>')
    if not items:
        parts.append('<text x="6" y="16">nothing in this period</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_columns(
    name: str, columns: list[tuple[str, dict[str, Decimal]]], series: tuple[str, ...], width: int = 420
) -> str:
    """One column per (label, {series: amount}), the series stacked bottom-up in `series` order."""
    height, base, left = 220, 190, 10
    top = max((sum((max(v, Decimal(0)) for v in parts.values()), Decimal(0)) for _, parts in columns), default=0)
    top = Decimal(top)
    slot = max((width - left - 10) // max(len(columns), 1), 1)
    col_w = min(48, max(slot - 12, 6))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" data-chart="{esc(name)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#888"/>',
    ]
    for i, (label, parts) in enumerate(columns):
        x = left + i * slot + (slot - col_w) // 2
        y = base
        for s in series:
            h = scale(parts.get(s, Decimal(0)), top, base - 20)
            if h:
                y -= h
                out.append(
                    f'<rect class="bar" x="{x}" y="{y}" width="{col_w}" height="{h}" fill="{COLORS.get(s, BAR)}">'
                    f"<title>{esc(label)} {esc(s)}: {esc(parts[s])}</title></rect>"
                )
        out.append(f'<text x="{x + col_w // 2}" y="{base + 16}" text-anchor="middle">{esc(label)}</text>')
    if not columns:
        out.append('<text x="16" y="30">nothing in this period</text>')
    out.append("</svg>")
    return "".join(out)


def legend(series: tuple[str, ...]) -> str:
    """The colour key of a stacked chart."""
    keys = "".join(f'<span><i style="background:{COLORS.get(s, BAR)}"></i>{esc(s)}</span>' for s in series)
    return f'<div class="legend">{keys}</div>'
