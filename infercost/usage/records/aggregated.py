"""The ``aggregated`` source: the rows ``usage sql`` returns, run in a warehouse and
exported (CSV, JSON lines or Parquet), read back into the same snapshot and figures."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from infercost.errors import InfercostError
from infercost.invisible import quoted_line
from infercost.usage.engine import connect
from infercost.usage.records import read
from infercost.usage.records.fields import COUNT, DECIMAL, SQL_TYPES, TOKENS, SourceFile
from infercost.usage.records.names import refuse_twice
from infercost.usage.records.query import OUTPUT_COLUMNS
from infercost.usage.records.run import EngineOutput


def read_aggregated(files: Sequence[SourceFile]) -> EngineOutput:
    con = connect(ordered=False)
    try:
        fmt = read.file_format(files)
        raw = read.tabular(con, files, fmt, ordered=False)
        refuse_twice(con, files, fmt, raw.columns)
        cursor = con.execute(aggregated_query(files, raw))
        rows = [dict(zip(OUTPUT_COLUMNS, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return aggregated_output(rows, ", ".join(f.shown for f in files))


def aggregated_query(files: Sequence[SourceFile], raw: read.Raw) -> str:
    """The output columns, in order, whatever their case in the files (DuckDB SQL)."""
    columns = {c.lower(): c for c in raw.columns}
    missing = [c for c in OUTPUT_COLUMNS if c not in columns]
    if missing:
        raise InfercostError.at(
            "Invalid aggregated rows",
            f'{", ".join(f.shown for f in files)}: the column "{missing[0]}" is missing; '
            "these files hold what `infercost usage sql` returns.",
        )
    select = ", ".join(f"{read.q(columns[c])} AS {c}" for c in OUTPUT_COLUMNS)
    return f"SELECT {select} FROM ({raw.sql})"


def aggregated_output(rows: list[dict[str, Any]], shown: str = "") -> EngineOutput:
    """The rows as an engine's output: empty names read as absent, kinds and figures
    checked (``shown``: the files, for messages)."""
    for row in rows:
        for key in ("period", "customer", "subscription", "feature", "step", "item"):
            if row[key] == "":
                row[key] = None
        if row["kind"] not in ("units", "usage"):
            raise InfercostError.at(
                "Invalid aggregated rows", f'kind must be "units" or "usage", not {row["kind"]!r}.'
            )
        row["tier"] = _tier(row["tier"])
        for key in COUNTS:
            row[key] = _number(row, key, shown, whole=True)
        for key in AMOUNTS:
            row[key] = _number(row, key, shown, whole=False)
    records = sum(int(r["records"] or 0) for r in rows if r["kind"] == "usage")
    return EngineOutput(rows=rows, records=records)


# A warehouse export is hostile input like any file: every figure is checked here, so a
# negative token count is never priced and "lots" is a located error, not a crash.
COUNTS = ("units", "cache_hit_units", "records", "first_attempts", *TOKENS, "reported_records")
AMOUNTS = ("quantity", "reported_cost")


def _largest(sql_type: str) -> Decimal:
    """The bound of a ``DECIMAL(p, s)``: 10^(p - s), the first value it cannot hold."""
    precision, scale = (int(n) for n in sql_type.partition("(")[2].rstrip(")").split(","))
    return Decimal(10) ** (precision - scale)


# The bounds of the records these rows sum, from the same field types: a count of 10^45
# tokens (priced at 10^38 and more) is refused here as it is in a records file.
BOUNDS = {True: _largest(SQL_TYPES[COUNT]), False: _largest(SQL_TYPES[DECIMAL])}


def _written(value: Any) -> Decimal | None:
    """A cell's number exactly as written: None when empty, -1 (refused by every caller's
    ">= 0") when it is not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(-1)


def _number(row: dict[str, Any], key: str, shown: str, *, whole: bool) -> int | Decimal | None:
    """Empty, or a finite number >= 0 (a whole one for counts), exactly as written."""
    value = row[key]
    number = _written(value)
    if number is None:
        return None
    if not number.is_finite() or number < 0 or (whole and number != number.to_integral_value()):
        what = "empty or a whole number >= 0" if whole else "empty or a number >= 0"
    elif number >= BOUNDS[whole]:
        what = f"below 1e{BOUNDS[whole].adjusted()}, as in a records file"
    else:
        return int(number) if whole else number
    where = ", ".join(
        f"{k} {quoted_line(row[k])}"
        for k in ("kind", "feature", "customer", "step", "item")
        if row.get(k) is not None
    )
    raise InfercostError.at(
        "Invalid aggregated rows",
        f"{shown + ': ' if shown else ''}{key} must be {what}, "
        f'not "{quoted_line(value)}" (the row of {where}).',
    )


def _tier(value: Any) -> int | None:
    """A long-context tier key: empty, or a whole number of input tokens >= 0."""
    number = _written(value)
    if number is None:
        return None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        raise InfercostError.at(
            "Invalid aggregated rows",
            f'tier must be empty or a whole number of input tokens, not "{quoted_line(value)}".',
        )
    return int(number)
