"""Hostile inputs found by driving the commands of SPEC §15-§17 as a stranger's pull
request would: each is a located error with exit 1, never a traceback, never a read of
a file infercost must not read, never a runner command or markup from configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_compare import STACK
from tests.helpers import run_cli


@pytest.fixture
def stack(write_stack) -> Path:
    folder: Path = write_stack(STACK)
    return folder


def test_compare_what_if_not_utf8_is_located(stack: Path) -> None:
    Path("bad.hcl").write_bytes(b"\xff\xfe workflow")
    result = run_cli(["compare", str(stack), "bad.hcl"])
    assert result.code == 1
    assert "Unexpected internal error" not in result.stderr
    assert "bad.hcl is not UTF-8 text (byte 1, line 1)" in result.stderr


def test_compare_never_reads_proc(stack: Path) -> None:
    result = run_cli(["compare", str(stack), "/proc/self/environ"])
    assert result.code == 1
    assert "system pseudo-file" in result.stderr
    assert "PATH=" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_compare_refuses_a_pipe_and_names_a_directory(stack: Path) -> None:
    os.mkfifo("pipe.hcl")
    result = run_cli(["compare", str(stack), "pipe.hcl"])
    assert result.code == 1
    assert "pipe.hcl is a named pipe" in result.stderr
    Path("folder").mkdir()
    result = run_cli(["compare", str(stack), "folder"])
    assert result.code == 1
    assert "folder is a directory" in result.stderr
