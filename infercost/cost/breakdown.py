"""COGS, revenue and margin per feature, subscription and customer (SPEC §4).

One :class:`Breakdown` is the result model every view of a configuration is drawn from:
the breakdown command renders it, plan compares two of them, guardrails read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, DecimalException
from typing import Any

from infercost.arithmetic import ZERO, arithmetic_problem, exact
from infercost.cost.limits import check_displayable
from infercost.cost.unit_cost import StepCost, workflow_costs
from infercost.errors import InfercostError, SourceRange
from infercost.model import Stack
from infercost.usage.snapshot import Snapshot


def margin(revenue: Decimal, cogs: Decimal) -> Decimal | None:
    """Gross margin; undefined (None) without revenue."""
    if revenue == ZERO:
        return None
    with exact():
        return (revenue - cogs) / revenue


@dataclass(frozen=True)
class FeatureResult:
    name: str
    unit: str
    workflow: str
    region: str | None
    units: Decimal
    cost_per_unit: Decimal
    cogs: Decimal
    revenue: Decimal
    margin: Decimal | None
    target_margin: Decimal | None
    steps: tuple[StepCost, ...]
    # Percentiles and drivers (infercost.insight.report.FeatureInsight), set after pricing;
    # never compared, so they cannot make a plan report a change.
    insight: Any = field(default=None, compare=False, repr=False)

    @property
    def below_target(self) -> bool:
        if self.target_margin is None:
            return False
        if self.margin is None:
            return self.cogs > ZERO
        return self.margin < self.target_margin


@dataclass(frozen=True)
class SubscriptionResult:
    name: str
    price: Decimal
    customers: Decimal
    revenue: Decimal
    cogs: Decimal | None
    margin: Decimal | None
    underwater_customers: int | None
    underwater_share: Decimal | None


@dataclass(frozen=True)
class CustomerResult:
    id: str
    subscription: str
    revenue: Decimal
    cogs: Decimal
    margin: Decimal | None

    @property
    def underwater(self) -> bool:
        return self.cogs > self.revenue


@dataclass(frozen=True)
class Totals:
    cogs: Decimal
    revenue: Decimal
    margin: Decimal | None


@dataclass(frozen=True)
class Breakdown:
    currency: str
    period: str
    usage_period: str | None
    features: dict[str, FeatureResult]
    subscriptions: dict[str, SubscriptionResult]
    customers: dict[str, CustomerResult]
    totals: Totals
    has_customers: bool = False
    notes: list[str] = field(default_factory=list)


def compute(stack: Stack, snapshot: Snapshot) -> Breakdown:
    with exact():
        try:
            figures = _compute(stack, snapshot)
        except DecimalException as exc:  # a figure beyond 1e999 on the way
            raise InfercostError.at(
                "Arithmetic error",
                f"Computing the breakdown failed: {arithmetic_problem(exc)} Check the prices, "
                "counts and usage units for absurdly large values.",
                SourceRange.point(snapshot.path, 1) if getattr(snapshot, "path", None) else None,
            ) from None
        check_displayable(stack, snapshot, figures)
        return figures


def _compute(stack: Stack, snapshot: Snapshot) -> Breakdown:
    cost_per_unit: dict[str, Decimal] = {}
    step_costs: dict[str, tuple[StepCost, ...]] = {}
    for name, feature in stack.features.items():
        costs = tuple(workflow_costs(stack, stack.workflows[feature.workflow], feature.region))
        step_costs[name] = costs
        cost_per_unit[name] = sum((c.cost_per_unit for c in costs), ZERO)

    # Customers of each subscription: counted from the snapshot when it has customer rows.
    customers: dict[str, CustomerResult] = {}
    revenue_per_unit = {name: f.revenue_per_unit for name, f in stack.features.items()}
    counted: dict[str, int] = dict.fromkeys(stack.subscriptions, 0)
    customer_units: dict[str, Decimal] = {}
    for customer in snapshot.customers.values():
        sub = stack.subscriptions.get(customer.subscription)
        if sub is None:
            continue  # a subscription this side of a plan does not declare
        counted[sub.name] += 1
        revenue, cogs = sub.price, ZERO
        for feature_name, units in customer.units.items():
            price = revenue_per_unit.get(feature_name)
            if price is None:
                continue  # a feature this side of a plan does not declare
            if price:
                revenue += units * price
            cogs += units * cost_per_unit[feature_name]
            customer_units[feature_name] = customer_units.get(feature_name, ZERO) + units
        customers[customer.id] = CustomerResult(
            customer.id, sub.name, revenue, cogs, margin(revenue, cogs)
        )

    def customer_count(name: str) -> Decimal:
        if snapshot.has_customers:
            return Decimal(counted[name])
        declared = stack.subscriptions[name].customers
        return declared if declared is not None else ZERO

    features: dict[str, FeatureResult] = {}
    for name, feature in stack.features.items():
        if snapshot.has_customers:
            units = customer_units.get(name, ZERO)
        else:
            units = snapshot.units.get(name, ZERO)
        revenue = units * feature.revenue_per_unit
        for sub in stack.subscriptions.values():
            if name in sub.revenue_share:
                revenue += customer_count(sub.name) * sub.price * sub.revenue_share[name]
        cogs = units * cost_per_unit[name]
        features[name] = FeatureResult(
            name=name,
            unit=feature.unit,
            workflow=feature.workflow,
            region=feature.region,
            units=units,
            cost_per_unit=cost_per_unit[name],
            cogs=cogs,
            revenue=revenue,
            margin=margin(revenue, cogs),
            target_margin=feature.target_margin,
            steps=step_costs[name],
        )

    members_of: dict[str, list[CustomerResult]] = {name: [] for name in stack.subscriptions}
    for result in customers.values():
        members_of[result.subscription].append(result)
    subscriptions: dict[str, SubscriptionResult] = {}
    for name, sub in stack.subscriptions.items():
        count = customer_count(name)
        if not snapshot.has_customers:
            subscriptions[name] = SubscriptionResult(
                name, sub.price, count, count * sub.price, None, None, None, None
            )
            continue
        members = members_of[name]
        sub_revenue = sum((c.revenue for c in members), ZERO)
        sub_cogs = sum((c.cogs for c in members), ZERO)
        underwater = sum(1 for c in members if c.underwater)
        share = Decimal(underwater) / Decimal(len(members)) if members else None
        subscriptions[name] = SubscriptionResult(
            name,
            sub.price,
            count,
            sub_revenue,
            sub_cogs,
            margin(sub_revenue, sub_cogs),
            underwater,
            share,
        )

    total_cogs = sum((f.cogs for f in features.values()), ZERO)
    total_revenue = sum((f.revenue for f in features.values()), ZERO)
    return Breakdown(
        currency=stack.currency,
        period=stack.settings.period,
        usage_period=snapshot.period,
        features=features,
        subscriptions=subscriptions,
        customers=dict(sorted(customers.items())),
        totals=Totals(total_cogs, total_revenue, margin(total_revenue, total_cogs)),
        has_customers=snapshot.has_customers,
    )
