"""COGS, revenue and margin per feature, subscription and customer (SPEC §4).

One :class:`Breakdown` is the result model every view of a configuration is drawn from:
the breakdown command renders it, plan compares two of them, guardrails read it.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, DecimalException
from typing import Any

from infercost.arithmetic import ZERO, arithmetic_problem, exact
from infercost.cost.allocation import Allocation, allocate_features
from infercost.cost.gpu import SECONDS_PER_HOUR
from infercost.cost.limits import check_displayable
from infercost.cost.unit_cost import StepCost, workflow_costs
from infercost.errors import Diagnostic, InfercostError, SourceRange
from infercost.model import Stack
from infercost.usage.figures import (
    CustomerRows,
    exact_sum,
    group_customers,
    price_customers,
    units_by_feature,
)
from infercost.usage.snapshot import Snapshot
from infercost.usage.split import LazyColumn


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


@dataclass(frozen=True, eq=False)
class CustomerResult:
    id: str
    subscription: str
    revenue: Decimal
    cogs: Decimal
    margin: Decimal | None
    # Exact COGS strictly greater than exact revenue (the figures above are rounded).
    underwater: bool
    # The whole bill (SPEC §18): ``cogs`` above is variable + allocated, given as
    # (variable, allocated) or as what reads them when first asked for: the text view of
    # the thinnest customers shows neither, and each may cost the engine a grouping.
    split: tuple[Decimal, Decimal] | Callable[[], tuple[Decimal, Decimal]] = (ZERO, ZERO)

    @property
    def variable_cogs(self) -> Decimal:
        return self._split()[0]

    @property
    def allocated_cogs(self) -> Decimal:
        return self._split()[1]

    def _split(self) -> tuple[Decimal, Decimal]:
        return self.split() if callable(self.split) else self.split

    def _key(self) -> tuple[object, ...]:
        return (self.id, self.subscription, self.revenue, self.cogs, self.margin,
                self.underwater, *self._split())  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CustomerResult):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def contribution_margin(self) -> Decimal | None:
        """Computed when read: most customers' figures are never shown one by one."""
        if not self.allocated_cogs:
            return self.margin
        return margin(self.revenue, self.variable_cogs)


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
    customers: CustomerTable  # by id; empty without customer rows
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
    revenue_per_unit = {name: f.revenue_per_unit for name, f in stack.features.items()}
    prices = {name: sub.price for name, sub in stack.subscriptions.items()}

    # Customers of each subscription: grouped, then priced (shared costs included) in the
    # usage engine when the snapshot has customer rows; subscription and feature figures
    # follow from units per subscription.
    groups = group_customers(snapshot, prices) if snapshot.has_customers else None
    customer_units = units_by_feature(groups, cost_per_unit) if groups is not None else {}

    def customer_count(name: str) -> Decimal:
        if groups is not None:
            return Decimal(groups.counts[name])
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
    figures = None
    if groups is not None:
        figures = price_customers(
            snapshot, cost_per_unit, revenue_per_unit, prices, groups, allocated
        )
        # A feature's part that no customer carries: nobody counted used the feature.
        uncarried = {f: a for f, a in allocated.items() if a and not feature_units.get(f)}
        allocation = replace(allocation, uncarried=uncarried)

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

    subscriptions: dict[str, SubscriptionResult] = {}
    for name, sub in stack.subscriptions.items():
        count = customer_count(name)
        if figures is None:
            subscriptions[name] = SubscriptionResult(
                name, sub.price, count, count * sub.price, None, None, None, None
            )
            continue
        used = [(u, f) for f, u in figures.units[name].items() if f in cost_per_unit]
        carried = figures.allocated.get(name, ZERO)  # its customers' shared costs
        sub_cogs = exact_sum([(u, cost_per_unit[f]) for u, f in used], carried)
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
        customers=CustomerTable(figures.customers if figures else None),
        totals=totals,
        has_customers=snapshot.has_customers,
        allocation=allocation,
        warnings=allocation.warnings,
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
        self._contribution: list[Decimal | None] | None = None

    def __len__(self) -> int:
        return len(self._rows.ids) if self._rows else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows.ids if self._rows else ())

    def __getitem__(self, key: str) -> CustomerResult:
        if self._index is None:
            self._index = {cid: i for i, cid in enumerate(self._rows.ids if self._rows else ())}
        i = self._index[key]
        return self._result(i)

    def _result(self, i: int, siblings: Sequence[int] = ()) -> CustomerResult:
        """Customer ``i``; their split read when first asked for, with that of the
        ``siblings`` (made together: one grouping of the engine for all of them)."""
        rows = self._rows
        assert rows is not None
        split: tuple[Decimal, Decimal] | Callable[[], tuple[Decimal, Decimal]]
        if not rows.allocated:
            split = (rows.cogs[i], ZERO)
        elif isinstance(rows.allocated, LazyColumn):

            def split() -> tuple[Decimal, Decimal]:
                for column in (rows.allocated, rows.variable):
                    if isinstance(column, LazyColumn):
                        column.prefetch(siblings or [i])
                return rows.variable[i], rows.allocated[i]
        else:
            split = (rows.variable[i], rows.allocated[i])
        return CustomerResult(
            rows.ids[i],
            rows.subscriptions[i],
            rows.revenue[i],
            rows.cogs[i],
            self._margin(i),
            rows.underwater[i],
            split,
        )

    def values(self) -> Iterator[CustomerResult]:  # type: ignore[override]
        return (self._result(i) for i in range(len(self)))

    def items(self) -> Iterator[tuple[str, CustomerResult]]:  # type: ignore[override]
        return ((r.id, r) for r in self.values())

    def _margin(self, i: int) -> Decimal | None:
        """One customer's margin, without making every customer's first."""
        if self._margins is not None:
            return self._margins[i]
        assert self._rows is not None
        r, c = self._rows.revenue[i], self._rows.cogs[i]
        with exact():
            return None if r == ZERO else (r - c) / r

    def thinnest(self, count: int) -> list[CustomerResult]:
        """The ``count`` customers with the least revenue − COGS (then by id), as
        ``sorted`` by that key would rank them: found on the columns, and a
        :class:`CustomerResult` made for those alone."""
        rows = self._rows
        if rows is None:
            return []
        gaps = map(operator.sub, rows.revenue, rows.cogs)
        ranked = zip(gaps, rows.ids, range(len(rows.ids)), strict=True)
        found = [i for _, _, i in heapq.nsmallest(count, ranked)]
        return [self._result(i, found) for i in found]

    def underwater_count(self) -> int:
        return sum(self._rows.underwater) if self._rows else 0

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

    def money(self) -> tuple[list[Decimal], list[Decimal]]:
        """COGS and revenue, parallel to :meth:`columns`, without making the margins."""
        if self._rows is None:
            return [], []
        return self._rows.cogs, self._rows.revenue

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

    def money_texts(self) -> tuple[list[str] | None, list[str] | None]:
        """The JSON texts of :meth:`columns`' COGS and revenue, each when the engine's
        own texts are those (:func:`infercost.usage.figures.as_is`), else None."""
        return self._rows.texts if self._rows else (None, None)

    def whole_bill_columns(
        self,
    ) -> tuple[Sequence[Decimal], Sequence[Decimal], list[Decimal | None]]:
        """variable COGS, allocated COGS, contribution margins: parallel to :meth:`columns`
        (the COGS and margins themselves when no shared cost was allocated)."""
        rows = self._rows
        if rows is None:
            return [], [], []
        if not rows.allocated:
            return rows.cogs, [ZERO] * len(rows.ids), self.margins()
        if self._contribution is None:
            with exact():
                self._contribution = [
                    m if not a else (None if r == ZERO else (r - v) / r)
                    for r, v, a, m in zip(
                        rows.revenue, rows.variable, rows.allocated, self.margins(), strict=True
                    )
                ]
        return rows.variable, rows.allocated, self._contribution
