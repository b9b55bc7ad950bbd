"""An output file goes where it is named, or nowhere: a missing directory is an error
naming it (never created on the way), and one bad target among several leaves no file
written, not even the good ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli

EXAMPLE = str(EXAMPLES / "search-api")


def test_a_missing_directory_is_refused_and_not_created(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "x.json"
    result = run_cli(["plan", EXAMPLE, "-o", f"json={target}"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: Cannot write output\n\n{target}: the directory {target.parent} does not "
        "exist; create it first.\n\n"
    )
    assert not (tmp_path / "new").exists()


def test_one_bad_target_among_several_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("a file, not a folder", encoding="utf-8")
    argv = ["plan", EXAMPLE, "-o", "json=good.json", "-o", "markdown=taken/plan.md"]
    result = run_cli([*argv, "-o", "text"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: Cannot write output\n\ntaken/plan.md: taken is not a directory.\n\n"
    )
    assert not Path("good.json").exists()


def test_a_directory_is_no_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("reports").mkdir()
    result = run_cli(["plan", EXAMPLE, "-o", "json=reports"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == "Error: Cannot write output\n\nreports: it is a directory.\n\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_directory_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("locked").mkdir(mode=0o500)
    result = run_cli(["plan", EXAMPLE, "-o", "json=a.json", "-o", "markdown=locked/p.md"])
    assert result.code == 1
    assert "locked/p.md: permission denied." in result.stderr
    assert not Path("a.json").exists()


def test_usage_import_and_calibrate_refuse_a_missing_directory_too(tmp_path: Path) -> None:
    stack = str(EXAMPLES / "support-assistant")
    records = str(EXAMPLES / "support-assistant" / "records" / "records.csv")
    out = tmp_path / "missing" / "usage.csv"
    result = run_cli(["usage", "import", stack, records, "--from", "records", "--out", str(out)])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: Cannot write output\n\n{out}: the directory {out.parent} does not exist; "
        "create it first.\n\n"
    )
    what_if = tmp_path / "missing" / "w.hcl"
    result = run_cli(
        ["calibrate", stack, records, "--from", "records", "--write-what-if", str(what_if)]
    )
    assert result.code == 1
    assert f"{what_if}: the directory {what_if.parent} does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()
