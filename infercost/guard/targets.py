"""The objects a guardrail of each scope judges, as ``self`` sees them (SPEC §6, §11).

Each target is an address, the block it judges (so an annotation lands on the diff:
a feature, subscription, workflow or step block; a customer at its subscription; the
whole stack at its ``infercost`` block or first file), and the attributes of ``self``.
Attributes that need a base (``*_change``) are None without one, so a condition that
reads them is skipped and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from infercost.arithmetic import ZERO, exact
from infercost.cost.breakdown import Breakdown, CustomerResult, CustomerTable
from infercost.cost.unit_cost import step_metrics, workflow_costs
from infercost.errors import SourceRange
from infercost.evaluate.values import NoRevenue
from infercost.model import Stack
from infercost.usage.snapshot import Snapshot


@dataclass(frozen=True)
class Target:
    address: str
    location: SourceRange
    attributes: dict[str, Any]
    # Why the observed and drift attributes are null (features and steps; None: observed).
    unobserved: str | None = None


def _pct(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    if before is None or after is None or before == ZERO:
        return None
    return (after - before) / before * 100


def _diff(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    if before is None or after is None:
        return None
    return after - before


def _margin(margin: Decimal | None, cogs: Decimal | None) -> Decimal | NoRevenue | None:
    """The margin as ``self`` sees it: with COGS and no revenue it fails every condition
    that reads it (SPEC §15); with neither it is null and such a condition is skipped."""
    if margin is None and cogs is not None and cogs > ZERO:
        return NoRevenue("margin", cogs)
    return margin


def _margin_change(
    old: Decimal | None, new: Decimal | None, cogs: Decimal, has_base: bool
) -> Decimal | NoRevenue | None:
    if has_base and new is None and cogs > ZERO:
        return NoRevenue("margin_change", cogs)
    return _diff(old, new)


def targets(
    scope: str,
    stack: Stack,
    figures: Breakdown,
    snapshot: Snapshot | None,
    base: Breakdown | None,
    observed: Any = None,
) -> list[Target]:
    """``observed`` (:class:`infercost.calibrate.drift.Observed`, from ``check --records``)
    adds the observed and drift attributes to features and steps; without it they are
    null, so a drift guardrail is skipped and says why."""
    with exact():
        found = {
            "feature": _features,
            "subscription": _subscriptions,
            "customer": _customers,
            "workflow": _workflows,
            "step": _steps,
            "stack": _stack,
        }[scope](stack, figures, snapshot, base)
    if scope in ("feature", "step"):
        from infercost.calibrate.drift import Observed

        seen = observed if observed is not None else Observed()
        for i, t in enumerate(found):
            if scope == "feature":
                name = t.attributes["name"]
                t.attributes.update(seen.feature(name))
                found[i] = replace(t, unobserved=seen.feature_reason(name))
            else:
                t.attributes.update(seen.step(t.address))
                found[i] = replace(t, unobserved=seen.step_reason(t.address))
    return found


def _features(
    stack: Stack, b: Breakdown, _s: Snapshot | None, base: Breakdown | None
) -> list[Target]:
    out = []
    for name, f in sorted(b.features.items()):
        old = base.features.get(name) if base else None
        out.append(
            Target(
                f"feature.{name}",
                stack.features[name].range,
                {
                    "name": name,
                    "unit": f.unit,
                    "workflow": f.workflow,
                    "region": f.region,
                    "units": f.units,
                    "cost_per_unit": f.cost_per_unit,
                    "cogs": f.cogs,
                    "revenue": f.revenue,
                    "margin": _margin(f.margin, f.cogs),
                    "target_margin": f.target_margin,
                    "variable_cogs": f.variable_cogs,
                    "allocated_cogs": f.allocated_cogs,
                    "contribution_margin": _margin(f.contribution_margin, f.variable_cogs),
                    "cogs_per_unit": f.cogs_per_unit,
                    "gpu_seconds_per_unit": f.gpu_seconds_per_unit,
                    "revenue_per_unit": stack.features[name].revenue_per_unit,
                    "cogs_change": _diff(old.cogs if old else None, f.cogs),
                    "cogs_change_pct": _pct(old.cogs if old else None, f.cogs),
                    "margin_change": _margin_change(
                        old.margin if old else None, f.margin, f.cogs, old is not None
                    ),
                    "cost_per_unit_change_pct": _pct(
                        old.cost_per_unit if old else None, f.cost_per_unit
                    ),
                },
            )
        )
    return out


def _subscriptions(
    stack: Stack, b: Breakdown, _s: Snapshot | None, base: Breakdown | None
) -> list[Target]:
    out = []
    for name, sub in sorted(b.subscriptions.items()):
        old = base.subscriptions.get(name) if base else None
        out.append(
            Target(
                f"subscription.{name}",
                stack.subscriptions[name].range,
                {
                    "name": name,
                    "price": sub.price,
                    "customers": sub.customers,
                    "revenue": sub.revenue,
                    "cogs": sub.cogs,
                    "margin": _margin(sub.margin, sub.cogs),
                    "underwater_customers": None
                    if sub.underwater_customers is None
                    else Decimal(sub.underwater_customers),
                    "underwater_share": sub.underwater_share,
                    "cogs_change": _diff(old.cogs if old else None, sub.cogs),
                    "cogs_change_pct": _pct(old.cogs if old else None, sub.cogs),
                },
            )
        )
    return out


def customer_address(customer_id: str) -> str:
    escaped = customer_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'customer["{escaped}"]'


def _customers(
    stack: Stack, b: Breakdown, snap: Snapshot | None, _base: Breakdown | None
) -> list[Target]:
    customers = b.customers
    if not isinstance(customers, CustomerTable):
        return [_customer(stack, c) for c in customers.values()]
    # Read straight from the table's columns: a large stack has tens of thousands of
    # customers, and making a CustomerResult of each first costs as much as the rest.
    ids, subscriptions, cogs, revenue, margins, underwater = customers.columns()
    variable, allocated, contribution = customers.whole_bill_columns()
    # A customer is a row of usage, not configuration: the result lands on the block
    # that prices it (its subscription), which is what a pull request can change.
    locations = {name: sub.range for name, sub in stack.subscriptions.items()}
    fallback = stack.settings.range
    out = []
    for cid, sub, c, r, m, u, v, a, cm in zip(
        ids,
        subscriptions,
        cogs,
        revenue,
        margins,
        underwater,
        variable,
        allocated,
        contribution,
        strict=True,
    ):
        out.append(
            Target(
                customer_address(cid),
                locations.get(sub, fallback),
                {
                    "id": cid,
                    "subscription": sub,
                    "revenue": r,
                    "cogs": c,
                    "margin": _margin(m, c),
                    "variable_cogs": v,
                    "allocated_cogs": a,
                    "contribution_margin": _margin(cm, v),
                    "underwater": u,
                },
            )
        )
    return out


def _customer(stack: Stack, c: CustomerResult) -> Target:
    sub = stack.subscriptions.get(c.subscription)
    return Target(
        customer_address(c.id),
        sub.range if sub is not None else stack.settings.range,
        {
            "id": c.id,
            "subscription": c.subscription,
            "revenue": c.revenue,
            "cogs": c.cogs,
            "margin": _margin(c.margin, c.cogs),
            "variable_cogs": c.variable_cogs,
            "allocated_cogs": c.allocated_cogs,
            "contribution_margin": _margin(c.contribution_margin, c.variable_cogs),
            "underwater": c.underwater,
        },
    )


def _workflows(
    stack: Stack, _b: Breakdown, _s: Snapshot | None, _base: Breakdown | None
) -> list[Target]:
    out = []
    for name, w in sorted(stack.workflows.items()):
        costs = workflow_costs(stack, w, None)
        out.append(
            Target(
                f"workflow.{name}",
                w.range,
                {
                    "name": name,
                    "cost_per_unit": sum((c.cost_per_unit for c in costs), ZERO),
                    "cache_hit_rate": w.cache_hit_rate,
                    "steps": Decimal(len(w.steps)),
                },
            )
        )
    return out


def _steps(
    stack: Stack, _b: Breakdown, _s: Snapshot | None, _base: Breakdown | None
) -> list[Target]:
    out = []
    for _, w in sorted(stack.workflows.items()):
        costs = workflow_costs(stack, w, None)
        total = sum((c.cost_per_unit for c in costs), ZERO)
        for step, cost in zip(w.steps, costs, strict=True):
            out.append(Target(step.address, step.range, step_metrics(step, cost, total)))
    return out


def _stack(stack: Stack, b: Breakdown, _s: Snapshot | None, base: Breakdown | None) -> list[Target]:
    old = base.totals if base else None
    return [
        Target(
            "stack",
            stack.settings.range,  # the infercost block, or the start of the first file
            {
                "cogs": b.totals.cogs,
                "revenue": b.totals.revenue,
                "margin": _margin(b.totals.margin, b.totals.cogs),
                "variable_cogs": b.totals.variable_cogs,
                "allocated_cogs": b.totals.allocated_cogs,
                "unallocated_cogs": b.totals.unallocated_cogs,
                "contribution_margin": _margin(
                    b.totals.contribution_margin, b.totals.variable_cogs
                ),
                "gpu_hours": b.totals.gpu_hours,
                "gpu_hours_by_item": dict(b.totals.gpu_hours_by_item),
                "reserved_gpu_hours": _reserved_gpu_hours(stack),
                "cogs_change": _diff(old.cogs if old else None, b.totals.cogs),
                "cogs_change_pct": _pct(old.cogs if old else None, b.totals.cogs),
            },
        )
    ]


def _reserved_gpu_hours(stack: Stack) -> Decimal | None:
    """The declared GPU reservation (variable ``reserved_gpu_hours``), for policy packs,
    which read only ``self``; None when the stack declares none."""
    variable = stack.variables.get("reserved_gpu_hours")
    value = variable.value if variable is not None else None
    return value if isinstance(value, Decimal) and not isinstance(value, bool) else None
