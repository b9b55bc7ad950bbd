"""Result models -> JSON-ready documents (SPEC §8, §10). Every machine format starts here.

Keys are snake_case, lists are sorted by name (customers by id), steps keep declaration
order, and a missing value is ``None`` (JSON null), never omitted. Every document ends
with the run's ``diagnostics`` (warnings, as objects), encoded by
:func:`infercost.render.diagnostics.diagnostic_fields`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infercost.cost.breakdown import (
    Breakdown,
    CustomerResult,
    FeatureResult,
    SubscriptionResult,
    Totals,
)
from infercost.errors import Diagnostic
from infercost.render.diagnostics import diagnostics_fields

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
        "variable_cogs": f.variable_cogs,
        "allocated_cogs": f.allocated_cogs,
        "uncarried_cogs": f.uncarried_cogs,
        "contribution_margin": f.contribution_margin,
        "cogs_per_unit": f.cogs_per_unit,
        "gpu_seconds_per_unit": f.gpu_seconds_per_unit,
        "steps": [
            {
                "name": c.step.name,
                "address": c.step.address,
                "uses": c.step.uses,
                "kind": c.step.kind,
                "cost_per_unit": c.cost_per_unit,
                "gpu_seconds_per_unit": c.gpu_seconds_per_unit,
            }
            for c in f.steps
        ],
    }


def feature_document(f: FeatureResult) -> dict[str, Any]:
    """A feature's figures plus what insight adds (percentiles, top drivers), when priced."""
    from infercost.render.insight_fields import insight_fields

    return feature_fields(f) | insight_fields(f)


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


def totals_fields(t: Totals) -> dict[str, Any]:
    return {
        "cogs": t.cogs,
        "revenue": t.revenue,
        "margin": t.margin,
        "variable_cogs": t.variable_cogs,
        "allocated_cogs": t.allocated_cogs,
        "unallocated_cogs": t.unallocated_cogs,
        "contribution_margin": t.contribution_margin,
        "gpu_hours": t.gpu_hours,
        "gpu_hours_by_item": dict(t.gpu_hours_by_item),
    }


def shared_cost_fields(b: Breakdown) -> list[dict[str, Any]]:
    """Each shared cost with its parts by feature (members with none of the base get none)."""
    return [
        {
            "name": s.name,
            "amount": s.amount,
            "allocate": s.allocate,
            "features": list(s.features),
            "parts": [{"feature": f, "amount": a} for f, a in sorted(s.parts.items())],
            "unallocated": s.unallocated,
        }
        for _, s in sorted(b.allocation.shared.items())
    ]


def customer_fields(customers: Mapping[str, CustomerResult]) -> list[dict[str, Any]]:
    """One object per customer; read column-wise when the breakdown keeps columns."""
    columns = getattr(customers, "columns", None)
    if columns is None:
        rows: Any = (
            (c.id, c.subscription, c.cogs, c.revenue, c.margin, c.underwater,
             c.variable_cogs, c.allocated_cogs, c.contribution_margin)
            for c in customers.values()
        )  # fmt: skip
    else:
        rows = zip(*columns(), *customers.whole_bill_columns(), strict=True)  # type: ignore[attr-defined]
    return [
        {
            "id": i,
            "subscription": s,
            "cogs": c,
            "revenue": r,
            "margin": m,
            "variable_cogs": v,
            "allocated_cogs": a,
            "contribution_margin": cm,
            "underwater": u,
        }
        for i, s, c, r, m, u, v, a, cm in rows
    ]


def breakdown_document(
    b: Breakdown, diagnostics: Iterable[Diagnostic] = (), *, customers: Any = None
) -> dict[str, Any]:
    """``customers``, when given, stands for the customer objects (the JSON writer's
    pre-written text of them: :mod:`infercost.render.customers_json`)."""
    return {
        **header(b.currency, b.period, b.usage_period),
        "features": [feature_document(f) for _, f in sorted(b.features.items())],
        "subscriptions": [subscription_fields(s) for _, s in sorted(b.subscriptions.items())],
        "customers": customer_fields(b.customers) if customers is None else customers,
        "shared_costs": shared_cost_fields(b),
        "totals": totals_fields(b.totals),
        "diagnostics": diagnostics_fields(diagnostics),
    }


def plan_document(plan: Any, diagnostics: Iterable[Diagnostic] = ()) -> dict[str, Any]:
    """SPEC §8/§11 plan JSON; ``plan`` is an :class:`infercost.plan.diff.Plan`."""

    def delta(d: Any) -> dict[str, Any]:
        return {
            "cogs": d.cogs,
            "cogs_pct": d.cogs_pct,
            "cost_per_unit_pct": d.cost_per_unit_pct,
            "margin_points": d.margin_points,
            "revenue": d.revenue,
            "usage_effect": d.usage_effect,
            "configuration_effect": d.configuration_effect,
        }

    def change(c: Any) -> dict[str, Any]:
        return {
            "address": c.address,
            "action": c.action,
            "attribute": c.attribute,
            "before": c.before,
            "after": c.after,
        }

    def price_change(e: Any) -> dict[str, Any]:
        return {
            "address": e.address,
            "attribute": e.attribute,
            "label": e.label,
            "before": e.before,
            "after": e.after,
            "cogs_change": e.cogs_change,
        }

    return {
        **header(plan.currency, plan.period, plan.usage_period),
        "base": plan.base_label,
        "has_changes": plan.has_changes,
        "usage_changed": plan.usage_changed,
        "base_usage_period": plan.base_usage_period,
        "summary": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "delete": plan.count("delete"),
            "no_op": plan.count("no-op"),
        },
        "features": [
            {
                "name": f.name,
                "action": f.action,
                "before": feature_document(f.before) if f.before else None,
                "after": feature_document(f.after) if f.after else None,
                "change": delta(f.change),
                "target_margin": f.target_margin,
                "below_target": f.breaches_target,
                "attribution": [
                    {
                        "step": a.step,
                        "address": a.address,
                        "cogs_change": a.cogs_change,
                        "cost_per_unit_change": a.cost_per_unit_change,
                        "usage_effect": a.usage_effect,
                        "configuration_effect": a.configuration_effect,
                        "causes": [change(c) for c in a.causes],
                        "price_changes": [price_change(e) for e in a.price_effects],
                    }
                    for a in f.attribution
                ],
            }
            for f in plan.features
        ],
        "subscriptions": [
            {
                "name": s.name,
                "action": s.action,
                "before": subscription_fields(s.before) if s.before else None,
                "after": subscription_fields(s.after) if s.after else None,
            }
            for s in plan.subscriptions
        ],
        "totals": {
            "before": totals_fields(plan.totals_before),
            "after": totals_fields(plan.totals_after),
            "change": delta(plan.change),
        },
        "changes": [change(c) for c in plan.changes],
        "price_changes": [price_change(e) for e in plan.price_changes],
        "diagnostics": diagnostics_fields(diagnostics),
    }


def check_document(result: Any, diagnostics: Iterable[Diagnostic] | None = None) -> dict[str, Any]:
    """SPEC §8 check JSON; ``result`` is an :class:`infercost.guard.results.CheckResult`.

    ``diagnostics`` are the whole run's; without them, the guardrails' own warnings."""

    def location(rng: Any) -> dict[str, Any] | None:
        if rng is None:
            return None
        return {"file": rng.filename, "line": rng.start.line, "column": rng.start.column}

    return {
        **header(result.currency, result.period, result.usage_period),
        "records_period": result.records_period,
        "base": result.base_label,
        "strict": result.strict,
        "passed": result.passed,
        "summary": result.summary,
        "results": [
            {
                "guardrail": r.guardrail,
                "target": r.target,
                "scope": r.scope,
                "severity": r.severity,
                "status": r.status,
                "blocking": r.blocking,
                "message": r.message,
                "description": r.description,
                "condition": r.condition,
                "source": r.source,
                "location": location(r.location),
                "values": r.values,
                "base_values": r.base_values,
                "worse": r.worse,
                "shortfall": None if r.shortfall is None else r.shortfall[0],
                "waiver": None
                if r.waiver is None
                else {
                    "name": r.waiver.name,
                    "reason": r.waiver.reason,
                    "until": r.waiver.until.isoformat(),
                    "expired": r.waiver.expired,
                    "max_shortfall": r.waiver.max_shortfall,
                    "exceeded": r.waiver.exceeded,
                },
            }
            for r in result.results
        ],
        "plan": None
        if result.plan is None
        else {
            "summary": {
                "create": result.plan.count("create"),
                "update": result.plan.count("update"),
                "delete": result.plan.count("delete"),
            },
            "totals": {
                "before": {
                    "cogs": result.plan.totals_before.cogs,
                    "margin": result.plan.totals_before.margin,
                },
                "after": {
                    "cogs": result.plan.totals_after.cogs,
                    "margin": result.plan.totals_after.margin,
                },
                "change": {
                    "cogs": result.plan.change.cogs,
                    "usage_effect": result.plan.change.usage_effect,
                    "configuration_effect": result.plan.change.configuration_effect,
                },
            },
            "usage_changed": result.plan.usage_changed,
        },
        "diagnostics": diagnostics_fields(result.warnings if diagnostics is None else diagnostics),
    }
