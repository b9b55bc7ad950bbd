"""An output file goes where it is named, or nowhere: a missing directory is an error
naming it (never created on the way), and one bad target among several leaves no file
written, not even the good ones."""

from __future__ import annotations

import json
import os
import shutil
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


SUPPORT = EXAMPLES / "support-assistant"
_INPUT = "it is an input of this run, and writing it would replace what was read."


_WHAT_IF = "stack/what-if/gpt-4o-draft.hcl"
_RECORDS = "stack/records/records.jsonl"


@pytest.mark.parametrize(
    ("argv", "victim"),
    [
        # The usage snapshot, through a link-free but roundabout name.
        (["breakdown", "stack", "-o", "json=stack/../stack/usage.csv"], "stack/usage.csv"),
        # A file of the stack itself, by --out (the JSON document beside the text view).
        (["check", "stack", "--out", "stack/prices.hcl"], "stack/prices.hcl"),
        # The what-if file a plan was asked to price.
        (["plan", "stack", "--what-if", _WHAT_IF, "-o", f"markdown={_WHAT_IF}"], _WHAT_IF),
        # A records file calibrate measured.
        (["calibrate", "stack", _RECORDS, "--from", "records", "-o", f"json={_RECORDS}"], _RECORDS),
    ],
)
def test_no_output_replaces_a_file_the_run_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], victim: str
) -> None:
    shutil.copytree(SUPPORT, tmp_path / "stack")
    monkeypatch.chdir(tmp_path)
    before = Path(victim).read_bytes()
    result = run_cli(argv)
    assert (result.code, result.stdout) == (1, "")
    shown = argv[argv.index("--out") + 1] if "--out" in argv else argv[-1].partition("=")[2]
    assert result.stderr == f"Error: Cannot write output\n\n{shown}: {_INPUT}\n\n"
    assert Path(victim).read_bytes() == before


def test_a_file_read_by_an_earlier_run_may_be_written_by_a_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs are one command's: in one process (as in these tests, or a program that
    calls ``main`` repeatedly), a later command is not refused what an earlier one read."""
    shutil.copytree(SUPPORT, tmp_path / "stack")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate", "stack/subscriptions.hcl"]).code in (0, 1)
    Path("other").mkdir()
    shutil.copy(Path("stack/usage.csv"), Path("other/usage.csv"))
    assert run_cli(["breakdown", "stack", "--usage", "other/usage.csv"]).code == 0
    result = run_cli(["breakdown", "stack", "-o", "json=other/usage.csv"])
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(Path("other/usage.csv").read_text("utf-8"))["format_version"]


def test_usage_import_still_replaces_the_stack_s_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import reads records, not the snapshot it writes: refreshing the stack's
    usage file from production is the command's purpose."""
    shutil.copytree(SUPPORT, tmp_path / "stack")
    monkeypatch.chdir(tmp_path)
    argv = ["usage", "import", "stack", "stack/records/records.jsonl", "--from", "records"]
    result = run_cli([*argv, "--out", "stack/usage.csv"])
    assert result.code == 0, result.stderr
    assert Path("stack/usage.csv").read_text("utf-8").startswith("customer,")
