"""The terminal view of a breakdown: where the money goes, feature by feature."""

from __future__ import annotations

from decimal import Decimal

from infercost.cost.breakdown import Breakdown, FeatureResult
from infercost.invisible import quoted_line
from infercost.render.formatting import Style, count, money, percent
from infercost.render.insight_text import insight_lines
from infercost.render.table import table
from infercost.render.whole_bill_text import (
    contribution,
    feature_figures,
    shared_cost_lines,
    total_line,
)

WORST_CUSTOMERS = 10
BAR_WIDTH = 20


def render(b: Breakdown, style: Style, source: str = "") -> str:
    lines: list[str] = []
    head = f"{b.currency} per {b.period}"
    if b.usage_period:
        head += f", usage period {quoted_line(b.usage_period)}"
    lines.append(
        style.bold(f"infercost breakdown{' of ' + source if source else ''}")
        + style.dim(f"  ({head})")
    )
    for feature in sorted(b.features.values(), key=lambda f: f.name):
        lines.append("")
        lines.extend(_feature(feature, b.currency, style, bool(b.allocation.shared)))
    if b.subscriptions:
        lines.append("")
        lines.append(style.bold("Subscriptions"))
        rows = [["name", "price", "customers", "revenue", "COGS", "margin", "underwater"]]
        for sub in b.subscriptions.values():
            underwater = (
                "n/a (no customer rows)"
                if sub.underwater_customers is None
                else f"{sub.underwater_customers} ({percent(sub.underwater_share)})"
            )
            rows.append(
                [
                    sub.name,
                    money(sub.price, b.currency),
                    count(sub.customers),
                    money(sub.revenue, b.currency),
                    money(sub.cogs, b.currency),
                    percent(sub.margin),
                    underwater,
                ]
            )
        lines.extend("  " + row for row in table(rows, right=(1, 2, 3, 4, 5)))
    lines.extend(shared_cost_lines(b, style))
    # Ranked on the columns: no result is made per customer to show ten of them.
    worst = b.customers.thinnest(WORST_CUSTOMERS)
    if worst:
        lines.append("")
        sunk = b.customers.underwater_count()
        lines.append(
            style.bold("Customers with the thinnest margins")
            + style.dim(f"  ({sunk} of {len(b.customers)} underwater)")
        )
        rows = [["customer", "subscription", "revenue", "COGS", "margin", ""]]
        for c in worst:
            mark = style.red("underwater") if c.underwater else ""
            rows.append(
                [
                    c.id,
                    c.subscription,
                    money(c.revenue, b.currency),
                    money(c.cogs, b.currency),
                    percent(c.margin),
                    mark,
                ]
            )
        lines.extend("  " + row for row in table(rows, right=(2, 3, 4)))
    lines.append("")
    t = b.totals
    lines.append(
        style.bold("Total")
        + f"  COGS {money(t.cogs, b.currency)} · revenue {money(t.revenue, b.currency)}"
        + f" · margin {percent(t.margin)} per {b.period}"
    )
    if extra := total_line(b):
        lines.append(extra)
    return "\n".join(lines) + "\n"


def _feature(f: FeatureResult, currency: str, style: Style, shared: bool = False) -> list[str]:
    region = f", region {f.region}" if f.region else ""
    lines = [
        style.bold(f'feature "{f.name}"')
        + style.dim(f"  (unit {f.unit}, workflow {f.workflow}{region})")
    ]
    verdict = ""
    if f.target_margin is not None:
        if f.below_target:
            verdict = style.red(f"✗ below target {percent(f.target_margin)}")
        else:
            verdict = style.green(f"✓ target {percent(f.target_margin)}")
    figures = [
        ("units", count(f.units)),
        ("cost per unit", money(f.cost_per_unit, currency)),
        *feature_figures(f, currency, shared),
        ("COGS", money(f.cogs, currency)),
        ("revenue", money(f.revenue, currency)),
        *contribution(f, shared),
        ("margin", f"{percent(f.margin)}  {verdict}".rstrip()),
    ]
    lines.extend(f"  {label:<14} {value}" for label, value in figures)
    lines.extend(insight_lines(f, currency, style))
    lines.append(style.dim("  where the money goes, per unit:"))
    rows = []
    for i, c in enumerate(f.steps):
        branch = "└─" if i == len(f.steps) - 1 else "├─"
        share = c.cost_per_unit / f.cost_per_unit if f.cost_per_unit else Decimal(0)
        bar = "█" * int((share * BAR_WIDTH).to_integral_value())
        rows.append(
            [
                f"{branch} {c.step.name}",
                c.step.uses,
                money(c.cost_per_unit, currency),
                percent(share),
                style.cyan(bar),
            ]
        )
    lines.extend("    " + row for row in table(rows, right=(2, 3), header=False))
    return lines
