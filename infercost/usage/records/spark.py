"""``--engine spark``: the same mapping and the same aggregation, run by Apache Spark.

For records that outgrow one machine. Spark reads the files with its own readers; the
mapping (one SQL expression per record field, written for DuckDB) and the aggregation
query are transpiled to Spark SQL by sqlglot, so both engines run one definition. Only
the result rows (per period, customer and feature; per step and item) come back.

When a check finds a record that breaks a rule, the files are read again by the
embedded engine, which names the record (or skips it, when the mapping allows), so
errors read the same whichever engine ran.

Needs ``pip install 'infercost[spark]'`` and a Java runtime.
"""

from __future__ import annotations

from typing import Any

import sqlglot

from infercost.errors import InfercostError
from infercost.usage.records import read
from infercost.usage.records.query import (
    OUTPUT_COLUMNS,
    calls_select,
    rollup_select,
    units_select,
)
from infercost.usage.records.run import EngineOutput, Source, run_duckdb

_SESSION: list[Any] = []

SPARK_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP",
    "double": "DOUBLE",
    "float": "FLOAT",
    "date": "TIMESTAMP",
}


def session() -> Any:
    """One local Spark session per process (starting one takes seconds)."""
    if _SESSION:
        return _SESSION[0]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InfercostError.at(
            "Spark is not installed",
            "--engine spark needs PySpark: pip install 'infercost[spark]' (and Java 17).",
        ) from None
    spark = (
        SparkSession.builder.master("local[*]")
        .appName("infercost")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    _SESSION.append(spark)
    return spark


def _spark_sql(duckdb_sql: str) -> str:
    return sqlglot.transpile(duckdb_sql, read="duckdb", write="spark")[0]


def _columns(df: Any) -> dict[str, str]:
    out = {}
    for name, kind in df.dtypes:
        if name == "_file":
            continue
        if kind in SPARK_TYPES:
            out[name] = SPARK_TYPES[kind]
        elif kind in ("tinyint", "smallint", "int", "bigint"):
            out[name] = "BIGINT"
        elif kind.startswith("decimal"):
            out[name] = "DECIMAL"
        else:
            out[name] = "VARCHAR"
    return out


def run_spark(source: Source) -> EngineOutput:
    if source.source != "records":
        # The other sources' mappings use DuckDB's JSON and list functions.
        raise InfercostError.at(
            "Not supported on Spark",
            f'--engine spark reads the "records" source; read "{source.source}" with the '
            "default engine, or aggregate it in the warehouse (usage sql).",
        )
    from pyspark.sql import functions as F

    spark = session()
    fmt = read.file_format(source.files)
    paths = [f.path for f in source.files]
    try:
        if fmt == "csv":
            df = spark.read.option("header", True).csv(paths)
        elif fmt == "parquet":
            df = spark.read.parquet(*paths)
        else:
            df = spark.read.option("prefersDecimal", True).json(paths)
    except Exception as exc:
        raise read._read_error(source.files, exc) from None
    df = df.withColumn("_file", F.input_file_name())
    df.createOrReplaceTempView("infercost_raw")
    raw = read.Raw("SELECT * FROM infercost_raw", _columns(df))
    source.check_columns(raw.columns)
    mapped = read.mapped_records(source.stack, raw, source.source, source.mapping, source.label)
    spark.sql(_spark_sql(mapped.sql)).createOrReplaceTempView("records")
    checks = ["bool_or(_bad) AS any_bad", "max(abs(quantity)) AS max_quantity"]
    units = spark.sql(units_select(source.stack).sql("spark")).cache()
    calls = spark.sql(calls_select(source.stack, extra_aggregates=checks).sql("spark")).cache()
    units.createOrReplaceTempView("all_units")
    calls.createOrReplaceTempView("all_calls")
    try:
        if spark.sql(_spark_sql(read.grouped_problems(source.stack))).collect()[0][0]:
            return run_duckdb(source)
        units.createOrReplaceTempView("units")
        calls.createOrReplaceTempView("calls")
        records = spark.sql("SELECT SUM(records) FROM all_calls").collect()[0][0]
        query = rollup_select(source.stack.settings.period).sql("spark")
        rows = [row.asDict() for row in spark.sql(query).collect()]
    finally:
        units.unpersist()
        calls.unpersist()
    for row in rows:
        assert tuple(row) == OUTPUT_COLUMNS
    return EngineOutput(rows=rows, records=int(records or 0))
