"""COGS, revenue and margin per feature, subscription and customer (SPEC §4).

One :class:`Breakdown` is the result model every view of a configuration is drawn from:
the breakdown command renders it, plan compares two of them, guardrails read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, DecimalException
from typing import Any

from infercost.arithmetic import ZERO, arithmetic_problem, exact
from infercost.cost.allocation import Allocation, allocate_customers, allocate_features
from infercost.cost.gpu import SECONDS_PER_HOUR
from infercost.cost.limits import check_displayable
from infercost.cost.unit_cost import StepCost, workflow_costs
from infercost.errors import Diagnostic, InfercostError, SourceRange
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
    # The whole bill (SPEC §18): ``cogs`` above is variable + allocated.
    variable_cogs: Decimal = ZERO
    allocated_cogs: Decimal = ZERO
    contribution_margin: Decimal | None = None
    # None when no step of the workflow runs on a GPU.
    gpu_seconds_per_unit: Decimal | None = None
    # Allocated COGS no customer carries (a weighted feature nobody used); 0 otherwise.
    uncarried_cogs: Decimal = ZERO

    @property
    def cogs_per_unit(self) -> Decimal | None:
        if not self.units:
            return None
        with exact():
            return self.cogs / self.units

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
    variable_cogs: Decimal = ZERO
    allocated_cogs: Decimal = ZERO

    @property
    def contribution_margin(self) -> Decimal | None:
        """Computed when read: most customers' figures are never shown one by one."""
        if not self.allocated_cogs:
            return self.margin
        return margin(self.revenue, self.variable_cogs)

    @property
    def underwater(self) -> bool:
        return self.cogs > self.revenue


@dataclass(frozen=True)
class Totals:
    cogs: Decimal
    revenue: Decimal
    margin: Decimal | None
    variable_cogs: Decimal = ZERO
    allocated_cogs: Decimal = ZERO  # allocated to features
    unallocated_cogs: Decimal = ZERO  # shared costs no feature could carry
    contribution_margin: Decimal | None = None
    gpu_hours: Decimal = ZERO
    gpu_hours_by_item: dict[str, Decimal] = field(default_factory=dict)


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
    allocation: Allocation = field(default_factory=Allocation)
    # Located warnings found while pricing (an unallocated shared cost).
    warnings: tuple[Diagnostic, ...] = field(default=(), compare=False)


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
    rows: list[tuple[str, str, Decimal, Decimal]] = []
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
        rows.append((customer.id, sub.name, revenue, cogs))

    def customer_count(name: str) -> Decimal:
        if snapshot.has_customers:
            return Decimal(counted[name])
        declared = stack.subscriptions[name].customers
        return declared if declared is not None else ZERO

    feature_units: dict[str, Decimal] = {}
    feature_revenue: dict[str, Decimal] = {}
    variable: dict[str, Decimal] = {}
    for name, feature in stack.features.items():
        if snapshot.has_customers:
            units = customer_units.get(name, ZERO)
        else:
            units = snapshot.units.get(name, ZERO)
        revenue = units * feature.revenue_per_unit
        for sub in stack.subscriptions.values():
            if name in sub.revenue_share:
                revenue += customer_count(sub.name) * sub.price * sub.revenue_share[name]
        feature_units[name], feature_revenue[name] = units, revenue
        variable[name] = units * cost_per_unit[name]

    allocation = allocate_features(stack.shared_costs, feature_units, variable, feature_revenue)
    allocated = allocation.by_feature
    if snapshot.has_customers and allocated:
        by_customer, uncarried = allocate_customers(
            allocated,
            feature_units,
            (
                (c.id, c.units)
                for c in snapshot.customers.values()
                if c.subscription in stack.subscriptions
            ),
        )
        allocation = replace(allocation, by_customer=by_customer, uncarried=uncarried)

    features: dict[str, FeatureResult] = {}
    gpu_seconds: dict[str, Decimal] = {}
    for name, feature in stack.features.items():
        units, revenue = feature_units[name], feature_revenue[name]
        part = allocated.get(name, ZERO)
        cogs = variable[name] + part if part else variable[name]
        seconds = None
        for c in step_costs[name]:
            if c.gpu_seconds_per_unit is not None:
                seconds = (seconds or ZERO) + c.gpu_seconds_per_unit
                item = c.step.uses
                gpu_seconds[item] = gpu_seconds.get(item, ZERO) + units * c.gpu_seconds_per_unit
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
            variable_cogs=variable[name],
            allocated_cogs=part,
            contribution_margin=margin(revenue, variable[name]),
            gpu_seconds_per_unit=seconds,
            uncarried_cogs=allocation.uncarried.get(name, ZERO),
        )

    customers: dict[str, CustomerResult] = {}
    by_customer = allocation.by_customer
    for cid, sub_name, revenue, cogs in rows:
        extra = by_customer.get(cid) if by_customer else None
        if extra is None:
            customers[cid] = CustomerResult(
                cid, sub_name, revenue, cogs, margin(revenue, cogs), cogs, ZERO
            )
        else:
            total = cogs + extra
            customers[cid] = CustomerResult(
                cid,
                sub_name,
                revenue,
                total,
                margin(revenue, total),
                cogs,
                extra,
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

    total_variable = sum(variable.values(), ZERO)
    total_allocated = sum(allocated.values(), ZERO)
    total_cogs = total_variable + total_allocated + allocation.unallocated
    total_revenue = sum((f.revenue for f in features.values()), ZERO)
    gpu_hours = {item: s / SECONDS_PER_HOUR for item, s in sorted(gpu_seconds.items())}
    totals = Totals(
        total_cogs,
        total_revenue,
        margin(total_revenue, total_cogs),
        variable_cogs=total_variable,
        allocated_cogs=total_allocated,
        unallocated_cogs=allocation.unallocated,
        contribution_margin=margin(total_revenue, total_variable),
        gpu_hours=sum(gpu_hours.values(), ZERO),
        gpu_hours_by_item=gpu_hours,
    )
    return Breakdown(
        currency=stack.currency,
        period=stack.settings.period,
        usage_period=snapshot.period,
        features=features,
        subscriptions=subscriptions,
        customers=dict(sorted(customers.items())),
        totals=totals,
        has_customers=snapshot.has_customers,
        allocation=allocation,
        warnings=allocation.warnings,
    )
