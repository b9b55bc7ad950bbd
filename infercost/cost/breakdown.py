"""COGS, revenue and margin per feature, subscription and customer (SPEC §4).

One :class:`Breakdown` is the result model every view of a configuration is drawn from:
the breakdown command renders it, plan compares two of them, guardrails read it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException
from typing import Any

from infercost.arithmetic import ZERO, arithmetic_problem, exact
from infercost.cost.limits import check_displayable
from infercost.cost.unit_cost import StepCost, workflow_costs
from infercost.errors import InfercostError, SourceRange
from infercost.model import Stack
from infercost.usage.figures import CustomerRows, exact_sum, price_customers
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
    # Exact COGS strictly greater than exact revenue (the figures above are rounded).
    underwater: bool


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
    customers: Mapping[str, CustomerResult]
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
    revenue_per_unit = {name: f.revenue_per_unit for name, f in stack.features.items()}
    prices = {name: sub.price for name, sub in stack.subscriptions.items()}

    # Customers of each subscription: priced in the usage engine when the snapshot has
    # customer rows; subscription and feature figures follow from units per subscription.
    figures = (
        price_customers(snapshot, cost_per_unit, revenue_per_unit, prices)
        if snapshot.has_customers
        else None
    )
    customer_units: dict[str, Decimal] = {}
    if figures is not None:
        for per_feature in figures.units.values():
            for feature_name, units in per_feature.items():
                if feature_name in cost_per_unit:
                    customer_units[feature_name] = customer_units.get(feature_name, ZERO) + units

    def customer_count(name: str) -> Decimal:
        if figures is not None:
            return Decimal(figures.counts[name])
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

    subscriptions: dict[str, SubscriptionResult] = {}
    for name, sub in stack.subscriptions.items():
        count = customer_count(name)
        if figures is None:
            subscriptions[name] = SubscriptionResult(
                name, sub.price, count, count * sub.price, None, None, None, None
            )
            continue
        used = [(u, f) for f, u in figures.units[name].items() if f in cost_per_unit]
        sub_cogs = exact_sum([(u, cost_per_unit[f]) for u, f in used])
        sub_revenue = exact_sum([(u, revenue_per_unit[f]) for u, f in used], count * sub.price)
        underwater = figures.underwater[name]
        members = figures.counts[name]
        share = Decimal(underwater) / Decimal(members) if members else None
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
        customers=CustomerTable(figures.customers if figures else None),
        totals=Totals(total_cogs, total_revenue, margin(total_revenue, total_cogs)),
        has_customers=snapshot.has_customers,
    )


class CustomerTable(Mapping[str, CustomerResult]):
    """Customers by id, in id order, kept as the engine's columns.

    A breakdown of hundreds of thousands of customers is mostly read in bulk (a JSON
    document, the worst few); a :class:`CustomerResult` is made only when one is asked
    for, and :meth:`columns` gives the bulk readers the values without building them.
    """

    def __init__(self, rows: CustomerRows | None) -> None:
        self._rows = rows
        self._index: dict[str, int] | None = None
        self._margins: list[Decimal | None] | None = None

    def __len__(self) -> int:
        return len(self._rows.ids) if self._rows else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows.ids if self._rows else ())

    def __getitem__(self, key: str) -> CustomerResult:
        if self._index is None:
            self._index = {cid: i for i, cid in enumerate(self._rows.ids if self._rows else ())}
        i = self._index[key]
        return self._result(i)

    def _result(self, i: int) -> CustomerResult:
        rows = self._rows
        assert rows is not None
        return CustomerResult(
            rows.ids[i],
            rows.subscriptions[i],
            rows.revenue[i],
            rows.cogs[i],
            self.margins()[i],
            rows.underwater[i],
        )

    def values(self) -> Iterator[CustomerResult]:  # type: ignore[override]
        return (self._result(i) for i in range(len(self)))

    def items(self) -> Iterator[tuple[str, CustomerResult]]:  # type: ignore[override]
        return ((r.id, r) for r in self.values())

    def margins(self) -> list[Decimal | None]:
        if self._margins is None:
            rows = self._rows
            if rows is None:
                self._margins = []
            else:
                with exact():
                    self._margins = [
                        None if r == ZERO else (r - c) / r
                        for r, c in zip(rows.revenue, rows.cogs, strict=True)
                    ]
        return self._margins

    def columns(
        self,
    ) -> tuple[
        list[str], list[str], list[Decimal], list[Decimal], list[Decimal | None], list[bool]
    ]:
        """ids, subscriptions, cogs, revenue, margins, underwater: parallel, in id order."""
        rows = self._rows
        if rows is None:
            return [], [], [], [], [], []
        return (
            rows.ids,
            rows.subscriptions,
            rows.cogs,
            rows.revenue,
            self.margins(),
            rows.underwater,
        )
