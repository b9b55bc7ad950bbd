"""Policy files inside the repository are read at the base ref (SPEC §11): a pull request
that loosens a shared rule shows it among the guardrail changes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_files
from tests.plan.support import PLAN_STACK

POLICY = """
guardrail "floor" {
  scope     = "feature"
  condition = self.margin >= 0.90
}
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root / "stack", PLAN_STACK)
    (root / "rules").mkdir()
    (root / "rules" / "floor.hcl").write_text(POLICY)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    return root


def check_json(argv: list[str]) -> dict:
    result = run_cli(["check", *argv, "-o", "json"])
    assert result.code in (0, 2), result.stderr
    return json.loads(result.stdout)


def test_a_loosened_policy_file_is_a_guardrail_change(repo: Path) -> None:
    (repo / "rules" / "floor.hcl").write_text(POLICY.replace("0.90", "0.10"))
    plan = run_cli(["check", "stack", "--base", "HEAD", "--policy", "rules", "-o", "markdown"])
    # The head's rule judges both sides; the plan shows the rule itself changed.
    assert "guardrail.floor" in plan.stdout
    assert "`self.margin >= 0.90` → `self.margin >= 0.10`" in plan.stdout


def test_an_unchanged_policy_is_no_change(repo: Path) -> None:
    document = check_json(["stack", "--base", "HEAD", "--policy", "rules"])
    assert document["plan"]["summary"] == {"create": 0, "update": 0, "delete": 0}
    results = {(r["guardrail"], r["target"]): r for r in document["results"]}
    # margin = (400 - 29.72) / 400 = 0.9257 on both sides: the 0.90 floor holds.
    assert results[("floor", "feature.chat")]["status"] == "pass"


def test_a_policy_added_by_the_change_is_created(repo: Path) -> None:
    (repo / "rules" / "extra.hcl").write_text(
        'guardrail "extra" {\n  scope = "stack"\n  condition = self.cogs <= 1\n}\n'
    )
    result = run_cli(["plan", "stack"])  # plan alone knows nothing of policies
    assert "guardrail.extra" not in result.stdout
    markdown = run_cli(["check", "stack", "--base", "HEAD", "--policy", "rules", "-o", "markdown"])
    assert "guardrail.extra" in markdown.stdout
