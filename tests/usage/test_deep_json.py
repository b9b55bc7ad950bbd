"""A usage file nested 100,000 levels deep is a located error, never a RecursionError:
Python's JSON decoder recurses once per level, so the line locator steps over such a row
without it, and a row it cannot read is named as too deep."""

from __future__ import annotations

from pathlib import Path

import pytest

from infercost.usage.lines import json_array_lines
from tests.helpers import run_cli
from tests.usage.test_snapshot_strict import errors

DEEP = 100_000
GOOD = '{"feature": "chat", "units": 1}'


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_array_nested_deep_is_a_row_that_is_no_object(here: Path) -> None:
    text = "[" * DEEP + "]" * DEEP
    assert errors("u.json", text) == [
        ("Invalid usage row", "row 1: each row must be a JSON object.", 1)
    ]


def test_rows_after_a_deep_row_keep_their_lines(here: Path) -> None:
    # The row is stepped over by counting brackets: those in strings are not counted.
    deep = '{"feature": ' + "[" * DEEP + '"]]}\\"\\\\", "[{"' + "]" * DEEP + ', "units": 1}'
    text = f"[{GOOD},\n{deep},\n{GOOD},\n" + '{"feature": "chta", "units": 1}]\n'
    assert errors("u.json", text) == [
        ("Invalid usage row", 'row 2: "feature" must be a string.', 2)
    ]
    assert json_array_lines(text, 4) == [1, 2, 3, 4]


def test_an_unbalanced_deep_row_is_an_invalid_file_at_its_line(here: Path) -> None:
    text = f"[{GOOD},\n" + '{"feature": ' + "[" * DEEP + "]" * 10 + ', "units": 1}]\n'
    assert errors("u.json", text) == [
        (
            "Invalid usage file",
            "row 2: the row nests arrays or objects too deeply to read (a row is one flat object).",
            2,
        )
    ]


def test_a_deep_json_line_is_a_located_row(here: Path) -> None:
    text = f"{GOOD}\n" + '{"feature": ' + "[" * DEEP + "\n"
    assert errors("u.jsonl", text) == [
        ("Invalid usage row", "row 2: invalid JSON (nested too deeply to read).", 2)
    ]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        # brackets, braces and escaped quotes inside strings are not structure
        ('[\n"a]\\"]", \n{"k": "}\\\\"},\n[1, [2]], 3,\n true]', [2, 3, 4, 4, 5]),
        ("[1,2,\n3]", [1, 1, 2]),
    ],
)
def test_the_line_of_each_row_whatever_it_holds(text: str, lines: list[int]) -> None:
    assert json_array_lines(text, 10) == lines


def test_breakdown_refuses_a_deep_usage_file(write_stack) -> None:
    write_stack({}, base=True)
    Path("u.json").write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    result = run_cli(["breakdown", "stack", "--usage", "u.json"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: Invalid usage row\n\n  on u.json line 1:\n")
    assert result.stderr.endswith("row 1: each row must be a JSON object.\n\n")
