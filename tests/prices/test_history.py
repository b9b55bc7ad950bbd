"""``prices history``: price changes read from git objects along the first-parent
history, through renames of the price file and of the stack directory."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.helpers import run_cli

MAIN = 'unit "t" {}\n'

PRICES = """\
price_sheet "openai" {
  model "gpt-4o" {
    input_per_mtok  = 5.00
    output_per_mtok = 15.00
  }
}
"""


def git(cwd: Path, *args: str, author: str = "Ann", when: str = "2026-01-01T10:00:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "a@example.com",
        "GIT_AUTHOR_DATE": when + "+00:00",
        "GIT_COMMITTER_DATE": when + "+00:00",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return done.stdout


def commit(repo: Path, message: str, **kw: str) -> None:
    git(repo, "add", "-A", **kw)
    git(repo, "commit", "-q", "-m", message, **kw)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "costs").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "costs/main.hcl").write_text(MAIN, encoding="utf-8")
    (root / "costs/prices.hcl").write_text(PRICES, encoding="utf-8")
    commit(root, "Add the stack", when="2026-01-05T09:00:00")
    edit(root / "costs/prices.hcl", "input_per_mtok  = 5.00", "input_per_mtok  = 2.50")
    commit(root, "OpenAI cut gpt-4o input", author="Bo", when="2026-02-10T09:00:00")
    git(root, "mv", "costs/prices.hcl", "costs/openai.hcl")
    commit(root, "Name the price file after its vendor", when="2026-02-20T09:00:00")
    git(root, "mv", "costs", "stack")
    commit(root, "Move the stack", when="2026-03-01T09:00:00")
    edit(root / "stack/openai.hcl", "price_sheet", "price_sheet {")
    commit(root, "A broken edit", when="2026-03-02T09:00:00")
    edit(root / "stack/openai.hcl", "price_sheet {", "price_sheet")
    commit(root, "Fix it", when="2026-03-03T09:00:00")
    # A side branch merged without fast-forward: first-parent sees only the merge.
    git(root, "checkout", "-q", "-b", "side")
    edit(root / "stack/openai.hcl", "output_per_mtok = 15.00", "output_per_mtok = 12.00")
    commit(root, "Side: try 12", when="2026-03-10T09:00:00")
    edit(root / "stack/openai.hcl", "output_per_mtok = 12.00", "output_per_mtok = 10.00")
    commit(root, "Side: settle on 10", when="2026-03-11T09:00:00")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge the new output price", "side",
        author="Cy", when="2026-03-15T09:00:00")  # fmt: skip
    monkeypatch.chdir(root)
    return root


def test_history_follows_renames_and_first_parents(repo: Path) -> None:
    result = run_cli(["prices", "history", "stack", "-o", "json"])
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout, parse_float=D)
    assert doc["commits"] == 7  # first parent: the side branch's two commits are not read
    rows = [
        (c["date"][:10], c["author"], c["item"], c["attribute"], c["before"], c["after"])
        for c in doc["changes"]
        if c["attribute"] in ("input_per_mtok", "output_per_mtok")
    ]
    assert rows == [
        ("2026-01-05", "Ann", "openai/gpt-4o", "input_per_mtok", None, 5),
        ("2026-01-05", "Ann", "openai/gpt-4o", "output_per_mtok", None, 15),
        ("2026-02-10", "Bo", "openai/gpt-4o", "input_per_mtok", 5, D("2.5")),
        ("2026-03-15", "Cy", "openai/gpt-4o", "output_per_mtok", 15, 10),
    ]
    current = {(c["item"], c["attribute"]): c for c in doc["current"]}
    assert current[("openai/gpt-4o", "input_per_mtok")]["value"] == D("2.5")
    assert current[("openai/gpt-4o", "input_per_mtok")]["since"]["date"].startswith("2026-02-10")
    # The broken commit is skipped with a warning; nothing is reported changed by it.
    assert [w["summary"] for w in doc["diagnostics"]] == ["Commit skipped"]
    assert "A broken edit" in doc["diagnostics"][0]["detail"]
    assert "Warning: Commit skipped" in result.stderr


def test_history_of_one_item_as_text(repo: Path) -> None:
    result = run_cli(["prices", "history", "stack", "openai/gpt-4o"])
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Price changes in 7 commits (oldest first):"
    body = "\n".join(lines)
    assert "2026-02-10" in body and "5 → 2.5" in body and "Bo" in body
    assert "15 → 10" in body and "Cy" in body


def test_history_text_cannot_issue_ci_commands(repo: Path) -> None:
    edit(repo / "stack/openai.hcl", "input_per_mtok  = 2.50", "input_per_mtok  = 2.00")
    commit(repo, "##[error]x", author="::warning::y", when="2026-04-01T09:00:00")
    result = run_cli(["prices", "history", "stack"])
    assert result.code == 0
    for line in result.stdout.splitlines():
        assert not line.lstrip().startswith("::")
        assert "##[" not in line


def test_history_outside_a_repository_is_an_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s").mkdir()
    (tmp_path / "s/main.hcl").write_text(MAIN, encoding="utf-8")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run_cli(["prices", "history", "s"])
    assert result.code == 1
    assert result.stderr.startswith("Error: Not a git repository")
