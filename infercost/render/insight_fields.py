"""JSON fields of a feature's percentiles and drivers (SPEC §16), shared by every document."""

from __future__ import annotations

from typing import Any

from infercost.arithmetic import exact
from infercost.cost.breakdown import FeatureResult
from infercost.insight.sampling import UNIT_METHOD, significant


def percentiles_fields(f: FeatureResult) -> dict[str, Any] | None:
    insight = f.insight
    p = insight.percentiles if insight is not None else None
    if p is None:
        return None
    with exact():
        cogs_sd = significant(p.standard_deviation * f.units.sqrt()) if f.units else 0
        cogs_expected = f.units * p.expected
    return {
        "seed": p.seed,
        "samples": p.samples,
        "cost_per_unit": {
            "p50": p.cost_per_unit.p50,
            "p90": p.cost_per_unit.p90,
            "p95": p.cost_per_unit.p95,
            "method": UNIT_METHOD,
            "expected": p.expected,
            "simulated_mean": p.simulated_mean,
            "standard_error": p.standard_error,
            "standard_deviation": p.standard_deviation,
            "agrees": p.agrees,
        },
        "cogs": {
            "p50": p.cogs.p50,
            "p90": p.cogs.p90,
            "p95": p.cogs.p95,
            "method": insight.cogs_method,
            "expected": cogs_expected,
            "standard_deviation": cogs_sd,
        },
    }


def insight_fields(f: FeatureResult) -> dict[str, Any]:
    if f.insight is None:
        return {}
    return {
        "percentiles": percentiles_fields(f),
        "drivers": [{"input": key, "elasticity": e} for key, e in f.insight.top_drivers],
    }
