"""Observed shape: what production does, in the terms of the declared attributes (SPEC §12).

Measured in SQL over the normalized record table, never record by record in Python. One
query groups the records by unit and step (``first_attempts`` is the unit's calls of the
step; its first attempts, ordered by ``call_index``, then time, then input tokens, give
the call index ``k``), then by period, feature, step, item, cache hit and number of calls: a
histogram of calls per unit with the exact sums each attribute needs. It is small (a row
per distinct number of calls), so the attributes are computed from it in Decimal:

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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infercost.model import Stack
from infercost.usage.records.query import PERIOD_FORMATS, meter_items, step_expression

HISTOGRAM_COLUMNS = (
    "period",
    "feature",
    "step",
    "item",
    "cache_hit",
    "calls",
    "units",
    "records",
    "first_attempts",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "quantity",
    "first_input",
    "first_index_input",
)
UNITS_COLUMNS = ("period", "feature", "cache_hit", "units")


@dataclass
class Histogram:
    """The rows of one feature, step and item (one period)."""

    feature: str
    step: str | None
    item: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def histogram_sql(
    stack: Stack, table: str = "records", where: str = "TRUE", units: str | None = None
) -> tuple[str, str]:
    """(units query, histogram query) in DuckDB SQL over a table of normalized records.

    ``units`` names a table of units the import already computed (the key, ``first_time``
    and ``cache_hit`` as 1 or 0): reading it instead of grouping the records by unit again
    saves a pass over the records."""
    fmt = PERIOD_FORMATS.get(stack.settings.period, PERIOD_FORMATS["month"])
    step = step_expression(stack, _c("feature"), _c("item")).sql("duckdb")
    meters = meter_items(stack)
    quantity_default = "0"
    if meters:
        listed = ", ".join("'" + m.replace("'", "''") + "'" for m in meters)
        quantity_default = f"CASE WHEN item IN ({listed}) THEN 1 ELSE 0 END"
    key = "feature, unit_id, customer, subscription"
    # Token counts stay the exact decimals the records view gives: a cast to BIGINT per
    # record and column costs more than it saves on the sums.
    base = f"""
        SELECT {key}, coalesce(step, {step}) AS step, item, time, call_index,
               coalesce(attempt, 1) = 1 AS first,
               coalesce(input_tokens, 0) AS i,
               coalesce(cached_input_tokens, 0) AS c,
               coalesce(cache_write_tokens, 0) AS w,
               coalesce(output_tokens, 0) AS o,
               coalesce(quantity, {quantity_default}) AS q,
               coalesce(cache_hit, false) AS hit
        FROM {table} WHERE {where}"""
    if units is None:
        unit = f"""
            SELECT {key}, strftime(min(time), '{fmt}') AS period, bool_or(hit) AS cache_hit
            FROM ({base}) GROUP BY {key}"""
    else:
        unit = f"""
            SELECT {key}, strftime(first_time, '{fmt}') AS period, cache_hit = 1 AS cache_hit
            FROM {units}"""
    units_query = f"""
        WITH u AS ({unit})
        SELECT period, feature, cache_hit, count(*) AS units FROM u
        GROUP BY period, feature, cache_hit"""
    # A unit's first attempts of a step as one list per group, sorted afterwards in call
    # order (call_index, then time, then input tokens): Σ (k − 1)·input over it needs no
    # window over all records (a sort of the whole table), only a sort of each small
    # list. An unordered list plus ``list_sort`` costs about half of an ordered
    # aggregate (``list(... ORDER BY ...)``), which buffers and sorts per group.
    histogram_query = f"""
        WITH u AS ({unit}),
        s AS (
            SELECT {key}, step, item,
                   count(*) FILTER (WHERE first) AS calls,
                   count(*) AS records,
                   sum(i) AS i, sum(c) AS c, sum(w) AS w, sum(o) AS o, sum(q) AS q,
                   coalesce(sum(i) FILTER (WHERE first), 0) AS fi,
                   list({{'k': call_index, 't': time, 'i': i}}) FILTER (WHERE first) AS l
            FROM ({base}) WHERE item IS NOT NULL GROUP BY {key}, step, item
        )
        SELECT u.period, s.feature, s.step, s.item, u.cache_hit, s.calls,
               count(*) AS units, sum(s.records) AS records, sum(s.calls) AS first_attempts,
               sum(s.i) AS input_tokens, sum(s.c) AS cached_input_tokens,
               sum(s.w) AS cache_write_tokens, sum(s.o) AS output_tokens,
               sum(s.q) AS quantity, sum(s.fi) AS first_input,
               coalesce(sum(list_sum(list_transform(
                   list_sort(s.l, 'ASC', 'NULLS LAST'), lambda x, j: x.i * (j - 1)))), 0)
                   AS first_index_input
        FROM s JOIN u ON s.feature = u.feature AND s.unit_id IS NOT DISTINCT FROM u.unit_id
            AND s.customer IS NOT DISTINCT FROM u.customer
            AND s.subscription IS NOT DISTINCT FROM u.subscription
        GROUP BY u.period, s.feature, s.step, s.item, u.cache_hit, s.calls"""
    return units_query, histogram_query


def _c(name: str) -> Any:
    from sqlglot import exp

    return exp.column(name, quoted=False)


def observe(con: Any, stack: Stack, where: str = "TRUE") -> dict[str, list[dict[str, Any]]]:
    """Run both queries on a DuckDB connection holding the ``records`` view and the
    import's ``units`` view (the units it kept)."""
    units_query, histogram_query = histogram_sql(stack, "records", where, units="units")
    out: dict[str, list[dict[str, Any]]] = {}
    for name, query, columns in (
        ("units", units_query, UNITS_COLUMNS),
        ("histogram", histogram_query, HISTOGRAM_COLUMNS),
    ):
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description]
        assert tuple(names) == columns
        out[name] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    unknown = []
    if where != "TRUE":
        unknown = con.execute(
            "SELECT feature, count(*) FROM records WHERE _problem = 'unknown_feature' "
            "GROUP BY feature ORDER BY feature"
        ).fetchall()
    out["unknown_features"] = [{"feature": f, "records": int(n)} for f, n in unknown]
    return out
