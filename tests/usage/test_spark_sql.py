"""The DuckDB -> Spark SQL rewrites of the record mapping (no Spark needed), and the
FOCUS reader's check of its cells, which both engines share."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from infercost.app.records import import_records
from infercost.errors import InfercostError
from infercost.usage.records.spark_sql import to_spark
from infercost.workspace import Options, load_stack
from tests.helpers import EXAMPLES


def test_duckdb_json_functions_become_spark_ones() -> None:
    sql = (
        "SELECT CASE WHEN json_valid(t) THEN CASE WHEN json_type(t) = 'ARRAY' THEN "
        "list_extract(list_filter(CAST(json_extract_string(t, '$[*]') AS VARCHAR[]), "
        "lambda x: starts_with(x, 'feature:')), 1) "
        'ELSE json_extract_string(t, \'$."a"."b"\') END END FROM r'
    )
    out = to_spark(sql)
    assert "TRY_PARSE_JSON(t) IS NULL" in out
    assert "STARTSWITH(SCHEMA_OF_VARIANT(TRY_PARSE_JSON(t)), 'ARRAY')" in out
    assert (
        "TRY_ELEMENT_AT(FILTER(FROM_JSON(t, 'ARRAY<STRING>'), x -> STARTSWITH(x, 'feature:')), 1)"
        in out
    )
    assert "GET_JSON_OBJECT(t, '$.a.b')" in out
    for name in ("JSON_VALID", "LIST_EXTRACT", "JSON_TYPE", "LIST_FILTER"):
        assert name not in out
    sqlglot.parse_one(out, read="spark")  # and it is Spark SQL


def test_a_focus_cost_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    stack = load_stack(Options(stack=EXAMPLES / "support-assistant"))
    path = tmp_path / "focus.csv"
    text = (EXAMPLES / "support-assistant" / "records" / "focus.csv").read_text()
    path.write_text(text.replace("0.035125,", "lots,", 1))
    with pytest.raises(InfercostError) as error:
        import_records(stack, [path], "focus")
    assert "line 3: BilledCost is not a number" in error.value.diagnostics[0].detail
