"""``explain -o json`` (schema: infercost/schemas/explain.schema.json)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infercost.errors import Diagnostic
from infercost.insight.explain import Explanation
from infercost.render.diagnostics import diagnostics_fields
from infercost.render.documents import header
from infercost.render.insight_fields import percentiles_fields


def explain_document(x: Explanation, diagnostics: Iterable[Diagnostic] = ()) -> dict[str, Any]:
    f, be = x.feature, x.break_even
    return {
        **header(x.currency, x.period, x.usage_period),
        "feature": {
            "name": f.name,
            "unit": f.unit,
            "workflow": f.workflow,
            "region": f.region,
            "units": f.units,
            "cost_per_unit": f.cost_per_unit,
            "cogs": f.cogs,
            "revenue": f.revenue,
            "margin": f.margin,
            "target_margin": f.target_margin,
            "variable_cogs": f.variable_cogs,
            "allocated_cogs": f.allocated_cogs,
            "cogs_per_unit": f.cogs_per_unit,
            "contribution_margin": f.contribution_margin,
        },
        "percentiles": percentiles_fields(f),
        "swing_pct": x.swing,
        "drivers": [
            {
                "input": d.key,
                "kind": d.input.kind,
                "attribute": d.input.attribute,
                "address": d.input.address,
                "configured": d.input.text,
                "value": d.input.value,
                "elasticity": d.elasticity,
                "low": {"factor": d.low_factor, "cost_per_unit": d.low},
                "high": {"factor": d.high_factor, "cost_per_unit": d.high},
            }
            for d in x.drivers
        ],
        "break_even": {
            "target_margin": be.target_margin,
            "has_target": be.has_target,
            "meets_target": be.meets_target,
            "allowed_cost_per_unit": be.allowed_cost_per_unit,
            "revenue_per_unit": be.revenue_per_unit,
            "revenue_per_unit_needed": be.revenue_per_unit_needed,
            "subscriptions": [
                {
                    "name": s.name,
                    "price": s.price,
                    "customers": s.customers,
                    "revenue_share": s.revenue_share,
                    "price_needed": s.needed,
                    "reason": s.reason,
                }
                for s in be.subscriptions
            ],
            "notes": list(be.notes),
            "shared_cost_per_unit": be.shared_cost_per_unit,
        },
        "headroom": [
            {
                "input": h.key,
                "status": h.status,
                "factor": h.factor,
                "value": h.value,
                "change_pct": h.change_pct,
                "reason": h.reason,
            }
            for h in be.headroom
        ],
        "shared_costs": [
            {
                "input": d.key,
                "name": d.name,
                "address": f"shared_cost.{d.name}",
                "amount": d.amount,
                "allocate": d.allocate,
                "allocated": d.part,
                "elasticity": d.elasticity,
                "low": {"factor": d.low_factor, "cogs_per_unit": d.low},
                "high": {"factor": d.high_factor, "cogs_per_unit": d.high},
                "headroom": None
                if d.headroom is None
                else {
                    "status": d.headroom.status,
                    "factor": d.headroom.factor,
                    "value": d.headroom.value,
                    "change_pct": d.headroom.change_pct,
                    "reason": d.headroom.reason,
                },
            }
            for d in x.shared
        ],
        "diagnostics": diagnostics_fields(diagnostics),
    }
