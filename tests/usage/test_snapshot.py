"""Reading usage snapshots: formats, aggregation, and every bad row named and located."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from infercost.errors import Diagnostic, InfercostError
from infercost.usage.snapshot import Snapshot, check_names, read_snapshot
from tests.helpers import loc, only_error, run_cli, validate_json, where

SUBSCRIPTIONS = """
    subscription "pro" {
      price    = 29
      features = [feature.chat]
    }
    subscription "team" {
      price    = 99
      features = [feature.chat]
    }
    """


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(here: Path, name: str, content: str | bytes) -> Path:
    path = here / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return Path(name)


def read(here: Path, name: str, content: str | bytes, period: str | None = None) -> Snapshot:
    return read_snapshot(write(here, name, content), period)


def read_error(here: Path, name: str, content: str | bytes, period: str | None = None,
               features: set[str] | None = None) -> Diagnostic:  # fmt: skip
    with pytest.raises(InfercostError) as caught:
        snap = read(here, name, content, period)
        check_names(snap, features or {"chat", "search"}, {"pro", "team"})
    (d,) = caught.value.diagnostics
    return d


# -- formats and aggregation ----------------------------------------------------------------


def test_csv_rows_add_up(here: Path) -> None:
    snap = read(here, "u.csv", "feature,units\nchat,3\nsearch,0.5\nchat,4.25\n")
    assert snap.units == {"chat": Decimal("7.25"), "search": Decimal("0.5")}
    assert (snap.rows, snap.has_customers, snap.period, snap.customer_ids()) == (3, False, None, [])


def test_json_numbers_are_decimals(here: Path) -> None:
    text = '[\n  {"feature": "chat", "units": 0.1},\n  {"feature": "chat", "units": 0.2}\n]\n'
    snap = read(here, "u.json", text)
    assert snap.units == {"chat": Decimal("0.3")}  # not 0.30000000000000004


def test_jsonl_and_ndjson(here: Path) -> None:
    text = '{"feature": "chat", "units": 2}\n\n{"feature": "chat", "units": "3"}\n'
    assert read(here, "u.jsonl", text).units == {"chat": Decimal(5)}
    assert read(here, "u.ndjson", text).units == {"chat": Decimal(5)}


def test_customers_and_idle_customers(here: Path) -> None:
    snap = read(here, "u.csv", (
        "customer,subscription,feature,units\n"
        "acme,pro,chat,10\n"
        "acme,pro,chat,5\n"
        "acme,pro,search,1\n"
        "idle,team,,0\n"
    ))  # fmt: skip
    assert snap.has_customers
    assert snap.units == {"chat": Decimal(15), "search": Decimal(1)}
    assert snap.customer_ids() == ["acme", "idle"]
    acme, idle = snap.customer("acme"), snap.customer("idle")
    assert acme is not None and idle is not None
    assert acme.units == {"chat": Decimal(15), "search": Decimal(1)}
    assert idle.units == {}
    assert idle.subscription == "team"


def test_period_column(here: Path) -> None:
    snap = read(here, "u.csv", "feature,units,period\nchat,3,2026-11\nchat,4,2026-11\n")
    assert snap.period == "2026-11"


def test_several_periods_need_a_choice(here: Path) -> None:
    text = "feature,units,period\nchat,3,2026-10\nchat,4,2026-11\nsearch,1,2026-11\n"
    d = read_error(here, "u.csv", text)
    assert d.summary == "Several usage periods"
    assert "several periods (2026-10, 2026-11); choose one with --period" in d.detail
    assert where(d) == ("u.csv", 1, 1)
    snap = read(here, "u.csv", text, period="2026-11")
    assert snap.units == {"chat": Decimal(4), "search": Decimal(1)}
    assert snap.period == "2026-11"
    d = read_error(here, "u.csv", text, period="2026-12")
    assert d.summary == "Unknown usage period"
    assert 'no row has period "2026-12"; found: 2026-10, 2026-11.' in d.detail


def test_period_option_without_period_column(here: Path) -> None:
    d = read_error(here, "u.csv", "feature,units\nchat,3\n", period="2026-11")
    assert d.summary == "Unknown usage period"


# -- bad inputs -----------------------------------------------------------------------------


def test_missing_file(here: Path) -> None:
    with pytest.raises(InfercostError) as caught:
        read_snapshot(Path("nope.csv"))
    (d,) = caught.value.diagnostics
    assert (d.summary, d.detail) == ("Usage file not found", "nope.csv does not exist.")


def test_not_utf8(here: Path) -> None:
    d = read_error(here, "u.csv", b"feature,units\n\xff\xfe,3\n")
    assert d.summary == "Unreadable usage file"
    assert d.detail.startswith("u.csv is not UTF-8 text")


def test_a_directory(here: Path) -> None:
    (here / "d.csv").mkdir()
    with pytest.raises(InfercostError) as caught:
        read_snapshot(Path("d.csv"))
    (d,) = caught.value.diagnostics
    assert d.summary == "Unreadable usage file"
    assert d.detail.startswith("d.csv")
    assert "directory" in d.detail.lower()


def test_unknown_extension(here: Path) -> None:
    d = read_error(here, "u.txt", "feature,units\n")
    assert d.summary == "Unsupported usage file"
    assert ".csv, .json, .jsonl or .ndjson" in d.detail


def test_missing_required_column(here: Path) -> None:
    d = read_error(here, "u.csv", "feature\nchat\n")
    assert d.summary == "Missing usage column"
    assert d.detail == 'the required column "units" is missing.'
    assert where(d) == ("u.csv", 1, 1)


def test_unknown_column_suggests(here: Path) -> None:
    d = read_error(here, "u.csv", "feature,count\nchat,3\n")
    assert d.summary == "Unknown usage column"
    assert 'unknown column "count". Did you mean "units"?' in d.detail
    assert where(d) == ("u.csv", 1, 1)


def test_missing_units_value_in_json(here: Path) -> None:
    d = read_error(here, "u.jsonl", '{"feature": "chat", "units": 1}\n{"feature": "chat"}\n')
    assert d.summary == "Invalid usage row"
    assert d.detail == 'row 2: the required value "units" is missing.'
    assert where(d) == ("u.jsonl", 2, 1)


def test_unknown_feature_suggests(here: Path) -> None:
    d = read_error(here, "u.csv", "feature,units\nchat,3\nchta,4\n")
    assert d.summary == "Unknown feature in usage"
    assert d.detail == 'row 2: unknown feature "chta". Did you mean "chat"?'
    assert where(d) == ("u.csv", 3, 1)


def test_unknown_subscription(here: Path) -> None:
    d = read_error(here, "u.csv", "customer,subscription,feature,units\nacme,prro,chat,1\n")
    assert d.summary == "Unknown subscription in usage"
    assert 'Did you mean "pro"?' in d.detail


@pytest.mark.parametrize(
    ("cell", "detail"),
    [("-4", "row 2: units must be >= 0, not -4."),
     ("lots", 'row 2: units must be a number, not "lots".'),
     ("NaN", 'row 2: units must be a number, not "NaN".'),
     ("inf", 'row 2: units must be a number, not "inf".')],
)  # fmt: skip
def test_bad_units_in_csv(here: Path, cell: str, detail: str) -> None:
    d = read_error(here, "u.csv", f"feature,units\nchat,3\nchat,{cell}\n")
    assert d.summary == "Invalid usage row"
    assert d.detail == detail
    assert where(d) == ("u.csv", 3, 1)


def test_bad_units_in_json_name_the_line(here: Path) -> None:
    text = '[\n  {"feature": "chat", "units": 1},\n  {"feature": "chat",\n   "units": -2}\n]\n'
    d = read_error(here, "u.json", text)
    assert d.summary == "Invalid usage row"
    assert d.detail == "row 2: units must be >= 0, not -2."
    assert where(d) == ("u.json", 3, 1)
    d = read_error(here, "u.json", '[{"feature": "chat", "units": true}]')
    assert d.detail == "row 1: units must be a number, not true."


def test_customer_with_two_subscriptions(here: Path) -> None:
    d = read_error(here, "u.csv", (
        "customer,subscription,feature,units\n"
        "acme,pro,chat,3\n"
        "acme,team,chat,4\n"
    ))  # fmt: skip
    assert d.summary == "Invalid usage row"
    assert d.detail == (
        'row 2: customer "acme" has subscription "team" here but "pro" at row 1; '
        "a customer has one subscription per period."
    )
    assert where(d) == ("u.csv", 3, 1)


def test_customer_rows_all_or_none(here: Path) -> None:
    d = read_error(here, "u.jsonl", (
        '{"customer": "acme", "subscription": "pro", "feature": "chat", "units": 1}\n'
        '{"feature": "chat", "units": 1}\n'
    ))  # fmt: skip
    assert d.summary == "Invalid usage row"
    assert "either every row names a customer or none does" in d.detail
    assert where(d) == ("u.jsonl", 2, 1)


def test_empty_feature_only_for_idle_customers(here: Path) -> None:
    d = read_error(here, "u.csv", "customer,subscription,feature,units\nacme,pro,,3\n")
    assert d.summary == "Invalid usage row"
    assert 'row 1: the required value "feature" is missing' in d.detail
    d = read_error(here, "u.csv", "feature,units\n,0\n")
    assert 'the required value "feature" is missing' in d.detail


def test_customer_without_subscription(here: Path) -> None:
    d = read_error(here, "u.csv", "customer,subscription,feature,units\nacme,,chat,3\n")
    assert d.detail == 'row 1: customer "acme" has no subscription.'


def test_ragged_csv_row(here: Path) -> None:
    d = read_error(here, "u.csv", "feature,units\nchat,3,9\n")
    assert d.summary == "Invalid usage row"
    assert d.detail == "row 1: expected 2 cells, found 3."


def test_invalid_json(here: Path) -> None:
    d = read_error(here, "u.jsonl", '{"feature": "chat", "units": 1}\n{"feature": \n')
    assert d.summary == "Invalid usage row"
    assert d.detail.startswith("row 2: invalid JSON")
    d = read_error(here, "u.json", '{"feature": "chat"}')
    assert d.summary == "Invalid usage file"


# -- through the CLI ------------------------------------------------------------------------


def stack_with_usage(write_stack, name: str, content: str | bytes | None) -> Path:
    stack = write_stack({"subscriptions.hcl": SUBSCRIPTIONS}, base=True)
    if content is not None:
        write(Path.cwd(), name, content)
    return stack


@pytest.mark.parametrize(
    ("name", "content", "summary", "detail", "location"),
    [
        ("missing.csv", None, "Usage file not found", "missing.csv does not exist.", None),
        ("u.csv", b"feature,units\nchat,\xff\n", "Unreadable usage file", "not UTF-8", None),
        ("u.csv", "feature,cost\nchat,1\n", "Unknown usage column",
         'unknown column "cost"', ("u.csv", 1, 1)),
        ("u.csv", "units\n1\n", "Missing usage column",
         'the required column "feature" is missing.', ("u.csv", 1, 1)),
        ("u.csv", "feature,units\nchat,1\nchta,2\n", "Unknown feature in usage",
         'row 2: unknown feature "chta". Did you mean "chat"?', ("u.csv", 3, 1)),
        ("u.csv", "feature,units\nchat,-1\n", "Invalid usage row",
         "row 1: units must be >= 0, not -1.", ("u.csv", 2, 1)),
        ("u.csv", "feature,units\nchat,many\n", "Invalid usage row",
         'row 1: units must be a number, not "many".', ("u.csv", 2, 1)),
        ("u.csv", "customer,subscription,feature,units\nacme,pro,chat,1\nacme,team,chat,1\n",
         "Invalid usage row", 'customer "acme" has subscription "team" here but "pro"',
         ("u.csv", 3, 1)),
        ("u.csv", "feature,units,period\nchat,1,2026-10\nchat,1,2026-11\n",
         "Several usage periods", "choose one with --period", ("u.csv", 1, 1)),
    ],
)  # fmt: skip
def test_usage_errors_through_validate(write_stack, name, content, summary, detail,
                                       location) -> None:  # fmt: skip
    stack = stack_with_usage(write_stack, name, content)
    code, doc = validate_json([str(stack), "--usage", name])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == summary
    assert detail in d["detail"]
    if location is None:
        assert name in d["detail"]
    else:
        assert loc(d) == location


def test_usage_directory_through_breakdown(write_stack) -> None:
    stack = stack_with_usage(write_stack, "d.csv", None)
    Path("d.csv").mkdir()
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "d.csv"])
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unreadable usage file\n")
    assert "d.csv" in err


def test_period_option_chooses_one(write_stack) -> None:
    stack = stack_with_usage(write_stack, "u.csv",
                             "feature,units,period\nchat,1,2026-10\nchat,7,2026-11\n")  # fmt: skip
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "u.csv", "--period", "2026-10",
                              "-o", "json"])  # fmt: skip
    assert (code, err) == (0, "")
    assert '"usage_period": "2026-10"' in out
    assert '"units": 1,' in out
    code, doc = validate_json([str(stack), "--usage", "u.csv", "--period", "2026-11"])
    assert (code, doc["valid"]) == (0, True)


def test_breakdown_without_snapshot_is_an_error(write_stack) -> None:
    stack = write_stack({}, base=True)
    code, out, err = run_cli(["breakdown", str(stack)])
    assert (code, out) == (1, "")
    assert err.startswith("Error: No usage snapshot\n")


def test_a_missing_snapshot_named_by_the_stack_points_at_the_setting(write_stack) -> None:
    from tests.helpers import hcl, run_cli

    stack = write_stack(
        {
            "settings.hcl": hcl("""
            infercost {
              usage = "usage.cvs"
            }
            """)
        },
        base=True,
    )
    result = run_cli(["breakdown", str(stack)])
    assert result.code == 1
    assert "Error: Usage file not found" in result.stderr
    assert "on stack/settings.hcl line 2, in infercost:" in result.stderr
    assert "stack/usage.cvs does not exist" in result.stderr
