"""The HCL shown in the documentation parses, and its block reference matches the schema."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from infercost.config.hcl import parse_text
from infercost.config.structure import language_schema
from tests.helpers import REPO

DOCS = [
    "README.md",
    "docs/language.md",
    "docs/ci.md",
    "docs/projects.md",
    "docs/prices.md",
    "infercost/policies/README.md",
]
FENCE = re.compile(r"```hcl\n(.*?)```", re.S)


def hcl_blocks() -> list[tuple[str, int, str]]:
    out = []
    for name in DOCS:
        text = (REPO / name).read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            out.append((name, line, match.group(1)))
    return out


@pytest.mark.parametrize(("doc", "line", "source"), hcl_blocks(), ids=lambda v: str(v)[:30])
def test_documented_hcl_parses(doc: str, line: int, source: str) -> None:
    parse_text(source, f"{doc}:{line}")


def test_every_top_level_block_is_documented() -> None:
    reference = (REPO / "docs/language.md").read_text(encoding="utf-8")
    blocks = language_schema()["$defs"]["stack"]["properties"]
    for block in blocks:
        assert f"### `{block}`" in reference, block


def _section(doc: str, title: str) -> str:
    text = (REPO / doc).read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_the_script_without_the_action_is_safe_under_bash_e(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    (script,) = re.findall(r"```sh\n(.*?)```", _section("docs/ci.md", "Without the action"), re.S)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    fakes = {
        "pip": "exit 0",
        # check writes the report and finds a blocking violation
        "infercost": 'echo "$*" >> "$LOG"\n'
        'case "$1" in check) echo report > infercost.md; exit 2 ;; esac\nexit 0',
    }
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log), "BASE_SHA": "abc"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("check ") and "--base=abc...HEAD -- infercost" in calls[0]
    assert calls[1] == "comment --body-file infercost.md"


def test_docs_warn_about_paths_filters_on_required_checks() -> None:
    text = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    assert "Do not filter a required check with `paths:`" in text
    assert "# paths:" not in (REPO / ".github/examples/infercost-pr.yml").read_text()
