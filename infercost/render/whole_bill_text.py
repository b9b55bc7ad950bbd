"""Terminal lines of the whole bill (SPEC §18): the COGS split, margins two ways, shared
costs and GPU-hours. Shown when a stack declares shared costs or serves on GPUs, so a
stack that has neither reads as before."""

from __future__ import annotations

from decimal import Decimal

from infercost.cost.breakdown import Breakdown, FeatureResult
from infercost.render.formatting import Style, count, money, percent
from infercost.render.table import table

TENTH = Decimal("0.1")


def whole_bill(b: Breakdown) -> bool:
    """Whether the breakdown has anything beyond token and meter prices to show."""
    return bool(b.allocation.shared) or bool(b.totals.gpu_hours_by_item)


def feature_figures(f: FeatureResult, currency: str, shared: bool) -> list[tuple[str, str]]:
    """Extra (label, value) rows of a feature, after its cost per unit."""
    rows: list[tuple[str, str]] = []
    if f.gpu_seconds_per_unit is not None:
        rows.append(("GPU per unit", f"{_number(f.gpu_seconds_per_unit)} s"))
    if shared:
        rows += [
            ("COGS per unit", money(f.cogs_per_unit, currency)),
            ("variable COGS", money(f.variable_cogs, currency)),
            ("allocated COGS", money(f.allocated_cogs, currency)),
        ]
    return rows


def contribution(f: FeatureResult, shared: bool) -> list[tuple[str, str]]:
    return [("contribution", percent(f.contribution_margin))] if shared else []


def _number(value: Decimal) -> str:
    """GPU seconds: to the millisecond from one second up, else as they are."""
    return format(value.quantize(Decimal("0.001")) if value >= 1 else value.normalize(), "f")


def shared_cost_lines(b: Breakdown, style: Style) -> list[str]:
    if not b.allocation.shared:
        return []
    lines = ["", style.bold("Shared costs") + style.dim(f"  (allocated per {b.period})")]
    rows = [["name", "amount", "allocated by", "parts"]]
    for s in b.allocation.shared.values():
        parts = " · ".join(f"{f} {money(a, b.currency)}" for f, a in sorted(s.parts.items()))
        if s.unallocated:
            parts = style.red(f"unallocated {money(s.unallocated, b.currency)}")
        by = "weights" if s.allocate == "weights" else s.allocate.replace("_", " ")
        rows.append([s.name, money(s.amount, b.currency), by, parts])
    lines.extend("  " + row for row in table(rows, right=(1,)))
    for f in sorted(b.features.values(), key=lambda x: x.name):
        if f.uncarried_cogs:
            lines.append(
                style.dim(
                    f"  note: no customer used {f.name}, so none carries its "
                    f"{money(f.uncarried_cogs, b.currency)} of shared costs; customer totals "
                    "are below feature totals by that much."
                )
            )
    return lines


def total_line(b: Breakdown) -> str:
    t = b.totals
    if not whole_bill(b):
        return ""
    parts = []
    if b.allocation.shared:
        split = (
            f"variable {money(t.variable_cogs, b.currency)} + allocated "
            f"{money(t.allocated_cogs, b.currency)}"
        )
        if t.unallocated_cogs:
            split += f" + unallocated {money(t.unallocated_cogs, b.currency)}"
        parts.append(f"COGS = {split} · contribution margin {percent(t.contribution_margin)}")
    if t.gpu_hours_by_item:
        by_item = ", ".join(
            f"{item} {count(hours.quantize(TENTH))}" for item, hours in t.gpu_hours_by_item.items()
        )
        parts.append(f"GPU-hours {count(t.gpu_hours.quantize(TENTH))} ({by_item})")
    return "\n".join("  " + p for p in parts)


def plan_split(plan: object) -> str:
    """The plan's COGS split and contribution margin, when either side has shared costs:
    '' otherwise, so a plan without them reads as before."""
    before, after = plan.totals_before, plan.totals_after  # type: ignore[attr-defined]
    currency = plan.currency  # type: ignore[attr-defined]
    if not any((t.allocated_cogs or t.unallocated_cogs) for t in (before, after)):
        return ""

    def shared(t: object) -> str:
        return money(t.allocated_cogs + t.unallocated_cogs, currency)  # type: ignore[attr-defined]

    return (
        f"  variable COGS {money(before.variable_cogs, currency)} → "
        f"{money(after.variable_cogs, currency)} · shared {shared(before)} → {shared(after)}"
        f" · contribution margin {percent(before.contribution_margin)} → "
        f"{percent(after.contribution_margin)}"
    )
