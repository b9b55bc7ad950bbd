"""The terminal view of ``explain``: drivers with a tornado, headroom, break-even prices."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from infercost.arithmetic import plain
from infercost.insight.explain import Explanation
from infercost.numbers import significant
from infercost.render.formatting import Style, count, money, pct, percent
from infercost.render.insight_text import percentile_lines
from infercost.render.table import table

HALF = 12  # characters of the tornado on each side of the current cost
SHOWN = 15  # drivers listed; the rest have smaller elasticities and are summarised


def elasticity(value: Decimal | None) -> str:
    return "n/a" if value is None else percent(value, signed=True)


def render(x: Explanation, style: Style) -> str:
    f, be, c = x.feature, x.break_even, x.currency
    lines = [
        style.bold(f'infercost explain feature "{f.name}"')
        + style.dim(f"  ({c} per {x.period}, unit {f.unit}, workflow {f.workflow})"),
        f"  cost per unit {money(f.cost_per_unit, c)} · units {count(f.units)} · COGS "
        f"{money(f.cogs, c)} · revenue {money(f.revenue, c)} · margin {percent(f.margin)}"
        + (f" (target {percent(f.target_margin)})" if f.target_margin is not None else ""),
    ]
    if f.allocated_cogs and f.cogs_per_unit is not None:
        lines.append(
            f"  COGS per unit {money(f.cogs_per_unit, c)} = {money(f.cost_per_unit, c)} variable"
            f" + {money(f.allocated_cogs / f.units, c)} shared · contribution margin "
            f"{percent(f.contribution_margin)}"
        )
    spread = percentile_lines(f, c, "  ")
    lines += spread or [style.dim("  (percentiles of the cost: add --samples N or --seed N)")]
    lines += ["", style.bold("Drivers of the cost per unit")]
    lines.append(
        style.dim(
            "  elasticity: how many % the cost per unit moves when the input moves 1 % "
            "(for an input that enters linearly, its share of the cost);"
        )
    )
    lines.append(
        style.dim(
            f"  tornado: the cost per unit with the input {plain(x.swing)} % lower and higher, "
            "the others held (shares and rates stop at 1)."
        )
    )
    shown = [d for d in x.drivers if d.elasticity][:SHOWN]
    widest = max((d.spread for d in shown), default=Decimal(0))
    rows = [
        [
            "#",
            "input",
            "value",
            "elasticity",
            f"−{plain(x.swing)}%",
            f"+{plain(x.swing)}%",
            "tornado",
        ]
    ]
    for i, d in enumerate(shown, 1):
        rows.append(
            [
                str(i),
                d.key,
                d.input.text if d.input.text else significant(d.input.value),
                elasticity(d.elasticity),
                money(d.low, c),
                money(d.high, c),
                style.cyan(_bar(d.low, d.high, f.cost_per_unit, widest)),
            ]
        )
    lines += ["  " + r for r in table(rows, right=(0, 3, 4, 5))]
    still = [d.key for d in x.drivers if not d.elasticity]
    if still:
        lines.append(style.dim(f"  no effect at their current values: {', '.join(still)}"))
    lines += _shared_lines(x, style)
    lines += ["", style.bold(_target_title(x))]
    for note in be.notes:
        lines.append("  " + style.yellow(note))
    if be.allowed_cost_per_unit is not None:
        verdict = style.green("meets it") if be.meets_target else style.red("does not meet it")
        shared = (
            f", with {money(be.shared_cost_per_unit, c)} of shared costs per unit on top"
            if be.shared_cost_per_unit
            else ""
        )
        lines.append(
            f"  cost per unit allowed: {money(be.allowed_cost_per_unit, c)}"
            f" (now {money(f.cost_per_unit, c)}: {verdict}){shared}"
        )
    if be.revenue_per_unit_needed is not None:
        needed = be.revenue_per_unit_needed
        text = money(needed, c) if needed > 0 else "any (met with no usage revenue)"
        lines.append(f"  revenue per unit needed: {text} (now {money(be.revenue_per_unit, c)})")
    for s in be.subscriptions:
        if s.needed is None:
            lines.append(f"  subscription {s.name} price: cannot meet it ({s.reason})")
            continue
        text = money(s.needed, c) if s.needed > 0 else "any price"
        lines.append(
            f"  subscription {s.name} price needed: {text} (now {money(s.price, c)},"
            " the other subscriptions held)"
        )
    rows = [["input", "now", "reaches the target at", "change"]]
    for h, d in zip(be.headroom, x.drivers, strict=True):
        if not d.elasticity:
            continue
        if h.status == "never":
            rows.append([h.key, significant(d.input.value), "never", style.dim(h.reason or "")])
        else:
            rows.append(
                [
                    h.key,
                    significant(d.input.value),
                    significant(h.value),
                    pct(h.change_pct, signed=True) + ("" if h.status == "headroom" else " needed"),
                ]
            )
        if len(rows) > SHOWN:
            break
    if len(rows) > 1 and be.allowed_cost_per_unit is not None:
        lines.append(style.dim("  headroom of each input (the others held):"))
        lines += ["    " + r for r in table(rows, right=(1, 2))]
    return "\n".join(lines) + "\n"


def _shared_lines(x: Explanation, style: Style) -> list[str]:
    """Each shared cost the feature is a member of, as a driver of its COGS per unit."""
    if not x.shared:
        return []
    c = x.currency
    lines = [
        "",
        style.bold("Shared costs: drivers of the COGS per unit"),
        style.dim(
            "  elasticity of the COGS per unit to each amount (its share of the feature's "
            f"COGS); the COGS per unit with the amount {plain(x.swing)} % lower and higher;"
        ),
        style.dim("  the amount at which the gross margin meets the target (the others held)."),
    ]
    rows = [
        [
            "shared cost",
            "amount",
            "allocated here",
            "elasticity",
            f"−{plain(x.swing)}%",
            f"+{plain(x.swing)}%",
            "reaches the target at",
            "change",
        ]
    ]
    for d in x.shared:
        h = d.headroom
        if h is None:
            at, change = "n/a", ""
        elif h.status == "never":
            at, change = "never", style.dim(h.reason or "")
        else:
            at = money(h.value, c)
            change = pct(h.change_pct, signed=True) + ("" if h.status == "headroom" else " needed")
        rows.append(
            [
                d.name,
                money(d.amount, c),
                f"{money(d.part, c)} ({d.allocate})",
                elasticity(d.elasticity),
                money(d.low, c) if d.low is not None else "n/a",
                money(d.high, c) if d.high is not None else "n/a",
                at,
                change,
            ]
        )
    lines += ["  " + r for r in table(rows, right=(1, 2, 3, 4, 5, 6))]
    return lines


def _target_title(x: Explanation) -> str:
    be = x.break_even
    if be.has_target:
        return f"Headroom and break-even at the {percent(be.target_margin)} target margin"
    return "Break-even (margin 0: the feature has no target_margin)"


def _bar(low: Decimal, high: Decimal, now: Decimal, widest: Decimal) -> str:
    """Left of | the fall, right of | the rise, scaled to the widest swing."""
    if not widest:
        return "|"
    left = int(((now - min(low, high)) / widest * 2 * HALF).to_integral_value(ROUND_HALF_UP))
    right = int(((max(low, high) - now) / widest * 2 * HALF).to_integral_value(ROUND_HALF_UP))
    left, right = min(left, HALF), min(right, HALF)
    return " " * (HALF - left) + "█" * left + "|" + "█" * right
