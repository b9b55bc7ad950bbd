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
from typing import overload

from infercost.arithmetic import CONTEXT
from infercost.usage import engine
from infercost.usage.engine import scale_of, string
from infercost.usage.snapshot import Snapshot

_EXACT = decimal.Context(prec=400, traps=[decimal.Inexact, decimal.InvalidOperation])
# Below these, a part floor(P·n / N) is computed as r·n + floor(m·n / N) (r, m: quotient
# and remainder of P by N) with m·n in 64 bits: m·n < 2^63 when m < N < 2^31 and
# n < 2^32. 128-bit division is the costliest step of a split.
SMALL_TOTAL = 2**31
SMALL_UNITS = 2**32
NARROW = 18  # digits of the engine's 64-bit DECIMAL
_ONE_QUANTUM = "CAST('0.000000000000000001' AS DECIMAL(38,18))"


@dataclass(frozen=True)
class Split:
    """What the pricing pass adds, and what the first grouping found."""

    table: str  # the usage table with each pair's units as a 64-bit integer n
    terms: dict[str, tuple[int, int, int]]  # feature -> (r, m, N): P = r·N + m
    per_unit: dict[str, Decimal]  # feature -> r quanta per unit, added to its cost per unit
    floor: str  # a pair's floor(m·n / N), from the feature's terms joined as f
    units: str  # a pair's n (r·n quanta: the part of its share that is linear in units)
    rests: dict[str, int]  # customer -> the remainders of the features they are last of
    carried: dict[str, Decimal]  # subscription -> shared COGS its customers carry

    def feature_terms(self, feature: str) -> str:
        """The columns ``r, m, small, mh, q`` of a feature (zeros: no part)."""
        return _terms_sql(*self.terms.get(feature, (0, 0, 1)))

    def folded(self, cost_per_unit: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """Each feature's cost per unit with its r quanta per unit added, exactly: the
        linear part r·n of every customer's part is then priced with the units."""
        return {
            name: _EXACT.add(cost, self.per_unit[name]) if name in self.per_unit else cost
            for name, cost in cost_per_unit.items()
        }

    def cogs(self, variable: str) -> str:
        """A customer's COGS: ``variable`` (priced at the folded costs per unit, so with
        the r·n quanta) plus their floor(m·n / N) quanta, exactly (an overflow is the
        engine's out-of-range error). Their remainders are added after the pass."""
        floors = f"CAST(sum({self.floor}) AS DECIMAL(38,0))"
        return f"{variable} + coalesce({floors} * {_ONE_QUANTUM}, 0)"

    def quanta(self) -> str:
        """A customer's quanta (remainders aside) as two BIGINT columns high, low
        (quanta = high·2^62 + low): reading 128-bit integers as text is slower."""
        total = f"(coalesce(sum(f.r * {self.units}), 0) + coalesce(sum({self.floor}), 0))"
        return (
            f", CAST({total} >> {_LOW_BITS} AS BIGINT) AS quanta_high, "
            f"CAST({total} & {2**_LOW_BITS - 1} AS BIGINT) AS quanta_low"
        )


_LOW_BITS = 62
FEATURE_TERMS = ", r, m, small, mh, q"


def _terms_sql(r: int, m: int, q: int) -> str:
    """A feature's :data:`FEATURE_TERMS` as SQL values: r and m (64-bit when N is small
    enough for m·n to fit, else 0 there and NULL as ``small``), m again and N in 128 bits."""
    small = q < SMALL_TOTAL
    return (
        f", CAST('{r}' AS HUGEINT), CAST({m if small else 0} AS BIGINT), "
        f"CAST({q if small else 'NULL'} AS BIGINT), CAST('{m}' AS HUGEINT), "
        f"CAST('{q}' AS HUGEINT)"
    )


def _floor_sql(terms: str, scale: int) -> str:
    """A pair's floor(m·n / N) from the terms joined as ``terms``: in 64 bits where
    ``small`` and n allow it, else from the units in 128 bits."""
    return (
        f"CASE WHEN {terms}.small IS NOT NULL AND u.n < {SMALL_UNITS} "
        f"THEN {terms}.m * u.n // {terms}.small "
        f"ELSE {terms}.mh * CAST(u.units * {10**scale} AS HUGEINT) // {terms}.q END"
    )


NO_TERMS = ", NULL::HUGEINT, NULL::BIGINT, NULL::BIGINT, NULL::HUGEINT, NULL::HUGEINT"


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
    n64, places = _integer_units(snap)
    table = f"(SELECT *, {n64} AS n FROM {snap.table})"
    subs = ", ".join(f"({string(name)})" for name in prices)
    rows = ", ".join(f"({string(feature)}{_terms_sql(*t)})" for feature, t in terms.items())
    found = snap.con.execute(
        f"WITH s(subscription) AS (VALUES {subs}), "
        f"a(feature{FEATURE_TERMS}) AS (VALUES {rows}), "
        f"g AS (SELECT u.subscription, u.feature, max(u.customer) AS last, "
        f"CAST(sum({_floor_sql('a', scale)}) AS VARCHAR) AS floors FROM {table} u "
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
    rests: dict[str, int] = {}
    for feature, (_, m, _) in terms.items():
        rest = m - floors[feature]
        customer, sub = lasts[feature]
        rests[customer] = rests.get(customer, 0) + rest
        carried_quanta[sub] += rest
    for sub, per_feature in units_by_subscription.items():
        for feature, used in per_feature.items():
            if feature in terms and sub in carried_quanta:
                carried_quanta[sub] += terms[feature][0] * int(used.scaleb(scale, _EXACT))
    carried = {sub: Decimal(q).scaleb(-18, _EXACT) for sub, q in carried_quanta.items()}
    # Every pair's n is at most its feature's N: below 2^31 and within the 18 digits of
    # the narrowed units, n is never NULL and m·n fits 64 bits, with no test per pair.
    bound = min(SMALL_TOTAL, 10 ** (NARROW - places)) if places is not None else 0
    if all(q < bound for _, _, q in terms.values()):
        floor, units = "f.m * u.n // f.small", "u.n"
    else:
        floor = _floor_sql("f", scale)
        units = f"CAST(u.units * {10**scale} AS HUGEINT)"
    return Split(
        table,
        terms,
        {f: Decimal(r).scaleb(scale - 18, _EXACT) for f, (r, _, _) in terms.items()},
        floor,
        units,
        rests,
        carried,
    )


def _integer_units(snap: Snapshot) -> tuple[str, int | None]:
    """Each pair's units times 10^scale as a BIGINT, or NULL where that does not fit.

    The groups keep units in a 128-bit DECIMAL; rescaling one is a 128-bit division,
    the costliest step of the split. Multiplied by 10^scale (exact: no unit has more
    digits after the point) and narrowed to 18 digits (a range check), the integer is
    read in 64 bits. A pair whose n is NULL takes the 128-bit formula."""
    places = units_places(snap)
    if places is None or places > NARROW:
        return "CAST(NULL AS BIGINT)", None
    n = f"CAST(TRY_CAST(units * {10**snap.scale} AS DECIMAL({NARROW},{places})) AS BIGINT)"
    return n, places


def units_places(snap: Snapshot) -> int | None:
    """The digits after the point of the grouped units' DECIMAL column (None: not a
    DECIMAL): the units are summed at the scale they were read at, which may be wider
    than the snapshot's."""
    kind = str(snap.con.execute(f"SELECT units FROM {snap.table} LIMIT 0").description[0][1])
    found = re.fullmatch(r"DECIMAL\((\d+), ?(\d+)\)", kind)
    return None if found is None else int(found[2])


class LazyColumn(Sequence[Decimal]):
    """A column of figures made on first read: most breakdowns never show each of
    250,000 customers' allocated and variable COGS, and a view that does pays once.
    One figure read by its index before that (a view of the ten worst customers) is
    made alone by ``one``."""

    def __init__(
        self,
        size: int,
        build: Callable[[], list[Decimal]],
        one: Callable[[int], Decimal] | None = None,
    ) -> None:
        self._size = size
        self._build: Callable[[], list[Decimal]] | None = build
        self._one = one
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
        if self._values is None and self._one is not None and isinstance(index, int):
            if not -self._size <= index < self._size:
                raise IndexError(index)
            return self._one(index % self._size)
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


def lazy_columns(
    totals: list[str], high: list[int], low: list[int]
) -> tuple[LazyColumn, LazyColumn]:
    """(variable COGS, allocated COGS) of each customer, made when first read from the
    exact texts of their COGS with the part included and their quanta high·2^62 + low."""
    zero = Decimal(0)
    create, subtract, plus = CONTEXT.create_decimal, _EXACT.subtract, CONTEXT.plus

    def part(h: int, lo: int) -> Decimal:
        return Decimal(f"{(h << _LOW_BITS) + lo}E-18") if h or lo else zero

    def variable(total: str, allocated: Decimal) -> Decimal:
        return plus(subtract(Decimal(total), allocated)) if allocated else create(total)

    parts = LazyColumn(
        len(low), lambda: list(map(part, high, low)), lambda i: part(high[i], low[i])
    )
    return LazyColumn(
        len(totals),
        lambda: list(map(variable, totals, parts)),
        lambda i: variable(totals[i], parts[i]),
    ), parts
