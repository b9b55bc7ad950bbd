"""Nothing in a usage file is silently dropped or guessed; every bad row is named.

Each case gives the exact message a person fixing the file reads: summary, row (from 1),
column, value and file line.
"""

from __future__ import annotations

import decimal
import os
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.errors import Diagnostic, InfercostError
from infercost.usage.snapshot import MAX_REPORTED, check_names, read_snapshot


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def errors(name: str, content: str | bytes) -> list[tuple[str, str, int | None]]:
    path = Path(name)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InfercostError) as caught:
        snap = read_snapshot(path)
        check_names(snap, {"chat", "search"}, {"pro", "team"})
    return [_summary(d) for d in caught.value.diagnostics]


def _summary(d: Diagnostic) -> tuple[str, str, int | None]:
    return d.summary, d.detail, d.range.start.line if d.range else None


ROW = "Invalid usage row"


def test_duplicate_csv_column(here: Path) -> None:
    assert errors("u.csv", "feature,units,feature\nchat,1,search\n") == [
        ("Duplicate usage column", 'the column "feature" appears 2 times in the header.', 1)
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [('[{"feature": "chat", "units": 1}]\n{"feature": "chat", "units": 2}\n', 2),
     ('[{"feature": "chat", "units": 1}] []', 1),
     ('[{"feature": "chat", "units": 1}]\n\n  x', 3)],
)  # fmt: skip
def test_json_content_after_the_document(here: Path, text: str, line: int) -> None:
    assert errors("u.json", text) == [
        ("Invalid usage file", "content after the array (a snapshot is one array).", line)
    ]


def test_duplicate_json_keys(here: Path) -> None:
    text = '[\n{"feature": "chat", "units": 1},\n{"feature": "chat", "units": 2, "units": 3}\n]'
    assert errors("u.json", text) == [(ROW, 'row 2: the key "units" appears twice.', 3)]
    text = '{"feature": "chat", "units": 1}\n\n{"feature": "chat", "feature": "x", "units": 3}\n'
    assert errors("u.jsonl", text) == [(ROW, 'row 2: the key "feature" appears twice.', 3)]


def test_numbers_that_are_not_plain_numbers_in_csv(here: Path) -> None:
    text = "feature,units\nchat,1_000\nchat,١٢\nchat,Infinity\nchat,-inf\nchat,NaN\nchat,0x10\n"
    assert errors("u.csv", text) == [
        (ROW, 'row 1: units must be a number, not "1_000".', 2),
        (ROW, 'row 2: units must be a number, not "١٢".', 3),
        (ROW, 'row 3: units must be a number, not "Infinity".', 4),
        (ROW, 'row 4: units must be a number, not "-inf".', 5),
        (ROW, 'row 5: units must be a number, not "NaN".', 6),
        (ROW, 'row 6: units must be a number, not "0x10".', 7),
    ]


def test_numbers_that_are_not_plain_numbers_in_json(here: Path) -> None:
    text = (
        '{"feature": "chat", "units": 1_000}\n'
        '{"feature": "chat", "units": "1_000"}\n'
        '{"feature": "chat", "units": NaN}\n'
        '{"feature": "chat", "units": -Infinity}\n'
        '{"feature": "chat", "customer": NaN, "subscription": "pro", "units": 1}\n'
        '{"feature": "chat", "units": 1,}\n'
        '{"feature": "chat", "units": "١"}\n'
        '{"feature": "chat", "units": 2}\n'
    )
    assert errors("u.jsonl", text) == [
        (ROW, "row 1: invalid JSON (Expecting ',' delimiter).", 1),
        (ROW, 'row 2: units must be a number, not "1_000".', 2),
        (ROW, "row 3: units must be a number, not NaN.", 3),
        (ROW, "row 4: units must be a number, not -Infinity.", 4),
        (ROW, 'row 5: "customer" must be a string.', 5),
        (ROW, "row 6: invalid JSON (a trailing comma).", 6),
        (ROW, 'row 7: units must be a number, not "١".', 7),
    ]
    assert errors("u.json", '[\n{"feature": "chat",\n "units": Infinity}]') == [
        (ROW, "row 1: units must be a number, not Infinity.", 2)
    ]


def test_every_bad_row_up_to_the_limit(here: Path) -> None:
    found = errors("u.csv", "feature,units\nchat,1\n" + "chat,-2\n" * (MAX_REPORTED + 5))
    assert len(found) == MAX_REPORTED + 1
    assert found[0] == (ROW, "row 2: units must be >= 0, not -2.", 3)
    assert found[MAX_REPORTED - 1] == (ROW, f"row {MAX_REPORTED + 1}: units must be >= 0, not -2.",
                                       MAX_REPORTED + 2)  # fmt: skip
    assert found[-1] == (
        "Too many bad usage rows",
        "5 more bad rows in u.csv are not shown (the first 20 are).",
        None,
    )


def test_different_problems_each_on_its_row(here: Path) -> None:
    text = (
        "customer,subscription,feature,units\n"
        "acme,pro,chat,1\n"
        ",pro,chat,2\n"
        "beta,,chat,3\n"
        "acme,pro,,4\n"
        "gamma,pro,chat,\n"
    )
    assert errors("u.csv", text) == [
        (ROW, "row 2: either every row names a customer or none does; this row does not.", 3),
        (ROW, 'row 3: customer "beta" has no subscription.', 4),
        (ROW, 'row 4: the required value "feature" is missing (it may be empty only on a '
              "customer row with units = 0).", 5),
        (ROW, 'row 5: the required value "units" is missing.', 6),
    ]  # fmt: skip


def test_structural_csv_errors_are_all_reported(here: Path) -> None:
    text = 'feature,units\nchat,1\nchat,2,3\nchat\nchat,"4\n'
    assert errors("u.csv", text) == [
        (ROW, "row 2: expected 2 cells, found 3.", 3),
        (ROW, "row 3: expected 2 cells, found 1.", 4),
        (ROW, "row 4: malformed CSV (unquoted value).", 5),
    ]


def test_unknown_features_each_with_a_suggestion(here: Path) -> None:
    text = '{"feature": "chta", "units": 1}\n\n{"feature": "serch", "units": 1}\n'
    text += '{"feature": "chta", "units": 1}\n'
    assert errors("u.jsonl", text) == [
        ("Unknown feature in usage", 'row 1: unknown feature "chta". Did you mean "chat"?', 1),
        ("Unknown feature in usage", 'row 2: unknown feature "serch". Did you mean "search"?', 3),
    ]


def test_lines_follow_quoted_breaks_and_pretty_arrays(here: Path) -> None:
    assert errors("u.csv", 'feature,units\n"a\nb",1\nchta,2\n')[1] == (
        "Unknown feature in usage", 'row 2: unknown feature "chta". Did you mean "chat"?', 4
    )  # fmt: skip
    text = '[\n  {"feature": "chat",\n   "units": 1},\n  {"feature": "chta",\n   "units": 2}\n]\n'
    assert errors("u.json", text) == [
        ("Unknown feature in usage", 'row 2: unknown feature "chta". Did you mean "chat"?', 4)
    ]


def test_a_cell_is_echoed_on_one_line(here: Path) -> None:
    (found,) = errors("u.csv", 'feature,units\n"::error::x\nchat",1\n')
    assert found[1] == 'row 1: unknown feature "::error::x\\nchat".'


def test_units_too_long_for_exact_sums(here: Path) -> None:
    assert errors("u.csv", "feature,units\nchat,1e40\n") == [
        (ROW, "row 1: units 1e40 is beyond what infercost shows: units must stay below 1e18.", 2),
    ]


def test_units_no_view_can_show_are_named_at_their_row(here: Path) -> None:
    """A row of 10^18 units or more is named where it is, by ``validate`` too, not later as
    its feature's sum; 10^18 less a little fits, beside places or not."""
    assert errors("u.csv", "feature,units\nchat,2\nchat,1e30\n") == [
        (ROW, "row 2: units 1e30 is beyond what infercost shows: units must stay below 1e18.", 3)
    ]
    assert errors("u.csv", "feature,units\nsearch,0.5\nchat,1000000000000000000\n") == [
        (ROW, "row 2: units 1000000000000000000 is beyond what infercost shows: units must "
              "stay below 1e18.", 3)
    ]  # fmt: skip
    path = Path("fits.csv")
    path.write_text("feature,units\nsearch,0.5\nchat,999999999999999999.5\n", encoding="utf-8")
    assert read_snapshot(path).units == {
        "chat": Decimal("999999999999999999.5"),
        "search": Decimal("0.5"),
    }


PLACES = "has more than 18 decimals: units may be fractional, to at most 18 digits after the point."


@pytest.mark.parametrize("name", ["u.csv", "u.jsonl"])
def test_units_with_too_many_places_beside_others_are_the_ones_named(here: Path, name: str) -> None:
    """1e-37 needs 37 places: the row with the places is at fault, not the ordinary rows
    beside it."""
    rows = [("chat", "179"), ("search", "1e-37"), ("chat", "809"), ("search", "0.5")]
    if name == "u.csv":
        content = "feature,units\n" + "".join(f"{f},{u}\n" for f, u in rows)
    else:
        content = "".join(f'{{"feature": "{f}", "units": {u}}}\n' for f, u in rows)
    assert errors(name, content) == [(ROW, f"row 2: units 1e-37 {PLACES}", 3 - (name != "u.csv"))]


@pytest.mark.parametrize("name", ["u.csv", "u.jsonl"])
@pytest.mark.parametrize(
    "units",
    [
        "0.5e-400",  # was read at 38 places, as 0, and failed later without a location
        "1e-30",  # a cost per unit of 10^30 and more
        "0.99999999999999999999999999999999999999",  # 38 digits: was added up to 1
        "0.0000000000000000001",
        "1e-99999999999999999999",  # an exponent beyond BIGINT is not no exponent
        "1.5e-18",
    ],
)
def test_units_finer_than_18_decimals_are_named_at_their_row(
    here: Path, name: str, units: str
) -> None:
    if name == "u.csv":
        content = f"feature,units\nchat,2\nsearch,{units}\n"
    else:
        content = f'{{"feature": "chat", "units": 2}}\n{{"feature": "search", "units": {units}}}\n'
    assert errors(name, content) == [(ROW, f"row 2: units {units} {PLACES}", 3 - (name != "u.csv"))]


def test_units_of_18_decimals_in_any_spelling_are_exact(here: Path) -> None:
    """Decimals are counted from the value: trailing zeros and exponents aside."""
    Path("u.csv").write_text(
        "feature,units\nchat,0.000000000000000001\nchat,999999999999999998.5\n"
        "search,100e-20\nsearch,0e-400\nsearch,1.0000000000000000000000e1\n",
        encoding="utf-8",
    )
    assert read_snapshot(Path("u.csv")).units == {
        "chat": Decimal("999999999999999998.500000000000000001"),
        "search": Decimal("10.000000000000000001"),
    }


def test_units_of_many_whole_digits_beside_places_are_the_ones_named(here: Path) -> None:
    content = "feature,units\nchat,0.25\nsearch,1e36\nchat,7\n"
    assert errors("u.csv", content) == [
        (ROW, "row 2: units 1e36 is beyond what infercost shows: units must stay below 1e18.", 3),
    ]


@pytest.mark.parametrize(
    ("name", "first"),
    [("u.jsonl", '{"feature": "chat", "units": true, "period": "2026-11"}\n'),
     ("u.csv", "feature,units,period\nchat,x,2026-11\n")],
)  # fmt: skip
def test_a_bad_first_row_is_not_the_rule_for_the_others(here: Path, name: str, first: str) -> None:
    """Rows must all have a period or none: judged against the first readable row, so a
    broken first row is named alone, not every later row with it."""
    rest = [("chat", 2), ("search", 3)]
    if name == "u.jsonl":
        content = first + "".join(
            f'{{"feature": "{f}", "units": {u}, "period": "2026-11"}}\n' for f, u in rest
        )
        detail = "row 1: units must be a number, not true."
    else:
        content = first + "".join(f"{f},{u},2026-11\n" for f, u in rest)
        detail = 'row 1: units must be a number, not "x".'
    assert errors(name, content) == [(ROW, detail, 1 + (name == "u.csv"))]


def test_fine_units_and_exponents_are_exact(here: Path) -> None:
    Path("u.csv").write_text(
        "feature,units\nchat,0.0000000000001\nchat,1e-12\nsearch,2.5E+3\nsearch,0.1\n",
        encoding="utf-8",
    )
    snap = read_snapshot(Path("u.csv"))
    # 1e-13 + 1e-12 and 2500 + 0.1, with no digit rounded away at the first scale (9).
    assert snap.units == {"chat": Decimal("0.0000000000011"), "search": Decimal("2500.1")}


@pytest.mark.parametrize(
    ("make", "summary", "detail"),
    [("fifo", "Not a regular file",
      "u.csv is a named pipe; a usage snapshot must be a regular file."),
     ("device", "Not a regular file",
      "u.csv is a system pseudo-file; infercost reads a usage snapshot only from regular files."),
     ("proc", "Not a regular file",
      "u.csv is a system pseudo-file; infercost reads a usage snapshot only from regular files.")],
)  # fmt: skip
def test_only_regular_files_are_read(here: Path, make: str, summary: str, detail: str) -> None:
    if make == "fifo":
        os.mkfifo("u.csv")
    else:
        os.symlink("/dev/null" if make == "device" else "/proc/self/environ", "u.csv")
    with pytest.raises(InfercostError) as caught:
        read_snapshot(Path("u.csv"))
    (d,) = caught.value.diagnostics
    assert (d.summary, d.detail) == (summary, detail)


def test_a_name_with_glob_characters_is_that_file(here: Path) -> None:
    Path("u[1].csv").write_text("feature,units\nchat,3\n", encoding="utf-8")
    Path("u1.csv").write_text("feature,units\nchat,4\n", encoding="utf-8")
    assert read_snapshot(Path("u[1].csv")).units == {"chat": Decimal(3)}


def test_reading_ignores_the_callers_decimal_context(here: Path) -> None:
    Path("u.csv").write_text(
        "feature,units\nchat,123456789.123456789\nchat,0.000000001\n", encoding="utf-8"
    )
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        ctx.traps[decimal.Inexact] = True
        snap = read_snapshot(Path("u.csv"))
    assert snap.units == {"chat": Decimal("123456789.12345679")}


def test_units_that_add_up_beyond_38_digits(here: Path) -> None:
    big = "9" * 38
    assert errors("u.csv", f"feature,units\nchat,{big}\nchat,{big}\n") == [
        ("Usage too large", "the units in u.csv add up to more than the 38 digits the engine "
                            "sums exactly.", 1),
    ]  # fmt: skip
