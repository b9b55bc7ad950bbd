"""Shared parts split over customers inside the engine's pricing pass (SPEC §18).

A feature's part A = P·10^-18 goes to its customers by their units: with units written
as integers at the snapshot's scale (a customer's n, the feature's N), a customer's part
is floor(P·n / N) quanta, and the last customer in id order takes what is left. With
P = r·N + m (0 <= m < N) that is r·n + floor(m·n / N): a product and, while m·n fits 64
bits, a 64-bit division. So the split is one more sum in the grouping that already
prices each customer, not a pass of its own over every (customer, feature) pair:

- one small grouping per (subscription, feature) first gives, per feature, the last
  customer and the sum of the floor(m·n / N) terms, hence the remainder
  m − Σ floor(m·n / N), and each subscription's carried quanta, exactly;
- the pricing pass then adds r·n + floor(m·n / N) per pair (the remainder on the last
  customer's pair) into each customer's COGS, in exact DECIMAL arithmetic.

What comes back per customer is the COGS with the part included (as without shared
costs) and the quanta as text; each customer's allocated and variable COGS are made
from those only when a view asks for them (:class:`LazyColumn`).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from infercost.arithmetic import CONTEXT
from infercost.usage import engine
from infercost.usage.engine import scale_of, string
from infercost.usage.snapshot import Snapshot

_EXACT = decimal.Context(prec=400, traps=[decimal.Inexact, decimal.InvalidOperation])
# m·n stays below 2^63 when m < N < 2^31 and n < 2^32 (as in the fallback's split).
_SMALL_TOTAL = 2**31
_SMALL_UNITS = 2**32
_NARROW = 18  # digits of the engine's 64-bit DECIMAL
_ONE_QUANTUM = "CAST('0.000000000000000001' AS DECIMAL(38,18))"


@dataclass(frozen=True)
class Split:
    """The SQL pieces the pricing pass adds, and what the first grouping found."""

    ctes: str  # "a(...) AS (VALUES ...), "
    table: str  # the usage table with each pair's units as a 64-bit integer n
    join: str  # joins a feature's split terms to its pairs
    quanta: str  # each customer's quanta: an aggregate over their pairs
    carried: dict[str, Decimal]  # subscription -> shared COGS its customers carry


def plan(
    snap: Snapshot,
    prices: Mapping[str, Decimal],
    shares: Mapping[str, Decimal],
    units_by_feature: Mapping[str, Decimal],
    units_by_subscription: Mapping[str, Mapping[str, Decimal]],
) -> Split:
    """The split of ``shares`` (feature -> part, each feature with units) over the
    customers of ``prices``. Raises the engine's out-of-range error where the split
    needs what this path does not do (a part finer than 10^-18): the caller falls back."""
    scale = snap.scale
    terms: dict[str, tuple[int, int, int]] = {}  # feature -> (r, m, N)
    for feature, part in shares.items():
        if scale_of(part) > 18:
            raise engine.out_of_range()[0]("a part finer than 10^-18")
        p = int(part.scaleb(18, _EXACT))
        q = int(units_by_feature[feature].scaleb(scale, _EXACT))
        r, m = divmod(p, q)
        terms[feature] = (r, m, q)
    n64 = _integer_units(snap)
    table = f"(SELECT *, {n64} AS n FROM {snap.table})"
    subs = ", ".join(f"({string(name)})" for name in prices)
    floor_sql = (
        f"CASE WHEN a.small IS NOT NULL AND u.n < {_SMALL_UNITS} THEN a.m * u.n // a.small "
        f"ELSE a.mh * CAST(u.units * {10**scale} AS HUGEINT) // a.q END"
    )

    def values(extra: dict[str, tuple[str, str]]) -> str:
        rows = []
        for feature, (r, m, q) in terms.items():
            small = str(q) if q < _SMALL_TOTAL else "NULL"
            last, rest = extra.get(feature, ("NULL", "0"))
            rows.append(
                f"({string(feature)}, CAST('{r}' AS HUGEINT), CAST({m if small != 'NULL' else 0} "
                f"AS BIGINT), CAST({small} AS BIGINT), CAST('{m}' AS HUGEINT), "
                f"CAST('{q}' AS HUGEINT), CAST({last} AS VARCHAR), CAST('{rest}' AS HUGEINT))"
            )
        return f"a(feature, r, m, small, mh, q, last, rest) AS (VALUES {', '.join(rows)}), "

    found = snap.con.execute(
        f"WITH s(subscription) AS (VALUES {subs}), {values({})}"
        f"g AS (SELECT u.subscription, u.feature, max(u.customer) AS last, "
        f"CAST(sum({floor_sql}) AS VARCHAR) AS floors FROM {table} u "
        "JOIN s ON u.subscription = s.subscription JOIN a ON u.feature = a.feature "
        "WHERE u.units > 0 GROUP BY ALL) SELECT * FROM g"
    ).fetchall()
    floors: dict[str, int] = dict.fromkeys(terms, 0)
    lasts: dict[str, tuple[str, str]] = {}  # feature -> (customer, subscription)
    carried_quanta: dict[str, int] = dict.fromkeys(prices, 0)
    for sub, feature, last, total in found:
        floors[feature] += int(total)
        carried_quanta[sub] += int(total)
        if feature not in lasts or last > lasts[feature][0]:
            lasts[feature] = (last, sub)
    extra: dict[str, tuple[str, str]] = {}
    for feature, (_, m, _) in terms.items():
        rest = m - floors[feature]
        customer, sub = lasts[feature]
        extra[feature] = (string(customer), str(rest))
        carried_quanta[sub] += rest
    for sub, per_feature in units_by_subscription.items():
        for feature, used in per_feature.items():
            if feature in terms and sub in carried_quanta:
                carried_quanta[sub] += terms[feature][0] * int(used.scaleb(scale, _EXACT))
    carried = {sub: Decimal(q).scaleb(-18, _EXACT) for sub, q in carried_quanta.items()}
    quanta = (
        "sum(CASE WHEN a.small IS NOT NULL AND u.n < "
        f"{_SMALL_UNITS} THEN a.r * u.n + a.m * u.n // a.small "
        f"ELSE a.r * CAST(u.units * {10**scale} AS HUGEINT) + a.mh * "
        f"CAST(u.units * {10**scale} AS HUGEINT) // a.q END "
        "+ CASE WHEN u.customer = a.last THEN a.rest ELSE 0 END)"
    )
    return Split(values(extra), table, " LEFT JOIN a ON u.feature = a.feature", quanta, carried)


def total_cogs(cogs: str, quanta: str) -> str:
    """A customer's COGS with their quanta added, exactly (an overflow is the engine's
    out-of-range error)."""
    return f"{cogs} + coalesce(CAST({quanta} AS DECIMAL(38,0)) * {_ONE_QUANTUM}, 0)"


def _integer_units(snap: Snapshot) -> str:
    """Each pair's units times 10^scale as a BIGINT, or NULL where that does not fit.

    The groups keep units in a 128-bit DECIMAL; rescaling one is a 128-bit division,
    the costliest step of the split. Multiplied by 10^scale (exact: no unit has more
    digits after the point) and narrowed to 18 digits (a range check), the integer is
    read in 64 bits. A pair whose n is NULL takes the 128-bit formula."""
    kind = str(snap.con.execute(f"SELECT units FROM {snap.table} LIMIT 0").description[0][1])
    found = re.fullmatch(r"DECIMAL\((\d+), ?(\d+)\)", kind)
    if found is None or int(found[2]) > _NARROW:
        return "CAST(NULL AS BIGINT)"
    places = int(found[2])
    return f"CAST(TRY_CAST(units * {10**snap.scale} AS DECIMAL({_NARROW},{places})) AS BIGINT)"


class LazyColumn(Sequence[Decimal]):
    """A column of figures made on first read: most breakdowns never show each of
    250,000 customers' allocated and variable COGS, and a view that does pays once."""

    def __init__(self, size: int, build: Callable[[], list[Decimal]]) -> None:
        self._size = size
        self._build: Callable[[], list[Decimal]] | None = build
        self._values: list[Decimal] | None = None

    def values(self) -> list[Decimal]:
        if self._values is None:
            assert self._build is not None
            self._values, self._build = self._build(), None
        return self._values

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Decimal: ...
    @overload
    def __getitem__(self, index: slice) -> list[Decimal]: ...
    def __getitem__(self, index: int | slice) -> Decimal | list[Decimal]:
        return self.values()[index]

    def __iter__(self) -> Iterator[Decimal]:
        return iter(self.values())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyColumn):
            other = other.values()
        if isinstance(other, list):
            return self.values() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.values())


def lazy_columns(totals: list[str], quanta: list[Any]) -> tuple[LazyColumn, LazyColumn]:
    """(variable COGS, allocated COGS) of each customer, made when first read from the
    exact texts of their COGS with the part included and their quanta (None: none)."""
    zero = Decimal(0)

    def allocated() -> list[Decimal]:
        return [zero if q is None or q == "0" else Decimal(f"{q}E-18") for q in quanta]

    parts = LazyColumn(len(quanta), allocated)

    def variable() -> list[Decimal]:
        create, subtract, plus = CONTEXT.create_decimal, _EXACT.subtract, CONTEXT.plus
        return [
            create(t) if not a else plus(subtract(Decimal(t), a))
            for t, a in zip(totals, parts, strict=True)
        ]

    return LazyColumn(len(totals), variable), parts
