"""Views of a comparison: one column per variant (the stack, then each what-if alone).

Rows are the figures a pricing decision turns on: each feature's COGS and margin, each
subscription's margin and underwater customers, and the totals. A figure a column does
not have (a feature a what-if adds) is shown as "—" and written as null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infercost.app.compare import Column, Comparison
from infercost.render import markdown
from infercost.render.diagnostics import diagnostics_fields
from infercost.render.documents import FORMAT_VERSION, totals_fields
from infercost.render.formatting import Style, count, money, percent
from infercost.render.json_encoding import dumps
from infercost.render.table import table

Row = tuple[str, Callable[[Column], str]]


def _underwater(c: Column, name: str) -> str:
    s = c.breakdown.subscriptions.get(name)
    if s is None:
        return "—"
    if s.underwater_customers is None:
        return "n/a"
    return f"{s.underwater_customers} of {count(s.customers)} ({percent(s.underwater_share)})"


def rows(cmp: Comparison) -> list[tuple[str, list[Row]]]:
    """(section title, [(metric, cell of a column)]) in display order."""
    cur = cmp.currency

    def feature(name: str, what: str) -> Callable[[Column], str]:
        def cell(c: Column) -> str:
            f = c.breakdown.features.get(name)
            if f is None:
                return "—"
            return money(f.cogs, cur) if what == "cogs" else percent(f.margin)

        return cell

    def underwater(name: str) -> Callable[[Column], str]:
        return lambda c: _underwater(c, name)

    def subscription_margin(name: str) -> Callable[[Column], str]:
        def cell(c: Column) -> str:
            s = c.breakdown.subscriptions.get(name)
            return "—" if s is None else percent(s.margin)

        return cell

    sections: list[tuple[str, list[Row]]] = []
    for name in cmp.features:
        sections.append(
            (
                f"feature {name}",
                [("COGS", feature(name, "cogs")), ("Margin", feature(name, "margin"))],
            )
        )
    for name in cmp.subscriptions:
        sections.append(
            (
                f"subscription {name}",
                [
                    ("Margin", subscription_margin(name)),
                    ("Underwater customers", underwater(name)),
                ],
            )
        )
    sections.append(
        (
            "total",
            [
                ("COGS", lambda c: money(c.breakdown.totals.cogs, cur)),
                ("Revenue", lambda c: money(c.breakdown.totals.revenue, cur)),
                ("Margin", lambda c: percent(c.breakdown.totals.margin)),
            ],
        )
    )
    return sections


def _scale(cmp: Comparison) -> str:
    scale = cmp.args.options.usage_scale
    return "" if scale is None else f", usage × {format(scale, 'f')}"


def text(cmp: Comparison, style: Style) -> str:
    out = [
        style.bold(f"infercost compare  {cmp.stack}"),
        f"{cmp.currency} per {cmp.period}, usage {cmp.usage_label}{_scale(cmp)}; "
        "each what-if applied alone to the stack",
        "",
    ]
    grid = [["", *(c.name for c in cmp.columns)]]
    for title, metrics in rows(cmp):
        grid.append([title, *("" for _ in cmp.columns)])
        for label, cell in metrics:
            grid.append([f"  {label}", *(cell(c) for c in cmp.columns)])
    out += table(grid, right=range(1, len(cmp.columns) + 1))
    return "\n".join(out) + "\n"


def markdown_view(cmp: Comparison, _style: Style) -> str:
    esc = markdown.escape
    out = [
        markdown.MARKER,
        f"### infercost compare: {esc(cmp.stack)}",
        "",
        f"{esc(cmp.currency)} per {esc(cmp.period)} · usage {esc(cmp.usage_label)}"
        f"{esc(_scale(cmp))} · each what-if applied alone",
        "",
        "| | " + " | ".join(esc(c.name) for c in cmp.columns) + " |",
        "|---|" + "---:|" * len(cmp.columns),
    ]
    for title, metrics in rows(cmp):
        out.append(f"| **{esc(title)}** |" + " |" * len(cmp.columns))
        for label, cell in metrics:
            out.append(f"| {esc(label)} | " + " | ".join(esc(cell(c)) for c in cmp.columns) + " |")
    return markdown.truncate_middle("\n".join(out) + "\n")


def document(cmp: Comparison) -> dict[str, Any]:
    """The compare JSON (infercost/schemas/compare.schema.json)."""
    return {
        "format_version": FORMAT_VERSION,
        "currency": cmp.currency,
        "period": cmp.period,
        "usage_period": cmp.usage_period,
        "stack": cmp.stack,
        "usage_scale": cmp.args.options.usage_scale,
        "columns": [
            {
                "name": c.name,
                "what_if": c.what_if,
                "features": [
                    {
                        "name": f.name,
                        "units": f.units,
                        "cost_per_unit": f.cost_per_unit,
                        "cogs": f.cogs,
                        "revenue": f.revenue,
                        "margin": f.margin,
                    }
                    for _, f in sorted(c.breakdown.features.items())
                ],
                "subscriptions": [
                    {
                        "name": s.name,
                        "customers": s.customers,
                        "revenue": s.revenue,
                        "cogs": s.cogs,
                        "margin": s.margin,
                        "underwater_customers": s.underwater_customers,
                        "underwater_share": s.underwater_share,
                    }
                    for _, s in sorted(c.breakdown.subscriptions.items())
                ],
                "totals": totals_fields(c.breakdown.totals),
            }
            for c in cmp.columns
        ],
        "diagnostics": diagnostics_fields(cmp.diagnostics),
    }


def json_view(cmp: Comparison, _style: Style) -> str:
    return dumps(document(cmp))
