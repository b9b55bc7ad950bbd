"""The import's one pass over the records on DuckDB: units and pricing buckets together.

``usage import`` needs two aggregations of the same records (``query.py``): one row per
unit (``units_select``) and exact sums per pricing bucket (``calls_select``). Run as two
queries, each reads the files again; a CSV file is then tokenized twice, which was most
of the import's time. Here one ``GROUPING SETS`` query reads the records once and feeds
both groupings:

- the units set groups by (feature, unit id, customer, subscription): first time and
  cache hit, as ``units_select``;
- the calls set groups by what decides a record's price, as the source gives it:
  period, feature, step, the item as written (item, provider, model) and, for a stack
  with long-context tiers, the tier threshold its input tokens exceed. Resolving the
  item (a ``CASE`` over every declared name), the step and the tier takes a few
  comparisons per record; on these groups it is done once per group, and the groups
  are then summed again into exactly the rows ``calls_select`` returns.

Only the fields the source gives are aggregated (an absent field is a constant null, and
every aggregate of the units set is paid once per record into a table as large as the
units). The sums stay exact: a sum of sums is the sum, DECIMAL never rounds.

The tier key of a group is found from its input's *bucket*: the highest threshold,
among all the stack's thresholds, that the input exceeds. For an item whose thresholds
are a subset, "input > k" for one of its thresholds ``k`` is "bucket >= k" (the bucket
is the largest threshold below the input, and ``k`` is one of them), so
``tier_expression`` applied to ``bucket + 1`` (thresholds are integers) gives each
record's own key.

The result is the two tables the rest of the engine reads (``all_units``, ``all_calls``),
with the columns and types of the two plain queries, so that the checks on the groups,
the second pass when a rule broke, and the roll-up are the same whichever way they were
made.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from infercost.model import ModelPrice, RecordMapping, Stack
from infercost.usage.records.fields import TOKENS
from infercost.usage.records.query import PERIOD_UNITS, meter_items, step_expression
from infercost.usage.records.read import item_sql, lit
from infercost.usage.records.tiers import TIER_TYPE, thresholds, tier_expression

# Types of the columns ``calls_select`` returns (DuckDB's types for its sums and counts).
COUNT_TYPE = "BIGINT"
SUM_TYPE = "HUGEINT"
TOKEN_SUM_TYPE = "DECIMAL(38, 9)"
DECIMAL_SUM_TYPE = "DECIMAL(38, 18)"

UNIT_KEYS = ("feature", "unit_id", "customer", "subscription")
# Record fields that key the calls set as written, and their columns in ``records``.
_WRITTEN = (("step", "step"), ("item", "_item"), ("provider", "provider"), ("model", "_model"))


def _given(given: frozenset[str] | None, name: str) -> bool:
    return given is None or name in given


def all_thresholds(stack: Stack) -> list[int]:
    """Every tier threshold key of the stack's model items, highest first."""
    keys: set[int] = set()
    for sheet in stack.price_sheets.values():
        for price in sheet.items.values():
            if isinstance(price, ModelPrice):
                keys.update(thresholds(price))
    return sorted(keys, reverse=True)


def _bucketed(stack: Stack, given: frozenset[str] | None) -> bool:
    return bool(all_thresholds(stack)) and _given(given, "input_tokens")


def scan_sql(stack: Stack, given: frozenset[str] | None, table: str = "records") -> str:
    """The one query over the records: the units set and the calls set, told apart by
    ``_units`` (true on a unit's row)."""
    period_unit = PERIOD_UNITS.get(stack.settings.period, "MONTH")
    # The step and item as written: only the fields the source gives (a constant null
    # key still costs the hash aggregation a column).
    price_keys = ["period_start", "feature"] + [
        column for field, column in _WRITTEN if _given(given, field)
    ]
    extra = [f"date_trunc({lit(period_unit.lower())}, time) AS period_start"]
    if _bucketed(stack, given):
        whens = " ".join(f"WHEN input_tokens > {k} THEN {k}" for k in all_thresholds(stack))
        extra.append(f"CAST(CASE {whens} END AS {TIER_TYPE}) AS _bucket")
        price_keys.append("_bucket")
    aggregates = ["min(time) AS first_time", "count(*) AS records"]
    if _given(given, "cache_hit"):
        aggregates.append("max(CASE WHEN cache_hit = TRUE THEN 1 ELSE 0 END) AS cache_hit")
    if _given(given, "attempt"):
        aggregates.append(
            "sum(CASE WHEN COALESCE(attempt, 1) = 1 THEN 1 ELSE 0 END) AS first_attempts"
        )
    aggregates += [f"sum({t}) AS {t}" for t in TOKENS if _given(given, t)]
    if _given(given, "quantity"):
        aggregates += [
            "sum(quantity) AS quantity",
            "count(quantity) AS quantities",
            "max(abs(quantity)) AS max_quantity",
        ]
    if _given(given, "reported_cost"):
        aggregates += [
            "sum(reported_cost) AS reported_cost",
            "count(reported_cost) AS reported_records",
        ]
    aggregates.append("bool_or(_bad) AS any_bad")
    units = ", ".join(UNIT_KEYS)
    price = ", ".join(price_keys)
    columns = list(dict.fromkeys([*UNIT_KEYS, *price_keys]))
    return (
        f"SELECT GROUPING(unit_id) = 0 AS _units, {', '.join(columns)}, {', '.join(aggregates)} "
        f"FROM (SELECT *, {', '.join(extra)} FROM {table}) "
        f"GROUP BY GROUPING SETS (({units}), ({price}))"
    )


def units_sql(given: frozenset[str] | None, scan: str = "scan") -> str:
    """The units set as ``units_select`` returns it."""
    hit = "cache_hit" if _given(given, "cache_hit") else "0 AS cache_hit"
    return f"SELECT {', '.join(UNIT_KEYS)}, first_time, {hit} FROM {scan} WHERE _units"


def calls_sql(
    stack: Stack,
    mapping: RecordMapping | None,
    given: frozenset[str] | None,
    scan: str = "scan",
) -> str:
    """The calls set as ``calls_select`` returns it (with the checks ``any_bad`` and
    ``max_quantity``): the item, step and tier resolved on each group, then summed."""
    written = {
        field: column if _given(given, field) else "CAST(NULL AS VARCHAR)"
        for field, column in _WRITTEN
    }
    item = item_sql(stack, mapping, written["item"], written["provider"], written["model"])
    step = exp.Coalesce(
        this=exp.column("written_step"),
        expressions=[step_expression(stack, exp.column("feature"), exp.column("item"))],
    ).sql("duckdb")
    tier = (
        tier_expression(stack, exp.column("item"), exp.column("_bucket") + exp.Literal.number(1))
        if _bucketed(stack, given)
        else None
    )
    tier_sql = tier.sql("duckdb") if tier is not None else f"CAST(NULL AS {TIER_TYPE})"
    meters = meter_items(stack)
    is_meter = f"item IN ({', '.join(lit(m) for m in meters)})" if meters else "false"
    first = "first_attempts" if _given(given, "attempt") else "records"
    if _given(given, "quantity"):
        quantity = (
            f"COALESCE(quantity, 0) + CASE WHEN {is_meter} THEN records - quantities ELSE 0 END"
        )
        max_quantity = "max(max_quantity)"
    else:
        quantity = f"CASE WHEN {is_meter} THEN records ELSE 0 END"
        max_quantity = f"CAST(NULL AS {DECIMAL_SUM_TYPE})"
    reported = _given(given, "reported_cost")
    sums: Sequence[tuple[str, str, str]] = [
        ("records", "sum(records)", COUNT_TYPE),
        ("first_attempts", f"sum({first})", SUM_TYPE),
        *[
            (t, f"COALESCE(sum({t}), 0)" if _given(given, t) else "0", TOKEN_SUM_TYPE)
            for t in TOKENS
        ],
        ("quantity", f"sum({quantity})", DECIMAL_SUM_TYPE),
        (
            "reported_cost",
            "sum(reported_cost)" if reported else "NULL",
            DECIMAL_SUM_TYPE,
        ),
        ("reported_records", "sum(reported_records)" if reported else "0", COUNT_TYPE),
        ("any_bad", "bool_or(any_bad)", "BOOLEAN"),
        ("max_quantity", max_quantity, DECIMAL_SUM_TYPE),
    ]
    resolved = (
        f"SELECT *, {written['step']} AS written_step, {item} AS item FROM {scan} WHERE NOT _units"
    )
    stepped = f"SELECT *, {step} AS resolved_step, {tier_sql} AS tier FROM ({resolved})"
    projections = ", ".join(f"CAST({expr} AS {kind}) AS {name}" for name, expr, kind in sums)
    return (
        f"SELECT period_start, feature, resolved_step, item, tier, {projections} "
        f"FROM ({stepped}) GROUP BY period_start, feature, resolved_step, item, tier"
    )
