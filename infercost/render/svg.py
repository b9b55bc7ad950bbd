"""Inline SVG charts for the HTML report: plain shapes and text, no script, no fonts to load.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what a screen
reader announces) and is followed in the page by a table of the same figures. Every
string that reaches the markup is escaped here, since names come from configuration.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

BAR = "#4c72b0"
BEFORE = "#a6b8d6"
BAD = "#c44e52"
GOOD = "#55a868"
INK = "#222"
MUTED = "#666"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    shown: str  # the value as the page shows it
    before: Decimal | None = None  # a second, lighter bar (plan: the base)
    shown_before: str = ""
    marker: Decimal | None = None  # a target tick
    bad: bool = False


def _frame(key: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    n = esc(key)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="chart-t{n} chart-d{n}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f'<title id="chart-t{n}">{esc(title)}</title><desc id="chart-d{n}">{esc(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def hbars(
    key: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    low: Decimal | None = None,
    high: Decimal | None = None,
    label_width: int = 170,
    width: int = 640,
) -> str:
    """Horizontal bars, one row per label (two when a ``before`` is given)."""
    values = [b.value for b in bars] + [b.before for b in bars if b.before is not None]
    values += [b.marker for b in bars if b.marker is not None]
    lo = low if low is not None else min([Decimal(0), *values])
    hi = high if high is not None else max([Decimal(0), *values])
    if hi == lo:
        hi = lo + 1
    plot = width - label_width - 110
    paired = any(b.before is not None for b in bars)
    row = 34 if paired else 22
    height = 12 + row * len(bars) + 8

    def x(v: Decimal) -> float:
        v = min(max(v, lo), hi)
        return label_width + float((v - lo) / (hi - lo)) * plot

    zero = x(Decimal(0))
    body = [
        f'<line x1="{_num(zero)}" y1="4" x2="{_num(zero)}" y2="{height - 4}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    for i, b in enumerate(bars):
        top = 10 + i * row
        body.append(
            f'<text x="{label_width - 6}" y="{top + 13}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{esc(b.label)}</text>'
        )
        rows = []
        if b.before is not None:
            rows.append((b.before, BEFORE, b.shown_before, "before"))
        rows.append((b.value, BAD if b.bad else BAR, b.shown, "after" if paired else ""))
        for j, (value, colour, shown, which) in enumerate(rows):
            y = top + j * 14
            x0, x1 = sorted((zero, x(value)))
            name = f"{b.label} {which}".strip()
            body.append(
                f'<rect class="bar" x="{_num(x0)}" y="{y + 2}" width="{_num(max(x1 - x0, 0.5))}" '
                f'height="12" fill="{colour}"><title>{esc(name)}: {esc(shown)}</title></rect>'
            )
            body.append(
                f'<text x="{_num(max(x1, zero) + 4)}" y="{y + 12}" font-size="11" '
                f'fill="{INK}">{esc(shown)}</text>'
            )
        if b.marker is not None:
            mx = x(b.marker)
            body.append(
                f'<line class="target" x1="{_num(mx)}" y1="{top}" x2="{_num(mx)}" '
                f'y2="{top + row - 6}" stroke="{INK}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
    return _frame(key, title, desc, width, height, body)


def histogram(
    key: str, title: str, desc: str, bins: Sequence[tuple[str, int, bool]], width: int = 640
) -> str:
    """Vertical bars of counts; bins flagged True are drawn (and labelled) as underwater."""
    top = max([1, *(c for _, c, _ in bins)])
    height = 220
    plot_h = 150
    slot = (width - 40) / max(len(bins), 1)
    body = [
        f'<line x1="30" y1="{20 + plot_h}" x2="{width - 10}" y2="{20 + plot_h}" stroke="{MUTED}"/>'
    ]
    for i, (label, n, underwater) in enumerate(bins):
        h = plot_h * n / top
        x0 = 34 + i * slot
        colour = BAD if underwater else BAR
        kind = "underwater" if underwater else "above water"
        body.append(
            f'<rect class="bar{" underwater" if underwater else ""}" x="{_num(x0)}" '
            f'y="{_num(20 + plot_h - h)}" width="{_num(slot - 4)}" height="{_num(h)}" '
            f'fill="{colour}"><title>{esc(label)}: {n} customers ({kind})</title></rect>'
        )
        if n:
            body.append(
                f'<text x="{_num(x0 + (slot - 4) / 2)}" y="{_num(16 + plot_h - h)}" '
                f'font-size="10" text-anchor="middle" fill="{INK}">{n}</text>'
            )
        body.append(
            f'<text x="{_num(x0 + (slot - 4) / 2)}" y="{20 + plot_h + 14}" font-size="9" '
            f'text-anchor="middle" fill="{INK}">{esc(label)}</text>'
        )
    body.append(
        f'<text x="34" y="{height - 12}" font-size="11" fill="{BAD}">■ underwater '
        f"(COGS above revenue)</text>"
        f'<text x="{width - 10}" y="{height - 12}" font-size="11" text-anchor="end" '
        f'fill="{INK}">customer margin, % (10-point bins from each label)</text>'
    )
    return _frame(key, title, desc, width, height, body)
