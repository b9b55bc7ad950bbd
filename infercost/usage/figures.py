"""Price a snapshot's customers in the engine: COGS and revenue per customer, exact.

For every customer the engine computes ``Σ units · cost per unit`` and ``price + Σ units ·
revenue per unit`` in exact DECIMAL arithmetic; what comes back to Python is one row per
customer (for the renderers) and units per (subscription, feature), from which the
subscription and feature figures follow by linearity. Each figure is the exact sum,
rounded once to the engine's precision (SPEC §10), so it does not depend on the order in
which rows were added.

Shared costs (SPEC §18) are split over customers in the same pass: a feature's allocated
part goes to its customers by their units, each part rounded down to 10^-18 in exact
128-bit integer arithmetic and the remainder to the last customer in id order, so the
customers of a feature add up exactly to its part. Customers who used nothing carry none.

When an exact product would need more than the engine's 38 digits (a very small cost per
unit, written with 28 significant digits, times finely divided units), the same figures
are computed from the grouped units in Python at a precision large enough to be exact.
"""

from __future__ import annotations

import decimal
import sys
import weakref
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress
from typing import Any, cast

from infercost.arithmetic import CONTEXT
from infercost.cost.allocation import allocate_customers
from infercost.errors import InfercostError
from infercost.usage import engine
from infercost.usage.engine import MAX_DIGITS, decimal_type, literal, scale_of, string
from infercost.usage.snapshot import Snapshot, to_decimal
from infercost.usage.split import (
    FEATURE_TERMS,
    NARROW,
    NO_TERMS,
    SMALL_TOTAL,
    SMALL_UNITS,
    Quanta,
    Split,
    lazy_columns,
    plan,
    units_places,
)

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
    # With shared costs allocated (else empty): ``cogs`` above is variable + allocated.
    # Either may be made only when first read (:class:`infercost.usage.split.LazyColumn`).
    variable: Sequence[Decimal] = field(default_factory=list)
    allocated: Sequence[Decimal] = field(default_factory=list)
    # The engine's texts of ``cogs`` and ``revenue`` (plain, no trailing zeros), kept
    # when every one is the value's own text: see :func:`as_is`.
    texts: tuple[list[str] | None, list[str] | None] = field(default=(None, None), compare=False)
    # Subscription -> shared COGS its customers carry, when the split in the pricing pass
    # settled it (else summed from ``allocated``, which then is made already).
    carried: dict[str, Decimal] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Groups:
    """What the feature figures and the allocation of shared costs need first."""

    units: dict[str, dict[str, Decimal]]  # subscription -> feature -> units (its customers)
    counts: dict[str, int]  # subscription -> customers


@dataclass(frozen=True)
class Figures:
    customers: CustomerRows
    units: dict[str, dict[str, Decimal]]  # subscription -> feature -> units (its customers)
    counts: dict[str, int]  # subscription -> customers
    underwater: dict[str, int]  # subscription -> underwater customers
    allocated: dict[str, Decimal] = field(default_factory=dict)  # subscription -> shared COGS


def group_customers(snap: Snapshot, prices: Mapping[str, Decimal]) -> Groups:
    """Units per (subscription, feature) and customers per subscription, for the
    subscriptions in ``prices``.

    The groups depend on the snapshot and the subscriptions' names only, not on any
    price: both sides of a plan or check priced on one snapshot share one grouping (a
    copy each), instead of running one of the engine's larger queries twice."""
    key = (snap.table, snap.in_period, tuple(prices))
    cached = _GROUPS.setdefault(snap, {})
    if key not in cached:
        cached[key] = _group_customers(snap, prices)
    groups = cached[key]
    return Groups({sub: dict(units) for sub, units in groups.units.items()}, dict(groups.counts))


_GROUPS: weakref.WeakKeyDictionary[Snapshot, dict[tuple[Any, ...], Groups]] = (
    weakref.WeakKeyDictionary()
)


def _group_customers(snap: Snapshot, prices: Mapping[str, Decimal]) -> Groups:
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
    counts = dict.fromkeys(prices, 0)
    known = snap.customer_counts()  # counted while the snapshot was read
    if known is not None:
        counts.update((sub, n) for sub, n in known.items() if sub in counts)
        return Groups(by_subscription, counts)
    for sub, count in con.execute(
        f"WITH s(subscription, price) AS ({subs}) SELECT u.subscription, "
        f"count(DISTINCT u.customer) FROM {snap.table} u JOIN s USING (subscription) "
        "WHERE u.customer IS NOT NULL GROUP BY ALL"
    ).fetchall():
        counts[sub] = int(count)
    return Groups(by_subscription, counts)


def units_by_feature(groups: Groups, features: Container[str]) -> dict[str, Decimal]:
    """The units of each of ``features`` over every subscription's customers, added
    exactly: the caller's context (the engine's 28 digits) would round units of up to 36
    digits (123456789012.123456789012345678 lost its last six)."""
    units: dict[str, Decimal] = {}
    add = _EXACT.add
    for per_feature in groups.units.values():
        for feature, used in per_feature.items():
            if feature in features:
                units[feature] = add(units.get(feature, Decimal(0)), used)
    return units


def price_customers(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    groups: Groups | None = None,
    allocated: Mapping[str, Decimal] | None = None,
) -> Figures:
    """Figures of the customers whose subscription is in ``prices``.

    A feature absent from ``cost_per_unit`` (one side of a plan does not declare it) adds
    neither cost nor revenue, as a subscription absent from ``prices`` adds no customers.
    ``allocated`` is each feature's part of the shared costs, split over its customers
    (those of ``prices``) by their units.
    """
    groups = groups or group_customers(snap, prices)
    units = units_by_feature(groups, cost_per_unit)
    # Only parts some customer can carry; the rest is the feature's uncarried part.
    shares = {f: a for f, a in (allocated or {}).items() if a and units.get(f)}
    rows, split = None, None
    if shares:  # split in the pricing pass; what it cannot do goes the older ways
        try:
            split = plan(snap, shares, units, groups.units)
            rows = _in_engine(
                snap, cost_per_unit, revenue_per_unit, prices, None, units, split=split
            )
        except engine.out_of_range():
            rows = None
    try:
        if rows is None:
            rows = _in_engine(snap, cost_per_unit, revenue_per_unit, prices, shares, units)
    except engine.out_of_range():
        rows = _in_python(snap, cost_per_unit, revenue_per_unit, prices, shares, units)
    # Counted in C (one Counter each), not a Python step per customer.
    counts = dict.fromkeys(prices, 0)
    counts.update(Counter(rows.subscriptions))
    underwater = dict.fromkeys(prices, 0)
    underwater.update(Counter(compress(rows.subscriptions, rows.underwater)))
    carried: dict[str, Decimal] = {}
    if rows.carried is not None:
        carried = rows.carried
    elif rows.allocated:
        add = _EXACT.add
        carried = dict.fromkeys(prices, Decimal(0))
        for sub, part in zip(rows.subscriptions, rows.allocated, strict=True):
            if part:
                carried[sub] = add(carried[sub], part)
    return Figures(rows, groups.units, counts, underwater, carried)


def _values(columns: str, rows: list[str], empty: str) -> str:
    if rows:
        return "VALUES " + ", ".join(rows)
    return f"SELECT {empty} WHERE false"


def _in_engine(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    shares: Mapping[str, Decimal] | None = None,
    units_by_feature: Mapping[str, Decimal] | None = None,
    split: Split | None = None,
) -> CustomerRows:
    # COGS and revenue each at the scale they need: converting a DECIMAL to text costs
    # per digit, and revenue (prices, usage prices) rarely needs the digits of a cost.
    if split is not None:  # the linear part of each customer's shares priced per unit
        cost_per_unit = split.folded(cost_per_unit)
    k = max((scale_of(v) for v in cost_per_unit.values()), default=0)
    money = [*revenue_per_unit.values(), *prices.values()]
    kr = max((scale_of(v) for v in money), default=0)
    scale, rscale = snap.scale + k, snap.scale + kr
    if split is not None:  # COGS with parts of 10^-18 included
        scale = max(scale, 18)
    if max(scale, rscale) > MAX_DIGITS:
        raise engine.out_of_range()[0]("needs more than 38 digits after the point")
    terms = split.feature_terms if split is not None else lambda _: ""
    features = _values(
        "feature, cpu, rpu",
        [
            f"({string(name)}, {literal(cpu, k)}, "
            f"{literal(revenue_per_unit.get(name, Decimal(0)), kr)}{terms(name)})"
            for name, cpu in cost_per_unit.items()
        ],
        f"NULL::VARCHAR, NULL::{decimal_type(k)}, NULL::{decimal_type(kr)}"
        + (NO_TERMS if split is not None else ""),
    )
    subs = _values(
        "subscription, price",
        [f"({string(name)}, {literal(price, rscale)})" for name, price in prices.items()],
        f"NULL::VARCHAR, NULL::{decimal_type(rscale)}",
    )
    shares, units_by_feature = shares or {}, units_by_feature or {}
    units = _units_column(snap, units_by_feature)

    def text(column: str, places: int) -> str:
        """The text without the trailing zeros of the scale (and "0", never "", for 0).

        A DECIMAL of up to 18 digits is a 64-bit integer in the engine, and its text is
        made several times faster than that of a 128-bit one: a value that fits is
        narrowed first (a range check, the digits unchanged)."""
        value = f"CAST({column} AS VARCHAR)"
        if places <= NARROW:
            value = f"coalesce(CAST(TRY_CAST({column} AS {_narrow(places)}) AS VARCHAR), {value})"
        if places == 0:
            return value
        return f"coalesce(nullif(rtrim(rtrim({value}, '0'), '.'), ''), '0')"

    allocation, carried, joined = _allocation_sql(snap, shares, units_by_feature)
    # With shares, the engine also adds each customer's part to the exact COGS and
    # compares that with revenue; a sum past 38 digits falls back to doing both here.
    exact = "cogs + coalesce(carried.part, 0)"
    total = f", {text(exact, max(scale, 18))}, {exact} > revenue" if shares else ""
    per_feature = "feature, cpu, rpu" + (FEATURE_TERMS if split is not None else "")
    ctes = f"f({per_feature}) AS ({features}), s(subscription, price) AS ({subs})"
    if split is not None:
        return _split_in_pass(snap, split, ctes, units, scale, rscale, text)

    def query(total: str) -> str:
        return (
            f"WITH {ctes}, {allocation}"
            # By customer alone: a customer has one subscription in the period (checked
            # on reading), and one key hashes faster than two.
            "priced AS (SELECT u.customer, any_value(u.subscription) AS subscription, "
            f"CAST(coalesce(sum({units} * f.cpu), 0) AS {decimal_type(scale)}) AS cogs, "
            f"CAST(any_value(s.price) + coalesce(sum({units} * f.rpu), 0) AS "
            f"{decimal_type(rscale)}) AS revenue "
            f"FROM {snap.table} u JOIN s ON u.subscription = s.subscription "
            "LEFT JOIN f ON u.feature = f.feature "
            "GROUP BY u.customer) "
            f"SELECT customer, subscription, {text('cogs', scale)}, {text('revenue', rscale)}, "
            f"cogs > revenue{carried}{total} FROM priced{joined} ORDER BY customer"
        )

    try:
        columns = _columns(snap.con.execute(query(total)))
    except engine.out_of_range():
        if not total:
            raise
        columns, total = _columns(snap.con.execute(query(""))), ""
    if not columns[0]:
        return CustomerRows([], [], [], [], [])
    ids, subscriptions, cogs, revenue, underwater = columns[:5]
    create = CONTEXT.create_decimal
    if not shares:
        return CustomerRows(
            ids,
            subscriptions,
            list(map(create, cogs)),
            list(map(create, revenue)),
            underwater,
            texts=(as_is(cogs), as_is(revenue)),
        )
    variable = list(map(create, cogs))
    zero = Decimal(0)
    # Quanta of 10^-18 carried by each customer (NULL: none).
    allocated = [zero if q is None or q == "0" else Decimal(f"{q}E-18") for q in columns[5]]
    if total:
        # COGS: the engine's exact sum of variable and allocated, rounded once here.
        totals, over = columns[6], columns[7]
        return CustomerRows(
            ids,
            subscriptions,
            [create(t) if a else v for v, a, t in zip(variable, allocated, totals, strict=True)],
            [create(v) for v in revenue],
            [o if a else u for u, a, o in zip(underwater, allocated, over, strict=True)],
            variable,
            allocated,
        )
    # The exact total COGS and its comparison with revenue, made here from exact texts.
    out = CustomerRows(ids, subscriptions, [], [create(v) for v in revenue], [], variable,
                       allocated)  # fmt: skip
    for text_, income, under, part, value in zip(
        cogs, revenue, underwater, allocated, variable, strict=True
    ):
        if not part:
            out.cogs.append(value)
            out.underwater.append(under)
            continue
        exact_total = _EXACT.add(Decimal(text_), part)
        out.cogs.append(CONTEXT.plus(exact_total))
        out.underwater.append(exact_total > Decimal(income))
    return out


# A text of at most this many characters has at most 28 digits (the engine's
# precision, SPEC §10): the Decimal made from it holds the same digits.
_AS_IS = 28


def as_is(texts: list[str]) -> list[str] | None:
    """``texts`` when each is its Decimal's text as the JSON writer writes it, else None.

    The engine writes money plain, without trailing zeros ("0" for zero): a text of at
    most 28 characters is then the value's own text, kept so that the writer need not
    make it again from the Decimal (one check of the longest, no step per value). A
    column with a longer one (COGS of a third of a cent, rounded to 28 digits) is not
    kept: its texts are made from the rounded values."""
    return texts if max(map(len, texts), default=0) <= _AS_IS else None


def _split_in_pass(
    snap: Snapshot,
    split: Split,
    ctes: str,
    units: str,
    scale: int,
    rscale: int,
    text: Callable[[str, int], str],
) -> CustomerRows:
    """The pricing pass with each customer's parts in their COGS.

    The joined pairs are grouped twice: by customer (the figures) and by (subscription,
    feature) (the floors' sums and the last customer with units, from which the split
    is settled). One query, so the pairs are read and joined once (``MATERIALIZED``:
    otherwise the engine joins them once per grouping): its rows are the customers' in
    id order, then those of the second grouping (``part``). A pair's units are positive
    exactly when ``un``, the same units at the snapshot's scale, is: the join carries
    no column for that alone."""
    query = (
        f"WITH {ctes}, "
        "j AS MATERIALIZED (SELECT u.customer, u.subscription, u.feature, s.price, f.cpu, f.rpu, "
        f"{units} AS un, {split.floor} AS fl FROM {split.table} u "
        "JOIN s ON u.subscription = s.subscription LEFT JOIN f ON u.feature = f.feature), "
        # By customer alone: a customer has one subscription in the period (checked on
        # reading), and one key hashes faster than two.
        "priced AS (SELECT customer, any_value(subscription) AS subscription, "
        f"CAST({split.cogs('coalesce(sum(un * cpu), 0)', 'fl')} AS {decimal_type(scale)}) "
        "AS cogs, CAST(any_value(price) + coalesce(sum(un * rpu), 0) AS "
        f"{decimal_type(rscale)}) AS revenue FROM j GROUP BY customer), "
        "parts AS (SELECT max(customer) FILTER (WHERE un > 0) AS last, subscription, "
        "CAST(sum(fl) AS VARCHAR) AS floors, feature FROM j GROUP BY subscription, feature) "
        f"SELECT false AS part, customer, subscription, {text('cogs', scale)} AS cogs_text, "
        f"{text('revenue', rscale)} AS revenue_text, cogs > revenue AS over FROM priced "
        "UNION ALL SELECT true, last, subscription, floors, feature, false FROM parts "
        "ORDER BY part, customer"
    )
    part, ids, subscriptions, cogs, revenue, underwater = _columns(snap.con.execute(query))
    k = bisect_left(part, True)  # the customers' rows (part false) first
    settled = split.settle(zip(ids[k:], subscriptions[k:], cogs[k:], revenue[k:], strict=True))
    del ids[k:], subscriptions[k:], cogs[k:], revenue[k:], underwater[k:]
    # Each feature's remainder added to its last customer here: at most one customer
    # per feature, where a test on every pair of the pass would cost more.
    create = CONTEXT.create_decimal
    cogs_values = list(map(create, cogs))
    for customer, rest in settled.rests.items():
        if not rest:
            continue
        i = bisect_left(ids, customer)
        if i == len(ids) or ids[i] != customer:  # an order other than Python's
            i = ids.index(customer)
        exact_total = _EXACT.add(Decimal(cogs[i]), Decimal(rest).scaleb(-18, _EXACT))
        cogs[i] = str(exact_total)
        cogs_values[i] = CONTEXT.plus(exact_total)
        underwater[i] = exact_total > Decimal(revenue[i])
    quanta = Quanta(snap.con, split, ctes, ids, settled.rests)
    # COGS texts changed above are not the writer's own: only revenue keeps its texts.
    return CustomerRows(ids, subscriptions, cogs_values, list(map(create, revenue)),
                        underwater, *lazy_columns(cogs, quanta),
                        texts=(None, as_is(revenue)), carried=settled.carried)  # fmt: skip


def _columns(result: Any) -> list[list[Any]]:
    """A result's columns as lists (NULL as None).

    Fetched a column at a time when numpy is loaded already (``breakdown`` simulates
    percentiles with it): no tuple per row on the way, which for 250,000 customers is a
    tenth of a second. A command that has not loaded numpy does not load it for this
    (its import costs as much, and a small ``check`` would pay it for nothing).
    """
    if "numpy" in sys.modules:
        return [column.tolist() for column in result.fetchnumpy().values()]
    found = result.fetchall()
    if not found:
        return [[] for _ in result.description]
    return [list(column) for column in zip(*found, strict=True)]


def _narrow(places: int) -> str:
    return f"DECIMAL({NARROW},{places})"


def _units_column(snap: Snapshot, totals: Mapping[str, Decimal]) -> str:
    """Each group's units at the snapshot's scale, for the products with prices.

    The groups keep the units at the scale they were summed at (wider than the
    snapshot's when read fast), in a 128-bit DECIMAL; rescaling one of those is a
    128-bit division per group. When every priced feature's total (so every group of
    it: units are never negative) fits 18 digits at that scale, the units are
    narrowed first (a range check) and rescaled in 64 bits, the same exact value.
    A group of a feature not priced here is narrowed to NULL when it does not fit,
    and adds nothing either way (its price is NULL).
    """
    exact = f"CAST(u.units AS {decimal_type(snap.scale)})"
    if not totals:
        return exact
    places = units_places(snap)
    if places is None:
        return exact
    if not snap.scale <= places <= NARROW or max(totals.values()) >= 10 ** (NARROW - places):
        return exact
    return f"CAST(TRY_CAST(u.units AS {_narrow(places)}) AS {_narrow(snap.scale)})"


def _allocation_sql(
    snap: Snapshot, shares: Mapping[str, Decimal], units_by_feature: Mapping[str, Decimal]
) -> tuple[str, str, str]:
    """The common table expressions that split ``shares`` over customers, the column they
    add and the join that brings it in (three empty strings without shares).

    With a part A = P·10^-18 and units written as integers at the snapshot's scale (a
    customer's n, the feature's N), a customer's part is floor(P·n / N) quanta, exactly,
    in 128-bit integers (an overflow falls back to Python); the last customer in id order
    takes P minus the others' parts. A part finer than 10^-18 falls back too.
    """
    if not shares:
        return "", "", ""
    rows = []
    for feature, part in shares.items():
        if scale_of(part) > 18:
            raise engine.out_of_range()[0]("a part finer than 10^-18")
        p = int(part.scaleb(18, _EXACT))
        q = int(units_by_feature[feature].scaleb(snap.scale, _EXACT))
        r, m, small = (p // q, p % q, str(q)) if p >= 0 and 0 < q < SMALL_TOTAL else (0, 0, "NULL")
        rows.append(
            f"({string(feature)}, CAST('{p}' AS HUGEINT), CAST('{q}' AS HUGEINT), "
            f"CAST('{r}' AS HUGEINT), CAST({m} AS BIGINT), CAST({small} AS BIGINT))"
        )
    allocation = (
        f"a(feature, p, q, r, m, small) AS (VALUES {', '.join(rows)}), "
        "cut AS (SELECT customer, feature, p, "
        f"CASE WHEN small IS NOT NULL AND n < {SMALL_UNITS} "
        "THEN r * n + m * CAST(n AS BIGINT) // small ELSE p * n // q END AS part "
        "FROM (SELECT u.customer, u.feature, a.*, "
        f"CAST(u.units * {10**snap.scale} AS HUGEINT) AS n "
        f"FROM {snap.table} u JOIN s ON u.subscription = s.subscription "
        "JOIN a ON u.feature = a.feature WHERE u.units > 0)), "
        # The remainder of each feature's part goes to its last customer in id order:
        # one grouping per feature, no sorted window over every (customer, feature).
        "rest AS (SELECT max(customer) AS customer, any_value(p) - sum(part) AS part "
        "FROM cut GROUP BY feature), "
        "summed AS (SELECT customer, sum(part) AS quanta FROM (SELECT customer, part "
        "FROM cut UNION ALL SELECT customer, part FROM rest) GROUP BY customer), "
        "carried AS (SELECT customer, quanta, CAST(quanta AS DECIMAL(38,0)) "
        "* CAST('0.000000000000000001' AS DECIMAL(38,18)) AS part FROM summed), "
    )
    return allocation, ", CAST(carried.quanta AS VARCHAR)", " LEFT JOIN carried USING (customer)"


def _in_python(
    snap: Snapshot,
    cost_per_unit: Mapping[str, Decimal],
    revenue_per_unit: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    shares: Mapping[str, Decimal] | None = None,
    units_by_feature: Mapping[str, Decimal] | None = None,
) -> CustomerRows:
    """The exact fallback: the same sums over the engine's grouped units, in Python."""
    found = snap.con.execute(
        f"SELECT customer, subscription, feature, CAST(units AS VARCHAR) FROM {snap.table} "
        "WHERE customer IS NOT NULL AND list_contains(?, subscription) ORDER BY customer",
        [list(prices)],
    ).fetchall()
    out = CustomerRows([], [], [], [], [])
    carried = _carry(found, shares, units_by_feature or {}) if shares else None
    zero = Decimal(0)
    current: str | None = None
    subscription = ""
    cogs = revenue = zero
    try:
        for customer, sub, feature, units in found:
            if customer != current:
                if current is not None:
                    _append(out, current, subscription, cogs, revenue, carried)
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
            _append(out, current, subscription, cogs, revenue, carried)
    except decimal.Inexact:
        raise InfercostError.at(
            "Usage too large",
            f"the figures of {snap.path} need more digits than the engine computes exactly.",
        ) from None
    return out


def _carry(
    found: list[tuple[str, str, str | None, str]],
    shares: Mapping[str, Decimal],
    units_by_feature: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """The shares carried by each customer: the rule of :func:`allocate_customers`."""
    if not shares:
        return {}
    used: dict[str, dict[str, Decimal]] = {}
    for customer, _, feature, units in found:
        if feature is not None and feature in shares:
            used.setdefault(customer, {})[feature] = Decimal(units)
    by_customer, _ = allocate_customers(shares, units_by_feature, used.items())
    return by_customer


def _append(
    out: CustomerRows,
    customer: str,
    sub: str,
    cogs: Decimal,
    revenue: Decimal,
    carried: Mapping[str, Decimal] | None,
) -> None:
    out.ids.append(customer)
    out.subscriptions.append(sub)
    out.revenue.append(CONTEXT.plus(revenue))
    if carried is None:
        out.cogs.append(CONTEXT.plus(cogs))
        out.underwater.append(cogs > revenue)
        return
    part = carried.get(customer, Decimal(0))
    total = _EXACT.add(cogs, part)
    out.cogs.append(CONTEXT.plus(total))
    # Lists here (only the engine's split makes its columns on first read).
    cast(list[Decimal], out.variable).append(CONTEXT.plus(cogs))
    cast(list[Decimal], out.allocated).append(part)
    out.underwater.append(total > revenue)


def exact_sum(terms: list[tuple[Decimal, Decimal]], start: Decimal = Decimal(0)) -> Decimal:
    """``start + Σ a·b`` exactly, rounded once to the engine's precision."""
    total = start
    for a, b in terms:
        total = _EXACT.add(total, _EXACT.multiply(a, b))
    return CONTEXT.plus(total)
