"""Price a snapshot's customers in the engine: COGS and revenue per customer, exact.

For every customer the engine computes ``Σ units · cost per unit`` and ``price + Σ units ·
revenue per unit`` in exact DECIMAL arithmetic; what comes back to Python is one row per
customer (for the renderers) and units per (subscription, feature), from which the
subscription and feature figures follow by linearity. Each figure is the exact sum,
rounded once to the engine's precision (SPEC §10), so it does not depend on the order in
which rows were added.

When an exact product would need more than the engine's 38 digits (a very small cost per
unit, written with 28 significant digits, times finely divided units), the same figures
are computed from the grouped units in Python at a precision large enough to be exact.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from infercost.arithmetic import CONTEXT
from infercost.errors import InfercostError
from infercost.usage import engine
from infercost.usage.engine import MAX_DIGITS, decimal_type, literal, scale_of, string
from infercost.usage.snapshot import Snapshot, to_decimal

# Exact for any sum of products of 38-digit operands over any realistic number of rows;
# a result that would still be inexact is refused rather than rounded.
_EXACT = decimal.Context(prec=400, traps=[decimal.Inexact, decimal.InvalidOperation])


@dataclass(frozen=True)
class CustomerRows:
    """Customers sorted by id, as columns; money rounded once to the engine's precision."""

    ids: list[str]
    subscriptions: list[str]
    cogs: list[Decimal]
    revenue: list[Decimal]
    underwater: list[bool]  # exact COGS strictly greater than exact revenue


@dataclass(frozen=True)
class Figures:
    customers: CustomerRows
    units: dict[str, dict[str, Decimal]]  # subscription -> feature -> units (its customers)
    counts: dict[str, int]  # subscription -> customers
    underwater: dict[str, int]  # subscription -> underwater customers


def price_customers(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
) -> Figures:
    """Figures of the customers whose subscription is in ``prices``.

    A feature absent from ``cost_per_unit`` (one side of a plan does not declare it) adds
    neither cost nor revenue, as a subscription absent from ``prices`` adds no customers.
    """
    con = snap.con
    subs = _values(
        "subscription, price",
        [f"({string(name)}, {literal(price, scale_of(price))})" for name, price in prices.items()],
        f"NULL::VARCHAR, NULL::{decimal_type(0)}",
    )
    try:
        units = con.execute(
            f"WITH s(subscription, price) AS ({subs}) SELECT u.subscription, u.feature, "
            f"CAST(sum(u.units) AS VARCHAR) FROM {snap.table} u JOIN s USING (subscription) "
            "WHERE u.feature IS NOT NULL GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    except engine.out_of_range():
        raise snap.too_large() from None
    by_subscription: dict[str, dict[str, Decimal]] = {name: {} for name in prices}
    for sub, feature, total in units:
        by_subscription[sub][feature] = to_decimal(total)
    try:
        rows = _in_engine(snap, cost_per_unit, revenue_per_unit, prices)
    except engine.out_of_range():
        rows = _in_python(snap, cost_per_unit, revenue_per_unit, prices)
    counts = dict.fromkeys(prices, 0)
    underwater = dict.fromkeys(prices, 0)
    for sub, under in zip(rows.subscriptions, rows.underwater, strict=True):
        counts[sub] += 1
        underwater[sub] += under
    return Figures(rows, by_subscription, counts, underwater)


def _values(columns: str, rows: list[str], empty: str) -> str:
    if rows:
        return "VALUES " + ", ".join(rows)
    return f"SELECT {empty} WHERE false"


def _in_engine(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
) -> CustomerRows:
    # COGS and revenue each at the scale they need: converting a DECIMAL to text costs
    # per digit, and revenue (prices, usage prices) rarely needs the digits of a cost.
    k = max((scale_of(v) for v in cost_per_unit.values()), default=0)
    money = [*revenue_per_unit.values(), *prices.values()]
    kr = max((scale_of(v) for v in money), default=0)
    scale, rscale = snap.scale + k, snap.scale + kr
    if max(scale, rscale) > MAX_DIGITS:
        raise engine.out_of_range()[0]("needs more than 38 digits after the point")
    features = _values(
        "feature, cpu, rpu",
        [
            f"({string(name)}, {literal(cpu, k)}, "
            f"{literal(revenue_per_unit.get(name, Decimal(0)), kr)})"
            for name, cpu in cost_per_unit.items()
        ],
        f"NULL::VARCHAR, NULL::{decimal_type(k)}, NULL::{decimal_type(kr)}",
    )
    subs = _values(
        "subscription, price",
        [f"({string(name)}, {literal(price, rscale)})" for name, price in prices.items()],
        f"NULL::VARCHAR, NULL::{decimal_type(rscale)}",
    )
    units = f"CAST(u.units AS {decimal_type(snap.scale)})"

    def text(column: str, places: int) -> str:
        """The text without the trailing zeros of the scale (and "0", never "", for 0)."""
        if places == 0:
            return f"CAST({column} AS VARCHAR)"
        return f"coalesce(nullif(rtrim(rtrim(CAST({column} AS VARCHAR), '0'), '.'), ''), '0')"

    found = snap.con.execute(
        f"WITH f(feature, cpu, rpu) AS ({features}), s(subscription, price) AS ({subs}), "
        "priced AS (SELECT u.customer, u.subscription, "
        f"CAST(coalesce(sum({units} * f.cpu), 0) AS {decimal_type(scale)}) AS cogs, "
        f"CAST(any_value(s.price) + coalesce(sum({units} * f.rpu), 0) AS "
        f"{decimal_type(rscale)}) AS revenue "
        f"FROM {snap.table} u JOIN s ON u.subscription = s.subscription "
        "LEFT JOIN f ON u.feature = f.feature GROUP BY u.customer, u.subscription) "
        f"SELECT customer, subscription, {text('cogs', scale)}, {text('revenue', rscale)}, "
        "cogs > revenue FROM priced ORDER BY customer"
    ).fetchall()
    if not found:
        return CustomerRows([], [], [], [], [])
    ids, subscriptions, cogs, revenue, underwater = (list(c) for c in zip(*found, strict=True))
    create = CONTEXT.create_decimal
    return CustomerRows(
        ids,
        subscriptions,
        [create(v) for v in cogs],
        [create(v) for v in revenue],
        underwater,
    )


def _in_python(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
) -> CustomerRows:
    """The exact fallback: the same sums over the engine's grouped units, in Python."""
    found = snap.con.execute(
        f"SELECT customer, subscription, feature, CAST(units AS VARCHAR) FROM {snap.table} "
        "WHERE customer IS NOT NULL AND list_contains(?, subscription) ORDER BY customer",
        [list(prices)],
    ).fetchall()
    out = CustomerRows([], [], [], [], [])
    zero = Decimal(0)
    current: str | None = None
    subscription = ""
    cogs = revenue = zero
    try:
        for customer, sub, feature, units in found:
            if customer != current:
                if current is not None:
                    _append(out, current, subscription, cogs, revenue)
                current, subscription = customer, sub
                cogs, revenue = zero, prices[sub]
            cpu = cost_per_unit.get(feature) if feature is not None else None
            if cpu is None:
                continue
            amount = Decimal(units)
            cogs = _EXACT.add(cogs, _EXACT.multiply(amount, cpu))
            rpu = revenue_per_unit.get(feature, zero)
            if rpu:
                revenue = _EXACT.add(revenue, _EXACT.multiply(amount, rpu))
        if current is not None:
            _append(out, current, subscription, cogs, revenue)
    except decimal.Inexact:
        raise InfercostError.at(
            "Usage too large",
            f"the figures of {snap.path} need more digits than the engine computes exactly.",
        ) from None
    return out


def _append(out: CustomerRows, customer: str, sub: str, cogs: Decimal, revenue: Decimal) -> None:
    out.ids.append(customer)
    out.subscriptions.append(sub)
    out.cogs.append(CONTEXT.plus(cogs))
    out.revenue.append(CONTEXT.plus(revenue))
    out.underwater.append(cogs > revenue)


def exact_sum(terms: list[tuple[Decimal, Decimal]], start: Decimal = Decimal(0)) -> Decimal:
    """``start + Σ a·b`` exactly, rounded once to the engine's precision."""
    total = start
    for a, b in terms:
        total = _EXACT.add(total, _EXACT.multiply(a, b))
    return CONTEXT.plus(total)
