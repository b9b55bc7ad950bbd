"""The installed command ends with ``os._exit`` once its output is flushed.

Skipping interpreter teardown must never lose a byte: output redirected to a file is
block-buffered, so anything not flushed before the fast exit would be silently cut. These
tests run the real entry point (``python -m infercost``) in a child process with its
output in a file and compare it with the same command run in-process through ``main``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infercost.cli.context import Console
from infercost.cli.main import main
from tests.helpers import REPO

EXAMPLE = str(REPO / "examples" / "support-assistant")


def in_process(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Console(out, err, no_color=True))
    return code, out.getvalue(), err.getvalue()


def to_files(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """``python -m infercost ARGS`` with stdout and stderr redirected to files."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        done = subprocess.run(
            [sys.executable, "-m", "infercost", *args],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
        )
    return (
        done.returncode,
        out_path.read_text(encoding="utf-8"),
        err_path.read_text(encoding="utf-8"),
    )


def test_large_output_to_a_file_is_complete(tmp_path: Path) -> None:
    # JSON of a breakdown is tens of kilobytes: several times Python's 8 KiB buffer.
    args = ("breakdown", EXAMPLE, "-o", "json")
    code, out, err = to_files(tmp_path, *args)
    expected = in_process(*args)
    assert len(out) > 3 * 8192
    assert (code, out, err) == expected
    assert out.endswith("}\n")


def test_exit_code_and_diagnostics_survive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "bad.hcl").write_text('workflow "w" {\n  = 1\n}\n', encoding="utf-8")
    args = ("validate", "stack")
    code, out, err = to_files(tmp_path, *args)
    monkeypatch.chdir(tmp_path)
    assert (code, out, err) == in_process(*args)
    assert code == 1
    assert "bad.hcl line 2" in err
