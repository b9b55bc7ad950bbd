"""Terminal lines for percentiles and top drivers, shared by breakdown, plan and explain."""

from __future__ import annotations

from infercost.cost.breakdown import FeatureResult
from infercost.render.formatting import Style, money, percent


def drivers_text(f: FeatureResult) -> str | None:
    """ "57.0% escalate.input_tokens, 31.2% draft.calls, ..." or None."""
    if f.insight is None or not f.insight.top_drivers:
        return None
    return ", ".join(f"{percent(e)} {key}" for key, e in f.insight.top_drivers)


def percentile_lines(f: FeatureResult, currency: str, indent: str) -> list[str]:
    p = f.insight.percentiles if f.insight is not None else None
    if p is None:
        return []
    u, g = p.cost_per_unit, p.cogs
    return [
        f"{indent}cost per unit P50 {money(u.p50, currency)} · P90 {money(u.p90, currency)}"
        f" · P95 {money(u.p95, currency)}  (simulated mean {money(p.simulated_mean, currency)}"
        f" ± {money(p.standard_error, currency)}, {p.samples:,} units, seed {p.seed})",
        f"{indent}COGS P50 {money(g.p50, currency)} · P90 {money(g.p90, currency)}"
        f" · P95 {money(g.p95, currency)}  (normal, from the exact mean and variance)",
    ]


def insight_lines(f: FeatureResult, currency: str, style: Style) -> list[str]:
    """A feature's spread and top drivers, under its figures in breakdown and plan."""
    lines = [style.dim(line) for line in percentile_lines(f, currency, "  ")]
    drivers = drivers_text(f)
    if drivers:
        lines.append(f"  {'drivers':<14} {drivers}")
    return lines
