"""Shared parts split over customers inside the engine's pricing pass (SPEC §18).

A feature's part A = P·10^-18 goes to its customers by their units: with units written
as integers at the snapshot's scale (a customer's n, the feature's N), a customer's part
is floor(P·n / N) quanta, and the last customer in id order takes what is left. With
P = r·N + m (0 <= m < N) that is r·n + floor(m·n / N): a product and, while m·n fits 64
bits, a 64-bit division. So the split is one more sum in the grouping that already
prices each customer, not a pass of its own over every (customer, feature) pair:

- the linear part r·n is priced with the units (r quanta added to the cost per unit);
- the pricing pass adds floor(m·n / N) per pair into each customer's COGS, in exact
  DECIMAL arithmetic, and groups the same joined pairs a second way, by (subscription,
  feature), for the sum of those floors and the last customer with units: from those
  come each feature's remainder m − Σ floor(m·n / N), added to its last customer after
  the pass, and the shared COGS each subscription's customers carry;
- each customer's allocated COGS (hence their variable COGS) is made only when a view
  asks for it (:class:`LazyColumn`), by a grouping of its own: most breakdowns show
  the COGS of each customer, not its split, and a view of ten customers asks for ten.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from infercost.arithmetic import CONTEXT
from infercost.usage import engine
from infercost.usage.engine import scale_of
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
    """What the pricing pass adds, and what settles the split after it."""

    table: str  # the usage table with each pair's units as a 64-bit integer n
    terms: dict[str, tuple[int, int, int]]  # feature -> (r, m, N): P = r·N + m
    per_unit: dict[str, Decimal]  # feature -> r quanta per unit, added to its cost per unit
    floor: str  # a pair's floor(m·n / N), from the feature's terms joined as f
    units: str  # a pair's n (r·n quanta: the part of its share that is linear in units)
    scale: int  # the snapshot's: n = units · 10^scale
    units_by_subscription: Mapping[str, Mapping[str, Decimal]]

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

    def cogs(self, variable: str, floor: str) -> str:
        """A customer's COGS: ``variable`` (priced at the folded costs per unit, so with
        the r·n quanta) plus the sum of their ``floor`` column, exactly (an overflow is
        the engine's out-of-range error). Their remainders are added after the pass."""
        floors = f"CAST(sum({floor}) AS DECIMAL(38,0))"
        return f"{variable} + coalesce({floors} * {_ONE_QUANTUM}, 0)"

    def settle(self, found: Iterable[Sequence[str | None]]) -> Settled:
        """The remainders and carried COGS from the pass's rows per (subscription,
        feature): the last customer there with units (None: none has units), the sum
        of the floors as text, and the feature."""
        terms = self.terms
        floors: dict[str, int] = dict.fromkeys(terms, 0)
        lasts: dict[str, tuple[str, str]] = {}  # feature -> (customer, subscription)
        carried_quanta: dict[str, int] = dict.fromkeys(self.units_by_subscription, 0)
        for last, sub, total, feature in found:
            if feature not in terms or sub is None or total is None:
                continue
            floors[feature] += int(total)
            carried_quanta[sub] = carried_quanta.get(sub, 0) + int(total)
            if last is not None and (feature not in lasts or last > lasts[feature][0]):
                lasts[feature] = (last, sub)
        rests: dict[str, int] = {}
        for feature, (_, m, _) in terms.items():
            rest = m - floors[feature]
            customer, sub = lasts[feature]
            rests[customer] = rests.get(customer, 0) + rest
            carried_quanta[sub] = carried_quanta.get(sub, 0) + rest
        for sub, per_feature in self.units_by_subscription.items():
            for feature, used in per_feature.items():
                if feature in terms and sub in carried_quanta:
                    carried_quanta[sub] += terms[feature][0] * int(used.scaleb(self.scale, _EXACT))
        carried = {sub: Decimal(q).scaleb(-18, _EXACT) for sub, q in carried_quanta.items()}
        return Settled(rests, carried)

    def quanta_sql(self, ctes: str, where: str = "") -> str:
        """Each customer's quanta before remainders (``high, low``: high·2^62 + low), in
        customer order: the grouping a view that shows each customer's split runs.
        ``ctes`` are the pricing pass's own (features as f, subscriptions as s)."""
        total = f"coalesce(sum(f.r * {self.units}), 0) + coalesce(sum({self.floor}), 0)"
        return (
            f"WITH {ctes} SELECT customer, CAST(q >> {_LOW_BITS} AS BIGINT), "
            f"CAST(q & {2**_LOW_BITS - 1} AS BIGINT) FROM (SELECT u.customer, {total} AS q "
            f"FROM {self.table} u JOIN s ON u.subscription = s.subscription "
            f"LEFT JOIN f ON u.feature = f.feature {where}GROUP BY u.customer) "
            "ORDER BY customer"
        )


@dataclass(frozen=True)
class Settled:
    rests: dict[str, int]  # customer -> the remainders of the features they are last of
    carried: dict[str, Decimal]  # subscription -> shared COGS its customers carry


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
    shares: Mapping[str, Decimal],
    units_by_feature: Mapping[str, Decimal],
    units_by_subscription: Mapping[str, Mapping[str, Decimal]],
) -> Split:
    """The split of ``shares`` (feature -> part, each feature with units) over the
    customers. Raises the engine's out-of-range error where the split needs what this
    path does not do (a part finer than 10^-18, parts too large for a customer's quanta
    to fit 125 bits): the caller falls back."""
    scale = snap.scale
    terms: dict[str, tuple[int, int, int]] = {}  # feature -> (r, m, N)
    whole = 0
    for feature, part in shares.items():
        if scale_of(part) > 18:
            raise engine.out_of_range()[0]("a part finer than 10^-18")
        if part < 0:
            raise engine.out_of_range()[0]("a negative part")
        p = int(part.scaleb(18, _EXACT))
        q = int(units_by_feature[feature].scaleb(scale, _EXACT))
        r, m = divmod(p, q)
        terms[feature] = (r, m, q)
        whole += p
    # A customer's quanta are at most the sum of the parts: below 2^125, every partial
    # sum in the engine's 128 bits and each half of high·2^62 + low in 64 bits.
    if whole >= 2**125:
        raise engine.out_of_range()[0]("parts too large for 125 bits of quanta")
    n64, places = _integer_units(snap)
    table = f"(SELECT *, {n64} AS n FROM {snap.table})"
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
        scale,
        units_by_subscription,
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
    Figures read by index before that (a view of the ten worst customers) are made for
    those indices alone by ``some``, and kept; :meth:`prefetch` makes several at once."""

    def __init__(
        self,
        size: int,
        build: Callable[[], list[Decimal]],
        some: Callable[[list[int]], list[Decimal]] | None = None,
    ) -> None:
        self._size = size
        self._build: Callable[[], list[Decimal]] | None = build
        self._some = some
        self._known: dict[int, Decimal] = {}
        self._values: list[Decimal] | None = None

    def values(self) -> list[Decimal]:
        if self._values is None:
            assert self._build is not None
            self._values, self._build = self._build(), None
            self._known = {}
        return self._values

    def prefetch(self, indices: Sequence[int]) -> None:
        """Make the figures at ``indices`` (in range) in one go, unless the column is made."""
        if self._values is not None or self._some is None:
            return
        wanted = sorted({i for i in indices if i not in self._known})
        if wanted:
            self._known.update(zip(wanted, self._some(wanted), strict=True))

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Decimal: ...
    @overload
    def __getitem__(self, index: slice) -> list[Decimal]: ...
    def __getitem__(self, index: int | slice) -> Decimal | list[Decimal]:
        if self._values is None and self._some is not None and isinstance(index, int):
            if not -self._size <= index < self._size:
                raise IndexError(index)
            index %= self._size
            if index not in self._known:
                self.prefetch([index])
            return self._known[index]
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

    def __reduce__(self) -> tuple[type[list[Decimal]], tuple[list[Decimal]]]:
        """Pickled as its figures, made now: what makes them reads this process's engine
        (a project's stacks priced in a forked process send their results back so)."""
        return list, (self.values(),)


class Quanta:
    """Each customer's quanta of shared COGS, remainders included, read from the engine
    when first asked for: all of them (in customer order, as ``ids``) or a few."""

    def __init__(
        self, con: Any, split: Split, ctes: str, ids: list[str], rests: Mapping[str, int]
    ) -> None:
        self._con, self._split, self._ctes = con, split, ctes
        self._ids, self._rests = ids, rests

    def every(self) -> list[int]:
        found = self._con.execute(self._split.quanta_sql(self._ctes)).fetchall()
        if [row[0] for row in found] != self._ids:  # the pass's customers, in its order
            raise AssertionError("the customers' shares do not line up with their COGS")
        return [(h << _LOW_BITS) + lo + self._rests.get(c, 0) for c, h, lo in found]

    def some(self, indices: list[int]) -> list[int]:
        wanted = [self._ids[i] for i in indices]
        # The ids as a value, not as SQL text: an id may hold any character.
        where = "WHERE u.customer IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
        found = self._con.execute(self._split.quanta_sql(self._ctes, where), [wanted]).fetchall()
        parts = {c: (h << _LOW_BITS) + lo for c, h, lo in found}
        return [parts[c] + self._rests.get(c, 0) for c in wanted]


def lazy_columns(totals: list[str], quanta: Quanta) -> tuple[LazyColumn, LazyColumn]:
    """(variable COGS, allocated COGS) of each customer, made when first read from the
    exact texts of their COGS with the part included and their quanta."""
    zero = Decimal(0)
    create, subtract, plus = CONTEXT.create_decimal, _EXACT.subtract, CONTEXT.plus

    def part(q: int) -> Decimal:
        return Decimal(f"{q}E-18") if q else zero

    def variable(total: str, allocated: Decimal) -> Decimal:
        return plus(subtract(Decimal(total), allocated)) if allocated else create(total)

    parts = LazyColumn(
        len(totals),
        lambda: list(map(part, quanta.every())),
        lambda indices: list(map(part, quanta.some(indices))),
    )

    def some_variable(indices: list[int]) -> list[Decimal]:
        parts.prefetch(indices)
        return [variable(totals[i], parts[i]) for i in indices]

    return LazyColumn(len(totals), lambda: list(map(variable, totals, parts)), some_variable), parts
