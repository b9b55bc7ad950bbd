"""Files the commands write keep the mode a user expects: a replaced snapshot or what-if
keeps its own, a new file gets what the umask gives any new file. Written through a
temporary file and a rename, they must not keep the temporary's private 0600."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli

SUPPORT = EXAMPLES / "support-assistant"
IMPORT = ["usage", "import", "stack", "stack/records/records.jsonl", "--from", "records"]
CALIBRATE = ["calibrate", "stack", "stack/records/records.jsonl", "--from", "records"]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SUPPORT, tmp_path / "stack")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    ("argv", "target"),
    [([*IMPORT, "--out"], "usage.csv"), ([*CALIBRATE, "--write-what-if"], "observed.hcl")],
)
def test_a_new_output_gets_the_umask_s_mode(stack, umask_022, argv, target) -> None:
    result = run_cli([*argv, target])
    assert result.code == 0, result.stderr
    assert _mode(target) == 0o644


@pytest.mark.parametrize("mode", [0o640, 0o664])
@pytest.mark.parametrize(
    ("argv", "target"),
    [([*IMPORT, "--out"], "usage.csv"), ([*CALIBRATE, "--write-what-if"], "observed.hcl")],
)
def test_a_replaced_output_keeps_its_mode(stack, umask_022, argv, target, mode) -> None:
    old = Path("stack/usage.csv").read_text() if target == "usage.csv" else "# old\n"
    Path(target).write_text(old)
    os.chmod(target, mode)
    result = run_cli([*argv, target])
    assert result.code == 0, result.stderr
    assert Path(target).read_text() != old
    assert _mode(target) == mode
    assert [p.name for p in Path().iterdir() if p.name.startswith(".infercost-")] == []


def test_init_writes_files_the_umask_s_way(tmp_path: Path, umask_022) -> None:
    directory = tmp_path / "new"
    result = run_cli(
        ["init", str(directory), "--at", "2026-11-01", "--model", "openai/gpt-4o-mini"]
    )
    assert result.code == 0, result.stderr
    assert {p.name: _mode(p) for p in directory.iterdir()} == {
        "infercost.hcl": 0o644,
        "prices.hcl": 0o644,
        "workflows.hcl": 0o644,
        "usage.csv": 0o644,
    }
