"""Shared costs allocated to features and, within a feature, to customers (SPEC §18).

A shared cost's amount is split over its member features in proportion to a base (their
units, variable COGS, revenue, or declared weights); a feature's allocated part is then
split over its customers by their units. Every part is rounded down to 10^-18 and the
remainder goes to the last part in name order, so parts always add up exactly to what
they split: features to the amount, customers to their feature's part. Members with none
of the base get nothing; when every member has none, the amount is reported unallocated
(it stays in the totals: totals are the whole bill).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infercost.arithmetic import ZERO
from infercost.errors import Diagnostic, Severity
from infercost.model import SharedCost

QUANTUM = Decimal("1e-18")
# Wide enough that amount·base is exact and its quotient floors correctly at 10^-18 for
# any amount and base a stack can hold.
_WIDE = decimal.Context(
    prec=80,
    rounding=decimal.ROUND_FLOOR,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def split(amount: Decimal, bases: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal] | None:
    """``amount`` split over names in proportion to their bases, exactly.

    Names with a zero base are left out; None when every base is zero. Each part but the
    last (in name order) is rounded down to 10^-18; the last takes the remainder, so the
    parts add up to ``amount`` exactly.
    """
    members = sorted((name, base) for name, base in bases if base)
    if not members:
        return None
    with decimal.localcontext(_WIDE) as ctx:
        whole = sum((base for _, base in members), ZERO)
        parts: dict[str, Decimal] = {}
        given = ZERO
        for name, base in members[:-1]:
            part = ctx.divide(ctx.multiply(amount, base), whole).quantize(QUANTUM)
            parts[name] = part
            given += part
        parts[members[-1][0]] = amount - given
        return parts


@dataclass(frozen=True)
class SharedCostResult:
    """One shared cost as allocated: its parts by feature and what none could carry."""

    name: str
    amount: Decimal
    allocate: str  # units | variable_cogs | revenue | weights
    features: tuple[str, ...]
    parts: dict[str, Decimal]  # feature -> part; members with a zero base are absent
    unallocated: Decimal  # the whole amount when every member had none of the base


@dataclass(frozen=True)
class Allocation:
    shared: dict[str, SharedCostResult] = field(default_factory=dict)
    by_feature: dict[str, Decimal] = field(default_factory=dict)
    # Feature -> allocated part no customer carries (a weighted feature with no units).
    uncarried: dict[str, Decimal] = field(default_factory=dict)
    unallocated: Decimal = ZERO
    warnings: tuple[Diagnostic, ...] = ()


def allocate_features(
    shared_costs: Mapping[str, SharedCost],
    units: Mapping[str, Decimal],
    variable_cogs: Mapping[str, Decimal],
    revenue: Mapping[str, Decimal],
) -> Allocation:
    """Every shared cost split over its member features (customers come after)."""
    bases = {"units": units, "variable_cogs": variable_cogs, "revenue": revenue}
    shared: dict[str, SharedCostResult] = {}
    by_feature: dict[str, Decimal] = {}
    unallocated = ZERO
    warnings: list[Diagnostic] = []
    for name, cost in shared_costs.items():
        # Members this side of a plan does not declare have no base.
        if cost.allocate == "weights":
            pairs = [(f, w if f in units else ZERO) for f, w in cost.weights.items()]
        else:
            base = bases[cost.allocate]
            pairs = [(f, base.get(f, ZERO)) for f in cost.features]
        parts = split(cost.amount, pairs) if cost.amount else {}
        left = ZERO
        if parts is None:
            parts, left = {}, cost.amount
            unallocated += left
            warnings.append(
                Diagnostic(
                    "Unallocated shared cost",
                    f'shared_cost "{name}": none of its features has any '
                    f"{_base_noun(cost.allocate)}, so its amount is not allocated; it stays "
                    "in the totals as unallocated COGS.",
                    cost.range,
                    Severity.WARNING,
                )
            )
        for feature, part in parts.items():
            by_feature[feature] = by_feature.get(feature, ZERO) + part
        shared[name] = SharedCostResult(
            name, cost.amount, cost.allocate, cost.features, parts, left
        )
    return Allocation(shared, by_feature, {}, unallocated, tuple(warnings))


def _base_noun(allocate: str) -> str:
    return {"units": "units", "variable_cogs": "variable COGS", "revenue": "revenue"}.get(
        allocate, "weight"
    )


def allocate_customers(
    by_feature: Mapping[str, Decimal],
    units_by_feature: Mapping[str, Decimal],
    customer_units: Iterable[tuple[str, Mapping[str, Decimal]]],
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Each feature's allocated part split over its customers by their units.

    The breakdown splits in the usage engine (:mod:`infercost.usage.figures`), in integer
    quanta of 10^-18; this is the rule in Python, for its exact fallback and as the
    reference the engine is tested against.

    ``customer_units`` yields (customer id, units by feature) for the customers counted,
    in any order; ``units_by_feature`` is each feature's units over those customers.
    Returns (allocated COGS by customer, the part of each feature no customer carries).

    The rule is :func:`split`'s, written for volume (a million customer-feature pairs):
    one pass and no sorting. Every customer gets their rounded-down part; the last in id
    order is tracked, and receives the remainder when the pass is done. (Dividing each
    pair directly is cheaper than a memo of equal usage: a Decimal's hash costs more than
    the division.)
    """
    # Per feature: [amount, units, parts given so far, last customer id]
    states: dict[str, list[Any]] = {
        f: [a, units_by_feature.get(f, ZERO), ZERO, None] for f, a in by_feature.items() if a
    }
    if not states:
        return {}, {}
    by_customer: dict[str, Decimal] = {}
    with decimal.localcontext(_WIDE) as ctx:
        divide = ctx.divide
        for cid, units in customer_units:
            carried = None
            for feature, used in units.items():
                state = states.get(feature)
                if state is None or not used:
                    continue
                part = divide(state[0] * used, state[1]).quantize(QUANTUM)
                state[2] += part
                last = state[3]
                if last is None or cid > last:
                    state[3] = cid
                carried = part if carried is None else carried + part
            if carried is not None:
                by_customer[cid] = carried
        uncarried: dict[str, Decimal] = {}
        for feature, (amount, _, given, last) in states.items():
            if last is None:
                uncarried[feature] = amount
            else:
                by_customer[last] += amount - given
    return by_customer, uncarried
