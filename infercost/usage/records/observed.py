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

Cost: the records are grouped once by unit, by the import itself: its group by unit
(which it needs for the units) also lists each unit's calls as parallel lists of plain
types (a run code naming the step and item, the call index, time and input tokens), and
the histogram is made from those lists, one sort per unit, without reading the records
again (see :meth:`ShapeObserver.unit_steps_sql`). A unit is grouped by the texts of its
key, as the import groups it, so no hash stands in for it. The sums ride on the import's
priced sums (grouped by cache hit too), so the records are read once per import query.
That holds when every unit's records fall in one period and agree on the cache hit
(then a record's period and cache hit are its unit's) and the import kept every record;
otherwise the exact general query groups the records by unit and step and joins each
group to its unit.
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


def _index_input(lists: str) -> str:
    """Σ (k − 1)·input of every group, summed. A group of one call adds nothing, so its
    list is not sorted."""
    return f"coalesce(sum(CASE WHEN calls > 1 THEN {_weighted(lists)} END), 0)"


# Units of up to this many listed calls find their runs by the positions of their codes
# (two scans of the list per call: quadratic, quick on short lists); longer units by the
# boundaries between runs (linear), so that no unit costs more than its length times this.
SHORT_UNIT = 32


def _short_units(unit: str, x: int, retries: bool, where: str) -> str:
    """The histogram's rows from short units (see :meth:`ShapeObserver.unit_steps_sql`):
    every call a row, with its run's start and last position found by ``list_position``
    in the sorted codes and in their reverse. ``x``: the tokens' field in the zipped
    structs."""
    if retries:
        # b: the code of the run's first attempts; a run without any has 0 calls, and
        # its retries' ranks are null (they add nothing to the sum).
        run, b = "x[1] // 2", "x[1] - x[1] % 2"
        start = "coalesce(list_position(zc, b), list_position(zc, b + 1))"
        rank = "CASE WHEN x[1] = b THEN j - list_position(zc, b) END"
        calls = "coalesce(n1 - list_position(rc, b) - list_position(zc, b), 0)"
    else:
        run, b = "x[1]", "x[1]"
        start = "list_position(zc, b)"
        rank = "j - list_position(zc, b)"
        calls = "n1 - list_position(rc, b) - list_position(zc, b)"
    return (
        f"WITH s AS (SELECT {unit} FROM unit_spans WHERE {where}), "
        "p AS (SELECT *, list_transform(z, lambda y: y[1]) AS zc FROM s), "
        "q AS (SELECT *, list_reverse(zc) AS rc, len(zc) + 2 AS n1 FROM p), "
        "c AS (SELECT period_start, feature_key, cache_hit, zc, rc, n1, unnest(z) AS x, "
        "generate_subscripts(z, 1) AS j FROM q), "
        f"r AS (SELECT *, {b} AS b FROM c), "
        f"e AS (SELECT period_start, feature_key, cache_hit, {run} AS run, j = {start} "
        f"AS start, {rank} AS rank, {calls} AS calls, x[{x}] AS input FROM r) "
        "SELECT period_start, feature_key, run, cache_hit, calls, "
        "count(*) FILTER (WHERE start) AS units, sum(rank * input) AS first_index_input "
        "FROM e GROUP BY ALL"
    )


def _long_units(unit: str, x: int, retries: bool, where: str) -> str:
    """The histogram's rows from long units: a run starts where the sorted code (its
    run, without the retry bit) differs from the one before, and ends before the next
    start; each run is a row, its first attempts (which sort before its retries) ranked
    by their place in it. Linear in the unit's calls."""
    key = "zc[j] // 2 <> zc[j - 1] // 2" if retries else "zc[j] <> zc[j - 1]"
    run = "zc[f] // 2" if retries else "zc[f]"
    calls = "list_count(list_filter(zc[f:l], lambda v: v % 2 = 0))" if retries else "l - f + 1"
    return (
        f"WITH s AS (SELECT {unit} FROM unit_spans WHERE {where}), "
        "p AS (SELECT *, list_transform(z, lambda y: y[1]) AS zc FROM s), "
        "q AS (SELECT *, list_filter(range(1, len(zc) + 1), "
        f"lambda j: j = 1 OR {key}) AS st FROM p), "
        "r AS (SELECT period_start, feature_key, cache_hit, z, zc, unnest(st) AS f, "
        "unnest(list_transform(st, lambda v, i: coalesce(st[i + 1] - 1, len(zc)))) AS l "
        "FROM q), "
        f"e AS (SELECT *, {run} AS run, {calls} AS calls FROM r) "
        "SELECT period_start, feature_key, run, cache_hit, calls, count(*) AS units, "
        f"sum(list_sum(list_transform(z[f:f + calls - 1], lambda y, k: (k - 1) * y[{x}]))) "
        "AS first_index_input FROM e GROUP BY ALL"
    )


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

    The import makes its units with :meth:`unit_spans_sql` (each with its calls listed),
    groups its priced sums by cache hit too, with the first attempts' input tokens
    (``compact.scan_sql`` with ``observed``, rolled up again by :data:`CALLS_FROM_HITS`),
    and, when it kept every record, makes the histogram from the units' lists with
    :meth:`unit_steps_sql`; then it calls the observer with the condition on the records
    it kept. A connection without ``unit_steps`` (an import that skipped records), or
    units holding a record the lists cannot measure (``_unfit``), get the exact general
    queries."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def unit_spans_sql(self, given: frozenset[str] | None) -> str:
        """One row per unit: its key, first and last time, cache hit of any and of every
        record (what the import's units and :meth:`_simple` need), and its calls as
        parallel lists (see :meth:`_call_lists`), so that the one group by unit serves
        the import and the histogram alike."""
        return (
            f"SELECT {KEY}, min(time) AS first_time, max(time) AS last_time, "
            f"{_hits(given, every=True)}{self._call_lists(given)} FROM records GROUP BY {KEY}"
        )

    def _codes(self, given: frozenset[str] | None) -> tuple[str, int]:
        """A record's run code, a small integer naming its step and item within the unit
        (null for a name outside the stack's), doubled plus 1 for a retry when the
        records give attempts; and the number of items it is counted in."""
        has = _has(given)
        items = _item_names(self.stack)
        run = _code("item", items)
        if has("step"):
            steps = _step_names(self.stack)
            step = self._step()
            code = f"CASE WHEN {step} IS NULL THEN {len(steps)} ELSE {_code(step, steps)} END"
            run = f"({code}) * {len(items)} + {run}"
        if has("attempt"):
            run = f"({run}) * 2 + CASE WHEN {FIRST} THEN 0 ELSE 1 END"
        return run, len(items)

    def _listed_meters(self, given: frozenset[str] | None) -> list[str]:
        """Meter items counted per unit rather than listed: without a step field a
        meter item is one run of the unit, whose calls a count gives, and its records
        need no time nor tokens (they have no input tokens, so add nothing to the
        order's sum). With a step field they are listed like any other."""
        return [] if _has(given)("step") else meter_items(self.stack)

    def _call_lists(self, given: frozenset[str] | None) -> str:
        """The unit's calls as parallel lists of plain types (a list of one plain type is
        built at about half the cost of a list of structs): run codes (:meth:`_codes`),
        call indices when given, times, and input tokens as 64-bit decimals
        (``NARROW_COUNT``, as a CSV file's are read: compared faster than the records'
        128-bit ones; a first call of a billion tokens or more is null there, and sends
        the observer the exact way). A record without an item is in no step, so not
        listed; a counted meter item has a count per unit instead (``m0``, ``m1``, ...,
        first attempts, with ``a0``, ... counting every record when attempts are given)."""
        has = _has(given)
        code, _ = self._codes(given)
        meters = self._listed_meters(given)
        conditions = ["item IS NOT NULL"]
        if meters:
            conditions.append(f"item NOT IN ({_names(meters)})")
        only = _filter(*conditions)
        tokens = f"TRY_CAST(coalesce(input_tokens, 0) AS {NARROW_COUNT})"
        lists = f", list({code}){only} AS lc"
        if has("call_index"):
            lists += f", list(call_index){only} AS lk"
        lists += f", list(time){only} AS lt, list({tokens}){only} AS li"
        first = [FIRST] if has("attempt") else []
        for n, meter in enumerate(meters):
            lists += f", count(*){_filter(f'item = {lit(meter)}', *first)} AS m{n}"
            if first:
                lists += f", count(*){_filter(f'item = {lit(meter)}')} AS a{n}"
        return lists

    def unit_steps_sql(self, given: frozenset[str] | None) -> str:
        """The histogram of calls per unit with Σ (k − 1)·input, from ``unit_spans``
        (:meth:`unit_spans_sql`), without reading the records again.

        Each unit's calls are zipped and sorted once, by run code, then call index, time
        and input tokens (nulls last): a run (a step and item of the unit) is then a
        stretch of the list, first attempts before retries, each first attempt ranked by
        its place in the stretch. In a short unit (``SHORT_UNIT`` listed calls or fewer) a
        call's run starts at the code's first position and ends at its last (found in
        the reversed list), and every call becomes a row (its run, the run's calls, its
        rank and tokens); in a long one the runs are found by the boundaries between
        them, and every run becomes a row with its own Σ. The rows are grouped by
        period, feature, run, cache hit and calls: ``units`` counts the runs, and
        ``first_index_input`` sums rank × tokens. Meter items counted per unit add their
        own rows (Σ 0). The period and cache hit are the unit's, as the exact way takes
        them. Periods and features are computed per unit, before the rows multiply."""
        has = _has(given)
        items = _item_names(self.stack)
        steps = _step_names(self.stack) if has("step") else []
        _, n_items = self._codes(given)
        retries = has("attempt")
        fields = ["lc", *(["lk"] if has("call_index") else []), "lt", "li"]
        period = PERIOD_UNITS.get(self.stack.settings.period, "MONTH")
        feature = _enum("feature", sorted(self.stack.features))
        unit = (
            f"date_trunc('{period}', first_time) AS period_start, {feature} AS feature_key, "
            "cache_hit, list_sort(list_zip(" + ", ".join(fields) + "), 'ASC', 'NULLS LAST') AS z"
        )
        x = len(fields)
        parts = [
            _short_units(unit, x, retries, f"len(lc) <= {SHORT_UNIT}"),
            _long_units(unit, x, retries, f"len(lc) > {SHORT_UNIT}"),
        ]
        for n, meter in enumerate(self._listed_meters(given)):
            counted = f"a{n}" if retries else f"m{n}"
            parts.append(
                f"SELECT date_trunc('{period}', first_time) AS period_start, {feature} AS "
                f"feature_key, {items.index(meter)} AS run, cache_hit, m{n} AS calls, "
                f"count(*) AS units, 0 AS first_index_input FROM unit_spans "
                f"WHERE {counted} > 0 GROUP BY ALL"
            )
        runs = " UNION ALL ".join(f"({part})" for part in parts)
        item = f"[{_names(items)}][run % {n_items} + 1]" if items else "CAST(NULL AS VARCHAR)"
        step = f"[{_names(steps)}][run // {n_items} + 1]" if steps else "CAST(NULL AS VARCHAR)"
        return (
            "SELECT period_start, CAST(feature_key AS VARCHAR) AS feature, "
            f"{step} AS step, {item} AS item, cache_hit, calls, CAST(sum(units) AS BIGINT) "
            "AS units, sum(first_index_input) AS first_index_input "
            f"FROM ({runs}) GROUP BY ALL"
        )

    def _step(self) -> str:
        return f"coalesce(step, {_step_sql(self.stack)})"

    def __call__(self, con: Any, where: str) -> dict[str, list[dict[str, Any]]]:
        fast = (
            where == "TRUE"
            and _has_table(con, "unit_steps")
            and not _unfit(con, self.stack)
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
    return f"TRY_CAST({column} AS ENUM({_names(names)}))"


def _names(names: list[str]) -> str:
    return ", ".join(lit(n) for n in names)


def _code(column: str, names: list[str]) -> str:
    """``column``'s place among ``names`` from 0 (null when it is none of them)."""
    if not names:
        return "CAST(NULL AS INTEGER)"
    return f"CAST(enum_code(TRY_CAST({column} AS ENUM({_names(names)}))) AS INTEGER)"


def _step_names(stack: Stack) -> list[str]:
    return sorted({step.name for workflow in stack.workflows.values() for step in workflow.steps})


def _item_names(stack: Stack) -> list[str]:
    return sorted(
        {item.address for sheet in stack.price_sheets.values() for item in sheet.items.values()}
    )


def _unfit(con: Any, stack: Stack) -> bool:
    """Whether ``unit_spans`` holds a record the histogram cannot measure: a unit of a
    feature outside the stack's, a listed call whose step or item is none of the stack's
    names (its code is null), or a first call of a billion tokens or more (null in the
    narrow type). The import keeps none of the first two (each is a problem, and
    problems take the exact way); should one slip past, it must not vanish, so the
    observer takes the exact way. Checked on the units, not on every record."""
    feature = _enum("feature", sorted(stack.features))
    row = con.execute(
        f"SELECT coalesce(bool_or({feature} IS NULL OR list_count(lc) < len(lc) "
        "OR list_count(li) < len(li)), false) FROM unit_spans"
    ).fetchall()
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
