"""Result models -> JSON-ready documents (SPEC §8, §10). Every machine format starts here.

Keys are snake_case, lists are sorted by name (customers by id), steps keep declaration
order, and a missing value is ``None`` (JSON null), never omitted.
"""

from __future__ import annotations

from typing import Any

from infercost.cost.breakdown import Breakdown, FeatureResult, SubscriptionResult

FORMAT_VERSION = "1"


def header(currency: str, period: str, usage_period: str | None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "currency": currency,
        "period": period,
        "usage_period": usage_period,
    }


def feature_fields(f: FeatureResult) -> dict[str, Any]:
    return {
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
        "steps": [
            {
                "name": c.step.name,
                "address": c.step.address,
                "uses": c.step.uses,
                "kind": c.step.kind,
                "cost_per_unit": c.cost_per_unit,
            }
            for c in f.steps
        ],
    }


def subscription_fields(s: SubscriptionResult) -> dict[str, Any]:
    return {
        "name": s.name,
        "price": s.price,
        "customers": s.customers,
        "revenue": s.revenue,
        "cogs": s.cogs,
        "margin": s.margin,
        "underwater_customers": s.underwater_customers,
        "underwater_share": s.underwater_share,
    }


def breakdown_document(b: Breakdown) -> dict[str, Any]:
    return {
        **header(b.currency, b.period, b.usage_period),
        "features": [feature_fields(f) for _, f in sorted(b.features.items())],
        "subscriptions": [subscription_fields(s) for _, s in sorted(b.subscriptions.items())],
        "customers": [
            {
                "id": c.id,
                "subscription": c.subscription,
                "cogs": c.cogs,
                "revenue": c.revenue,
                "margin": c.margin,
                "underwater": c.underwater,
            }
            for c in b.customers.values()
        ],
        "totals": {"cogs": b.totals.cogs, "revenue": b.totals.revenue, "margin": b.totals.margin},
    }
