"""--engine spark gives the same snapshot, figures and observed shape as DuckDB, for
every source format (Spark in local mode, one session for the whole test run)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest

from infercost.app.calibrate import calibrate
from infercost.app.records import import_records
from infercost.errors import InfercostError
from infercost.render.calibrate import document
from infercost.render.json_encoding import dumps
from infercost.usage.records import spark as spark_engine
from infercost.workspace import Options, load_stack
from tests.helpers import EXAMPLES, run_cli, stack_with_records_block
from tests.usage.test_records import _reported_split, truth

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("spark_session")]

STACK = EXAMPLES / "support-assistant"
RECORDS = STACK / "records"


@pytest.fixture(scope="module")
def stack():
    return load_stack(Options(stack=STACK))


@pytest.fixture
def spark_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the Spark engine hands the files to the embedded engine."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Spark fell back to DuckDB")

    monkeypatch.setattr(spark_engine, "run_duckdb", refuse)


SOURCES = [
    ("records", "records.csv", False),
    ("records", "records.jsonl", False),
    ("records", "records.parquet", False),
    ("litellm", "litellm.jsonl", True),
    ("otel", "otel.jsonl", False),
]


@pytest.mark.parametrize(("source", "name", "only_models"), SOURCES)
def test_spark_equals_duckdb_for_import_and_calibrate(
    stack, spark_only, source: str, name: str, only_models: bool
) -> None:
    # calibrate runs the import too: one run on each engine checks both.
    duck = calibrate(stack, [RECORDS / name], source, engine="duckdb", snapshot_rows=True)
    spark = calibrate(stack, [RECORDS / name], source, engine="spark", snapshot_rows=True)
    assert spark.result.snapshot == duck.result.snapshot
    assert spark.result.costs == duck.result.costs
    assert (spark.result.actual, spark.result.records, spark.result.units) == (
        duck.result.actual,
        duck.result.records,
        duck.result.units,
    )
    assert dumps(document(stack, spark)) == dumps(document(stack, duck))
    assert spark.what_if == duck.what_if
    # And the figures are the records' own, computed here by hand.
    total, units = truth(only_models)
    assert Fraction(spark.result.actual) == total
    assert {(r.customer, r.subscription, r.feature): r.units for r in spark.result.snapshot} == (
        units
    )
    # support_assistant's draft step (gpt-4o-mini, $0.15 / 0.075 / 0.60 per Mtok): records
    # (4050 in, 1400 cached, 450 out), (4650, 1600, 430), (4100, 0, 470) -> 9,800 uncached,
    # 3,000 cached, 1,350 output tokens = 0.00147 + 0.000225 + 0.00081.
    draft = next(c for c in spark.result.costs if c.step == "draft")
    assert draft.actual == D("0.002505")
    feature = next(f for f in spark.features if f.name == "support_assistant")
    step = next(s for s in feature.steps if s.name == "draft")
    # Two tickets: t-1001 drafted twice, t-1002 once.
    assert (step.units, step.calls_mean, step.calls_p95) == (2, D("1.5"), 2)


def test_spark_skips_what_the_mapping_allows_as_duckdb_does(tmp_path: Path, spark_only) -> None:
    directory = stack_with_records_block(
        tmp_path,
        'records "records" {\n  skip = ["unknown_item", "unknown_feature", "field_not_for_item"]'
        "\n}\n",
    )
    lines = (RECORDS / "records.csv").read_text().splitlines()
    lines[6] = lines[6].replace("gpt-4o-mini", "gpt-9")  # a draft call: 4650 in
    lines[13] = lines[13].replace("semantic_search", "semantic_serch")  # s-2001's read
    # A record with no item (a marker of its unit) that carries tokens.
    lines.append("2026-11-03T09:30:00Z,t-1002,support_assistant,cus-0002,team,,100,0,0,")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    stack = load_stack(Options(stack=directory))
    duck = calibrate(stack, [path], "records", engine="duckdb")
    spark = calibrate(stack, [path], "records", engine="spark")
    assert spark.result.skipped == duck.result.skipped
    assert {k: v.records for k, v in spark.result.skipped.items()} == {
        "unknown_item": 1,
        "unknown_feature": 1,
        "field_not_for_item": 1,
    }
    assert spark.unknown_features == {"semantic_serch": 1}
    assert dumps(document(stack, spark)) == dumps(document(stack, duck))
    # The draft step keeps two records: 4050 + 4100 in, 1400 cached, 450 + 470 out.
    draft = next(c for c in spark.result.costs if c.step == "draft")
    assert draft.actual == (D(8150 - 1400) * D("0.15") + 1400 * D("0.075") + 920 * D("0.60")) / (
        10**6
    )


def same_error_on_both(stack, path: Path, source: str = "records"):
    """The one diagnostic both engines give for a file of ``source``: they must be equal."""
    with pytest.raises(InfercostError) as spark_error:
        import_records(stack, [path], source, engine="spark")
    with pytest.raises(InfercostError) as duck_error:
        import_records(stack, [path], source, engine="duckdb")
    assert spark_error.value.diagnostics == duck_error.value.diagnostics
    (problem,) = spark_error.value.diagnostics
    return problem


def test_spark_names_a_bad_record_as_duckdb_does(stack, tmp_path) -> None:
    path = tmp_path / "r.csv"
    text = (RECORDS / "records.csv").read_text().replace("support_assistant", "suport", 1)
    path.write_text(text)
    problem = same_error_on_both(stack, path)
    assert "record 1" in problem.detail


JSON_RECORD = (
    '{{"time": "2026-11-03T09:00:00Z", "unit_id": "t1", "feature": "support_assistant", '
    '"customer": "c1", "subscription": "pro", "item": "openai/gpt-4o-mini", '
    '"input_tokens": {tokens}, "output_tokens": 10, "reported_cost": 0.5}}'
)


@pytest.mark.parametrize("value", ["1e30", "1e400", "NaN", "123456789012345678901", "1e21"])
def test_spark_names_a_json_number_out_of_range_as_duckdb_does(stack, tmp_path, value) -> None:
    # Spark infers 1e30 as a decimal of negative scale and refuses it, and casts 21 digits
    # to DECIMAL(38, 18) as NULL: neither may reach the user as Spark's error or a 0.
    path = tmp_path / "r.jsonl"
    good, bad = JSON_RECORD.format(tokens=100), JSON_RECORD.format(tokens=value)
    path.write_text(f"{good}\n{bad}\n")
    problem = same_error_on_both(stack, path)
    assert problem.range.start.line == 2
    assert problem.detail.startswith("record 2: input_tokens must be a finite number below 1e20")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_spark_names_tokens_beyond_a_quadrillion_as_duckdb_does(stack, tmp_path, fmt) -> None:
    path = tmp_path / f"r.{fmt}"
    if fmt == "jsonl":
        good, bad = JSON_RECORD.format(tokens=100), JSON_RECORD.format(tokens="1000000000000001")
        path.write_text(f"{good}\n{bad}\n")
    else:
        lines = (RECORDS / "records.csv").read_text().splitlines()
        header = lines[0].split(",")
        cells = lines[2].split(",")
        cells[header.index("input_tokens")] = "1000000000000001"
        lines[2] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
    problem = same_error_on_both(stack, path)
    assert problem.detail.startswith(
        "record 2: input_tokens must be at most 1e15 (a quadrillion, the bound of token counts "
        "in a stack), not 1000000000000001."
    )


def test_spark_skips_tokens_beyond_a_quadrillion_itself(tmp_path: Path, spark_only) -> None:
    """The bound is in the one mapping both engines run: Spark applies it, not only the
    embedded engine it may hand the files to."""
    directory = stack_with_records_block(
        tmp_path, 'records "records" {\n  skip = ["invalid_tokens"]\n}\n'
    )
    lines = (RECORDS / "records.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[6].split(",")
    cells[header.index("input_tokens")] = "2000000000000000"
    lines[6] = ",".join(cells)
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    stack = load_stack(Options(stack=directory))
    duck = import_records(stack, [path], "records", engine="duckdb")
    spark = import_records(stack, [path], "records", engine="spark")
    assert {k: v.records for k, v in spark.skipped.items()} == {"invalid_tokens": 1}
    assert spark.skipped == duck.skipped and spark.snapshot == duck.snapshot


@pytest.mark.parametrize("value", ['["c1", "c2"]', '{"id": "c1"}', "true"])
@pytest.mark.parametrize("every", [False, True])
def test_spark_names_a_json_list_or_boolean_name_as_duckdb_does(
    stack, tmp_path, value: str, every: bool
) -> None:
    # Spark reads a list, an object or true in a string column as its JSON text, which
    # would pass for a customer; in every record the column is a list or boolean column.
    path = tmp_path / "r.jsonl"
    good = JSON_RECORD.format(tokens=100)
    bad = good.replace('"c1"', value)
    path.write_text(f"{bad if every else good}\n{bad}\n")
    problem = same_error_on_both(stack, path)
    line = 1 if every else 2
    assert problem.range.start.line == line
    assert problem.detail.startswith(f"record {line}: customer must be a string or a number")


def test_spark_reads_a_name_that_only_looks_like_a_list(stack, tmp_path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(JSON_RECORD.format(tokens=100).replace('"c1"', '"[vip]"') + "\n")
    spark = import_records(stack, [path], "records", engine="spark")
    assert spark.snapshot == import_records(stack, [path], "records", engine="duckdb").snapshot
    assert "[vip]" in str(spark.snapshot)


def test_spark_reads_a_json_number_with_an_exponent(stack, tmp_path, spark_only) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(JSON_RECORD.format(tokens="1.5e3") + "\n")
    spark = import_records(stack, [path], "records", engine="spark")
    # 1,500 uncached input and 10 output tokens of gpt-4o-mini at $0.15 / $0.60 per Mtok.
    assert spark.actual == (1500 * D("0.15") + 10 * D("0.60")) / 10**6
    assert spark.costs == import_records(stack, [path], "records", engine="duckdb").costs


def test_spark_names_a_malformed_otlp_line_as_duckdb_does(stack, tmp_path) -> None:
    path = tmp_path / "otel.jsonl"
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    path.write_text("\n".join([lines[0], '{"resourceSpans": [', *lines[1:]]) + "\n")
    problem = same_error_on_both(stack, path, "otel")
    assert problem.range.start.line == 2


# A JSON key twice in a span, in a value; an attribute twice on a span, on a resource.
@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_spark_names_an_otlp_key_written_twice_as_duckdb_does(stack, tmp_path, which):
    from tests.usage.test_records import OTEL_TWICE, otel_with_a_key_twice

    written, twice, said = OTEL_TWICE[which]
    path = otel_with_a_key_twice(tmp_path, written, twice)
    problem = same_error_on_both(stack, path, "otel")
    assert said in problem.detail


def test_spark_names_an_otlp_value_of_two_kinds_as_duckdb_does(stack, tmp_path) -> None:
    # Spark took the first kind its coalesce met (the string, 9000000 tokens), exit 0.
    from tests.usage.test_records import _reshape

    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    doc = json.loads(lines[0])
    _reshape(doc, "two values")
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    problem = same_error_on_both(stack, path, "otel")
    assert "more than one of stringValue" in problem.detail


@pytest.mark.parametrize("value", [{"intValue": ""}, {}])
def test_spark_names_an_otlp_number_with_no_value_as_duckdb_does(stack, tmp_path, value) -> None:
    # Spark read it as absent (0 input tokens), exit 0; the embedded engine names it.
    from tests.usage.test_records import _otel_with_input_tokens

    path = _otel_with_input_tokens(tmp_path, value)
    problem = same_error_on_both(stack, path, "otel")
    assert "there with no value" in problem.detail


def test_calibrate_cli_runs_on_spark(spark_only) -> None:
    duck = run_cli(
        ["calibrate", str(STACK), str(RECORDS / "litellm.jsonl"), "--from", "litellm", "-o", "json"]
    )
    spark = run_cli(
        [
            "calibrate",
            str(STACK),
            str(RECORDS / "litellm.jsonl"),
            "--from",
            "litellm",
            "--engine",
            "spark",
            "-o",
            "json",
        ]
    )
    assert (spark.code, spark.stderr) == (0, "")
    assert spark.stdout == duck.stdout


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_spark_reads_aggregated_rows_as_duckdb_does(stack, tmp_path, spark_only, suffix) -> None:
    import duckdb

    from infercost.usage.records.query import render

    con = duckdb.connect()
    con.execute(
        "CREATE VIEW records AS SELECT * REPLACE (CAST(time AS TIMESTAMP) AS time), "
        "NULL::VARCHAR AS step, NULL::INT AS attempt, NULL::BIGINT AS cache_write_tokens, "
        "NULL::BOOLEAN AS cache_hit, NULL::DECIMAL(38, 18) AS reported_cost "
        f"FROM read_parquet('{RECORDS / 'records.parquet'}')"
    )
    agg = tmp_path / f"aggregated.{suffix}"
    options = {"csv": "(HEADER)", "json": "(FORMAT json)", "parquet": "(FORMAT parquet)"}[suffix]
    con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{agg}' {options}")
    duck = import_records(stack, [agg], "aggregated", engine="duckdb")
    spark = import_records(stack, [agg], "aggregated", engine="spark")
    assert spark.snapshot == duck.snapshot
    assert (spark.actual, spark.records, spark.units) == (duck.actual, duck.records, duck.units)
    assert [c.actual for c in spark.costs] == [c.actual for c in duck.costs]
    total, _ = truth()
    assert Fraction(spark.actual) == total


def test_spark_sums_a_focus_export_as_duckdb_does(stack, spark_only) -> None:
    duck = import_records(stack, [RECORDS / "focus.csv"], "focus", engine="duckdb")
    spark = import_records(stack, [RECORDS / "focus.csv"], "focus", engine="spark")
    assert spark.billed == duck.billed
    assert (spark.period, spark.records) == ("2026-11", 3)
    # The export's three BilledCost cells.
    assert sum(b.billed_cost for b in spark.billed) == D("0.0027") + D("0.035125") + D("0.00064")


@pytest.mark.parametrize("source", ["focus", "litellm", "records"])
def test_spark_leaves_odd_names_to_duckdb_to_name(stack, tmp_path, source) -> None:
    # Spark renamed a CSV column by its place ("BilledCost5": "the column BilledCost is
    # missing"; "_c8" for a cell without a name) and refused JSON keys in its own words
    # (COLUMN_ALREADY_EXISTS).
    if source == "records":
        path = tmp_path / "r.csv"
        header, rest = (RECORDS / "records.csv").read_text().split("\n", 1)
        path.write_text(header + ",\n" + "".join(r + ",1\n" for r in rest.splitlines()))
    elif source == "focus":
        path = tmp_path / "focus.csv"
        header, rest = (RECORDS / "focus.csv").read_text().split("\n", 1)
        path.write_text(header + ",billedcost\n" + "".join(r + ",1\n" for r in rest.splitlines()))
    else:
        path = tmp_path / "spend.jsonl"
        rows = [json.loads(r) for r in (RECORDS / "litellm.jsonl").read_text().splitlines()]
        path.write_text("".join(json.dumps({"PROMPT_TOKENS": 1} | r) + "\n" for r in rows))
    problem = same_error_on_both(stack, path, source)
    summary = "Unnamed records column" if source == "records" else "Duplicate records column"
    assert problem.summary == summary


def test_spark_leaves_a_bad_focus_cell_to_duckdb_to_name(stack, tmp_path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text((RECORDS / "focus.csv").read_text().replace("0.035125,", "lots,", 1))
    problem = same_error_on_both(stack, path, "focus")
    assert "line 3: BilledCost" in problem.detail


def test_a_json_number_as_a_name_is_its_value_on_both_engines(stack, tmp_path, spark_only) -> None:
    # Customer 42 and unit 7.50 are numbers in JSON: named "42" and "7.5", not by the
    # DECIMAL(38, 18) text they are read as ("42.000000000000000000").
    record = JSON_RECORD.format(tokens=100).replace('"c1"', "42").replace('"t1"', "7.50")
    path = tmp_path / "r.jsonl"
    path.write_text(f"{record}\n{record.replace('7.50', '8')}\n")
    for engine in ("spark", "duckdb"):
        result = import_records(stack, [path], "records", engine=engine)
        assert [(r.customer, r.units) for r in result.snapshot] == [("42", 2)], engine


@pytest.mark.parametrize("order", [1, -1])
def test_spark_reads_parquet_files_with_other_columns_by_name(stack, tmp_path, spark_only, order):
    # Without merging the files' schemas Spark took one file's columns: the second file's
    # reported_cost was dropped without a word.
    paths = _reported_split(tmp_path, "parquet")[::order]
    spark = import_records(stack, paths, "records", engine="spark")
    duck = import_records(stack, paths, "records", engine="duckdb")
    assert spark.reported == duck.reported == D("0.25") * 8
    assert (spark.actual, spark.snapshot) == (duck.actual, duck.snapshot)


def test_spark_hands_csv_files_with_other_headers_to_duckdb(stack, tmp_path) -> None:
    # Spark reads every CSV file by the first one's header, by position: the second
    # file's customers would be read as unit ids, and its unit ids as customers.
    paths = _reported_split(tmp_path, "csv")
    spark = import_records(stack, paths, "records", engine="spark")
    alone = import_records(stack, [RECORDS / "records.csv"], "records", engine="duckdb")
    assert (spark.actual, spark.snapshot) == (alone.actual, alone.snapshot)
    assert spark.reported == D("0.25") * 8


def test_an_unclosed_quote_is_named_by_both_engines(stack, tmp_path) -> None:
    """RFC 4180 on both: a guessed dialect read one unclosed quote as text, and every
    record after it as it came."""
    lines = (RECORDS / "records.csv").read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",t-", ',"t-', 1)
    path = tmp_path / "r.csv"
    path.write_text("".join(lines))
    problem = same_error_on_both(stack, path)
    assert (problem.summary, problem.detail) == (
        "Unreadable records file",
        "line 4: a quoted value is never closed: the quote runs to the end of the file.",
    )
    assert problem.range is not None and problem.range.start.line == 4
