"""The aggregation of request records: one query definition, built with sqlglot and
transpiled to each engine's dialect (DuckDB here, Spark, a warehouse).

It reads a table of normalized records (``fields.py``) and returns the ``aggregated``
form that ``usage import`` turns into a snapshot and priced figures:

- ``kind = 'units'`` rows: units (and cache-hit units) per period, customer,
  subscription and feature;
- ``kind = 'usage'`` rows: exact token and quantity sums per period, feature, step,
  price item and long-context tier (``tiers.py``): the pricing buckets of
  :func:`infercost.cost.actual.price_usage`.

It groups the records twice: by unit, and by period, step and item (two plain
aggregations beat one ``GROUPING SETS`` scan several times over in DuckDB). A unit is a
(feature, unit id, customer, subscription) and belongs to the period of its first
record (SPEC §12); a call is priced in the period of its own time. ``steps_select`` is
the per-unit, per-step view of the same table that observed shapes are measured on.

The stack enters the query only as literals (feature and item names, which step of a
workflow uses which item), so the query text runs unchanged in a warehouse against a
table or view holding the record fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from infercost.invisible import quoted_line
from infercost.model import MeterPrice, Stack
from infercost.usage.records.fields import TOKENS
from infercost.usage.records.tiers import TIER_TYPE, tier_expression

DIALECTS = ("duckdb", "spark", "bigquery", "snowflake", "trino")
PERIOD_FORMATS = {"month": "%Y-%m", "day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H", "year": "%Y"}
UNIT_KEY = ("feature", "unit_id", "customer", "subscription")
# Columns of the aggregated result, in order (the ``aggregated`` source reads them back).
OUTPUT_COLUMNS = (
    "kind",
    "period",
    "customer",
    "subscription",
    "feature",
    "step",
    "item",
    "units",
    "cache_hit_units",
    "records",
    "first_attempts",
    *TOKENS,
    "quantity",
    "reported_cost",
    "reported_records",
    "tier",  # last: positional readers of earlier exports keep their columns
)


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=False)


def step_pairs(stack: Stack) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(feature, item, step) for items used by exactly one step of a feature's workflow,
    and the (feature, item) pairs used by several (a record then needs its step)."""
    single: list[tuple[str, str, str]] = []
    ambiguous: list[tuple[str, str]] = []
    for feature in stack.features.values():
        workflow = stack.workflows.get(feature.workflow)
        if workflow is None:
            continue
        by_item: dict[str, list[str]] = {}
        for step in workflow.steps:
            by_item.setdefault(step.uses, []).append(step.name)
        for item, names in by_item.items():
            if len(names) == 1:
                single.append((feature.name, item, names[0]))
            else:
                ambiguous.append((feature.name, item))
    return single, ambiguous


def step_expression(stack: Stack, feature: exp.Expression, item: exp.Expression) -> exp.Expression:
    """The step a record without ``step`` belongs to, found by its feature and item."""
    single, _ = step_pairs(stack)
    if not single:
        return exp.Null()
    case = exp.Case()
    for f, i, step in single:
        case = case.when(
            exp.and_(exp.EQ(this=feature, expression=_s(f)), exp.EQ(this=item, expression=_s(i))),
            _s(step),
        )
    return case


def meter_items(stack: Stack) -> list[str]:
    return sorted(
        item.address
        for sheet in stack.price_sheets.values()
        for item in sheet.items.values()
        if isinstance(item, MeterPrice)
    )


def _sum(expr: exp.Expr, alias: str) -> exp.Expr:
    return exp.alias_(exp.Sum(this=expr), alias)


def _coalesce(expr: exp.Expression, default: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=expr, expressions=[default])


def steps_select(
    stack: Stack, source: exp.Expression | str = "records", extra_keys: Sequence[str] = ()
) -> exp.Select:
    """Records grouped by unit, step and item: the calls of one unit on one step.

    Not part of the import (which needs only units and priced sums); it is the
    per-unit view that observed shapes are measured on (calls per unit from
    ``first_attempts``, retries as ``records - first_attempts``, cache hits per unit,
    share of units running a step)."""
    step = _coalesce(_col("step"), step_expression(stack, _col("feature"), _col("item")))
    meters = meter_items(stack)
    default_quantity: exp.Expression = exp.Literal.number(0)
    if meters:
        default_quantity = (
            exp.Case()
            .when(
                exp.In(this=_col("item"), expressions=[_s(m) for m in meters]),
                exp.Literal.number(1),
            )
            .else_(exp.Literal.number(0))
        )
    first = (
        exp.Case()
        .when(
            exp.EQ(
                this=_coalesce(_col("attempt"), exp.Literal.number(1)),
                expression=exp.Literal.number(1),
            ),
            exp.Literal.number(1),
        )
        .else_(exp.Literal.number(0))
    )
    hit = (
        exp.Case()
        .when(exp.EQ(this=_col("cache_hit"), expression=exp.true()), exp.Literal.number(1))
        .else_(exp.Literal.number(0))
    )
    keys: list[exp.Expression] = [
        _col(k) for k in ("feature", "unit_id", "customer", "subscription")
    ]
    projections: list[exp.Expr] = [
        *keys,
        exp.alias_(step, "step"),
        _col("item"),
        *[_col(k) for k in extra_keys],
        exp.alias_(exp.Min(this=_col("time")), "first_time"),
        exp.alias_(exp.Count(this=exp.Star()), "records"),
        _sum(first, "first_attempts"),
        *[_sum(_coalesce(_col(t), exp.Literal.number(0)), t) for t in TOKENS],
        _sum(_coalesce(_col("quantity"), default_quantity), "quantity"),
        _sum(_col("reported_cost"), "reported_cost"),
        exp.alias_(exp.Count(this=_col("reported_cost")), "reported_records"),
        exp.alias_(exp.Max(this=hit), "cache_hit"),
    ]
    src = sqlglot.parse_one(source) if isinstance(source, str) else source
    return (
        exp.select(*projections)
        .from_(src)
        .group_by(*keys, step, _col("item"), *[_col(k) for k in extra_keys])
    )


PERIOD_UNITS = {"month": "MONTH", "day": "DAY", "hour": "HOUR", "year": "YEAR"}


def _source(source: exp.Expression | str) -> exp.Expr:
    return sqlglot.parse_one(source) if isinstance(source, str) else source


def units_select(
    stack: Stack, source: exp.Expression | str = "records", extra_keys: Sequence[str] = ()
) -> exp.Select:
    """One row per unit (feature, unit id, customer, subscription): its first time and
    whether any of its records says it was answered from the cache."""
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    hit = exp.Case().when(exp.EQ(this=_col("cache_hit"), expression=exp.true()), one).else_(zero)
    keys = [_col(k) for k in (*UNIT_KEY, *extra_keys)]
    return (
        exp.select(
            *keys,
            exp.alias_(exp.Min(this=_col("time")), "first_time"),
            exp.alias_(exp.Max(this=hit), "cache_hit"),
        )
        .from_(_source(source))
        .group_by(*keys)
    )


def calls_select(
    stack: Stack,
    source: exp.Expression | str = "records",
    extra_keys: Sequence[str] = (),
    extra_aggregates: Sequence[str] = (),
) -> exp.Select:
    """Exact sums per period (of the call's own time, as a bill counts it), feature, step
    and item: the pricing buckets. ``extra_keys`` and ``extra_aggregates`` (SQL text)
    let the DuckDB engine check every record in the same scan."""
    period_unit = PERIOD_UNITS.get(stack.settings.period, "MONTH")
    step = _coalesce(_col("step"), step_expression(stack, _col("feature"), _col("item")))
    # A stack without long-context tiers groups by no tier key (a constant key still
    # costs the hash aggregation a column).
    tier = tier_expression(stack, _col("item"), _col("input_tokens"))
    inner = exp.select(
        exp.Star(),
        exp.alias_(step, "resolved_step"),
        exp.alias_(
            exp.TimestampTrunc(this=_col("time"), unit=exp.var(period_unit)), "period_start"
        ),
        *([exp.alias_(tier, "tier")] if tier is not None else []),
    ).from_(_source(source))
    meters = meter_items(stack)
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    default_quantity: exp.Expression = zero
    if meters:
        default_quantity = (
            exp.Case()
            .when(exp.In(this=_col("item"), expressions=[_s(m) for m in meters]), one)
            .else_(zero)
        )
    first = (
        exp.Case()
        .when(exp.EQ(this=_coalesce(_col("attempt"), one), expression=one), one)
        .else_(zero)
    )
    tier_key = ("tier",) if tier is not None else ()
    keys = [
        _col(k)
        for k in ("period_start", "feature", "resolved_step", "item", *tier_key, *extra_keys)
    ]
    projections: list[exp.Expr] = [
        *keys,
        *([] if tier is not None else [exp.alias_(exp.cast(exp.Null(), TIER_TYPE), "tier")]),
        exp.alias_(exp.Count(this=exp.Star()), "records"),
        _sum(first, "first_attempts"),
        *[_sum(_coalesce(_col(t), zero), t) for t in TOKENS],
        _sum(_coalesce(_col("quantity"), default_quantity), "quantity"),
        _sum(_col("reported_cost"), "reported_cost"),
        exp.alias_(exp.Count(this=_col("reported_cost")), "reported_records"),
        *[sqlglot.parse_one(a, read="duckdb") for a in extra_aggregates],
    ]
    return (
        exp.select(*projections)
        .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("r"))))
        .group_by(*keys)
    )


def rollup_select(
    period: str, units: exp.Select | None = None, calls: exp.Select | None = None
) -> exp.Select:
    """Everything after the scans: the ``units`` and ``usage`` rows.

    Without ``units`` and ``calls`` the query reads tables of those names (the DuckDB
    engine keeps the scans' results as tables, to check them before rolling up)."""
    fmt = PERIOD_FORMATS.get(period, PERIOD_FORMATS["month"])

    def label(column: str) -> exp.Expression:
        return exp.TimeToStr(this=exp.cast(_col(column), "timestamp"), format=_s(fmt))

    def null(kind: str) -> exp.Expression:
        return exp.cast(exp.Null(), kind)

    unit_rows = (
        exp.select(
            exp.alias_(_s("units"), "kind"),
            exp.alias_(label("first_time"), "period"),
            _col("customer"),
            _col("subscription"),
            _col("feature"),
            exp.alias_(null("varchar"), "step"),
            exp.alias_(null("varchar"), "item"),
            exp.alias_(null(TIER_TYPE), "tier"),
            exp.alias_(exp.Count(this=exp.Star()), "units"),
            exp.alias_(exp.Sum(this=_col("cache_hit")), "cache_hit_units"),
            *[exp.alias_(null("bigint"), c) for c in ("records", "first_attempts")],
            *[exp.alias_(null("decimal(38, 9)"), t) for t in TOKENS],
            exp.alias_(null("decimal(38, 18)"), "quantity"),
            exp.alias_(null("decimal(38, 18)"), "reported_cost"),
            exp.alias_(null("bigint"), "reported_records"),
        )
        .from_("units")
        .group_by(label("first_time"), "customer", "subscription", "feature")
    )
    usage_rows = (
        exp.select(
            exp.alias_(_s("usage"), "kind"),
            exp.alias_(label("period_start"), "period"),
            exp.alias_(null("varchar"), "customer"),
            exp.alias_(null("varchar"), "subscription"),
            _col("feature"),
            exp.alias_(_col("resolved_step"), "step"),
            _col("item"),
            _col("tier"),
            exp.alias_(null("bigint"), "units"),
            exp.alias_(null("bigint"), "cache_hit_units"),
            *[
                _col(c)
                for c in (
                    "records",
                    "first_attempts",
                    *TOKENS,
                    "quantity",
                    "reported_cost",
                    "reported_records",
                )
            ],
        )
        .from_("calls")
        .where(exp.Not(this=exp.Is(this=_col("item"), expression=exp.Null())))
    )
    union = exp.union(unit_rows, usage_rows, distinct=False)
    query = exp.select(*[_col(c) for c in OUTPUT_COLUMNS]).from_(
        exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("aggregated")))
    )
    if units is not None:
        query = query.with_("units", units)
    if calls is not None:
        query = query.with_("calls", calls)
    return query


# NAME, SCHEMA.NAME or CATALOG.SCHEMA.NAME; "-" inside a word for BigQuery projects.
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*")


def table_name_error(table: str) -> str | None:
    """Why ``table`` is not accepted as the records' table (None when it is). Checked
    before the SQL parser sees it: it read ``a--b`` as the table ``a`` and a comment,
    ``a(b)`` as a table function, and failed on a quote."""
    parts = table.split(".")
    if len(parts) <= 3 and all(TABLE_NAME.fullmatch(p) for p in parts):
        return None
    shown = quoted_line(table, 200)
    return (
        "--table names the table or view of the records as NAME, SCHEMA.NAME or "
        f'CATALOG.SCHEMA.NAME (letters, digits, "_" and "-"), not "{shown}".'
    )


def aggregation(stack: Stack, table: str = "records") -> exp.Select:
    """The whole query over a table of normalized records (its name checked first by
    :func:`table_name_error`)."""
    source = exp.to_table(table)
    return rollup_select(
        stack.settings.period, units_select(stack, source), calls_select(stack, source)
    )


def render(stack: Stack, dialect: str, table: str = "records", pretty: bool = True) -> str:
    """The aggregation query in one dialect."""
    query = aggregation(stack, table)
    return query.sql(dialect=dialect, pretty=pretty, identify=False)
