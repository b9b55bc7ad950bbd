"""Hostile numbers in request records: out of range, rounded by a cast, or adding up past
the money bound. Each is a located error through the CLI, exit 1, nothing written, and
nothing of DuckDB's own message (or an absolute path) in it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.helpers import EXAMPLES, run_cli, stack_with_records_block

STACK = EXAMPLES / "support-assistant"
HEADER = (
    "time,unit_id,feature,customer,subscription,item,input_tokens,cached_input_tokens,"
    "output_tokens,reported_cost"
)
CSV_ROW = "2026-11-03T09:00:00Z,t1,support_assistant,c1,pro,openai/gpt-4o-mini,{i},0,10,{r}"
JSON_ROW = (
    '{{"time": "2026-11-03T09:00:00Z", "unit_id": "t1", "feature": "support_assistant", '
    '"customer": "c1", "subscription": "pro", "item": "openai/gpt-4o-mini", '
    '"input_tokens": {i}, "cached_input_tokens": 0, "output_tokens": 10, '
    '"reported_cost": {r}}}'
)
SKIP_VALUE = ' To skip such records, add "invalid_value" to skip in the records "records" block.'
SKIPPING = 'records "records" {\n  skip = ["invalid_value"]\n}\n'
SKIP_TOKENS = ' To skip such records, add "invalid_tokens" to skip in the records "records" block.'


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, name: str) -> tuple:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "usage.csv"
    argv = ["usage", "import", str(STACK), name, "--from", "records", "--out", str(out)]
    if command == "calibrate":
        argv = ["calibrate", str(STACK), name, "--from", "records"]
    code, stdout, err = run_cli(argv)
    assert not out.exists()
    return code, stdout, err


def _located(name: str, line: int, text: str, detail: str) -> str:
    shown = text if len(text) <= 120 else text[:119] + "…"
    return f"Error: Invalid record\n\n  on {name} line {line}:\n  {line}: {shown}\n\n{detail}\n\n"


def _jsonl(tmp_path: Path, value: str, field: str = "i") -> tuple[str, str]:
    good = JSON_ROW.format(i=100, r="0.5")
    bad = JSON_ROW.format(**{"i": 100, "r": "0.5", field: value})
    (tmp_path / "r.jsonl").write_text(f"{good}\n{bad}\n{good}\n")
    return "r.jsonl", bad


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
@pytest.mark.parametrize(
    "value", ["1e30", "1e400", "NaN", "12345678901234567890123456789012345678901", "-1e400"]
)
def test_json_number_out_of_range_is_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, command: str
) -> None:
    name, bad = _jsonl(tmp_path, value)
    code, stdout, err = _run(tmp_path, monkeypatch, command, name)
    assert (code, stdout) == (1, "")
    detail = "record 2: input_tokens must be a finite number below 1e20 in size." + SKIP_VALUE
    assert err == _located(name, 2, bad, detail)
    assert "Failed to cast" not in err and str(tmp_path) not in err


@pytest.mark.parametrize("value", ["1e30", "NaN", "-1e400"])
def test_json_cost_out_of_range_is_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    name, bad = _jsonl(tmp_path, value, field="r")
    code, _, err = _run(tmp_path, monkeypatch, "usage import", name)
    detail = "record 2: reported_cost must be a finite number below 1e20 in size." + SKIP_VALUE
    assert (code, err) == (1, _located(name, 2, bad, detail))


@pytest.mark.parametrize(
    ("value", "field", "need"),
    [
        # A count keeps its text as written (the whole-number rule reads it): shown.
        ("[100]", "input_tokens", 'a whole number, not "[100]"'),
        ("[0.5, 1]", "reported_cost", "a number"),
    ],
)
def test_json_list_in_every_record_is_not_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, field: str, need: str
) -> None:
    # A column of lists of numbers was read as a number column: every list was then
    # "out of range", not what it is.
    values = {"i": 100, "r": "0.5", "i" if field == "input_tokens" else "r": value}
    row = JSON_ROW.format(**values)
    (tmp_path / "r.jsonl").write_text(f"{row}\n{row}\n")
    code, stdout, err = _run(tmp_path, monkeypatch, "usage import", "r.jsonl")
    detail = f"record 1: {field} must be {need}." + SKIP_VALUE
    assert (code, stdout, err) == (1, "", _located("r.jsonl", 1, row, detail))


def test_json_number_out_of_range_can_be_skipped(tmp_path: Path) -> None:
    stack = stack_with_records_block(tmp_path, SKIPPING)
    _jsonl(tmp_path, "1e30")
    code, stdout, err = run_cli(
        ["usage", "import", str(stack), str(tmp_path / "r.jsonl"), "--from", "records",
         "--out", str(tmp_path / "u.csv"), "-o", "json"]
    )  # fmt: skip
    assert (code, err) == (0, "")
    doc = json.loads(stdout, parse_float=Decimal)
    assert doc["records"] == 3
    skipped = {"reason": "invalid_value", "records": 1, "reported_cost": Decimal("0.5")}
    assert doc["skipped"] == [skipped]
    assert doc["costs"][0]["input_tokens"] == 200


@pytest.mark.parametrize(
    "value", ["1e30", "1e400", "NaN", "12345678901234567890123456789012345678901", "-1e400"]
)
def test_csv_number_out_of_range_is_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    bad = CSV_ROW.format(i=value, r="0.5")
    (tmp_path / "r.csv").write_text(f"{HEADER}\n{CSV_ROW.format(i=100, r='0.5')}\n{bad}\n")
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.csv")
    # A whole number too large for the exact sums is called that, not "no number".
    size = "" if value == "NaN" else " below 1e29 in size"
    detail = f'record 2: input_tokens must be a whole number{size}, not "{value}".' + SKIP_VALUE
    assert (code, err) == (1, _located("r.csv", 3, bad, detail))


def _parquet(tmp_path: Path, tokens: str, cost: str) -> str:
    row = (
        "(TIMESTAMP '2026-11-03 09:00:0{n}', 't1', 'support_assistant', 'c1', 'pro', "
        "'openai/gpt-4o-mini', {i}, {r})"
    )
    rows = ", ".join(
        [row.format(n=0, i=f"CAST(100 AS {tokens.rsplit(' ', 1)[1]})",
                    r=f"CAST(0.5 AS {cost.rsplit(' ', 1)[1]})"),
         row.format(n=1, i=tokens.rsplit(" ", 1)[0], r=cost.rsplit(" ", 1)[0])]
    )  # fmt: skip
    path = tmp_path / "r.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES {rows}) v(time, unit_id, feature, customer, "
        f"subscription, item, input_tokens, reported_cost)) TO '{path}' (FORMAT parquet)"
    )
    return "r.parquet"


@pytest.mark.parametrize(
    ("tokens", "cost", "detail"),
    [
        ("'NaN'::DOUBLE DOUBLE", "cost", ""),
        ("CAST(10 AS BIGINT) BIGINT", "'NaN'::DOUBLE DOUBLE",
         "reported_cost must be a finite number below 1e20 in size." + SKIP_VALUE),
        ("CAST(10 AS BIGINT) BIGINT", "'-inf'::DOUBLE DOUBLE",
         "reported_cost must be a finite number below 1e20 in size." + SKIP_VALUE),
        ("CAST(10 AS BIGINT) BIGINT", "1e30::DOUBLE DOUBLE",
         "reported_cost must be a finite number below 1e20 in size." + SKIP_VALUE),
        ("'1e30'::DECIMAL(38,0) DECIMAL(38,0)", "CAST(1 AS DECIMAL(38,0)) DECIMAL(38,0)",
         "input_tokens must be a finite number below 1e29 in size." + SKIP_VALUE),
        ("CAST(1 AS BIGINT) BIGINT", "'1e21'::DECIMAL(38,0) DECIMAL(38,0)",
         "reported_cost must be a finite number below 1e20 in size." + SKIP_VALUE),
        ("5.0000000001::DECIMAL(38,12) DECIMAL(38,12)", "CAST(1 AS DOUBLE) DOUBLE",
         "input_tokens must be a whole number >= 0, not 5.0000000001." + SKIP_TOKENS),
    ],
)  # fmt: skip
def test_parquet_number_out_of_range_is_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: str, cost: str, detail: str
) -> None:
    if cost == "cost":  # a float token column is refused by its type, as before
        name = _parquet(tmp_path, tokens, "CAST(1 AS DOUBLE) DOUBLE")
        code, _, err = _run(tmp_path, monkeypatch, "usage import", name)
        assert (code, err) == (
            1,
            "Error: Wrong column type\n\nr.parquet: the column for input_tokens has type DOUBLE; "
            "it must be an integer or decimal column.\n\n",
        )
        return
    name = _parquet(tmp_path, tokens, cost)
    code, _, err = _run(tmp_path, monkeypatch, "usage import", name)
    assert code == 1
    # A Parquet file has no lines: it is named in the text, with no excerpt of its bytes.
    assert err == f"Error: Invalid record\n\nr.parquet: record 2: {detail}\n\n"


@pytest.mark.parametrize(
    ("column", "value", "column_type"),
    [
        # The text of a list ("[t1, t2]") passed for one unit id, silently.
        ("unit_id", "['t1', 't2']", "VARCHAR[]"),
        ("feature", "{'a': 'support_assistant'}", "STRUCT(a VARCHAR)"),
        # INTEGER[] starts like INTEGER: it reached a cast and DuckDB's own message.
        ("input_tokens", "[100, 2]", "INTEGER[]"),
        ("customer", "MAP {'k': 'c1'}", "MAP(VARCHAR, VARCHAR)"),
    ],
)
def test_parquet_nested_column_is_refused_by_its_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, value: str, column_type: str
) -> None:
    values = {
        "time": "'2026-11-03T09:00:00Z'", "unit_id": "'t1'", "feature": "'support_assistant'",
        "customer": "'c1'", "subscription": "'pro'", "item": "'openai/gpt-4o-mini'",
        "input_tokens": "100", "output_tokens": "10",
    }  # fmt: skip
    values[column] = value
    select = ", ".join(f"{v} AS {k}" for k, v in values.items())
    duckdb.sql(f"COPY (SELECT {select}) TO '{tmp_path / 'r.parquet'}' (FORMAT parquet)")
    code, stdout, err = _run(tmp_path, monkeypatch, "usage import", "r.parquet")
    assert (code, stdout, err) == (
        1,
        "",
        f"Error: Wrong column type\n\nr.parquet: the column for {column} has type "
        f"{column_type}; a record field takes one value, not a list, struct or map.\n\n",
    )


@pytest.mark.parametrize("value", ["5.0000000001", "4.9999999999", "1e-10", "5.000000000000000001"])
def test_json_count_with_digits_past_the_scale_is_not_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """The DECIMAL(38, 9) of a count would round these to whole numbers; they are
    refused with the value as written, as 5.5 is."""
    name, bad = _jsonl(tmp_path, value)
    code, _, err = _run(tmp_path, monkeypatch, "usage import", name)
    shown = {"1e-10": "0.0000000001", "5.000000000000000001": "5.000000000000000001"}
    detail = (
        f"record 2: input_tokens must be a whole number >= 0, not {shown.get(value, value)}."
        + SKIP_TOKENS
    )
    assert (code, err) == (1, _located(name, 2, bad, detail))


def test_json_count_as_written_whole_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = _jsonl(tmp_path, "5.000000000000")
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), name, "--from", "records", "--out", "u.csv", "-o", "json"]
    )
    assert (code, err) == (0, "")
    assert json.loads(stdout)["costs"][0]["input_tokens"] == 205


# -- the money bound ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
@pytest.mark.parametrize(
    ("tokens", "cost", "detail"),
    [
        # 2 x 5e17 reported: 1e18, the first amount no view shows
        ("100", "500000000000000000",
         "the reported cost of the records of feature support_assistant, step draft, item "
         "openai/gpt-4o-mini comes to about 1.000e+18"),
    ],
)  # fmt: skip
def test_costs_past_the_money_bound_name_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, tokens: str, cost: str,
    detail: str,
) -> None:  # fmt: skip
    row = CSV_ROW.format(i=tokens, r=cost)
    (tmp_path / "r.csv").write_text(f"{HEADER}\n{row}\n{row}\n")
    code, stdout, err = _run(tmp_path, monkeypatch, command, "r.csv")
    assert (code, stdout) == (1, "")
    assert err == (
        f"Error: Figure too large\n\nr.csv: {detail}, beyond what infercost shows (amounts "
        "must stay below 1e18 in size). Check the token counts, quantities and reported costs "
        "of these records, and the prices.\n\n"
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("tokens", "cost", "detail"),
    [
        ("90000000000000000000000000000", "1",
         "the input_tokens of the records of feature support_assistant, item "
         "openai/gpt-4o-mini add up to about 1.800e+29, beyond what infercost adds exactly "
         "(below 1e29)"),
        ("100", "90000000000000000000",
         "the reported_cost of the records of feature support_assistant, item "
         "openai/gpt-4o-mini add up to about 1.800e+20, beyond what infercost adds exactly "
         "(below 1e20)"),
    ],
)  # fmt: skip
def test_sums_past_38_digits_name_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, tokens: str, cost: str,
    detail: str,
) -> None:  # fmt: skip
    if fmt == "jsonl" and len(tokens) > 20:
        pytest.skip("JSON numbers stop at 1e20: two records cannot add up to 1e29 tokens")
    if fmt == "csv":
        row = CSV_ROW.format(i=tokens, r=cost)
        (tmp_path / "r.csv").write_text(f"{HEADER}\n{row}\n{row}\n")
    else:
        row = JSON_ROW.format(i=tokens, r=cost)
        (tmp_path / "r.jsonl").write_text(f"{row}\n{row}\n")
    code, stdout, err = _run(tmp_path, monkeypatch, "usage import", f"r.{fmt}")
    assert (code, stdout) == (1, "")
    assert err == f"Error: Figure too large\n\nr.{fmt}: {detail}.\n\n"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"5.0000000001"', "5.0000000001"),
        ('"1e-10"', "1e-10"),
        ('"4.99999999999999999999999"', "4.99999999999999999999999"),
    ],
)
def test_count_written_as_text_with_digits_past_the_scale_is_not_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, shown: str
) -> None:
    """A count written as a JSON string goes through a text cast that rounds past 9
    decimals; it is refused as written."""
    name, bad = _jsonl(tmp_path, value)
    code, _, err = _run(tmp_path, monkeypatch, "usage import", name)
    detail = f"record 2: input_tokens must be a whole number >= 0, not {shown}." + SKIP_TOKENS
    assert (code, err) == (1, _located(name, 2, bad, detail))


@pytest.mark.parametrize(
    ("value", "tokens"),
    [('"1000e-3"', 201), ('" 12345678901 "', 12345678901 + 200),
     ('"100.000000000000000000000000000000000000000"', 300)],
)  # fmt: skip
def test_whole_count_written_as_text_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, tokens: int
) -> None:
    name, _ = _jsonl(tmp_path, value)
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), name, "--from", "records", "--out", "u.csv", "-o", "json"]
    )
    assert (code, err) == (0, "")
    assert json.loads(stdout)["costs"][0]["input_tokens"] == tokens


FOCUS_HEADER = (
    "BillingPeriodStart,ChargePeriodStart,ProviderName,ServiceName,SkuId,BilledCost,"
    "EffectiveCost,BillingCurrency"
)
FOCUS_ROW = "2026-11-01T00:00:00Z,2026-11-03T00:00:00Z,OpenAI,API,gpt-4o,{c},{c},USD"


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("600000000000000000",
         "Error: Figure too large\n\nfocus.csv: the BilledCost of the rows of provider OpenAI, "
         "service API, SKU gpt-4o comes to about 1.200e+18, beyond what infercost shows "
         "(amounts must stay below 1e18 in size).\n\n"),
        ("90000000000000000000",
         "Error: Figure too large\n\nfocus.csv: BilledCost or EffectiveCost add up past the 38 "
         "digits infercost adds exactly; check the largest costs.\n\n"),
    ],
)  # fmt: skip
def test_focus_amounts_past_the_bound_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cost: str, message: str
) -> None:
    row = FOCUS_ROW.format(c=cost)
    (tmp_path / "focus.csv").write_text(f"{FOCUS_HEADER}\n{row}\n{row}\n")
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(["usage", "import", str(STACK), "focus.csv", "--from", "focus"])
    assert (code, stdout, err) == (1, "", message)


SKIP_COST = ' To skip such records, add "invalid_cost" to skip in the records "records" block.'


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("value", ["-5", "-0.000001"])
def test_a_negative_reported_cost_is_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, fmt: str, value: str
) -> None:
    """No cost is ever negative (SPEC §15): a provider's reported cost below zero is a
    record to fix or skip, never a credit netted into the actual cost."""
    if fmt == "csv":
        bad = CSV_ROW.format(i=100, r=value)
        (tmp_path / "r.csv").write_text(f"{HEADER}\n{CSV_ROW.format(i=100, r='0.5')}\n{bad}\n")
        name, line = "r.csv", 3
    else:
        name, bad = _jsonl(tmp_path, value, field="r")
        line = 2
    code, _, err = _run(tmp_path, monkeypatch, command, name)
    detail = f"record 2: reported_cost must be >= 0 (no cost is negative), not {value}."
    assert (code, err) == (1, _located(name, line, bad, detail + SKIP_COST))


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
def test_json_number_field_given_as_true_in_every_record_is_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Where every record that has ``attempt`` gives it as a boolean, the reader types
    the whole column BOOLEAN: the first such record is named, as a string would be."""
    good = JSON_ROW.format(i=100, r="0.5")
    bad = good.replace('"reported_cost"', '"attempt": true, "reported_cost"')
    (tmp_path / "r.jsonl").write_text(f"{good}\n{bad}\n")
    code, stdout, err = _run(tmp_path, monkeypatch, command, "r.jsonl")
    assert (code, stdout) == (1, "")
    detail = 'record 2: attempt must be a whole number, not "true".' + SKIP_VALUE
    assert err == _located("r.jsonl", 2, bad, detail)


def test_a_bare_carriage_return_in_a_quoted_csv_cell_stays_in_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only "\\n" ends a line: a "\\r" inside a quoted cell neither cuts the line shown
    nor moves the lines of the records after it (here with "\\r\\n" line ends)."""
    first = CSV_ROW.format(i=5, r="0.5").replace(",t1,", ',"t\r1",')
    second = CSV_ROW.format(i=5, r="0.5").replace("openai/gpt-4o-mini", "nope/x")
    (tmp_path / "r.csv").write_bytes(f"{HEADER}\r\n{first}\r\n{second}\r\n".encode())
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.csv")
    detail = (
        'record 2: "nope/x" is not a declared price item. Name it SHEET/ITEM, or map it in '
        'the block\'s items. To skip such records, add "unknown_item" to skip in the records '
        '"records" block.'
    )
    assert (code, err) == (1, _located("r.csv", 3, second, detail))
    cut = second.replace(",t1,", ',"t\r1",')
    (tmp_path / "r.csv").write_bytes(f"{HEADER}\n{cut}\n".encode())
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.csv")
    shown = second.replace(",t1,", ',"t\\r1",')
    assert (code, err) == (1, _located("r.csv", 2, shown, detail.replace("record 2", "record 1")))


NOT_A_NAME = " must be a string or a number, not a list, an object or true/false."


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", '["a", "b"]'),
        ("customer", '{"id": "c1"}'),
        ("customer", "true"),
        ("unit_id", "[1]"),
        ("subscription", "false"),
    ],
)
def test_a_json_list_object_or_boolean_is_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, field: str, value: str
) -> None:
    """Read as text, ``["a", "b"]`` would become customer '["a","b"]' (and ``true`` the
    customer "true"): the record is named, as a Parquet list column is refused."""
    good = JSON_ROW.format(i=100, r="0.5")
    record = json.loads(good)
    record[field] = json.loads(value)
    bad = json.dumps(record)
    (tmp_path / "r.jsonl").write_text(f"{good}\n{bad}\n")
    code, stdout, err = _run(tmp_path, monkeypatch, command, "r.jsonl")
    assert (code, stdout) == (1, "")
    assert err == _located("r.jsonl", 2, bad, f"record 2: {field}{NOT_A_NAME}{SKIP_VALUE}")


def test_a_name_given_as_a_list_in_every_record_is_named_at_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [JSON_ROW.format(i=100, r="0.5").replace('"c1"', '["c1"]') for _ in range(2)]
    (tmp_path / "r.jsonl").write_text("\n".join(rows) + "\n")
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.jsonl")
    detail = f"record 1: customer{NOT_A_NAME}{SKIP_VALUE}"
    assert (code, err) == (1, _located("r.jsonl", 1, rows[0], detail))


def test_a_string_that_looks_like_a_list_is_a_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [
        JSON_ROW.format(i=100, r="0.5"),
        JSON_ROW.format(i=100, r="0.5").replace('"c1"', '"[vip] c2"'),
        JSON_ROW.format(i=100, r="0.5").replace('"c1"', "7"),
    ]
    (tmp_path / "r.jsonl").write_text("\n".join(rows) + "\n")
    argv = ["usage", "import", str(STACK), "r.jsonl", "--from", "records", "--out", "u.csv"]
    code, _, err = run_cli(argv)
    assert code == 0, err
    customers = {line.split(",")[0] for line in (tmp_path / "u.csv").read_text().splitlines()[1:]}
    assert customers == {"c1", "[vip] c2", "7"}


def test_a_parquet_boolean_column_is_no_name(tmp_path: Path, monkeypatch) -> None:
    rows = [json.loads(JSON_ROW.format(i=100, r="0.5")) for _ in range(2)]
    rows[1]["customer"] = None
    for row in rows:
        row["customer"] = row["customer"] is None
    (tmp_path / "r.json").write_text(json.dumps(rows))
    duckdb.sql(
        f"COPY (SELECT * FROM read_json('{tmp_path / 'r.json'}')) TO '{tmp_path / 'r.parquet'}'"
    )
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.parquet")
    assert code == 1
    assert f"record 1: customer{NOT_A_NAME}" in err


def test_a_boolean_time_in_the_only_record_is_named(tmp_path: Path, monkeypatch) -> None:
    """Alone, ``"time": true`` makes the column BOOLEAN: no value of it is a time, and
    the record is named, not imported without a period."""
    bad = JSON_ROW.format(i=100, r="0.5").replace('"2026-11-03T09:00:00Z"', "true")
    (tmp_path / "r.jsonl").write_text(bad + "\n")
    code, _, err = _run(tmp_path, monkeypatch, "usage import", "r.jsonl")
    detail = "record 1: time must be a time (ISO 8601 or epoch)." + SKIP_VALUE
    assert (code, err) == (1, _located("r.jsonl", 1, bad, detail))


@pytest.mark.parametrize(
    ("time", "period"), [("TIME '10:00:00'", None), ("DATE '2026-11-03'", "2026-11")]
)
def test_a_parquet_time_of_day_is_no_instant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, time: str, period: str | None
) -> None:
    (tmp_path / "r.json").write_text(JSON_ROW.format(i=100, r="0.5"))
    duckdb.sql(
        f"COPY (SELECT {time} AS time, * EXCLUDE (time) FROM read_json('{tmp_path / 'r.json'}'))"
        f" TO '{tmp_path / 'r.parquet'}'"
    )
    monkeypatch.chdir(tmp_path)
    argv = ["usage", "import", str(STACK), "r.parquet", "--from", "records", "--out", "u.csv"]
    code, _, err = run_cli(argv)
    if period is None:
        detail = "r.parquet: record 1: time must be a time (ISO 8601 or epoch)." + SKIP_VALUE
        assert (code, err) == (1, f"Error: Invalid record\n\n{detail}\n\n")
    else:
        assert code == 0, err
        assert (tmp_path / "u.csv").read_text().splitlines()[1].endswith(f",{period}")


def test_an_import_says_how_many_records_it_kept_and_skipped(tmp_path: Path, monkeypatch) -> None:
    import shutil

    shutil.copytree(STACK, tmp_path / "stack")
    (tmp_path / "stack" / "skip.hcl").write_text(
        'records "records" {\n  skip = ["unknown_item"]\n}\n'
    )
    good = CSV_ROW.format(i=100, r="0.5")
    rows = [good, good.replace("openai/gpt-4o-mini", "nope/x"), good.replace("t1", "t2")]
    rows.append(good.replace("openai/gpt-4o-mini", "nope/y"))
    (tmp_path / "r.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    argv = ["usage", "import", "stack", "r.csv", "--from", "records", "--out", "u.csv"]
    code, out, err = run_cli(argv)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Imported 2 of 4 records (records: r.csv)"
    assert lines[1] == "Period 2026-11: 2 units, 1 customer"
    assert lines[3] == "Skipped 2 records (unknown_item), reported cost $1.00"


@pytest.mark.parametrize("files", [["e.csv"], ["e.jsonl"], ["e.csv", "e2.csv"]])
def test_an_empty_records_file_is_said_to_be_empty(tmp_path: Path, monkeypatch, files) -> None:
    for name in files:
        (tmp_path / name).write_text("")
    monkeypatch.chdir(tmp_path)
    argv = ["usage", "import", str(STACK), *files, "--from", "records", "--out", "u.csv"]
    code, _, err = run_cli(argv)
    shown = ", ".join(files)
    assert (code, err) == (1, f"Error: Empty records file\n\n{shown}: the file is empty.\n\n")
    assert not (tmp_path / "u.csv").exists()


def test_an_empty_part_beside_records_holds_nothing(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "part-0.csv").write_text("")
    (tmp_path / "part-1.csv").write_text(HEADER + "\n" + CSV_ROW.format(i=100, r="0.5") + "\n")
    monkeypatch.chdir(tmp_path)
    argv = ["usage", "import", str(STACK), "part-0.csv", "part-1.csv", "--from", "records"]
    code, out, err = run_cli([*argv, "--out", "u.csv"])
    assert code == 0, err
    assert out.startswith("Imported 1 record (records: part-1.csv)\n")


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
def test_a_header_without_records_is_no_snapshot(tmp_path: Path, monkeypatch, command) -> None:
    (tmp_path / "r.csv").write_text(HEADER + "\n")
    code, _, err = _run(tmp_path, monkeypatch, command, "r.csv")
    assert (code, err) == (
        1,
        "Error: No records\n\nr.csv: no record to import (only a header, or nothing); a "
        "snapshot of it would say no feature was used.\n\n",
    )


# -- the bound of token counts -----------------------------------------------------------


@pytest.mark.parametrize("command", ["usage import", "calibrate"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [("1000000000000001", "1000000000000001"), ("1e18", "1000000000000000000"),
     ("9000000000000000000000000000", "9000000000000000000000000000")],
)  # fmt: skip
def test_tokens_beyond_a_quadrillion_are_a_located_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, fmt: str, value: str,
    shown: str,
) -> None:  # fmt: skip
    """A record of 1e18 tokens was imported, and calibrate --write-what-if then wrote
    values plan refuses (token counts in a stack lie within ±1e15)."""
    if fmt == "jsonl" and len(value) > 20:
        pytest.skip("JSON numbers stop at 1e20")
    if fmt == "csv":
        bad = CSV_ROW.format(i=value, r="0.5")
        (tmp_path / "r.csv").write_text(f"{HEADER}\n{CSV_ROW.format(i=100, r='0.5')}\n{bad}\n")
        name, line = "r.csv", 3
    else:
        name, bad = _jsonl(tmp_path, value)
        line = 2
    code, stdout, err = _run(tmp_path, monkeypatch, command, name)
    detail = (
        f"record 2: input_tokens must be at most 1e15 (a quadrillion, the bound of token "
        f"counts in a stack), not {shown}." + SKIP_TOKENS
    )
    assert (code, stdout, err) == (1, "", _located(name, line, bad, detail))


def test_a_quadrillion_tokens_is_still_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = _jsonl(tmp_path, "1000000000000000")
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), name, "--from", "records", "--out", "u.csv", "-o", "json"]
    )
    assert (code, err) == (0, "")
    assert json.loads(stdout)["costs"][0]["input_tokens"] == 10**15 + 200


@pytest.mark.parametrize(
    ("fmt", "value"),
    [("csv", "0x10"), ("csv", "1e30"), ("csv", "NaN"), ("csv", "ten"), ("jsonl", "1e30")],
)
def test_a_skipped_record_takes_its_unit_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, value: str
) -> None:
    # Unit t2's one record has a value that is no value of its field: skipped, it must
    # not count t2 as a unit (a CSV reader that parses only the columns a scan asks for
    # used to count it, the units scan never reading input_tokens), and its reported
    # cost is in the gap as it is for JSON.
    monkeypatch.chdir(tmp_path)
    stack = stack_with_records_block(tmp_path, SKIPPING)
    if fmt == "csv":
        good = CSV_ROW.format(i=100, r="0.5")
        bad = CSV_ROW.format(i=value, r="0.25").replace(",t1,", ",t2,").replace(",c1,", ",c2,")
        (tmp_path / "r.csv").write_text(f"{HEADER}\n{good}\n{bad}\n")
    else:
        good = JSON_ROW.format(i=100, r="0.5")
        bad = JSON_ROW.format(i=value, r="0.25").replace('"t1"', '"t2"').replace('"c1"', '"c2"')
        (tmp_path / "r.jsonl").write_text(f"{good}\n{bad}\n")
    name = f"r.{fmt}"
    code, stdout, err = run_cli(
        ["usage", "import", str(stack), name, "--from", "records", "--out", "u.csv", "-o", "json"]
    )
    assert (code, err) == (0, "")
    doc = json.loads(stdout, parse_float=Decimal)
    assert doc["records"] == 2
    assert doc["skipped"] == [
        {"reason": "invalid_value", "records": 1, "reported_cost": Decimal("0.25")}
    ]
    written = (tmp_path / "u.csv").read_text()
    assert written.splitlines() == [
        "customer,subscription,feature,units,period",
        "c1,pro,support_assistant,1,2026-11",
    ]
    code, stdout, err = run_cli(["calibrate", str(stack), name, "--from", "records", "-o", "json"])
    assert (code, err) == (0, "")
    doc = json.loads(stdout, parse_float=Decimal)
    assert doc["units"] == 1
    # Every declared feature is reported; semantic_search has no record at all.
    assert [(f["feature"], f["units"]) for f in doc["features"]] == [
        ("semantic_search", 0),
        ("support_assistant", 1),
    ]
