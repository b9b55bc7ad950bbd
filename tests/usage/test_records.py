"""usage import and usage sql: figures computed here from the records themselves."""

from __future__ import annotations

import csv
import json
import os
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.app.records import import_records
from infercost.app.sources import one_line
from infercost.config.loader import display_path
from infercost.errors import InfercostError, SourceRange
from infercost.usage.records.query import DIALECTS, render
from infercost.workspace import Options, load_stack
from tests.helpers import EXAMPLES, run_cli, stack_with_records_block

STACK = EXAMPLES / "support-assistant"
RECORDS = STACK / "records"
# Prices of the example stack, per million tokens (input, cached, output), and its
# meter: $16 per 1,000,000 read units. semantic_search runs in the EU: x 1.10 on the
# openai sheet, the only one that declares the region.
PRICES = {
    "openai/omni-moderation": (D(0), D(0), D(0)),
    "openai/text-embedding-3-small": (D("0.02"), D("0.02"), D(0)),
    "openai/gpt-4o-mini": (D("0.15"), D("0.075"), D("0.60")),
    "openai/gpt-4o": (D("2.50"), D("1.25"), D("10.00")),
    "anthropic/claude-haiku-4-5": (D("1.00"), D("0.10"), D("5.00")),
}
REGION = {"support_assistant": D(1), "semantic_search": D("1.10")}


def record_cost(r: dict[str, str]) -> Fraction:
    """One record priced by hand, exactly."""
    m = Fraction(REGION[r["feature"]]) if r["item"].startswith("openai/") else Fraction(1)
    if r["item"] == "pinecone/read_unit":
        return m * Fraction(D(r["quantity"])) * 16 / 1_000_000
    p_in, p_cached, p_out = PRICES[r["item"]]
    tin, cached, tout = (
        int(r[k] or 0) for k in ("input_tokens", "cached_input_tokens", "output_tokens")
    )
    return (
        m
        * ((tin - cached) * Fraction(p_in) + cached * Fraction(p_cached) + tout * Fraction(p_out))
        / 1_000_000
    )


def truth(only_models: bool = False) -> tuple[Fraction, dict[tuple, int]]:
    with open(RECORDS / "records.csv") as handle:
        rows = list(csv.DictReader(handle))
    if only_models:
        rows = [r for r in rows if r["item"] != "pinecone/read_unit"]
    total = sum((record_cost(r) for r in rows), Fraction(0))
    units: dict[tuple, set] = {}
    for r in rows:
        units.setdefault((r["customer"], r["subscription"], r["feature"]), set()).add(r["unit_id"])
    return total, {k: len(v) for k, v in units.items()}


@pytest.fixture(scope="module")
def stack():
    return load_stack(Options(stack=STACK))


@pytest.mark.parametrize(
    ("source", "name", "only_models"),
    [
        ("records", "records.csv", False),
        ("records", "records.jsonl", False),
        ("records", "records.parquet", False),
        ("litellm", "litellm.jsonl", True),
        ("otel", "otel.jsonl", False),
    ],
)
def test_each_source_gives_the_records_own_figures(stack, source, name, only_models) -> None:
    result = import_records(stack, [RECORDS / name], source)
    total, units = truth(only_models)
    assert Fraction(result.actual) == total
    assert {(r.customer, r.subscription, r.feature): r.units for r in result.snapshot} == units
    assert result.period == "2026-11"
    assert result.customers == 2


def test_import_writes_the_snapshot_and_a_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "usage.csv"
    code, stdout, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(RECORDS / "records.csv"),
            "--from",
            "records",
            "--out",
            str(out),
            "-o",
            "json",
        ]
    )
    assert (code, err) == (0, "")
    doc = json.loads(stdout, parse_float=D)
    total, _ = truth()
    assert Fraction(doc["totals"]["actual_cost"]) == total
    assert doc["records"] == 15 and doc["units"] == 4
    assert out.read_text().splitlines() == [
        "customer,subscription,feature,units,period",
        "cus-0001,pro,semantic_search,1,2026-11",
        "cus-0001,pro,support_assistant,1,2026-11",
        "cus-0002,team,semantic_search,1,2026-11",
        "cus-0002,team,support_assistant,1,2026-11",
    ]
    # The written snapshot is one the stack reads.
    code, _, err = run_cli(["breakdown", str(STACK), "--usage", str(out)])
    assert (code, err) == (0, "")


def records_view() -> duckdb.DuckDBPyConnection:
    """A connection with the example's records as the ``records`` view the aggregated
    query reads (the fields the Parquet file lacks as NULL)."""
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW records AS SELECT * REPLACE (CAST(time AS TIMESTAMP) AS time), "
        "NULL::VARCHAR AS step, NULL::INT AS attempt, NULL::BIGINT AS cache_write_tokens, "
        "NULL::BOOLEAN AS cache_hit, NULL::DECIMAL(38, 18) AS reported_cost "
        f"FROM read_parquet('{RECORDS / 'records.parquet'}')"
    )
    return con


@pytest.mark.parametrize("dialect", DIALECTS)
def test_usage_sql_parses_back_in_every_dialect(stack, dialect: str) -> None:
    text = render(stack, dialect)
    assert sqlglot.parse_one(text, read=dialect) is not None
    # Transpiled back to DuckDB, it still runs and gives the import's figures.
    back = sqlglot.transpile(text, read=dialect, write="duckdb")[0]
    con = records_view()
    rows = con.execute(back).fetchall()
    units = sum(r[7] for r in rows if r[0] == "units")
    assert units == 4


def test_aggregated_rows_give_the_same_snapshot(stack, tmp_path: Path) -> None:
    con = records_view()
    agg = tmp_path / "aggregated.csv"
    con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{agg}' (HEADER)")
    a = import_records(stack, [agg], "aggregated")
    b = import_records(stack, [RECORDS / "records.csv"], "records")
    assert a.snapshot == b.snapshot
    assert a.actual == b.actual and [c.actual for c in a.costs] == [c.actual for c in b.costs]


# -- bad input -------------------------------------------------------------------------

HEADER = (
    "time,unit_id,feature,customer,subscription,item,input_tokens,cached_input_tokens,"
    "output_tokens\n"
)
GOOD = "2026-11-03T09:00:00Z,t1,support_assistant,c1,pro,openai/gpt-4o-mini,100,0,10\n"


def _import(tmp_path: Path, body: str, *extra: str, name: str = "r.csv") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(body)
    out = tmp_path / "usage.csv"
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), str(path), "--from", "records", "--out", str(out), *extra]
    )
    assert code != 0 or err == ""
    if code:
        assert not out.exists(), "nothing is written on error"
        assert "Traceback" not in err
    return code, stdout, err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2026-11-03T09:00:00Z,t2,suport_assistant,c1,pro,openai/gpt-4o-mini,1,0,1",
            'unknown feature "suport_assistant". Did you mean "support_assistant"?',
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,openai/gpt-4o-mni,1,0,1",
            'Did you mean "openai/gpt-4o-mini"?',
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,openai/gpt-4o-mini,-5,0,1",
            "input_tokens must be a whole number >= 0, not -5.",
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,openai/gpt-4o-mini,1.5,0,1",
            "input_tokens must be a whole number >= 0, not 1.5.",
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,openai/gpt-4o-mini,10,11,1",
            "exceed input_tokens",
        ),
        (
            "2026-11-03T09:00:00Z,,support_assistant,c1,pro,openai/gpt-4o-mini,10,0,1",
            "the record has no unit id",
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,openai/gpt-4o-mini,ten,0,1",
            'input_tokens must be a whole number, not "ten"',
        ),
        (
            "2026-11-03T09:00:00Z,t2,support_assistant,c1,team,openai/gpt-4o-mini,1,0,1",
            'customer "c1" has subscription "team" here, but "pro"',
        ),
    ],
)
def test_bad_records_are_located(tmp_path: Path, line: str, message: str) -> None:
    code, _, err = _import(tmp_path, HEADER + GOOD + line + "\n")
    assert code == 1
    assert message in err
    assert "r.csv line 3" in err and "record 2" in err


@pytest.mark.parametrize(
    ("item", "tokens", "said"),
    [
        # A model with tokens and a quantity: the quantity is what it does not take (the
        # tokens are its own; the message used to call the model a meter).
        ("openai/gpt-4o-mini", "100,0,10", '"openai/gpt-4o-mini" does not take a quantity '
         "(it is a model, priced by tokens)."),
        ("openai/gpt-4o-mini", ",,", '"openai/gpt-4o-mini" does not take a quantity '
         "(it is a model, priced by tokens)."),
        ("pinecone/read_unit", "100,0,10", '"pinecone/read_unit" does not take tokens '
         "(it is a meter, priced by quantity)."),
        ("pinecone/read_unit", "0,0,10", '"pinecone/read_unit" does not take tokens '
         "(it is a meter, priced by quantity)."),
        # A record with no item marks its unit: its tokens would be dropped unpriced.
        ("", "100,0,10", "a record with no item marks its unit and costs nothing: it takes "
         "no tokens and no quantity."),
        ("", ",,", "a record with no item marks its unit and costs nothing: it takes "
         "no tokens and no quantity."),
    ],
)  # fmt: skip
def test_a_field_the_item_does_not_take_is_named_by_what_the_item_is(
    tmp_path: Path, item: str, tokens: str, said: str
) -> None:
    header = HEADER.rstrip("\n") + ",quantity\n"
    line = f"2026-11-03T09:00:00Z,t2,support_assistant,c1,pro,{item},{tokens},5"
    code, _, err = _import(tmp_path, header + GOOD.rstrip("\n") + ",\n" + line + "\n")
    assert code == 1
    assert err == (
        f"Error: Invalid record\n\n  on {display_path(tmp_path / 'r.csv')} line 3:\n"
        f"  3: {line}\n\nrecord 2: {said} "
        'To skip such records, add "field_not_for_item" to skip in the records "records" '
        "block.\n\n"
    )


@pytest.mark.parametrize(
    ("rows", "bad", "values"),
    [
        # The engine's sniffer, meeting a record of another width, read the whole header
        # as one column ("unknown column "time,unit_id,…"") or took a long last record
        # for the header ("unknown column "2026-11-03T09:30:00Z""). The record is named.
        ([GOOD, GOOD.replace(",10\n", ",10,extra,more\n")], 3, 11),
        ([GOOD, "2026-11-03T09:30:00Z,t-77,support_assistant\n", GOOD], 3, 3),
        ([GOOD, GOOD.replace(",c1,", ",c1,x,"), GOOD, GOOD], 3, 10),
        # Past the sniffer's sample, the reader rejects the record with no column.
        ([GOOD] * 25_000 + [GOOD.replace(",10\n", ",10,x\n")], 25_002, 10),
        # A long last record with a value twice, taken for the header: it was reported
        # as the header having "0" twice.
        ([GOOD, GOOD, GOOD.replace(",100,0,10\n", ",0,0,0,x\n")], 4, 10),
    ],
)
def test_a_record_of_another_width_than_the_header_is_named(
    tmp_path: Path, rows: list[str], bad: int, values: int
) -> None:
    code, _, err = _import(tmp_path, HEADER + "".join(rows))
    line = (HEADER + "".join(rows)).splitlines()[bad - 1]
    assert code == 1
    assert err == (
        f"Error: Unreadable records file\n\n  on {display_path(tmp_path / 'r.csv')} line {bad}:"
        f"\n  {bad}: {line}\n\nline {bad}: the record has {values} values, but the header "
        "names 9 columns.\n\n"
    )


def test_a_record_of_another_width_in_a_crlf_file_is_not_called_a_mixed_line_end(
    tmp_path: Path,
) -> None:
    # A spreadsheet's CRLF file with a bare LF inside a quoted value reads fine; with a
    # record of another width too, the error named the quoted LF a mixed line end (and
    # its fix, converting the file, would change the value).
    quoted = GOOD.replace(",c1,", ',"c1\nsecond line",')
    long = GOOD.replace(",10\n", ",10,x\n")
    body = (HEADER + GOOD + quoted + GOOD + long + GOOD * 3).replace("\n", "\r\n")
    body = body.replace('"c1\r\nsecond', '"c1\nsecond')
    code, _, err = _import(tmp_path, body)
    assert code == 1
    assert "line 6: the record has 10 values, but the header names 9 columns." in err
    assert "line end" not in err.lower()
    # Without the long record the same file imports.
    assert _import(tmp_path, body.replace(",10,x\r\n", ",10\r\n"))[0] == 0


def test_a_record_of_another_width_is_not_skipped_as_an_invalid_value(tmp_path: Path) -> None:
    # The reader rejects it like a bad value; skipping invalid values must not hide a
    # broken file.
    stack = stack_with_records_block(
        tmp_path, 'records "records" {\n  skip = ["invalid_value"]\n}\n'
    )
    body = HEADER + GOOD * 25_000 + GOOD.replace(",10\n", ",10,x\n")
    (tmp_path / "r.csv").write_text(body)
    code, out, err = run_cli(["usage", "import", str(stack), str(tmp_path / "r.csv"),
                              "--from", "records", "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert "line 25002: the record has 10 values, but the header names 9 columns." in err


def test_rejected_cell_of_a_crlf_file_is_named(tmp_path: Path) -> None:
    bad = GOOD.replace(",100,", ",ten,").replace(",t1,", ",t2,")
    code, _, err = _import(tmp_path, (HEADER + GOOD + bad).replace("\n", "\r\n"))
    assert code == 1
    assert 'input_tokens must be a whole number, not "ten"' in err
    assert "r.csv line 3" in err and "record 2" in err


def test_counts_past_a_billion_are_read_exactly(tmp_path: Path) -> None:
    """CSV counts are read as 64-bit decimals first; one that does not fit makes the
    import read the file again with 38 digits, so the figures stay exact."""
    big = GOOD.replace(",t1,", ",t2,").replace(",100,0,10", ",123456789012345,7,1000000000000")
    code, out, err = _import(tmp_path, HEADER + GOOD + big, "-o", "json")
    assert (code, err) == (0, "")
    # gpt-4o-mini: 0.15 per million input tokens, 0.075 cached, 0.60 output
    expected = (
        Fraction(100 * 15, 100 * 10**6)
        + Fraction(10 * 60, 100 * 10**6)
        + Fraction((123456789012345 - 7) * 15, 100 * 10**6)
        + Fraction(7 * 75, 1000 * 10**6)
        + Fraction(1000000000000 * 60, 100 * 10**6)
    )
    assert Fraction(json.loads(out, parse_float=D)["totals"]["actual_cost"]) == expected


def test_time_offsets_are_honoured(tmp_path: Path) -> None:
    # 23:30 at UTC-2 on 30 November is 01:30 UTC on 1 December.
    late = GOOD.replace("2026-11-03T09:00:00Z", "2026-11-30T23:30:00-02:00").replace(",t1,", ",t2,")
    code, _, err = _import(tmp_path, HEADER + GOOD + late)
    assert code == 1 and "several periods (2026-11, 2026-12)" in err


def test_an_offset_after_a_thousand_plain_times_is_honoured(tmp_path: Path) -> None:
    """Plain times are parsed by their exact format; a later time with an offset makes
    the import read the file again the general way, so the offset still counts."""
    plain = "".join(
        GOOD.replace(",t1,", f",t{i},").replace("09:00:00Z", f"09:{i % 60:02d}:00Z")
        for i in range(1200)
    )
    late = GOOD.replace("2026-11-03T09:00:00Z", "2026-11-30T23:30:00-02:00").replace(",t1,", ",z,")
    code, _, err = _import(tmp_path, HEADER + plain + late)
    assert code == 1 and "several periods (2026-11, 2026-12)" in err
    code, out, err = _import(tmp_path, HEADER + plain + late, "--period", "2026-12", "-o", "json")
    assert code == 0 and json.loads(out)["units"] == 1


@pytest.mark.parametrize("epoch", ["1796126400", "1796126400.5", "1796126400000"])
@pytest.mark.parametrize("plain", [1, 1200])
def test_epoch_and_iso_times_may_share_a_csv_column(tmp_path: Path, epoch: str, plain: int) -> None:
    """Times are "ISO 8601 or epoch" per record: the column's type was decided on its
    first values, and an epoch after ISO times (or the reverse) was refused as "not a
    time (ISO 8601 or epoch)". 1796126400 is 2026-12-01T12:00:00Z."""
    iso = "".join(GOOD.replace(",t1,", f",t{i},") for i in range(plain))
    late = GOOD.replace("2026-11-03T09:00:00Z", epoch).replace(",t1,", ",z,")
    for body in (iso + late, late + iso):
        code, _, err = _import(tmp_path, HEADER + body)
        assert code == 1 and "several periods (2026-11, 2026-12)" in err
        code, out, err = _import(tmp_path, HEADER + body, "--period", "2026-12", "-o", "json")
        assert (code, err, json.loads(out)["units"]) == (0, "", 1)
        (tmp_path / "usage.csv").unlink()


def test_negative_count_in_an_integer_parquet_column(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES (TIMESTAMP '2026-11-03 09:00:00', 't1', 10::BIGINT), "
        "(TIMESTAMP '2026-11-03 09:00:01', 't1', -5::BIGINT)) v(time, unit_id, input_tokens)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    rel = duckdb.sql(f"SELECT * FROM '{path}'")
    assert rel.types[2] == "BIGINT"
    stack = stack_with_records_block(
        tmp_path,
        'records "records" {\n  defaults = {\n    feature = "support_assistant"\n'
        '    item = "openai/gpt-4o-mini"\n  }\n}\n',
    )
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(stack),
            str(path),
            "--from",
            "records",
            "--out",
            str(tmp_path / "u.csv"),
        ]
    )
    assert code == 1 and "record 2: input_tokens must be a whole number >= 0, not -5." in err


def test_several_periods_need_period(tmp_path: Path) -> None:
    body = HEADER + GOOD + GOOD.replace("2026-11-03", "2026-12-03").replace(",t1,", ",t9,")
    code, _, err = _import(tmp_path, body)
    assert code == 1 and "several periods (2026-11, 2026-12)" in err
    code, out, err = _import(tmp_path, body, "--period", "2026-12", "-o", "json")
    assert code == 0 and json.loads(out)["usage_period"] == "2026-12"


def test_skip_only_with_the_mappings_permission(tmp_path: Path) -> None:
    stack = stack_with_records_block(
        tmp_path, 'records "records" {\n  skip = ["unknown_item"]\n}\n'
    )
    path = tmp_path / "r.csv"
    path.write_text(HEADER + GOOD + GOOD.replace("gpt-4o-mini", "gpt-9"))
    code, out, err = run_cli(
        [
            "usage",
            "import",
            str(stack),
            str(path),
            "--from",
            "records",
            "--out",
            str(tmp_path / "u.csv"),
            "-o",
            "json",
        ]
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["skipped"] == [
        {"reason": "unknown_item", "records": 1, "reported_cost": 0}
    ]


def test_malformed_otlp_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    path.write_text("\n".join([lines[0], '{"resourceSpans": [', *lines[1:]]) + "\n")
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(path),
            "--from",
            "otel",
            "--out",
            str(tmp_path / "u.csv"),
        ]
    )
    assert code == 1 and "spans.jsonl line 2" in err and "not valid JSON" in err


def test_parquet_column_of_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    duckdb.sql(
        "COPY (SELECT TIMESTAMP '2026-11-03 09:00:00' AS time, 't1' AS unit_id, "
        "'support_assistant' AS feature, 'openai/gpt-4o-mini' AS item, 1.5::DOUBLE AS "
        f"input_tokens) TO '{path}' (FORMAT parquet)"
    )
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(path),
            "--from",
            "records",
            "--out",
            str(tmp_path / "u.csv"),
        ]
    )
    assert code == 1 and "input_tokens has type DOUBLE" in err


def test_out_that_is_not_a_snapshot_is_kept(tmp_path: Path) -> None:
    precious = tmp_path / "notes.csv"
    precious.write_text("name,amount\nrent,1000\n")
    path = tmp_path / "r.csv"
    path.write_text(HEADER + GOOD)
    code, _, err = run_cli(
        ["usage", "import", str(STACK), str(path), "--from", "records", "--out", str(precious)]
    )
    assert code == 1 and "is not a usage snapshot" in err
    assert precious.read_text() == "name,amount\nrent,1000\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "r.csv"
    os.mkfifo(fifo)
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(fifo),
            "--from",
            "records",
            "--out",
            str(tmp_path / "u.csv"),
        ]
    )
    assert code == 1 and "is a FIFO" in err


def test_records_block_is_checked_with_suggestions(tmp_path: Path) -> None:
    stack = stack_with_records_block(
        tmp_path, 'records "litellm" {\n  fields = { featur = "metadata.feature" }\n}\n'
    )
    code, _, err = run_cli(["validate", str(stack)])
    assert code == 1
    assert "records.hcl line 2" in err and 'Did you mean "feature"?' in err


# -- property: the engine equals a reference aggregation --------------------------------

ITEMS = ["openai/gpt-4o-mini", "openai/gpt-4o", "pinecone/read_unit"]
record = st.fixed_dictionaries(
    {
        "unit": st.integers(1, 6),
        "feature": st.sampled_from(["support_assistant", "semantic_search"]),
        "customer": st.sampled_from(["a", "b", "c"]),
        "item": st.sampled_from(ITEMS),
        "input": st.integers(0, 10**9),
        "cached_share": st.integers(0, 100),
        "output": st.integers(0, 10**6),
        "quantity": st.decimals(0, 10**6, places=3, allow_nan=False, allow_infinity=False),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(record, min_size=1, max_size=30))
def test_import_equals_reference_aggregation(stack, tmp_path_factory, records) -> None:
    path = tmp_path_factory.mktemp("prop") / "r.csv"
    subs = {"a": "pro", "b": "team", "c": "pro"}
    rows = []
    for r in records:
        meter = r["item"] == "pinecone/read_unit"
        cached = r["input"] * r["cached_share"] // 100
        rows.append(
            {
                "time": "2026-11-03T09:00:00Z",
                "unit_id": f"u{r['unit']}",
                "feature": r["feature"],
                "customer": r["customer"],
                "subscription": subs[r["customer"]],
                "item": r["item"],
                "input_tokens": "" if meter else str(r["input"]),
                "cached_input_tokens": "" if meter else str(cached),
                "output_tokens": "" if meter else str(r["output"]),
                "quantity": str(r["quantity"]) if meter else "",
            }
        )
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = import_records(stack, [path], "records")
    expected = sum((record_cost(r) for r in rows), Fraction(0))
    assert Fraction(result.actual) == expected
    units: dict[tuple, set] = {}
    for r in rows:
        units.setdefault((r["customer"], r["subscription"], r["feature"]), set()).add(r["unit_id"])
    assert {(s.customer, s.subscription, s.feature): s.units for s in result.snapshot} == {
        k: len(v) for k, v in units.items()
    }
    assert result.records == len(rows)


# -- views and FOCUS ------------------------------------------------------------------


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.helpers import REPO

    monkeypatch.chdir(REPO)
    return REPO


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_import_views_golden(at_repo, assert_golden, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "usage.csv"
    code, stdout, err = run_cli(
        [
            "usage",
            "import",
            "examples/support-assistant",
            "examples/support-assistant/records/otel.jsonl",
            "--from",
            "otel",
            "--out",
            str(out),
            "-o",
            fmt,
        ]
    )
    assert (code, err) == (0, "")
    assert_golden(
        f"usage_import_support-assistant.{'txt' if fmt == 'text' else 'json'}",
        stdout.replace(str(out), "usage.csv").replace(os.path.relpath(out), "usage.csv"),
    )


def test_focus_gives_billed_totals(at_repo) -> None:
    code, out, err = run_cli(
        [
            "usage",
            "import",
            "examples/support-assistant",
            "examples/support-assistant/records/focus.csv",
            "--from",
            "focus",
            "-o",
            "json",
        ]
    )
    assert (code, err) == (0, "")
    doc = json.loads(out, parse_float=D)
    assert doc["totals"]["billed_cost"] == D("0.0027") + D("0.035125") + D("0.00064")
    assert [b["sku"] for b in doc["billed"]] == ["gpt-4o", "gpt-4o-mini", "read_unit"]
    code, _, err = run_cli(
        [
            "usage",
            "import",
            "examples/support-assistant",
            "examples/support-assistant/records/focus.csv",
            "--from",
            "focus",
            "--out",
            "u.csv",
        ]
    )
    assert code == 1 and "gives no usage snapshot" in err


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_snapshot_in_json_reads_back(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"usage{suffix}"
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(RECORDS / "records.parquet"),
            "--from",
            "records",
            "--out",
            str(out),
            "-o",
            "json",
        ]
    )
    assert (code, err) == (0, "")
    code, stdout, err = run_cli(["breakdown", str(STACK), "--usage", str(out), "-o", "json"])
    assert (code, err) == (0, "")
    features = {f["name"]: f["units"] for f in json.loads(stdout)["features"]}
    assert features == {"semantic_search": 2, "support_assistant": 2}


def test_usage_sql_command_prints_the_dialect(tmp_path: Path) -> None:
    code, out, err = run_cli(["usage", "sql", str(STACK), "--dialect", "bigquery"])
    assert (code, err) == (0, "")
    assert "TIMESTAMP_TRUNC" in out and "UNION ALL" in out
    assert sqlglot.parse_one(out.rstrip().rstrip(";"), read="bigquery") is not None
    code, _, err = run_cli(["usage", "sql", str(STACK), "--dialect", "bigqeury"])
    assert code == 1 and 'Did you mean "bigquery"?' in err


@pytest.mark.parametrize(
    ("table", "shown"),
    [
        ('a"b', 'a"b'),  # was a traceback from the SQL tokenizer
        ("records--x", "records--x"),  # was the table records and a comment
        ("read_csv(x)", "read_csv(x)"),  # was a table function
        ("a.b.c.d", "a.b.c.d"),
        ("a\x1bb", "a\\x1bb"),
        ("", ""),
    ],
)
def test_usage_sql_table_must_be_a_plain_name(table: str, shown: str) -> None:
    code, out, err = run_cli(["usage", "sql", str(STACK), "--table", table])
    assert (code, out, err) == (
        1,
        "",
        "Error: Invalid table name\n\n--table names the table or view of the records as "
        'NAME, SCHEMA.NAME or CATALOG.SCHEMA.NAME (letters, digits, "_" and "-"), '
        f'not "{shown}".\n\n',
    )


@pytest.mark.parametrize(
    ("table", "written"), [("my-project.ds.t", "`my-project`.ds.t"), ("db.recs", "db.recs")]
)
def test_usage_sql_table_may_be_qualified(table: str, written: str) -> None:
    code, out, err = run_cli(
        ["usage", "sql", str(STACK), "--dialect", "bigquery", "--table", table]
    )
    assert (code, err) == (0, "")
    assert f"FROM {written}\n" in out


def test_import_documents_follow_the_published_schema(at_repo, tmp_path: Path) -> None:
    import importlib.resources

    import jsonschema

    text = importlib.resources.files("infercost").joinpath("schemas", "usage-import.schema.json")
    schema = json.loads(text.read_text(encoding="utf-8"))
    seen: set[str] = set()
    runs = [
        ("otel.jsonl", "otel", ["--out", str(tmp_path / "a.csv")]),
        ("litellm.jsonl", "litellm", ["--out", str(tmp_path / "b.csv")]),
        ("focus.csv", "focus", []),
    ]
    for name, source, extra in runs:
        code, out, err = run_cli(
            [
                "usage",
                "import",
                str(STACK),
                str(RECORDS / name),
                "--from",
                source,
                "-o",
                "json",
                *extra,
            ]
        )
        assert (code, err) == (0, "")
        doc = json.loads(out)
        jsonschema.validate(doc, schema)
        seen |= set(doc) | {f"costs.{k}" for c in doc["costs"] for k in c}
    declared = set(schema["properties"]) | {
        f"costs.{k}" for k in schema["properties"]["costs"]["items"]["properties"]
    }
    assert seen == declared


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_litellm_csv_and_parquet_exports(stack, tmp_path: Path, suffix: str) -> None:
    """The same spend logs as CSV (metadata and tags as JSON text) and as Parquet (a
    struct and a list column) give the records' own figures."""
    path = tmp_path / f"spend{suffix}"
    options = "(HEADER)" if suffix == ".csv" else "(FORMAT parquet)"
    # A CSV export holds metadata and tags as JSON text; Parquet as a struct and a list.
    columns = (
        "* REPLACE (to_json(metadata) AS metadata, to_json(request_tags) AS request_tags)"
        if suffix == ".csv"
        else "*"
    )
    duckdb.sql(
        f"COPY (SELECT {columns} FROM read_json('{RECORDS / 'litellm.jsonl'}')) "
        f"TO '{path}' {options}"
    )
    result = import_records(stack, [path], "litellm")
    total, units = truth(only_models=True)
    assert Fraction(result.actual) == total
    assert {(r.customer, r.subscription, r.feature): r.units for r in result.snapshot} == units
    assert result.reported is not None and result.reported > 0


def test_litellm_metadata_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    duckdb.sql(
        "COPY (SELECT * REPLACE (to_json(metadata) AS metadata, to_json(request_tags) AS "
        f"request_tags) FROM read_json('{RECORDS / 'litellm.jsonl'}')) TO '{path}' (HEADER)"
    )
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace('{""plan"":', "{plan:")
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli(
        [
            "usage",
            "import",
            str(STACK),
            str(path),
            "--from",
            "litellm",
            "--out",
            str(tmp_path / "u.csv"),
        ]
    )
    assert code == 1
    assert (
        "spend.csv line 3" in err
        and "record 2: subscription is read from a path into a column that does not hold JSON"
        in err
    )


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("records", "lots", 'records must be empty or a whole number >= 0, not "lots"'),
        ("input_tokens", "-5", 'input_tokens must be empty or a whole number >= 0, not "-5"'),
        ("output_tokens", "1.5", 'output_tokens must be empty or a whole number >= 0, not "1.5"'),
        ("quantity", "nan", 'quantity must be empty or a number >= 0, not "nan"'),
        ("reported_cost", "-0.01", 'reported_cost must be empty or a number >= 0, not "-0.01"'),
        # beyond what the records they sum hold (DECIMAL(38, 9) counts, DECIMAL(38, 18)
        # amounts): 45-digit token counts were priced at 10^38 and more
        ("input_tokens", "1" + "0" * 44,
         f'input_tokens must be below 1e29, as in a records file, not "1{"0" * 44}"'),
        ("records", "1e29", 'records must be below 1e29, as in a records file, not "1e29"'),
        ("quantity", "100000000000000000000",
         'quantity must be below 1e20, as in a records file, not "100000000000000000000"'),
    ],
)  # fmt: skip
def test_aggregated_rows_with_a_bad_figure_are_refused(
    stack, tmp_path: Path, column: str, value: str, message: str
) -> None:
    """A warehouse export is hostile input: a negative token count is never priced, and a
    word where a count goes is a located error, not a crash."""
    con = records_view()
    good = tmp_path / "good.csv"
    con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{good}' (HEADER)")
    rows = list(csv.reader(good.open(newline="")))
    header, usage = rows[0], next(r for r in rows if r[0] == "usage")
    usage[header.index(column)] = value
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(InfercostError) as caught:
        import_records(stack, [bad], "aggregated")
    text = caught.value.diagnostics[0].detail
    assert text.startswith(f"{display_path(bad)}: {message} (the row of kind usage, feature ")


def test_aggregated_counts_beyond_the_records_bound_exit_1(
    stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = records_view()
    agg = tmp_path / "agg.csv"
    con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{agg}' (HEADER)")
    rows = list(csv.reader(agg.open(newline="")))
    header = rows[0]
    row = next(r for r in rows if r[0] == "usage" and r[header.index("item")] == "openai/gpt-4o")
    row[header.index("output_tokens")] = "9" * 45
    with agg.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "u.csv"
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), "agg.csv", "--from", "aggregated", "--out", str(out)]
    )
    assert (code, stdout) == (1, "")
    assert err == (
        "Error: Invalid aggregated rows\n\n"
        f'agg.csv: output_tokens must be below 1e29, as in a records file, not "{"9" * 45}" '
        "(the row of kind usage, feature support_assistant, step escalate, item "
        "openai/gpt-4o).\n\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_snapshot_in_json_writes_hidden_characters_escaped(tmp_path: Path, suffix: str) -> None:
    # A customer id holding a right-to-left override: in the file it is the escape
    # (nothing reorders a reviewer's view of the diff), read back it is the same id.
    text = (RECORDS / "records.csv").read_text(encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text(text.replace("cus-0001", "cus-\u202e1000"), encoding="utf-8")
    out = tmp_path / f"usage{suffix}"
    code, _, err = run_cli(
        ["usage", "import", str(STACK), str(records), "--from", "records", "--out", str(out)]
    )
    assert (code, err) == (0, "")
    written = out.read_text(encoding="utf-8")
    assert "\u202e" not in written and '"cus-\\u202e1000"' in written
    code, stdout, err = run_cli(["breakdown", str(STACK), "--usage", str(out), "-o", "json"])
    assert (code, err) == (0, "")
    assert "cus-\u202e1000" in {c["id"] for c in json.loads(stdout)["customers"]}


@pytest.mark.parametrize(
    "time", ["10000-01-01T00:00:00Z", "0000-03-15T00:00:00Z", "-0044-03-15T00:00:00Z"]
)
def test_a_time_outside_four_digit_years_is_a_located_error(tmp_path: Path, time: str) -> None:
    """Year 10000 made the period "10000-01" and 44 BC "-44-03": no period is written
    that way (YYYY-MM), so the record is named, whichever period it would fall in."""
    bad = GOOD.replace("2026-11-03T09:00:00Z", time).replace(",t1,", ",t2,")
    for extra in ((), ("--period", "2026-11")):
        code, _, err = _import(tmp_path, HEADER + GOOD + bad, *extra)
        assert code == 1
        assert err == (
            "Error: Invalid record\n\n"
            f"  on {display_path(tmp_path / 'r.csv')} line 3:\n"
            f"  3: {bad}"
            "\nrecord 2: the record's time is outside the years 0001 to 9999; a period is "
            "written YYYY-MM.\n\n"
        )


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_periods_do_not_depend_on_the_machine_s_time_zone(tmp_path: Path, zone: str) -> None:
    """A time without a zone is UTC: 23:30 on 30 November is November everywhere. The
    engine read it in the machine's zone, so a laptop in New York put it in December (and
    a time with an offset, read generically, moved too). Run in a process of its own:
    the zone is read when the engine starts."""
    import subprocess
    import sys

    no_zone = GOOD.replace("2026-11-03T09:00:00Z", "2026-11-30T23:30:00")
    offset = GOOD.replace("2026-11-03T09:00:00Z", "2026-11-30T23:30:00+05:00")
    path = tmp_path / "r.csv"
    path.write_text(HEADER + no_zone + offset.replace(",t1,", ",t2,"))
    argv = ["usage", "import", str(STACK), str(path), "--from", "records", "-o", "json",
            "--out", str(tmp_path / "usage.csv")]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "infercost", *argv],
        capture_output=True, text=True, env={**os.environ, "TZ": zone}, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    summary = json.loads(done.stdout)
    assert (summary["usage_period"], summary["units"]) == ("2026-11", 2)


def _with_column(text: str, fmt: str, column: str) -> str:
    """The records ``text`` (of format ``fmt``) with an extra ``column`` holding "x"."""
    lines = text.splitlines()
    if fmt == "csv":
        return "\n".join([f"{lines[0]},{column}", *(f"{line},x" for line in lines[1:])]) + "\n"
    return "".join(json.dumps({**json.loads(line), column: "x"}) + "\n" for line in lines)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_an_unknown_column_names_the_file_that_has_it(stack, tmp_path, fmt) -> None:
    # Of several files read as one, the error names the one to fix, not all of them.
    text = (RECORDS / ("records.jsonl" if fmt == "parquet" else f"records.{fmt}")).read_text()
    names = ["day1", "day2", "day3"]
    for name in names:
        body = _with_column(text, "jsonl" if fmt == "parquet" else fmt, "tokens_in")
        (tmp_path / f"{name}.src").write_text(text if name != "day2" else body)
    paths = []
    for name in names:
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "parquet":
            duckdb.sql(
                f"COPY (SELECT * FROM read_json('{tmp_path / name}.src', "
                f"format = 'newline_delimited')) TO '{path}' (FORMAT parquet)"
            )
        else:
            (tmp_path / f"{name}.src").rename(path)
        paths.append(path)
    with pytest.raises(InfercostError) as raised:
        import_records(stack, paths, "records")
    (problem,) = raised.value.diagnostics
    assert problem.summary == "Unknown records column"
    if fmt == "jsonl":  # JSON records: the first record with the key, in its file
        assert problem.detail == 'unknown key "tokens_in". Map it in a records block, or remove it.'
        assert problem.range == SourceRange.point(display_path(paths[1]), 1)
        return
    assert problem.detail == (
        f'{display_path(paths[1])}: unknown column "tokens_in". Map it in a records block, '
        "or remove it."
    )


def test_an_unknown_column_of_one_file_through_the_cli(tmp_path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(_with_column((RECORDS / "records.csv").read_text(), "csv", "input_tokns"))
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unknown records column\n")
    said = f'{display_path(path)}: unknown column "input_tokns". Did you mean "input_tokens"?'
    assert said in err
    assert not (tmp_path / "u.csv").exists()


# -- files read together: every file's columns, wherever they first appear ------------------


def _records(name: str = "records.csv") -> list[dict[str, str]]:
    with open(RECORDS / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: r.get(c, "") for c in columns} for r in rows)
    return path


def _reported_split(tmp_path: Path, fmt: str) -> list[Path]:
    """The example's records in two files, only the second with ``reported_cost`` (0.25
    on each of its records) and with its unit_id and customer columns swapped (both free
    text: read by position, each would pass for the other)."""
    rows = _records()
    columns = list(rows[0])
    first, second = rows[:7], [{**r, "reported_cost": "0.25"} for r in rows[7:]]
    later = [*columns, "reported_cost"]
    i, j = later.index("unit_id"), later.index("customer")
    later[i], later[j] = later[j], later[i]
    paths = [
        _write_csv(tmp_path / "a.csv", first, columns),
        _write_csv(tmp_path / "b.csv", second, later),
    ]
    if fmt == "parquet":
        for i, path in enumerate(paths):
            target = path.with_suffix(".parquet")
            duckdb.sql(
                f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{target}' "
                "(FORMAT parquet)"
            )
            paths[i] = target
    return paths


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("order", [1, -1])
def test_files_with_other_columns_or_order_are_read_by_name(stack, tmp_path, fmt, order) -> None:
    # A column only the second file has was dropped (CSV, first file first) or refused
    # with the engine's own "schema mismatch" (second file first); columns in another
    # order must still be read by name.
    paths = _reported_split(tmp_path, fmt)[::order]
    result = import_records(stack, paths, "records")
    alone = import_records(stack, [RECORDS / "records.csv"], "records")
    assert (result.actual, result.records, result.units) == (alone.actual, 15, alone.units)
    assert result.snapshot == alone.snapshot
    assert result.reported == D("0.25") * 8  # the second file's 8 records


def _late_jsonl(path: Path, extra: dict[str, object], before: int = 25_000) -> Path:
    """``before`` copies of a draft call (past the reader's sample of a file), then one
    with ``extra`` fields."""
    record = {
        "time": "2026-11-03T09:00:00Z", "unit_id": "u", "feature": "support_assistant",
        "customer": "cus-0001", "subscription": "pro", "item": "openai/gpt-4o-mini",
        "input_tokens": 1000, "output_tokens": 100,
    }  # fmt: skip
    lines = [json.dumps({**record, "unit_id": f"u{k}"}) for k in range(before)]
    lines.append(json.dumps({**record, "unit_id": "late", **extra}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_json_key_first_seen_after_the_readers_sample_is_read(stack, tmp_path) -> None:
    # cache_write_tokens and reported_cost only on the last of 25,001 records: they were
    # dropped, without a word, when the reader inferred the columns from the first ones.
    late = _late_jsonl(tmp_path / "late.jsonl", {"reported_cost": 7, "cached_input_tokens": 400})
    result = import_records(stack, [late], "records")
    assert result.reported == 7
    # gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output per Mtok; 25,001 calls of
    # 1000 in and 100 out, one of them with 400 of its input cached.
    per_call = (1000 * D("0.15") + 100 * D("0.60")) / 10**6
    assert result.actual == per_call * 25_001 - 400 * (D("0.15") - D("0.075")) / 10**6


def test_a_json_key_first_seen_after_the_sample_is_checked(stack, tmp_path) -> None:
    late = _late_jsonl(tmp_path / "late.jsonl", {"input_tokns": 5}, before=21_000)
    with pytest.raises(InfercostError) as raised:
        import_records(stack, [late], "records")
    (problem,) = raised.value.diagnostics
    assert problem.summary == "Unknown records column"
    assert 'unknown key "input_tokns". Did you mean "input_tokens"?' in problem.detail
    assert problem.range == SourceRange.point(display_path(late), 21_001)


def test_a_json_key_only_a_later_file_has_is_read(stack, tmp_path) -> None:
    first = _late_jsonl(tmp_path / "a.jsonl", {}, before=2)
    second = tmp_path / "b.jsonl"
    out = '"output_tokens": 100'
    second.write_text(first.read_text().replace(out, f'{out}, "reported_cost": 1'))
    result = import_records(stack, [first, second], "records")
    assert result.reported == 3
    assert result.records == 6


def test_csv_files_with_the_same_columns_in_another_order_are_read_by_name(stack, tmp_path):
    # Same columns, so the typed reader reads both (no union): by name, not position.
    rows = _records()
    columns = list(rows[0])
    swapped = columns[:]
    i, j = swapped.index("input_tokens"), swapped.index("output_tokens")
    swapped[i], swapped[j] = swapped[j], swapped[i]
    paths = [
        _write_csv(tmp_path / "a.csv", rows[:7], columns),
        _write_csv(tmp_path / "b.csv", rows[7:], swapped),
    ]
    result = import_records(stack, paths, "records")
    alone = import_records(stack, [RECORDS / "records.csv"], "records")
    assert (result.actual, result.snapshot) == (alone.actual, alone.snapshot)


@pytest.mark.parametrize(
    ("value", "need"),
    [
        ("ten", 'a whole number, not "ten"'),
        ("1e400", 'a whole number below 1e29 in size, not "1e400"'),
    ],
)
def test_a_bad_count_in_files_with_other_headers_is_named_as_in_one_file(
    tmp_path, value, need
) -> None:
    # Files whose headers differ are typed in SQL, not by the CSV reader: the error
    # must still name the file, its line and the value as written, as for one file.
    rows = _records()
    first = _write_csv(tmp_path / "a.csv", rows[:3], list(rows[0]))
    columns = [*rows[0], "reported_cost"]  # a column the first file has not
    bad = dict(rows[3], input_tokens=value, reported_cost="0.25")
    second = _write_csv(tmp_path / "b.csv", [rows[4] | {"reported_cost": "0.25"}, bad], columns)
    code, out, err = run_cli(["usage", "import", str(STACK), str(first), str(second),
                              "--from", "records", "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    line = second.read_text().splitlines()[2]
    assert err == (
        f"Error: Invalid record\n\n  on {display_path(second)} line 3:\n  3: {line}\n\n"
        f"record 2: input_tokens must be {need}. To skip such records, add "
        '"invalid_value" to skip in the records "records" block.\n\n'
    )


@pytest.mark.parametrize(
    ("columns", "said"),
    [
        (["input_tokens", "input_tokens"], '"input_tokens" twice'),
        (
            ["input_tokens", "INPUT_TOKENS"],
            '"input_tokens" and "INPUT_TOKENS", which the reader cannot tell apart (it '
            "matches column names without regard to case)",
        ),
        # A column the file really has is unknown, not a duplicate.
        (["input_tokens", "input_tokens_1"], None),
    ],
)
def test_a_column_written_twice_is_named_as_written(tmp_path, columns, said) -> None:
    # The reader renames a second column of one name (input_tokens_1): "unknown column
    # input_tokens_1" named a column no file has.
    header = ["time", "unit_id", "feature", "customer", "subscription", "item", *columns]
    row = ["2026-11-03T09:00:00Z", "u1", "support_assistant", "c1", "pro",
           "openai/gpt-4o-mini", "100", "100"]  # fmt: skip
    path = tmp_path / "r.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    if said is None:
        assert err.startswith("Error: Unknown records column\n")
        assert 'unknown column "input_tokens_1"' in err
        return
    assert err == (
        f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:\n"
        f"  1: {','.join(header)}\n\nthe header has {said}. Keep one of them.\n\n"
    )


@pytest.mark.parametrize("really", [False, True])
def test_json_keys_that_differ_only_in_case_are_named_as_written(tmp_path, really) -> None:
    record = {"time": "2026-11-03T09:00:00Z", "unit_id": "u1", "feature": "support_assistant",
              "customer": "c1", "subscription": "pro", "item": "openai/gpt-4o-mini",
              "input_tokens": 100, "output_tokens": 10}  # fmt: skip
    second = "input_tokens_1" if really else "INPUT_TOKENS"
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record | {second: 100}) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    if really:  # a key the records really have is unknown, not a duplicate
        assert err.startswith("Error: Unknown records column\n")
        assert 'unknown key "input_tokens_1"' in err
        return
    assert err == (
        f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:\n"
        f"  1: {one_line(path.read_text().splitlines()[0])}\n\nthe record has the keys "
        '"INPUT_TOKENS" and "input_tokens", which the reader cannot tell apart (it matches '
        "names without regard to case). Keep one of them.\n\n"
    )


@pytest.mark.parametrize("mapped_to", ["input_tokens_1", "tokens_in"])
def test_a_mapped_column_written_twice_stops_the_import(tmp_path, mapped_to) -> None:
    # The reader renames the second "input_tokens" to input_tokens_1: a mapping that
    # names that (or the first column) read one of the two columns as the other, with
    # exit 0 and figures a thousand times too large.
    stack = stack_with_records_block(
        tmp_path, f'records "records" {{\n  fields = {{ input_tokens = "{mapped_to}" }}\n}}\n'
    )
    first = "input_tokens" if mapped_to == "input_tokens_1" else "tokens_in"
    header = f"time,unit_id,feature,customer,subscription,item,{first},output_tokens,{first}"
    row = "2026-11-03T09:00:00Z,u1,support_assistant,c1,pro,openai/gpt-4o-mini,100,10,999999"
    path = tmp_path / "r.csv"
    path.write_text(header + "\n" + row + "\n")
    code, out, err = run_cli(["usage", "import", str(stack), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:\n"
        f'  1: {header}\n\nthe header has "{first}" twice. Keep one of them.\n\n'
    )


@pytest.mark.parametrize("blank", ["", " "])
@pytest.mark.parametrize("extra", [0, 3])  # the reader's name: column8, column08 (padded)
@pytest.mark.parametrize("sep", [",", ";"])
def test_a_header_cell_without_a_name_is_named_by_its_place(tmp_path, blank, extra, sep) -> None:
    # The reader calls it "column8": 'unknown column "column8"' named a column no file has.
    names = [*HEADER_ROW.split(","), blank, *(f"x{i}" for i in range(extra))]
    row = "2026-11-03T09:00:00Z,u1,support_assistant,c1,pro,openai/gpt-4o-mini,100,10,1"
    path = tmp_path / "r.csv"
    path.write_text(sep.join(names) + "\n" + (row + ",2" * extra).replace(",", sep) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Unnamed records column\n\n  on {display_path(path)} line 1:\n"
        f"  1: {sep.join(names)}\n\ncolumn 9 of the header has no name. Name it (and map it "
        "in a records block), or remove the column.\n\n"
    )


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_litellm_columns_that_differ_only_in_case_stop_the_import(tmp_path, suffix) -> None:
    # "PROMPT_TOKENS" before "prompt_tokens": the reader keeps the first name and
    # renames the second (prompt_tokens_1), and every prompt was read as 0 tokens.
    path = tmp_path / f"spend.{suffix}"
    source = RECORDS / "litellm.jsonl"
    if suffix == "jsonl":
        lines = [json.loads(line) for line in source.read_text().splitlines()]
        path.write_text(
            "".join(json.dumps({"PROMPT_TOKENS": r["prompt_tokens"]} | r) + "\n" for r in lines)
        )
    else:
        duckdb.sql(
            "COPY (SELECT prompt_tokens AS PROMPT_TOKENS, * REPLACE (to_json(metadata) AS "
            f"metadata, to_json(request_tags) AS request_tags) FROM read_json('{source}')) "
            f"TO '{path}' (HEADER)"
        )
        header, rest = path.read_text().split("\n", 1)
        # The writer, too, renames the second name; the export being checked has both.
        assert "prompt_tokens_1" in header
        path.write_text(header.replace("prompt_tokens_1", "prompt_tokens") + "\n" + rest)
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "litellm",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    said = (
        '"PROMPT_TOKENS" and "prompt_tokens", which the reader cannot tell apart (it matches '
        "column names without regard to case)"
    )
    if suffix == "csv":
        start = f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:\n  1: "
        assert err.startswith(start + "PROMPT_TOKENS,request_id,")  # the line, cut short
        assert err.endswith(f"\n\nthe header has {said}. Keep one of them.\n\n")
        assert err.count("\n") == 7
    else:  # one record holds both: shown on its line
        first = one_line(path.read_text().splitlines()[0])
        assert err == (
            f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:\n  1: "
            f"{first}\n\nthe record has the keys {said.replace('column names', 'names')}. "
            "Keep one of them.\n\n"
        )


@pytest.mark.parametrize("source", ["focus", "aggregated"])
def test_a_column_written_twice_stops_a_focus_or_aggregated_import(stack, tmp_path, source):
    # "billedcost" after "BilledCost": the reader kept the first and renamed the second,
    # so the billed total was whichever column came first, with exit 0.
    path = tmp_path / f"{source}.csv"
    if source == "focus":
        text = (RECORDS / "focus.csv").read_text()
        twice = ("BilledCost", "billedcost")
    else:
        con = records_view()
        con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{path}' (HEADER)")
        text = path.read_text()
        twice = ("records", "RECORDS")
    header, rest = text.split("\n", 1)
    rows = rest.splitlines()
    header += "," + twice[1]
    path.write_text(header + "\n" + "".join(row + ",1\n" for row in rows))
    out_file = [] if source == "focus" else ["--out", str(tmp_path / "u.csv")]
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", source,
                              *out_file])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:")
    assert err.endswith(
        f'the header has "{twice[0]}" and "{twice[1]}", which the reader cannot tell apart '
        "(it matches column names without regard to case). Keep one of them.\n\n"
    )


def test_an_unknown_column_is_named_with_its_control_characters_escaped(tmp_path) -> None:
    # A raw newline in the name began a line of the CI log the records chose.
    record = {"time": "2026-11-03T09:00:00Z", "unit_id": "u1", "feature": "support_assistant",
              "customer": "c1", "subscription": "pro", "item": "openai/gpt-4o-mini",
              "input_tokens": 100, "output_tokens": 10, "x\n::error::pwned": 1}  # fmt: skip
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Unknown records column\n\n  on {display_path(path)} line 1:\n  1: "
        f"{one_line(path.read_text().splitlines()[0])}\n\nunknown key "
        '"x\\n::error::pwned". Map it in a records block, or remove it.\n\n'
    )


@pytest.mark.parametrize(
    ("written", "twice", "said"),
    [
        ('"metadata": {"plan": "pro"', '"metadata": {"plan": "team", "plan": "pro"',
         'subscription is read from "metadata.plan", where "plan" is written twice'),
        ('"usage_object": {', '"usage_object": {"prompt_tokens_details": {"cached_tokens": 9}, ',
         'cached_input_tokens is read from "metadata.usage_object.prompt_tokens_details.'
         'cached_tokens", where "prompt_tokens_details" is written twice'),
        ('"request_tags": ["feature:support_assistant"]',
         '"request_tags": ["feature:semantic_search", "feature:support_assistant"]',
         'feature is read from "request_tags.feature", where the tag "feature:" is written twice'),
    ],
)  # fmt: skip
def test_a_key_written_twice_on_a_mapped_path_is_named(tmp_path, written, twice, said) -> None:
    # Nested in a JSON value, the first of two read as the value (plan "team"), exit 0.
    lines = (RECORDS / "litellm.jsonl").read_text().splitlines()
    assert written in lines[2]
    lines[2] = lines[2].replace(written, twice, 1)
    path = tmp_path / "spend.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "litellm",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Invalid record\n\n  on {display_path(path)} line 3:\n")
    assert err.endswith(
        f"\n\nrecord 3: {said}; readers differ on which of the two counts, so neither is "
        'taken. To skip such records, add "invalid_value" to skip in the records "litellm" '
        "block.\n\n"
    )


@pytest.mark.parametrize(
    ("source", "key", "value"),
    [("litellm", "model", '"gpt-4o"'), ("litellm", "metadata", '{"plan": "team"}'),
     ("records", "output_tokens", "8"), ("aggregated", "records", "5")],
)  # fmt: skip
def test_a_key_written_twice_in_one_record_is_named(stack, tmp_path, source, key, value) -> None:
    # The reader kept the first value where Python and jq keep the last: exit 0 with a
    # text, list or object value; a number failed without a line ("has duplicate key"),
    # and as an internal error for aggregated rows.
    if source == "aggregated":
        con = records_view()
        rows = con.execute(render(stack, "duckdb")).fetchall()
        names = [d[0] for d in con.description]
        lines = [json.dumps(dict(zip(names, r, strict=True)), default=str) for r in rows]
    else:
        name = "litellm.jsonl" if source == "litellm" else "records.jsonl"
        lines = (RECORDS / name).read_text().splitlines()
    lines[1] = lines[1][:-1] + f', "{key}": {value}}}'
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", source,
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Duplicate records column\n\n  on {display_path(path)} line 2:\n")
    assert err.endswith(
        f'\n\nthe record has the key "{key}" twice; readers differ on which of the two '
        "counts, so neither is taken.\n\n"
    )


@pytest.mark.parametrize(
    ("written", "detail"),
    [
        # Both in one record: "PLAN" beside "plan".
        ('"metadata": {"PLAN": "enterprise", "plan": ',
         'an object in the record holds the keys "PLAN" and "plan", which the reader cannot '
         "tell apart (it matches names without regard to case). Keep one of them."),
        # "metadata.Plan" after "metadata.plan" on line 1.
        ('"metadata": {"Plan": ',
         'the record has the key "metadata.Plan", and the record on line 1 the key '
         '"metadata.plan", which the reader cannot tell apart (it matches names without '
         "regard to case). Spell them one way."),
    ],
)  # fmt: skip
def test_nested_keys_spelled_two_ways_are_named_with_their_record(
    tmp_path, written, detail
) -> None:
    # The reader failed to type the records ("Duplicate name ... in struct auto-detected
    # in JSON"), naming no line.
    lines = (RECORDS / "litellm.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"metadata": {"plan": ', written, 1)
    path = tmp_path / "spend.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "litellm",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Duplicate records column\n\n  on {display_path(path)} line 3:\n")
    assert err.endswith(f"\n\n{detail}\n\n")


def test_a_parquet_column_written_twice_stops_the_import(tmp_path) -> None:
    # Parquet's schema may name two columns alike; the reader renamed the second and the
    # prompt counts came from the first (999999 each): exit 0, a hundred times the cost.
    path = tmp_path / "spend.parquet"
    duckdb.sql(
        "COPY (SELECT 999999 AS prompt_tokenX, * FROM "
        f"read_json('{RECORDS / 'litellm.jsonl'}')) TO '{path}' (FORMAT parquet)"
    )
    data = path.read_bytes()  # the writer renames too: the name is set in the footer
    path.write_bytes(data.replace(b"prompt_tokenX", b"prompt_tokens"))
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "litellm",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Duplicate records column\n\n{display_path(path)}: the records have the "
        'column "prompt_tokens" twice. Keep one of them.\n\n'
    )


def test_a_key_spelled_two_ways_in_two_files_stops_the_import(tmp_path) -> None:
    # Each file alone spells it one way; read together, the second spelling was renamed
    # (PROMPT_TOKENS_1) and its records' prompts read as 0 tokens, with exit 0.
    lines = (RECORDS / "litellm.jsonl").read_text().splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(lines[:5]) + "\n")
    second.write_text("\n".join(x.replace('"prompt_tokens"', '"PROMPT_TOKENS"') for x in lines[5:]))
    code, out, err = run_cli(["usage", "import", str(STACK), str(first), str(second), "--from",
                              "litellm", "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    # Located at the first record with the second spelling, with the line of the first.
    assert err == (
        f"Error: Duplicate records column\n\n  on {display_path(second)} line 1:\n  1: "
        f"{one_line(second.read_text().splitlines()[0])}\n\nthe record has the key "
        f'"PROMPT_TOKENS", and the record on line 1 of {display_path(first)} the key '
        '"prompt_tokens", which the reader cannot tell apart (it matches names without regard '
        "to case). Spell them one way.\n\n"
    )


def test_a_key_spelled_anew_past_the_sample_is_named_not_an_internal_error(tmp_path) -> None:
    # Past the reader's sample, "PROMPT_TOKENS" beside "prompt_tokens" failed inside the
    # engine (a struct with one field twice) as an internal error.
    line = (RECORDS / "litellm.jsonl").read_text().splitlines()[2]
    late = json.dumps({"PROMPT_TOKENS": 999999} | json.loads(line))
    path = tmp_path / "spend.jsonl"
    path.write_text((line + "\n") * 20_500 + late + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "litellm",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Duplicate records column\n\n  on {display_path(path)} line 20501:\n"
        f'  20501: {one_line(late)}\n\nthe record has the key "PROMPT_TOKENS", and the '
        'record on line 1 the key "prompt_tokens", which the reader cannot tell apart (it '
        "matches names without regard to case). Spell them one way.\n\n"
    )


@pytest.mark.parametrize(
    ("separator", "pad"), [(";", ""), ("\t", ""), (",", " ")], ids=["semicolon", "tab", "padded"]
)
def test_a_focus_header_is_read_as_the_reader_splits_it(tmp_path, separator, pad) -> None:
    # The header was split by commas, names kept with their spaces: a ";" file, or
    # " EffectiveCost", hid the second EffectiveCost (the first, 100 a row, was summed).
    header, *rows = (RECORDS / "focus.csv").read_text().splitlines()
    names = ["EffectiveCost", *header.split(",")]
    names[-2] = pad + names[-2]
    path = tmp_path / "focus.csv"
    path.write_text(
        "\n".join([separator.join(names), *(separator.join(["100", *r.split(",")]) for r in rows)])
        + "\n"
    )
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "focus"])
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Duplicate records column\n\n  on {display_path(path)} line 1:")
    assert err.endswith('the header has "EffectiveCost" twice. Keep one of them.\n\n')


def test_a_column_named_like_a_renamed_one_is_read(tmp_path) -> None:
    # "tokens_2" is a name of the file's own, with no "tokens" beside it: mapped, it is read.
    stack = stack_with_records_block(
        tmp_path, 'records "records" {\n  fields = { input_tokens = "tokens_2" }\n}\n'
    )
    header = "time,unit_id,feature,customer,subscription,item,tokens_2,output_tokens"
    row = "2026-11-03T09:00:00Z,u1,support_assistant,c1,pro,openai/gpt-4o-mini,100,10"
    path = tmp_path / "r.csv"
    path.write_text(header + "\n" + row + "\n")
    out_path = tmp_path / "u.csv"
    code, _, err = run_cli(["usage", "import", str(stack), str(path), "--from", "records",
                            "--out", str(out_path)])  # fmt: skip
    assert (code, err) == (0, "")
    assert out_path.exists()


HEADER_ROW = "time,unit_id,feature,customer,subscription,item,input_tokens,output_tokens"


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "cut"])
def test_a_byte_that_is_not_utf8_is_named_with_its_line(tmp_path, suffix) -> None:
    # The engine said "CSV Error on Line: 2" or counted JSON lines its own way.
    if suffix == "cut":  # the file ends inside a character: its first byte is named
        good = b"2026-11-03T09:00:00Z,u1,support_assistant,c1,pro,openai/gpt-4o-mini,5,1\n"
        data = HEADER_ROW.encode() + b"\n" + good + b"x\xe2\x82"
        line, byte, suffix = 3, len(data) - 1, "csv"
    elif suffix == "csv":
        good = b"2026-11-03T09:00:00Z,u1,support_assistant,c1,pro,openai/gpt-4o-mini,5,1\n"
        data = HEADER_ROW.encode() + b"\n" + good + good.replace(b"u1", b"u\xff2")
        line, byte = 3, len(HEADER_ROW) + 1 + len(good) + 23
    else:
        good = json.dumps({"time": "2026-11-03T09:00:00Z", "unit_id": "u1",
                           "feature": "support_assistant", "customer": "c1",
                           "subscription": "pro", "item": "openai/gpt-4o-mini",
                           "input_tokens": 5, "output_tokens": 1}).encode() + b"\n"  # fmt: skip
        data = good + good.replace(b"u1", b"u\xff2")
        line, byte = 2, len(good) + good.index(b"u1") + 2
    path = tmp_path / f"r.{suffix}"
    path.write_bytes(data)
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Error: Unreadable records file\n\n  on {display_path(path)} line {line}:"
    )
    assert err.endswith(f"{display_path(path)} is not UTF-8 text (byte {byte}, line {line}).\n\n")
    assert data[byte - 1 : byte] in (b"\xff", b"\xe2")


def _otel_with_input_tokens(tmp_path: Path, value: dict) -> Path:
    """The example spans with the first model call's input tokens given as ``value``."""
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    doc = json.loads(lines[0])
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1]
    for attribute in span["attributes"]:
        if attribute["key"] == "gen_ai.usage.input_tokens":
            attribute["value"] = value
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    return path


@pytest.mark.parametrize("value", [{"intValue": ""}, {}, {"stringValue": ""}])
def test_an_otlp_number_attribute_with_no_value_is_named(tmp_path, value) -> None:
    # It was read as absent: the moderation call counted 0 input tokens, exit 0.
    path = _otel_with_input_tokens(tmp_path, value)
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Invalid record\n\n  on {display_path(path)} line 1:\n")
    assert err.endswith(
        '\n\nline 1: input_tokens is read from the attribute "gen_ai.usage.input_tokens", '
        "which is there with no value; give the number, or leave the attribute out. To skip "
        'such records, add "invalid_value" to skip in the records "otel" block.\n\n'
    )


def test_an_otlp_number_attribute_with_no_value_can_be_skipped(tmp_path) -> None:
    block = (STACK / "records.hcl").read_text()
    block = block.replace('records "otel" {', 'records "otel" {\n  skip = ["invalid_value"]', 1)
    stack = stack_with_records_block(tmp_path, block)
    path = _otel_with_input_tokens(tmp_path, {"intValue": ""})
    whole = import_records(load_stack(Options(stack=STACK)), [RECORDS / "otel.jsonl"], "otel")
    result = import_records(load_stack(Options(stack=stack)), [path], "otel")
    assert result.records == whole.records
    assert {k: v.records for k, v in result.skipped.items()} == {"invalid_value": 1}
    # The moderation call (500 input tokens at $0) is the one left out.
    moderate = [c for c in result.costs if c.step == "moderate"]
    assert [c.records for c in moderate] == [
        c.records - 1 for c in whole.costs if c.step == "moderate"
    ]


def test_an_otel_file_that_is_not_utf8_is_named_not_an_internal_error(tmp_path) -> None:
    data = (RECORDS / "otel.jsonl").read_bytes()
    at = data.index(b'"app.feature"') + 5
    path = tmp_path / "spans.jsonl"
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    line = data[:at].count(b"\n") + 1
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unreadable records file\n")
    assert err.endswith(f"{display_path(path)} is not UTF-8 text (byte {at + 1}, line {line}).\n\n")


OTEL_TWICE = [
    # (text in line 2 of the example, the same with a key twice, what the error says)
    (
        '"name": "chat"',
        '"name": "chat", "traceId": "00000000000000000000000000000999"',
        'the key "traceId" is written twice in one object',
    ),
    (
        '{"intValue": "480"}',
        '{"intValue": "480", "intValue": "99999"}',
        'the key "intValue" is written twice in one object',
    ),
    (
        '{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "480"}}',
        '{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "480"}}, '
        '{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "99999"}}',
        'the span attribute "gen_ai.usage.input_tokens" is written twice',
    ),
    (
        '{"key": "service.name", "value": {"stringValue": "support-api"}}',
        '{"key": "service.name", "value": {"stringValue": "support-api"}}, '
        '{"key": "service.name", "value": {"stringValue": "other"}}',
        'the resource attribute "service.name" is written twice',
    ),
    (
        '{"resourceSpans": [',
        '{"resourceSpans": [], "resourceSpans": [',
        'the key "resourceSpans" is written twice in one object',
    ),
]


def otel_with_a_key_twice(tmp_path: Path, written: str, twice: str) -> Path:
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    assert written in lines[1]
    lines[1] = lines[1].replace(written, twice, 1)
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("written", "twice", "said"), OTEL_TWICE)
def test_an_otlp_key_written_twice_is_named(tmp_path, written, twice, said) -> None:
    # JSON leaves a key written twice to each reader: DuckDB kept the first value, a
    # reviewer's tool may show the last, and an attribute twice failed as "Map keys
    # must be unique" without a line.
    path = otel_with_a_key_twice(tmp_path, written, twice)
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Malformed OTLP line\n\n  on {display_path(path)} line 2:\n")
    assert err.endswith(
        f"\n\nline 2: {said}; readers differ on which of the two counts, so neither is taken.\n\n"
    )


def _reshape(doc: dict, change: str) -> None:
    resource_spans = doc["resourceSpans"][0]
    scope_spans = resource_spans["scopeSpans"][0]
    span = scope_spans["spans"][0]
    if change == "attributes":
        span["attributes"] = {"x": span["attributes"]}
    elif change in ("null key", "number key"):
        span["attributes"].insert(0, {"key": None if change == "null key" else 5, "value": {}})
    elif change == "two values":
        span["attributes"][0]["value"]["intValue"] = "9000000"
    elif change == "spans":
        scope_spans["spans"] = {"x": scope_spans["spans"]}
    else:
        resource_spans["scopeSpans"] = {"x": resource_spans["scopeSpans"]}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("attributes", '"attributes" is not a list.'),
        ("null key", 'an attribute has no "key" text; each is {"key": ..., "value": {...}}.'),
        ("number key", 'an attribute has no "key" text; each is {"key": ..., "value": {...}}.'),
        ("spans", '"spans" is not a list.'),
        (
            "two values",
            "an attribute's value holds more than one of stringValue, intValue, doubleValue "
            "and boolValue (OTLP gives one); readers differ on which counts, so none is taken.",
        ),
        ("scopeSpans", '"scopeSpans" is not a list.'),
    ],
)
def test_an_otlp_line_of_the_wrong_shape_is_named(tmp_path, change, said) -> None:
    # Each failed inside the engine without a line ("Map keys can not be NULL",
    # "Conversion Error: Expected ARRAY").
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    doc = json.loads(lines[0])
    _reshape(doc, change)
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Malformed OTLP line\n\n  on {display_path(path)} line 1:\n")
    assert err.endswith(f"\n\nline 1: {said}\n\n")


@pytest.mark.parametrize("value", ['"1e30"', '"many"'])
def test_an_otlp_count_that_cannot_be_read_is_named_with_both_rules(tmp_path, value) -> None:
    # "1e30" is a number, past the type tokens are summed in; "many" is none. The text
    # is not kept for OTLP's attributes: the message said "must be a number" of both.
    written = '"gen_ai.usage.input_tokens", "value": {"intValue": "500"}'
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    assert written in lines[0]
    path = tmp_path / "spans.jsonl"
    changed = written.replace('"500"', value)
    path.write_text("\n".join([lines[0].replace(written, changed, 1), *lines[1:]]) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.endswith(
        "\n\nline 1: input_tokens must be a whole number below 1e29 in size; the value given "
        'is not one. To skip such records, add "invalid_value" to skip in the records "otel" '
        "block.\n\n"
    )


def test_otlp_lines_are_split_as_the_reader_splits_them(tmp_path) -> None:
    # A byte order mark, a line of tabs, CRLF ends: read. A lone "\r" inside a line ends
    # no line: the key named is the one on the line the reader numbered (it was the "a"
    # of line 1, read as line 2).
    lines = (RECORDS / "otel.jsonl").read_text().splitlines()
    path = tmp_path / "spans.jsonl"
    path.write_text("\ufeff" + lines[0] + "\r\n\t \n" + "\r\n".join(lines[1:]) + "\n")
    code, _, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                            "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, err) == (0, "")
    # "\r" between tokens is JSON whitespace; Python's universal newlines end a line there.
    first = lines[0].replace(
        '"name": "handle_request"', '"x":\r{"a": 1, "a": 2}, "name": "handle_request"', 1
    )
    second = lines[1].replace('"name": "chat"', '"name": "chat", "spanId": "1"', 1)
    path.write_text(first + "\n" + second + "\n")
    code, _, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "otel",
                            "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert code == 1  # line 1's "a" is in an object the reader does not read
    assert err.endswith(
        'line 2: the key "spanId" is written twice in one object; readers differ on which of '
        "the two counts, so neither is taken.\n\n"
    )


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("5", "a number"),
        ("[1, 2]", "a list"),
        ('"x"', "a string"),
        ("true", "true or false"),
    ],
)
@pytest.mark.parametrize("source", ["records", "litellm"])
def test_a_json_line_that_is_no_object_is_named(tmp_path, line, what, source) -> None:
    # One such line made the reader read the file as a single column "json": the error
    # was 'unknown column "json"', or a mapping's field "not found". (A null line is
    # read as a record with no fields, and named as such.)
    record = json.dumps({"time": "2026-11-03T09:00:00Z", "unit_id": "u1"})
    path = tmp_path / "r.jsonl"
    path.write_text(f"{record}\n\n{line}\n{record}\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", source,
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Invalid record\n\n  on {display_path(path)} line 3:\n  3: {line}\n\n"
        f"line 3 holds {what}, not an object: each line of a JSON lines records file is one "
        "record, an object of its fields.\n\n"
    )


@pytest.mark.parametrize("source", ["records", "litellm"])
def test_a_json_field_with_an_empty_name_is_named(tmp_path, source) -> None:
    # A key "" in the sample made the reader read the file as a single column "json":
    # the error was 'unknown column "json"', with no line.
    record = json.dumps({"time": "2026-11-03T09:00:00Z", "unit_id": "u1"})
    empty = json.dumps({"time": "2026-11-03T09:00:00Z", "": 5})
    path = tmp_path / "r.jsonl"
    path.write_text(f"{record}\n{empty}\n{record}\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", source,
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Invalid record\n\n  on {display_path(path)} line 2:\n  2: {empty}\n\n"
        'line 2 has a field with an empty name (""): name it, or remove it.\n\n'
    )


def test_an_unclosed_quote_is_named_not_read_as_text(tmp_path) -> None:
    # The engine's sniffer guessed "no quoting" from such a file, and imported the quote
    # as part of a unit id, every later record as it came.
    lines = (RECORDS / "records.csv").read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",t-", ',"t-', 1)
    path = tmp_path / "r.csv"
    path.write_text("".join(lines))
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"Error: Unreadable records file\n\n  on {display_path(path)} line 4:\n"
        f"  4: {lines[3].rstrip()}\n\n"
        "line 4: a quoted value is never closed: the quote runs to the end of the file.\n\n"
    )
    assert not (tmp_path / "u.csv").exists()


@pytest.mark.parametrize(
    ("source", "name", "broken", "detail"),
    [("records", "records.jsonl", lambda line: line[:-1],
      "invalid JSON (Expecting ',' delimiter at column {end})."),
     ("records", "records.jsonl", lambda line: line.replace('"feature"', "feature", 1),
      "invalid JSON (Expecting property name enclosed in double quotes at column {key})."),
     ("litellm", "litellm.jsonl", lambda line: line[:-1],
      "invalid JSON (Expecting ',' delimiter at column {end})."),
     # The parser's reason names its own place: "at" once.
     ("records", "records.jsonl", lambda line: line[:9] + '"x',
      "invalid JSON (Unterminated string starting at column 10).")],
)  # fmt: skip
def test_invalid_json_is_named_at_its_own_line(tmp_path, source, name, broken, detail) -> None:
    # The engine named the line after the broken one (it reads on into it), unlocated.
    lines = (RECORDS / name).read_text().splitlines()
    line = lines[2]
    lines[2] = broken(line)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", source,
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: Unreadable records file\n\n  on {display_path(path)} line 3:\n")
    expected = detail.format(end=len(line), key=line.find('"feature"') + 1)
    assert err.endswith(f"\n\nline 3: {expected}\n\n")


def test_a_period_asked_for_is_quoted_on_one_line(tmp_path) -> None:
    code, out, err = run_cli(["usage", "import", str(STACK), str(RECORDS / "records.csv"),
                              "--from", "records", "--period", "2026-11\n::error::x",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert 'No record falls in period "2026-11\\n::error::x"; found: 2026-11.' in err


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_bad_record_deep_in_a_large_file_is_named_at_its_own_line(tmp_path, fmt) -> None:
    # Numbered by a window without an order, records past a few tens of thousands took
    # the number of another (line 91849 for the record on line 199997), varying by run.
    count, bad = 200_000, 199_995
    fields = ["time", "unit_id", "feature", "item", "input_tokens", "output_tokens"]

    def row(i: int) -> list[str]:
        tokens = "5.5" if i == bad else str(1000 + i % 7)
        return ["2026-11-03T09:00:00Z", f"u{i}", "support_assistant", "openai/gpt-4o-mini",
                tokens, "100"]  # fmt: skip

    path = tmp_path / f"r.{fmt}"
    if fmt == "csv":
        lines = [",".join(fields)] + [",".join(row(i)) for i in range(count)]
        line = bad + 2  # after the header
    else:
        lines = [json.dumps(dict(zip(fields, row(i), strict=True))) for i in range(count)]
        line = bad + 1
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["usage", "import", str(STACK), str(path), "--from", "records",
                              "--out", str(tmp_path / "u.csv")])  # fmt: skip
    assert (code, out) == (1, "")
    assert f"  on {display_path(path)} line {line}:\n  {line}: " in err
    assert f"u{bad}" in err.splitlines()[3]
