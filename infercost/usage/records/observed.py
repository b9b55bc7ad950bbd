"""Observed shape: what production does, in the terms of the declared attributes (SPEC §12).

Measured in SQL over the normalized record table, never record by record in Python. The
records are grouped by unit and step (``calls`` is the number of the unit's first attempts
of the step; ordered by ``call_index``, then time, then input tokens, they give the call
index ``k``), then by period, feature, step, item, cache hit and number of calls: a
histogram of calls per unit, with Σ (k − 1)·input. The token and quantity sums do not
depend on the number of calls, so they come per period, feature, step, item and cache hit
(``sums``). Both are small, so the attributes are computed from them in Decimal:

- share: units running the step / units of the feature (a cacheable step: among units
  not answered from the response cache, as the formula applies ``1 − h`` apart);
- calls: the histogram itself (``empirical``), with mean and percentiles;
- input tokens and context growth: the least-squares line of a first attempt's input
  tokens against its index ``k − 1``; its intercept is the first call's input tokens and
  its slope the growth, and it preserves the sum of input tokens exactly;
- output tokens and meter quantity per call, cached and cache-write shares: ratios of
  sums over all records (retries included), so ``calls × (1 + retry_rate)`` of them
  gives the observed sums back;
- retry rate: (records − first attempts) / first attempts.

Cost: the group by unit and step is the one large aggregation (about as many groups as
records over two), and it is rolled up into the histogram in the same query, so its
groups are never stored. When ``calibrate`` runs, the import's group by unit also gives
each unit a 64-bit hash of its key; when no two units share one (checked on the units,
exact), the group by unit and step is keyed by that hash instead of the four texts of
the key, and falls back to the texts otherwise (a crafted collision costs time, never a
figure). Its feature and item are enums of the stack's names, and each group's first
attempts are parallel lists of plain types, sorted only where the order matters (see
:meth:`ShapeObserver.unit_steps_sql`). The sums ride on the import's priced sums
(grouped by cache hit too), so the records are read once per import query. That holds
when every unit's records fall in one period and agree on the cache hit (then a
record's period and cache hit are its unit's) and the import kept every record;
otherwise the exact general query joins each group to its unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infercost.model import Stack
from infercost.usage.records.fields import TOKENS
from infercost.usage.records.query import (
    PERIOD_FORMATS,
    PERIOD_UNITS,
    UNIT_KEY,
    meter_items,
    step_expression,
)
from infercost.usage.records.read import NARROW_COUNT, lit

HISTOGRAM_COLUMNS = (
    "period",
    "feature",
    "step",
    "item",
    "cache_hit",
    "calls",
    "units",
    "first_index_input",
)
SUMS_COLUMNS = (
    "period",
    "feature",
    "step",
    "item",
    "cache_hit",
    "records",
    "first_attempts",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "quantity",
    "first_input",
)
UNITS_COLUMNS = ("period", "feature", "cache_hit", "units")
KEY = ", ".join(UNIT_KEY)
# A unit's 64-bit hash: its key for the group by unit and step when no two units share one.
UNIT_HASH = f"hash({KEY})"
FIRST = "coalesce(attempt, 1) = 1"


@dataclass
class Histogram:
    """The rows of one feature, step and item (one period)."""

    feature: str
    step: str | None
    item: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def _step_sql(stack: Stack) -> str:
    return step_expression(stack, _c("feature"), _c("item")).sql("duckdb")


def _quantity_default(stack: Stack) -> str:
    meters = meter_items(stack)
    if not meters:
        return "0"
    listed = ", ".join("'" + m.replace("'", "''") + "'" for m in meters)
    return f"CASE WHEN item IN ({listed}) THEN 1 ELSE 0 END"


def _weighted(calls: str, tokens: str = "x.i") -> str:
    """Σ (k − 1)·input over one group's list of first attempts sorted in call order (the
    structs' fields: call index, then time, then input tokens, read by ``tokens``)."""
    return (
        f"list_sum(list_transform(list_sort({calls}, 'ASC', 'NULLS LAST'), "
        f"lambda x, j: {tokens} * (j - 1)))"
    )


def _has(given: frozenset[str] | None) -> Callable[[str], bool]:
    """Whether the records give a field (None: not known, so maybe)."""
    return lambda name: given is None or name in given


def _filter(*conditions: str) -> str:
    """An aggregate's filter to the records where every condition holds (none: all)."""
    return f" FILTER (WHERE {' AND '.join(conditions)})" if conditions else ""


def _first_calls(given: frozenset[str] | None) -> tuple[str, str]:
    """The filter to first attempts (none when no record gives an attempt) and the
    count of a group's first attempts under it."""
    first = _filter(FIRST) if _has(given)("attempt") else ""
    return first, f"count(*){first}"


def _index_input(lists: str) -> str:
    """Σ (k − 1)·input of every group, summed. A group of one call adds nothing, so its
    list is not sorted."""
    return f"coalesce(sum(CASE WHEN calls > 1 THEN {_weighted(lists)} END), 0)"


@dataclass(frozen=True)
class ExactQueries:
    """The general way, each group of a unit and step joined to its unit: ``steps``
    creates the table ``unit_steps_exact`` that ``histogram`` and ``sums`` read."""

    units: str
    steps: str
    histogram: str
    sums: str


def exact_sql(
    stack: Stack, table: str = "records", where: str = "TRUE", units: str | None = None
) -> ExactQueries:
    """The observed-shape queries in DuckDB SQL over a table of normalized records.

    ``units`` names a table of units the import already computed (the key, ``first_time``
    and ``cache_hit`` as 1 or 0): reading it instead of grouping the records by unit again
    saves a pass over the records."""
    fmt = PERIOD_FORMATS.get(stack.settings.period, PERIOD_FORMATS["month"])
    if units is None:
        hit = "CASE WHEN coalesce(cache_hit, false) THEN 1 ELSE 0 END"
        unit = (
            f"SELECT {KEY}, strftime(min(time), '{fmt}') AS period, max({hit}) = 1 AS cache_hit "
            f"FROM {table} WHERE {where} GROUP BY {KEY}"
        )
    else:
        unit = (
            f"SELECT {KEY}, strftime(first_time, '{fmt}') AS period, cache_hit = 1 AS cache_hit "
            f"FROM {units}"
        )
    units_query = (
        f"WITH u AS ({unit}) SELECT period, feature, cache_hit, count(*) AS units FROM u "
        "GROUP BY period, feature, cache_hit"
    )
    base = f"""
        SELECT {KEY}, coalesce(step, {_step_sql(stack)}) AS step, item, time, call_index,
               {FIRST} AS first,
               coalesce(input_tokens, 0) AS i,
               coalesce(cached_input_tokens, 0) AS c,
               coalesce(cache_write_tokens, 0) AS w,
               coalesce(output_tokens, 0) AS o,
               coalesce(quantity, {_quantity_default(stack)}) AS q
        FROM {table} WHERE ({where}) AND item IS NOT NULL"""
    steps = f"""
        CREATE TEMP TABLE unit_steps_exact AS
        WITH u AS ({unit}),
        s AS (
            SELECT {KEY}, step, item,
                   count(*) FILTER (WHERE first) AS calls,
                   count(*) AS records,
                   sum(i) AS i, sum(c) AS c, sum(w) AS w, sum(o) AS o, sum(q) AS q,
                   coalesce(sum(i) FILTER (WHERE first), 0) AS fi,
                   list({{'k': call_index, 't': time, 'i': i}}) FILTER (WHERE first) AS l
            FROM ({base}) GROUP BY {KEY}, step, item
        )
        SELECT u.period, u.cache_hit, s.* FROM s JOIN u ON s.feature = u.feature
            AND s.unit_id IS NOT DISTINCT FROM u.unit_id
            AND s.customer IS NOT DISTINCT FROM u.customer
            AND s.subscription IS NOT DISTINCT FROM u.subscription"""
    histogram = (
        "SELECT period, feature, step, item, cache_hit, calls, count(*) AS units, "
        f"{_index_input('l')} AS first_index_input "
        "FROM unit_steps_exact GROUP BY period, feature, step, item, cache_hit, calls"
    )
    sums = (
        "SELECT period, feature, step, item, cache_hit, sum(records) AS records, "
        "sum(calls) AS first_attempts, sum(i) AS input_tokens, sum(c) AS cached_input_tokens, "
        "sum(w) AS cache_write_tokens, sum(o) AS output_tokens, sum(q) AS quantity, "
        "sum(fi) AS first_input FROM unit_steps_exact "
        "GROUP BY period, feature, step, item, cache_hit"
    )
    return ExactQueries(units_query, steps, histogram, sums)


class ShapeObserver:
    """Measures the observed shape on the import's DuckDB connection.

    The import makes its units with :meth:`unit_spans_sql` (each with its key's hash),
    groups its priced sums by cache hit too, with the first attempts' input tokens
    (``compact.scan_sql`` with ``observed``, rolled up again by :data:`CALLS_FROM_HITS`),
    and, when it kept every record, makes the histogram with :meth:`unit_steps_sql`
    (keyed by the hash when :meth:`hashes_distinct`); then it calls the observer with
    the condition on the records it kept. A connection without ``unit_steps`` (an import
    that skipped records), or one whose ``unit_steps`` counted a record it cannot
    measure, gets the exact general queries."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def unit_spans_sql(self, given: frozenset[str] | None) -> str:
        """One row per unit: its key and the key's hash, first and last time, cache hit
        of any and of every record (what the import's units and :meth:`_simple` need)."""
        return (
            f"SELECT {KEY}, {UNIT_HASH} AS unit_hash, min(time) AS first_time, "
            f"max(time) AS last_time, {_hits(given, every=True)} FROM records GROUP BY {KEY}"
        )

    @staticmethod
    def hashes_distinct(con: Any) -> bool:
        """Whether no two units of ``unit_spans`` share a hash: then grouping by the hash
        and the feature groups by the unit, exactly."""
        row = con.execute("SELECT count(*) = count(DISTINCT unit_hash) FROM unit_spans")
        return bool(row.fetchall()[0][0])

    def unit_steps_sql(self, given: frozenset[str] | None, hashed: bool = False) -> str:
        """The histogram of calls per unit (see :meth:`_unit_steps`), a group's
        Σ (k − 1)·input from its first attempts' call indices, times and input tokens,
        sorted in that order. The three come as parallel lists (a list of one plain type
        is built at about half the cost of a list of structs) and are zipped into structs
        only for a group that is sorted; a group of one call is not sorted, and without a
        call index neither is a group of two. The lists leave out the records of meter
        items: a kept one has no input tokens (it would be a problem), so its group's sum
        is 0 in any order (a group with empty lists adds nothing). The tokens are listed
        as 64-bit decimals (``NARROW_COUNT``, as a CSV file's are read), half the size and
        compared faster than the records' 128-bit ones; a first call of a billion tokens
        or more does not fit them, and sends the observer the exact way. ``given``: the fields
        the records have (None: unknown); without a call index the lists hold times and
        tokens only, and without a step the records are grouped by item and the step is
        found on the groups, not on every record."""
        has = _has(given)
        listed = [FIRST] if has("attempt") else []
        meters = meter_items(self.stack)
        if meters:
            listed.append(f"item NOT IN ({', '.join(lit(m) for m in meters)})")
        only = _filter(*listed)
        tokens = f"TRY_CAST(coalesce(input_tokens, 0) AS {NARROW_COUNT})"
        # A listed count of a billion or more is null in the narrow type: checked on the
        # group's list, not on every record.
        unfit = "len(li) > list_count(li)"
        lists = f", list(time){only} AS lt, list({tokens}){only} AS li"
        if has("call_index"):
            lists = f", list(call_index){only} AS lk" + lists
            weighted = f"CASE WHEN calls > 1 THEN {_weighted('list_zip(lk, lt, li)', 'x[3]')} END"
        else:
            # Two calls (the commonest group that needs the order): the later one's tokens,
            # without sorting. Ordered as the sort orders them: time, a missing time last,
            # then tokens (equal times: the larger tokens).
            weighted = (
                "CASE WHEN calls = 2 THEN CASE WHEN lt[1] IS NOT DISTINCT FROM lt[2] "
                "THEN greatest(li[1], li[2]) WHEN lt[2] IS NULL OR lt[1] < lt[2] THEN li[2] "
                f"ELSE li[1] END WHEN calls > 2 THEN {_weighted('list_zip(lt, li)', 'x[2]')} END"
            )
        return self._unit_steps(given, lists, weighted, hashed=hashed, unfit=unfit)

    def indexed_unit_steps_sql(
        self, given: frozenset[str] | None, hashed: bool = False
    ) -> str | None:
        """:meth:`unit_steps_sql` without the lists, for records with a call index: where a
        group's first attempts are indexed by consecutive whole numbers (1..n, 0..n−1 or
        any m..m+n−1), a call's rank is k − m + 1 and Σ (rank − 1)·input is
        Σ k·input − m·Σ input, two plain sums. ``in_index_order`` says whether every
        group is so (the caller checks it, and runs the list query when one is not);
        None without a call index.

        The check is exact: n indices spanning max − min = n − 1 whose residues mod 64
        set n distinct bits (so n <= 64) are m..m+n−1, each once. The lists, a sort per
        group, cost about half the query; records that give their order need neither."""
        if given is None or "call_index" not in given:
            return None
        first, calls = _first_calls(given)
        # TRY_CAST: an index past 64 bits is no error here, only out of order.
        k = "TRY_CAST(call_index AS BIGINT)"
        tokens = "coalesce(input_tokens, 0)"
        weighted = (
            f"CASE WHEN {calls} > 1 THEN sum({k} * {tokens}){first} "
            f"- min({k}){first} * sum({tokens}){first} END"
        )
        bit = f"CAST(1 AS UBIGINT) << CAST((({k} % 64) + 64) % 64 AS INTEGER)"
        ordered = (
            f"({calls} <= 1 OR coalesce(count({k}){first} = {calls} AND {calls} <= 64 "
            f"AND max({k}){first} - min({k}){first} = {calls} - 1 "
            f"AND bit_count(bit_or({bit}){first}) = {calls}, false))"
        )
        return self._unit_steps(
            given,
            f", {weighted} AS weighted, {ordered} AS in_index_order",
            "weighted",
            ", bool_and(in_index_order) AS in_index_order",
            hashed,
        )

    def _unit_steps(
        self,
        given: frozenset[str] | None,
        columns: str,
        weighted: str,
        extra: str = "",
        hashed: bool = False,
        unfit: str = "",
    ) -> str:
        """The records grouped by unit, step and item (each group's feature, step, item,
        first time, cache hit, number of first attempts and the ``columns`` that
        ``weighted``, its Σ (k − 1)·input, is computed from), rolled up in the same query
        by period, feature, step, item, cache hit and calls: the histogram, with
        ``units`` and ``first_index_input``. A large file has millions of groups; rolled
        up on the way, they are never stored nor read again.

        The period and cache hit are the group's (its unit's, where :meth:`_simple`
        holds). The feature and item are grouped as enums of the stack's names (a small
        integer hashes and compares faster than a text). ``unfit`` counts the groups the
        table cannot measure: a feature or item not among those names, which the import
        never keeps (each is a problem, and problems take the exact way), or one where
        the condition ``unfit`` (over the group's ``columns``) holds; the observer then
        takes the exact way. Both are checked on the groups, not on every record: a
        group key that is null where the group's records have a name. ``hashed``:
        the unit keyed by its hash (one 64-bit integer instead of four texts), for units
        whose hashes are distinct."""
        has = _has(given)
        _, calls = _first_calls(given)
        # Without a step (a constant null) the records are grouped by item alone.
        step = self._step() if has("step") else "CAST(NULL AS VARCHAR)"
        feature = _enum("feature", sorted(self.stack.features))
        item = _enum("item", _item_names(self.stack))
        unit = UNIT_HASH if hashed else KEY
        keys = ", ".join([unit, feature, *([step] if has("step") else []), item])
        conditions = ["feature_key IS NULL", "(item_key IS NULL AND items > 0)"]
        conditions += [unfit] if unfit else []
        groups = (
            f"SELECT {feature} AS feature_key, {step} AS step, {item} AS item_key, "
            f"min(time) AS first_time, {_hits(given)}, {calls} AS calls, "
            f"count(item) AS items{columns} "
            f"FROM records GROUP BY {keys}"
        )
        period = PERIOD_UNITS.get(self.stack.settings.period, "MONTH")
        return (
            f"SELECT date_trunc('{period}', first_time) AS period_start, "
            "CAST(feature_key AS VARCHAR) AS feature, step, CAST(item_key AS VARCHAR) AS item, "
            f"cache_hit, calls, count(*) AS units, sum({weighted}) AS first_index_input, "
            f"count(*) FILTER (WHERE {' OR '.join(conditions)}) AS unfit{extra} "
            f"FROM ({groups}) "
            "GROUP BY period_start, feature_key, step, item_key, cache_hit, calls"
        )

    @staticmethod
    def in_index_order(con: Any) -> bool:
        """Whether every group of ``unit_steps`` (made by :meth:`indexed_unit_steps_sql`)
        has its first attempts indexed 1..n."""
        row = con.execute("SELECT coalesce(bool_and(in_index_order), true) FROM unit_steps")
        return bool(row.fetchall()[0][0])

    def _step(self) -> str:
        return f"coalesce(step, {_step_sql(self.stack)})"

    def __call__(self, con: Any, where: str) -> dict[str, list[dict[str, Any]]]:
        fast = (
            where == "TRUE"
            and _has_table(con, "unit_steps")
            and not _unfit(con)
            and self._simple(con)
        )
        if fast:
            queries = self._fast_sql()
            out = {
                "units": _rows(con, queries.units, UNITS_COLUMNS),
                "histogram": _rows(con, queries.histogram, HISTOGRAM_COLUMNS),
                "sums": _rows(con, queries.sums, SUMS_COLUMNS),
            }
        else:
            exact = exact_sql(self.stack, "records", where, units="units")
            con.execute(exact.steps)
            out = {
                "units": _rows(con, exact.units, UNITS_COLUMNS),
                "histogram": _rows(con, exact.histogram, HISTOGRAM_COLUMNS),
                "sums": _rows(con, exact.sums, SUMS_COLUMNS),
            }
        unknown = []
        if where != "TRUE":
            unknown = con.execute(
                "SELECT feature, count(*) FROM records WHERE _problem = 'unknown_feature' "
                "GROUP BY feature ORDER BY feature"
            ).fetchall()
        out["unknown_features"] = [{"feature": f, "records": int(n)} for f, n in unknown]
        return out

    def _simple(self, con: Any) -> bool:
        """Every unit's records in one period and agreeing on the cache hit: then the
        groups carry their unit's period and cache hit, and the sums by record are the
        sums by unit."""
        unit = PERIOD_UNITS.get(self.stack.settings.period, "MONTH")
        row = con.execute(
            f"SELECT coalesce(bool_and(date_trunc('{unit}', first_time) = "
            f"date_trunc('{unit}', last_time) AND cache_hit = every_hit), true) FROM unit_spans"
        ).fetchall()[0]
        return bool(row[0])

    def _fast_sql(self) -> ExactQueries:
        fmt = PERIOD_FORMATS.get(self.stack.settings.period, PERIOD_FORMATS["month"])
        # Grouped by the period's start (and the step as written) first, so that the label
        # (and the step) are computed per group, not per unit (and step).
        unit = PERIOD_UNITS.get(self.stack.settings.period, "MONTH")
        units = (
            f"SELECT strftime(period_start, '{fmt}') AS period, feature, "
            "cache_hit = 1 AS cache_hit, CAST(sum(units) AS BIGINT) AS units FROM ("
            f"SELECT date_trunc('{unit}', first_time) AS period_start, feature, cache_hit, "
            "count(*) AS units FROM units GROUP BY ALL) GROUP BY ALL"
        )
        histogram = (
            f"SELECT strftime(period_start, '{fmt}') AS period, feature, {self._step()} AS step, "
            "item, cache_hit = 1 AS cache_hit, calls, CAST(sum(units) AS BIGINT) AS units, "
            "coalesce(sum(first_index_input), 0) AS first_index_input FROM unit_steps "
            "WHERE item IS NOT NULL GROUP BY ALL"
        )
        sums = (
            f"SELECT strftime(period_start, '{fmt}') AS period, feature, resolved_step AS step, "
            "item, coalesce(cache_hit, false) AS cache_hit, sum(records) AS records, "
            "sum(first_attempts) AS first_attempts, sum(input_tokens) AS input_tokens, "
            "sum(cached_input_tokens) AS cached_input_tokens, "
            "sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens, "
            "sum(quantity) AS quantity, sum(first_input) AS first_input FROM all_calls "
            "WHERE item IS NOT NULL GROUP BY ALL"
        )
        return ExactQueries(units, "", histogram, sums)


# The import's units, from those of :meth:`ShapeObserver.unit_spans_sql`.
UNITS_FROM_STEPS = f"SELECT {KEY}, first_time, cache_hit FROM unit_spans"
# The priced sums without the cache-hit key (what ``calls`` is without an observer).
CALLS_FROM_HITS = (
    "SELECT period_start, feature, resolved_step, item, tier, sum(records) AS records, "
    "sum(first_attempts) AS first_attempts, "
    + "".join(f"sum({t}) AS {t}, " for t in TOKENS)
    + "sum(quantity) AS quantity, sum(reported_cost) AS reported_cost, "
    "sum(reported_records) AS reported_records FROM all_calls "
    "GROUP BY period_start, feature, resolved_step, item, tier"
)


def _hits(given: frozenset[str] | None, every: bool = False) -> str:
    """``cache_hit`` (1 when any record is a hit) and, with ``every``, ``every_hit`` (1
    when every one is). A field the source does not give is a constant: no aggregate."""
    if not _has(given)("cache_hit"):
        return "0 AS cache_hit, 0 AS every_hit" if every else "0 AS cache_hit"
    hit = "CASE WHEN cache_hit THEN 1 ELSE 0 END"
    return f"max({hit}) AS cache_hit" + (f", min({hit}) AS every_hit" if every else "")


def _enum(column: str, names: list[str]) -> str:
    """``column`` as an enum of ``names`` (null when it is none of them); the column
    itself when there are no names (an enum needs one)."""
    if not names:
        return column
    return f"TRY_CAST({column} AS ENUM({', '.join(lit(n) for n in names)}))"


def _item_names(stack: Stack) -> list[str]:
    return sorted(
        {item.address for sheet in stack.price_sheets.values() for item in sheet.items.values()}
    )


def _unfit(con: Any) -> bool:
    """Whether ``unit_steps`` counted a record it cannot measure (see
    :meth:`ShapeObserver._unit_steps`)."""
    row = con.execute("SELECT coalesce(sum(unfit), 0) > 0 FROM unit_steps").fetchall()
    return bool(row[0][0])


def _has_table(con: Any, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]
    ).fetchall()
    return bool(found[0][0])


def _rows(con: Any, query: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    assert tuple(names) == columns
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _c(name: str) -> Any:
    from sqlglot import exp

    return exp.column(name, quoted=False)
