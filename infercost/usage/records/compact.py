"""The import's priced sums on DuckDB, grouped by what the records write.

The plain query resolves each record's item (a ``CASE`` over every declared name and
label, in the records view of ``read.py``), its step (a ``CASE`` over the workflows) and
its long-context tier (``calls_select``) before grouping: comparisons per record, for a
result of a few rows. Here the
records are grouped first by what decides their price *as written*: period, feature,
step, item, provider and model, and, for a stack with long-context tiers, the tier
threshold their input tokens exceed (the *bucket*). The item, step and tier are then
resolved once per group, and the groups summed again into exactly the rows
``calls_select`` returns: a sum of sums is the sum, and DECIMAL never rounds.

Only the fields the source gives are keys and sums (an absent field is a constant null,
and each aggregate is paid once per record).

The tier key of a group comes from its bucket: the highest threshold, among all the
stack's thresholds, that the input exceeds. For an item whose thresholds are among
them, "input > k" for one of its thresholds ``k`` is "bucket >= k" (the bucket is the
largest threshold below the input, and ``k`` is one of them), so ``tier_expression``
applied to ``bucket + 1`` (thresholds are integers) gives each record's own key.

Why not one read for units and sums: DuckDB 2 plans ``GROUPING SETS`` as a materialized
copy of its input scanned once per set, and a copy of the records costs about what a
second read of a CSV file does (and holds every record in memory); measured on the
bench's 10,000,000 records, one ``GROUPING SETS`` query and two reads take the same CPU
time, the single query with a third more memory. So the units keep their own read
(``units_select``), which needs five columns.
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


def scan_sql(
    stack: Stack, given: frozenset[str] | None, table: str = "records", observed: bool = False
) -> str:
    """The records grouped by what decides their price as written (see module doc).

    ``observed`` (``calibrate``): also keyed by the cache hit and with the first attempts'
    input tokens (``first_input``), what the observed shape's sums need."""
    period_unit = PERIOD_UNITS.get(stack.settings.period, "MONTH")
    # The step and item as written: only the fields the source gives (a constant null
    # key still costs the hash aggregation a column).
    keys = ["period_start", "feature"] + [
        column for field, column in _WRITTEN if _given(given, field)
    ]
    extra = [f"date_trunc({lit(period_unit.lower())}, time) AS period_start"]
    if _bucketed(stack, given):
        whens = " ".join(f"WHEN input_tokens > {k} THEN {k}" for k in all_thresholds(stack))
        extra.append(f"CAST(CASE {whens} END AS {TIER_TYPE}) AS _bucket")
        keys.append("_bucket")
    aggregates = ["count(*) AS records"]
    if observed and _given(given, "cache_hit"):
        keys.append("cache_hit")
    if observed and _given(given, "input_tokens") and _given(given, "attempt"):
        # (without attempts every record is a first attempt: ``input_tokens`` is the sum)
        aggregates.append(
            "sum(input_tokens) FILTER (WHERE COALESCE(attempt, 1) = 1) AS first_input"
        )
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
    return (
        f"SELECT {', '.join(keys)}, {', '.join(aggregates)} "
        f"FROM (SELECT *, {', '.join(extra)} FROM {table}) GROUP BY {', '.join(keys)}"
    )


def calls_sql(
    stack: Stack,
    mapping: RecordMapping | None,
    given: frozenset[str] | None,
    scan: str = "written_calls",
    observed: bool = False,
) -> str:
    """The rows of ``calls_select`` (with the checks ``any_bad`` and ``max_quantity``)
    from the table ``scan`` of :func:`scan_sql`: the item, step and tier resolved on
    each group, then summed. ``observed``: with the key ``cache_hit`` and the sum
    ``first_input`` after the checks (the ``scan`` read with ``observed`` too)."""
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
    keys = "period_start, feature, resolved_step, item"
    hit = ""
    if observed:
        first_input = "0"
        if _given(given, "input_tokens"):
            summed = "first_input" if _given(given, "attempt") else "input_tokens"
            first_input = f"COALESCE(sum({summed}), 0)"
        sums = [*sums, ("first_input", first_input, TOKEN_SUM_TYPE)]
        if not _given(given, "cache_hit"):
            hit = ", CAST(NULL AS BOOLEAN) AS cache_hit"
    resolved = f"SELECT *, {written['step']} AS written_step, {item} AS item{hit} FROM {scan}"
    stepped = f"SELECT *, {step} AS resolved_step, {tier_sql} AS tier FROM ({resolved})"
    projections = ", ".join(f"CAST({expr} AS {kind}) AS {name}" for name, expr, kind in sums)
    if not observed:
        keys += ", tier"
    elif tier_expression(stack, exp.column("item"), exp.column("input_tokens")) is not None:
        keys += ", tier, cache_hit"  # the column order of ``calls_select``: a tier key first,
    else:
        keys += ", cache_hit, tier"  # and the constant tier of a stack without tiers last
    return f"SELECT {keys}, {projections} FROM ({stepped}) GROUP BY {keys}"
