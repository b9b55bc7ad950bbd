"""``--base A...B``: the merge base of A and B, as GitHub diffs a pull request (SPEC §14).

The story: a pull request branched from main and changed retry_rate; meanwhile a
teammate's change (output_tokens 350 -> 400) was merged to main. Compared with main's
tip, the teammate's change shows up reversed inside this pull request; compared with the
merge base, only the pull request's own change shows.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_files
from tests.plan.support import PLAN_STACK, changes, plan_json
from tests.plan.test_git_base import commit, edit, git

D = Decimal
OWN = ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), D("0.5"))
REVERSED = ("workflow.answer.step.draft", "update", "output_tokens", D(400), D(350))


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def moved_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(root / "stack", PLAN_STACK)
    commit(root, "the stack")
    git(root, "checkout", "-q", "-b", "pr")
    edit(root / "stack/main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.5")
    commit(root, "the pull request's change")
    git(root, "checkout", "-q", "main")
    edit(root / "stack/main.hcl", "output_tokens = 350", "output_tokens = 400")
    commit(root, "a teammate's change, merged after the branch was cut")
    git(root, "checkout", "-q", "pr")
    monkeypatch.chdir(root)
    return root


def test_the_tip_of_a_moved_base_shows_the_teammates_change_reversed(moved_on: Path) -> None:
    assert changes(plan_json(["stack", "--base", "main"])) == [REVERSED, OWN]


@pytest.mark.parametrize("ref", ["main...HEAD", "main...pr", "main..."])
def test_the_merge_base_shows_only_the_pull_requests_change(moved_on: Path, ref: str) -> None:
    document = plan_json(["stack", "--base", ref])
    assert changes(document) == [OWN]
    assert document["base"] == f"git ref {ref}"


def test_the_merge_base_only_picks_the_base_the_head_is_on_disk(moved_on: Path) -> None:
    edit(moved_on / "stack/main.hcl", "calls    = 4", "calls    = 6")  # uncommitted
    rows = changes(plan_json(["stack", "--base", "main...HEAD"]))
    assert rows == [OWN, ("workflow.answer.step.retrieve", "update", "calls", D(4), D(6))]


def test_check_reads_in_repository_policies_at_the_merge_base(moved_on: Path) -> None:
    result = run_cli(["check", "stack", "--base", "main...HEAD", "-o", "json"])
    assert result.code in (0, 2), result.stderr
    assert result.stderr == ""


def test_no_common_ancestor_is_a_located_error(moved_on: Path) -> None:
    git(moved_on, "checkout", "-q", "--orphan", "lonely")
    commit(moved_on, "unrelated history")
    result = run_cli(["plan", "stack", "--base", "main...lonely"])
    assert result.code == 1
    assert "Error: Unknown git ref" in result.stderr
    assert '"main...lonely" does not name a merge base' in result.stderr


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "main...--all", "-...main"])
def test_a_ref_is_never_an_option_for_git(moved_on: Path, ref: str) -> None:
    result = run_cli(["plan", "stack", f"--base={ref}"])
    assert result.code == 1
    assert "Error: Unknown git ref" in result.stderr
