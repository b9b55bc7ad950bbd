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
        return [f"{indent}{f.insight.note}"] if f.insight is not None and f.insight.note else []
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


def plan_insight_lines(
    before: FeatureResult | None, after: FeatureResult | None, currency: str, style: Style
) -> list[str]:
    """Percentiles before → after when both sides have them; drivers of the side shown."""
    shown = after or before
    assert shown is not None
    old = before.insight.percentiles if before is not None and before.insight else None
    new = after.insight.percentiles if after is not None and after.insight else None
    if old is None or new is None or old == new:
        return insight_lines(shown, currency, style)

    def arrow(a: object, b: object) -> str:
        return f"{money(a, currency)} → {money(b, currency)}"  # type: ignore[arg-type]

    u0, u1, g0, g1 = old.cost_per_unit, new.cost_per_unit, old.cogs, new.cogs
    lines = [
        style.dim(
            f"  cost per unit P50 {arrow(u0.p50, u1.p50)} · P90 {arrow(u0.p90, u1.p90)}"
            f" · P95 {arrow(u0.p95, u1.p95)}  (simulated, {new.samples:,} units, seed {new.seed})"
        ),
        style.dim(
            f"  COGS P50 {arrow(g0.p50, g1.p50)} · P95 {arrow(g0.p95, g1.p95)}"
            "  (normal, from the exact mean and variance)"
        ),
    ]
    drivers = drivers_text(shown)
    if drivers:
        lines.append(f"  {'drivers':<14} {drivers}")
    return lines
