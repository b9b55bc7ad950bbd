"""--engine spark gives the same snapshot and figures as DuckDB (Spark in local mode).

One Spark session for the whole module: starting one takes tens of seconds.
"""

from __future__ import annotations

import shutil

import pytest

from infercost.app.records import import_records
from infercost.workspace import Options, load_stack
from tests.helpers import EXAMPLES

pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]

STACK = EXAMPLES / "support-assistant"
RECORDS = STACK / "records"


@pytest.fixture(scope="module")
def stack():
    return load_stack(Options(stack=STACK))


@pytest.fixture(scope="module", autouse=True)
def spark_session():
    from infercost.usage.records import spark

    session = spark.session()
    yield session
    session.stop()
    spark._SESSION.clear()


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("records", "records.csv"),
        ("records", "records.parquet"),
        ("records", "records.jsonl"),
    ],
)
def test_spark_equals_duckdb(stack, source: str, name: str) -> None:
    duck = import_records(stack, [RECORDS / name], source, engine="duckdb")
    spark = import_records(stack, [RECORDS / name], source, engine="spark")
    assert spark.snapshot == duck.snapshot
    assert spark.costs == duck.costs
    assert spark.actual == duck.actual
    assert (spark.records, spark.units, spark.customers, spark.period) == (
        duck.records,
        duck.units,
        duck.customers,
        duck.period,
    )


def test_spark_names_a_bad_record_as_duckdb_does(stack, tmp_path) -> None:
    from infercost.errors import InfercostError

    path = tmp_path / "r.csv"
    text = (RECORDS / "records.csv").read_text().replace("support_assistant", "suport", 1)
    path.write_text(text)
    with pytest.raises(InfercostError) as spark_error:
        import_records(stack, [path], "records", engine="spark")
    with pytest.raises(InfercostError) as duck_error:
        import_records(stack, [path], "records", engine="duckdb")
    assert spark_error.value.diagnostics == duck_error.value.diagnostics
    assert "record 1" in spark_error.value.diagnostics[0].detail
