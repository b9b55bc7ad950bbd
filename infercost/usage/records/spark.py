"""``--engine spark``: the same mapping and the same aggregation, run by Apache Spark.

For records that outgrow one machine. Spark reads the files with its own readers (CSV,
JSON lines and Parquet; OTLP lines through ``spark_otel``); the mapping (one SQL
expression per record field, written for DuckDB) and the aggregation query are
transpiled to Spark SQL by sqlglot (``spark_sql``), so both engines run one definition.
Only the result rows (per period, customer and feature; per step and item; for
``calibrate``, the histogram of calls per unit) come back.

Records the mapping allows to skip are skipped on Spark too. When a record breaks a rule
the mapping does not allow (or a cell is not of its field's type), the files are read
again by the embedded engine, which names the record, so errors read the same whichever
engine ran.

Needs ``pip install 'infercost[spark]'`` (PySpark 4) and a Java 17 runtime.
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from infercost.errors import InfercostError
from infercost.model import Stack
from infercost.usage.records import read
from infercost.usage.records.fields import FIELDS, TEXT, SourceFile
from infercost.usage.records.names import header_cells
from infercost.usage.records.query import (
    OUTPUT_COLUMNS,
    calls_select,
    rollup_select,
    units_select,
)
from infercost.usage.records.result import ImportResult
from infercost.usage.records.run import EngineOutput, Skipped, Source, run_duckdb
from infercost.usage.records.spark_sql import to_spark

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
INTEGERS = ("tinyint", "smallint", "int", "bigint")


# For records that fit in a test: planning and code generation cost more than the work.
SMALL_DATA = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}


def session(conf: Mapping[str, str] | None = None) -> Any:
    """One local Spark session per process (starting one takes seconds); ``conf`` only
    applies when this call starts it. INFERCOST_SPARK_MASTER names another master (a
    cluster's URL) than local mode on every core."""
    if _SESSION:
        return _SESSION[0]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InfercostError.at(
            "Spark is not installed",
            "--engine spark needs PySpark: pip install 'infercost[spark]' (and Java 17).",
        ) from None
    log_config = _log_config()
    builder = (
        SparkSession.builder.master(os.environ.get("INFERCOST_SPARK_MASTER", "local[*]"))
        .appName("infercost")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    os.unlink(log_config)  # read when the driver started
    _SESSION.append(spark)
    return spark


# Spark's own log lines (start-up warnings about the host name, native libraries...) are
# not infercost's diagnostics: only errors reach stderr.
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n%ex
"""


def _log_config() -> str:
    """A log4j2 configuration file for the driver (the JVM reads it from a path)."""
    import tempfile

    fd, path = tempfile.mkstemp(prefix="infercost-log4j2-", suffix=".properties")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(LOG4J2)
    return path


def _columns(df: Any) -> dict[str, str]:
    """Spark's column types in the DuckDB names the mapping is written for."""
    out = {}
    for name, kind in df.dtypes:
        if name == "_file":
            continue
        if kind in SPARK_TYPES:
            out[name] = SPARK_TYPES[kind]
        elif kind in INTEGERS:
            out[name] = "BIGINT"
        elif kind.startswith("decimal("):
            precision, _, scale = kind[len("decimal(") : -1].partition(",")
            out[name] = f"DECIMAL({precision}, {scale})"
        else:
            out[name] = "VARCHAR"
    return out


def read_table(spark: Any, files: list[SourceFile], fmt: str) -> Any:
    """CSV (every cell text, as DuckDB reads it before typing), Parquet, or JSON lines
    typed as DuckDB types them: numbers as exact DECIMAL(38, 18), true/false as
    booleans, and objects and lists as their JSON text. A line that is not JSON gives
    Spark's ``_corrupt_record`` column, and so does a number that DECIMAL(38, 18) cannot
    hold (``1e30``, ``NaN``, 21 digits): the embedded engine names both."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    paths = [f.path for f in files]
    # Names written twice (without regard to case): Spark renames CSV columns by their
    # place (``BilledCost5``) and refuses JSON keys; the embedded engine names them.
    unread = spark.createDataFrame([], "_corrupt_record string")
    if fmt == "csv":
        if _header_odd(files):
            return unread
        return spark.read.option("header", True).csv(paths)
    if fmt == "parquet":  # every file's columns, not one file's
        return spark.read.option("mergeSchema", True).parquet(*paths)
    # Inferred as doubles: inferring decimals fails outright on an exponent (``1.5e3``
    # is a decimal of negative scale), and the types are replaced below anyway.
    try:
        inferred = spark.read.json(paths).schema
    except Exception as exc:  # Spark's own error type
        if "COLUMN_ALREADY_EXISTS" in str(exc):
            return unread
        raise
    fields, numbers = [], []
    for f in inferred.fields:
        kind: Any = T.StringType()  # a number read as text keeps its digits as written
        if isinstance(f.dataType, T.NumericType):
            numbers.append(f.name)
        elif isinstance(f.dataType, T.BooleanType):
            kind = T.BooleanType()
        fields.append(T.StructField(f.name, kind))
    df = spark.read.schema(T.StructType(fields)).json(paths)
    if not numbers:
        return df
    exact = T.DecimalType(38, 18)
    unheld = [F.col(n).isNotNull() & F.col(n).try_cast(exact).isNull() for n in numbers]
    if df.where(functools.reduce(operator.or_, unheld)).limit(1).count():
        return df.withColumn("_corrupt_record", F.lit(None))
    return df.select(
        *(F.col(n).cast(exact).alias(n) if n in numbers else F.col(n) for n in df.columns)
    )


def _header_odd(files: list[SourceFile]) -> bool:
    """Whether a CSV header has a name twice (without regard to case) or a cell without
    a name: Spark renames such columns by their place (``BilledCost5``, ``_c8``)."""
    from infercost.usage.engine import connect

    con = connect()
    try:
        return any(
            not all(header) or len({n.lower() for n in header}) < len(header)
            for header in (header_cells(con, f) for f in files)
        )
    finally:
        con.close()


def _mapped(spark: Any, source: Source) -> str | None:
    """The Spark SQL of the normalized records, or None when the files need the
    embedded engine (a line Spark cannot parse: DuckDB names it)."""
    from pyspark.sql import functions as F

    if source.source == "otel":
        from infercost.usage.records.spark_otel import attribute_exprs, otel_view

        if not otel_view(spark, source.files, source.mapping, "infercost_raw"):
            return None
        raw = read.Raw("SELECT * FROM infercost_raw", {})
        exprs = attribute_exprs(source.mapping)
        mapped = read.mapped_records(
            source.stack, raw, "otel", source.mapping, source.label, attribute_exprs=exprs
        )
        return to_spark(mapped.sql)
    fmt = read.file_format(source.files)
    if fmt == "csv" and len(source.files) > 1 and _headers_differ(source.files):
        return None  # Spark reads every file by the first one's header, by position
    df = read_table(spark, source.files, fmt)
    if "_corrupt_record" in df.columns:
        return None
    if fmt == "jsonl" and _may_hold_no_name(df, source):
        return None
    df = df.withColumn("_file", F.input_file_name())
    df.createOrReplaceTempView("infercost_raw")
    raw = read.Raw("SELECT * FROM infercost_raw", _columns(df))
    source.check_columns(raw.columns, functools.partial(_file_with_column, source.files, fmt))
    mapped = read.mapped_records(source.stack, raw, source.source, source.mapping, source.label)
    return to_spark(mapped.sql)


def _headers_differ(files: list[Any]) -> bool:
    """Whether CSV files differ in their columns or their order (DuckDB reads them)."""
    from infercost.usage.engine import connect

    con = connect()
    try:
        return len(set(read.csv_headers(con, files))) > 1
    finally:
        con.close()


def _file_with_column(files: list[Any], fmt: str, column: str) -> Any:
    """The file that has ``column``, read by DuckDB as the DuckDB engine names it."""
    from infercost.usage.engine import connect

    con = connect()
    try:
        return read.file_with_column(con, files, fmt, column)
    finally:
        con.close()


def _may_hold_no_name(df: Any, source: Source) -> bool:
    """Whether a JSON lines column read as a name (customer, unit id...) may hold a list,
    an object or a boolean. Spark reads each of them as its JSON text (``["a", "b"]``,
    ``true``), which would pass for a name; the embedded engine sees each value's JSON
    type, so such files are handed to it: it refuses the value, or reads a string that
    only looks like one (``"[draft]"``) as it is."""
    from pyspark.sql import functions as F

    sources = read.field_sources(source.mapping, source.source)
    columns = {
        path
        for name, paths in sources.items()
        if FIELDS.get(name) == TEXT
        for path in paths
        if path in df.columns and dict(df.dtypes)[path] == "string"
    }
    if not columns:
        return False
    looks = [F.col(c).rlike(r"^\s*[\[{]") | F.col(c).isin("true", "false") for c in sorted(columns)]
    return bool(df.where(functools.reduce(operator.or_, looks)).limit(1).count())


Observer = Callable[[Any, str], Any]


def run_spark(source: Source, observer: Observer | None = None) -> EngineOutput:
    """The import on Spark. ``observer`` is the DuckDB observer of ``run_duckdb``: when
    given, the observed shape is measured on Spark too (``spark_observed``), and the
    observer itself runs only if the embedded engine must read the files instead."""
    spark = session()
    try:
        return _run(spark, source, observer)
    except InfercostError:
        raise
    except Exception as exc:  # Spark reports unreadable files in its own error types
        raise read.read_error(source.files, exc) from None
    finally:
        spark.catalog.clearCache()  # the flattened OTLP spans, when there were any


def _run(spark: Any, source: Source, observer: Observer | None) -> EngineOutput:
    mapped = _mapped(spark, source)
    if mapped is None:
        return run_duckdb(source, observer=observer)
    spark.sql(mapped).createOrReplaceTempView("records")
    stack = source.stack
    checks = ["bool_or(_bad) AS any_bad", "max(abs(quantity)) AS max_quantity"]
    cached = _scan(spark, units_select(stack), calls_select(stack, extra_aggregates=checks))
    output = EngineOutput(rows=[])
    where = "TRUE"
    try:
        if spark.sql(to_spark(read.grouped_problems(stack))).collect()[0][0]:
            for frame in cached:
                frame.unpersist()
            problem = ["_problem"]
            cached = _scan(
                spark,
                units_select(stack, extra_keys=problem),
                calls_select(stack, extra_keys=problem),
            )
            found = spark.sql(
                "SELECT _problem, SUM(records), SUM(reported_cost) FROM all_calls GROUP BY _problem"
            ).collect()
            names = {name for name, _, _ in found if name is not None}
            if "invalid_value" in names or not names <= source.skippable:
                # The embedded engine names the record (and reads the cells itself).
                return run_duckdb(source, observer=observer)
            for name, count, cost in found:
                output.records += int(count)
                if name is not None:
                    output.skipped[name] = Skipped(int(count), Decimal(cost or 0))
            where = "_problem IS NULL"
            for table in ("units", "calls"):
                kept = spark.table(f"all_{table}").where("_problem IS NULL").drop("_problem")
                kept.createOrReplaceTempView(table)
        else:
            total = spark.sql("SELECT SUM(records) FROM all_calls").collect()[0][0]
            output.records += int(total or 0)
            spark.table("all_units").createOrReplaceTempView("units")
            spark.table("all_calls").createOrReplaceTempView("calls")
        query = rollup_select(stack.settings.period).sql("spark")
        frame = spark.sql(query)
        assert tuple(frame.columns) == OUTPUT_COLUMNS
        output.rows = [row.asDict() for row in frame.collect()]
        if observer is not None:
            from infercost.usage.records.spark_observed import observe

            output.observed = observe(spark, stack, where)
    finally:
        for frame in cached:
            frame.unpersist()
    return output


def _scan(spark: Any, units: Any, calls: Any) -> list[Any]:
    """The two scans of the records, cached: they are read more than once."""
    out = []
    for name, query in (("all_units", units), ("all_calls", calls)):
        frame = spark.sql(to_spark(query.sql("duckdb"))).cache()
        frame.createOrReplaceTempView(name)
        out.append(frame)
    return out


# -- sources without request records -----------------------------------------------------


def _table_view(spark: Any, files: list[SourceFile]) -> read.Raw | None:
    """The files as the view ``infercost_raw``; None when a line is not JSON."""
    df = read_table(spark, files, read.file_format(files))
    if "_corrupt_record" in df.columns:
        return None
    df.createOrReplaceTempView("infercost_raw")
    return read.Raw("SELECT * FROM infercost_raw", _columns(df))


def read_aggregated_spark(files: list[SourceFile]) -> EngineOutput:
    """The ``aggregated`` source read by Spark (a warehouse's result can be large too)."""
    from infercost.usage.records.aggregated import (
        aggregated_output,
        aggregated_query,
        read_aggregated,
    )

    spark = session()
    try:
        raw = _table_view(spark, files)
        if raw is None:
            return read_aggregated(files)  # DuckDB reports the line
        frame = spark.sql(to_spark(aggregated_query(files, raw)))
        rows = [dict(zip(OUTPUT_COLUMNS, r, strict=True)) for r in frame.collect()]
    except InfercostError:
        raise
    except Exception as exc:
        raise read.read_error(files, exc) from None
    return aggregated_output(rows, ", ".join(f.shown for f in files))


def read_focus_spark(stack: Stack, files: list[SourceFile], period: str | None) -> ImportResult:
    """A FOCUS export summed by Spark. A cost or time cell that does not parse is named
    by the embedded engine, which reads the export again."""
    from infercost.usage.records.focus import focus_query, focus_result, read_focus

    spark = session()
    try:
        raw = _table_view(spark, files)
        if raw is None or _focus_cells_bad(spark, raw):
            return read_focus(stack, files, period)
        rows = [tuple(r) for r in spark.sql(to_spark(focus_query(stack, raw, files))).collect()]
    except InfercostError:
        raise
    except Exception as exc:
        raise read.read_error(files, exc) from None
    return focus_result(stack, files, rows, period)


def _focus_cells_bad(spark: Any, raw: read.Raw) -> bool:
    checks = []
    for column, kind in (
        ("BilledCost", "DECIMAL(38, 18)"),
        ("EffectiveCost", "DECIMAL(38, 18)"),
        ("ChargePeriodStart", "TIMESTAMP"),
    ):
        if raw.columns.get(column) == "VARCHAR":
            name = f"`{column}`"
            checks.append(
                f"(nullif(trim({name}), '') IS NOT NULL AND try_cast({name} AS {kind}) IS NULL)"
            )
    if not checks:
        return False
    return bool(
        spark.sql(f"SELECT 1 FROM infercost_raw WHERE {' OR '.join(checks)} LIMIT 1").collect()
    )
