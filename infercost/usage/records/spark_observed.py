"""``calibrate`` on Spark: the observed shape's queries (``observed.py``) run by Spark.

The units query is transpiled as it is. The histogram query orders each unit's first
attempts of a step to weigh its input tokens by call index (Σ (k − 1)·input); DuckDB
does it with an ordered list per group, which has no Spark equivalent, so here the index
comes from ``row_number()`` over the same order (call index, nulls last, then time, then
input tokens) within the unit, step and item. Both give the same sums; everything else
(keys, filters, sums, the join with the import's units) is the same query.
"""

from __future__ import annotations

from typing import Any

from infercost.model import Stack
from infercost.usage.records.observed import (
    HISTOGRAM_COLUMNS,
    SUMS_COLUMNS,
    UNITS_COLUMNS,
    exact_sql,
)
from infercost.usage.records.query import PERIOD_FORMATS, meter_items, step_expression
from infercost.usage.records.read import lit
from infercost.usage.records.spark_sql import to_spark

KEY = "feature, unit_id, customer, subscription"


def shape_queries(stack: Stack, where: str) -> tuple[str, str]:
    """The histogram of calls per unit (``HISTOGRAM_COLUMNS``) and the sums per step
    (``SUMS_COLUMNS``), in DuckDB's dialect with a window instead of an ordered list,
    over ``records`` and the import's ``units``."""
    from sqlglot import exp

    fmt = PERIOD_FORMATS.get(stack.settings.period, PERIOD_FORMATS["month"])
    step = step_expression(
        stack, exp.column("feature", quoted=False), exp.column("item", quoted=False)
    ).sql("duckdb")
    meters = meter_items(stack)
    quantity_default = "0"
    if meters:
        listed = ", ".join(lit(m) for m in meters)
        quantity_default = f"CASE WHEN item IN ({listed}) THEN 1 ELSE 0 END"
    groups = f"""
        WITH u AS (
            SELECT {KEY}, strftime(first_time, '{fmt}') AS period, cache_hit = 1 AS cache_hit
            FROM units
        ),
        base AS (
            SELECT {KEY}, coalesce(step, {step}) AS step, item, time,
                   CAST(call_index AS BIGINT) AS call_index,
                   coalesce(attempt, 1) = 1 AS first,
                   CAST(coalesce(input_tokens, 0) AS BIGINT) AS i,
                   CAST(coalesce(cached_input_tokens, 0) AS BIGINT) AS c,
                   CAST(coalesce(cache_write_tokens, 0) AS BIGINT) AS w,
                   CAST(coalesce(output_tokens, 0) AS BIGINT) AS o,
                   coalesce(quantity, {quantity_default}) AS q
            FROM records WHERE ({where}) AND item IS NOT NULL
        ),
        indexed AS (
            SELECT *, row_number() OVER (
                PARTITION BY {KEY}, step, item, first
                ORDER BY call_index NULLS LAST, time NULLS LAST, i
            ) AS k
            FROM base
        ),
        s AS (
            SELECT {KEY}, step, item,
                   count(*) FILTER (WHERE first) AS calls,
                   count(*) AS records,
                   sum(i) AS i, sum(c) AS c, sum(w) AS w, sum(o) AS o, sum(q) AS q,
                   coalesce(sum(i) FILTER (WHERE first), 0) AS fi,
                   sum(i * (k - 1)) FILTER (WHERE first) AS fk
            FROM indexed GROUP BY {KEY}, step, item
        )
        SELECT u.period, u.cache_hit, s.* FROM s JOIN u ON s.feature = u.feature
            AND s.unit_id IS NOT DISTINCT FROM u.unit_id
            AND s.customer IS NOT DISTINCT FROM u.customer
            AND s.subscription IS NOT DISTINCT FROM u.subscription"""
    histogram = f"""
        WITH j AS ({groups})
        SELECT period, feature, step, item, cache_hit, calls, count(*) AS units,
               coalesce(sum(fk), 0) AS first_index_input
        FROM j GROUP BY period, feature, step, item, cache_hit, calls"""
    sums = f"""
        WITH j AS ({groups})
        SELECT period, feature, step, item, cache_hit, sum(records) AS records,
               sum(calls) AS first_attempts, sum(i) AS input_tokens,
               sum(c) AS cached_input_tokens, sum(w) AS cache_write_tokens,
               sum(o) AS output_tokens, sum(q) AS quantity, sum(fi) AS first_input
        FROM j GROUP BY period, feature, step, item, cache_hit"""
    return histogram, sums


def observe(spark: Any, stack: Stack, where: str = "TRUE") -> dict[str, list[dict[str, Any]]]:
    """What ``observed.observe`` returns, measured by Spark on the ``records`` view and
    the import's ``units`` view."""
    units_query = exact_sql(stack, "records", where, units="units").units
    histogram, sums = shape_queries(stack, where)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, query, columns in (
        ("units", units_query, UNITS_COLUMNS),
        ("histogram", histogram, HISTOGRAM_COLUMNS),
        ("sums", sums, SUMS_COLUMNS),
    ):
        frame = spark.sql(to_spark(query))
        assert tuple(frame.columns) == columns
        out[name] = [row.asDict() for row in frame.collect()]
    unknown = []
    if where != "TRUE":
        unknown = spark.sql(
            "SELECT feature, count(*) FROM records WHERE _problem = 'unknown_feature' "
            "GROUP BY feature ORDER BY feature"
        ).collect()
    out["unknown_features"] = [{"feature": f, "records": int(n)} for f, n in unknown]
    return out
