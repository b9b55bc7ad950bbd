"""Where output goes: -o FORMAT, -o FORMAT=FILE (repeatable), --out FILE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli

EXAMPLE = str(EXAMPLES / "search-api")


def test_out_without_format_saves_json_and_shows_text(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    result = run_cli(["plan", EXAMPLE, "--out", str(target)])
    assert result.code == 0
    assert result.stdout.startswith("infercost plan")
    document = json.loads(target.read_text())
    assert document["format_version"] == "1"
    assert [f["action"] for f in document["features"]] == ["create", "create"]


def test_out_names_the_file_of_the_one_format_without_a_file(tmp_path: Path) -> None:
    target = tmp_path / "breakdown.md"
    result = run_cli(["plan", EXAMPLE, "-o", "markdown", "--out", str(target)])
    assert result.code == 0
    assert result.stdout == ""
    assert target.read_text().startswith("<!-- infercost -->\n")


def test_repeated_formats_each_with_a_file(tmp_path: Path) -> None:
    text, data = tmp_path / "out" / "plan.txt", tmp_path / "plan.json"
    text.parent.mkdir()
    result = run_cli(["plan", EXAMPLE, "-o", f"text={text}", "-o", f"json={data}"])
    assert result.code == 0
    assert result.stdout == ""
    assert "Plan: 2 to add" in text.read_text()
    assert json.loads(data.read_text())["summary"]["create"] == 2


def test_two_formats_cannot_share_stdout() -> None:
    result = run_cli(["plan", EXAMPLE, "-o", "text", "-o", "json"])
    assert result.code == 1
    assert "Only one format can go to standard output" in result.stderr
    assert result.stdout == ""


def test_two_formats_cannot_share_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The text view silently replaced the JSON document written a moment before.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    argv = ["plan", EXAMPLE, "-o", "json=out/plan", "-o", "text=out/../out/plan"]
    result = run_cli(argv)
    assert (result.code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: Invalid output option\n\njson and text would both be written to "
        "out/../out/plan; give each format its own file.\n\n",
    )
    assert not (tmp_path / "out" / "plan").exists()


@pytest.mark.parametrize("option", ["-o", "--output"])
def test_unknown_format_is_an_error(option: str) -> None:
    result = run_cli(["breakdown", EXAMPLE, option, "sarif"])
    assert result.code == 1
    assert '"sarif" is not an output format of this command' in result.stderr


def test_out_is_not_written_on_error(tmp_path: Path) -> None:
    target = tmp_path / "never.json"
    result = run_cli(["plan", str(tmp_path / "missing"), "--out", str(target)])
    assert result.code == 1
    assert "Stack not found" in result.stderr
    assert not target.exists()
