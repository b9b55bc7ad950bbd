"""``plan --base REF``: the stack as committed at a ref, read from git (SPEC §11)."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import write_files
from tests.plan.support import COST_PER_UNIT, PLAN_STACK, changes, feature, plan, plan_json

D = Decimal


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration leaks into the repositories made here."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two commits: the stack (retry_rate 0.05), then retry_rate 0.5. Works in the repo."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root / "stack", PLAN_STACK)
    commit(root, "one")
    edit(root / "stack/main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.5")
    commit(root, "two")
    monkeypatch.chdir(root)
    return root


def test_base_is_the_committed_stack_and_nothing_is_touched(repo: Path) -> None:
    # Uncommitted work: an edit in the working tree, a staged file, an untracked file.
    edit(repo / "stack/main.hcl", "output_tokens = 350", "output_tokens = 400")
    (repo / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(repo, "add", "staged.txt")
    (repo / "stack/scratch.txt").write_text("untracked\n", encoding="utf-8")
    status = git(repo, "status", "--porcelain")
    head = git(repo, "rev-parse", "HEAD")
    main_text = (repo / "stack/main.hcl").read_text(encoding="utf-8")

    doc = plan_json(["stack", "--base", "HEAD~1"])
    assert doc["base"] == "git ref HEAD~1"
    # The base is HEAD~1 as committed; the head is the working tree with its edit.
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "output_tokens", D(350), D(400)),
        ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), D("0.5")),
    ]
    chat = feature(doc, "chat")
    assert chat["before"]["cost_per_unit"] == COST_PER_UNIT
    # head draft: (6300·2.50 + 3.5·400·10) / 1e6 = (15750 + 14000) / 1e6 = 0.02975; ·1.5
    assert chat["after"]["cost_per_unit"] == D("0.02975") * D("1.5") + D("0.00032")

    # --base HEAD: the committed retry_rate, the uncommitted edit still shows
    doc = plan_json(["stack", "--base", "HEAD"])
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "output_tokens", D(350), D(400)),
    ]

    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "stash", "list") == ""
    assert (repo / "stack/main.hcl").read_text(encoding="utf-8") == main_text


def test_stack_at_the_repository_root_and_from_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files(tmp_path / "flat", PLAN_STACK)
    git(root, "init", "-q")
    commit(root, "one")
    edit(root / "main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.5")
    monkeypatch.chdir(root)
    doc = plan_json([".", "--base", "HEAD"])
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), D("0.5")),
    ]
    # an absolute stack path reads the same directory at the ref
    assert plan_json([str(root), "--base", "HEAD"])["changes"] == doc["changes"]


def test_stack_absent_at_the_ref_is_an_empty_base(repo: Path) -> None:
    (repo / "stack2").mkdir()
    for name in PLAN_STACK:
        (repo / "stack2" / name).write_text((repo / "stack" / name).read_text())
    code, out, err = plan(["stack2", "--base", "HEAD", "-o", "json"])
    assert code == 0
    assert "Warning: Stack absent at base" in err
    assert "stack2 has no .hcl files at HEAD" in err
    doc = json.loads(out)  # the warning is an object of the document, never mixed text
    assert [(d["severity"], d["summary"]) for d in doc["diagnostics"]] == [
        ("warning", "Stack absent at base")
    ]
    assert [(f["name"], f["action"]) for f in doc["features"]] == [("chat", "create")]
    assert all(c["action"] == "create" for c in doc["changes"])
    assert doc["totals"]["before"]["cogs"] == 0


def test_unknown_ref(repo: Path) -> None:
    code, out, err = plan(["stack", "--base", "no-such-branch"])
    assert (code, out) == (1, "")
    assert "Error: Unknown git ref" in err
    assert '"no-such-branch" does not name a commit' in err
    assert "shallow" not in err


def test_not_a_git_repository(write_stack) -> None:
    write_stack(PLAN_STACK)
    code, out, err = plan(["stack", "--base", "HEAD"])
    assert (code, out) == (1, "")
    assert "Error: Not a git repository" in err
    assert "and stack is not" in err  # the path as the user gave it


def test_shallow_clone_without_the_base(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(clone))
    monkeypatch.chdir(clone)
    code, out, err = plan(["stack", "--base", "HEAD~1"])
    assert (code, out) == (1, "")
    assert "Error: Unknown git ref" in err
    assert "shallow clone" in err
    assert "fetch-depth: 0" in err
    assert plan_json(["stack", "--base", "HEAD"])["changes"] == []  # what it has works


def test_base_and_base_dir_exclude_each_other(repo: Path) -> None:
    code, out, err = plan(["stack", "--base", "HEAD", "--base-dir", "stack"])
    assert (code, out) == (1, "")
    assert "--base and --base-dir exclude each other" in err


def test_a_base_that_does_not_validate_names_the_ref(repo: Path) -> None:
    (repo / "stack/broken.hcl").write_text('unit "ticket" {}\n', encoding="utf-8")
    commit(repo, "three: a duplicate unit")
    (repo / "stack/broken.hcl").unlink()
    commit(repo, "four: fixed")
    code, out, err = plan(["stack", "--base", "HEAD~1"])
    assert (code, out) == (1, "")
    assert "Error: Invalid base configuration" in err
    assert "git ref HEAD~1 does not validate" in err
    assert "stack/broken.hcl@HEAD~1" in err  # the base's own error follows, located
    assert plan_json(["stack", "--base", "HEAD"])["changes"] == []


def test_what_if_on_top_of_a_git_base(repo: Path) -> None:
    what_if = repo.parent / "w.hcl"
    what_if.write_text('feature "chat" { revenue_per_unit = 0.5 }\n', encoding="utf-8")
    doc = plan_json(["stack", "--base", "HEAD~1", "--what-if", str(what_if)])
    # head = working tree + what-if, compared with HEAD~1
    assert changes(doc) == [
        ("feature.chat", "update", "revenue_per_unit", D("0.4"), D("0.5")),
        ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), D("0.5")),
    ]


def test_an_error_in_a_git_base_shows_its_source_line(repo: Path) -> None:
    """The base exists only in git: its source line comes from the text read from git,
    not from a file on disk (there is no stack/main.hcl@HEAD to read)."""
    edit(repo / "stack/main.hcl", "retry_rate    = 0.5", 'retry_rate    = "often"')
    commit(repo, "broken")
    edit(repo / "stack/main.hcl", 'retry_rate    = "often"', "retry_rate    = 0.5")
    line = 1 + (repo / "stack/main.hcl").read_text().split("\n").index("    retry_rate    = 0.5")
    code, out, err = plan(["stack", "--base", "HEAD"])
    assert (code, out) == (1, "")
    assert "Error: Invalid base configuration" in err
    assert f"  on stack/main.hcl@HEAD line {line}, in step" in err
    assert f'  {line}:     retry_rate    = "often"\n' in err


def test_a_warning_found_before_an_error_is_printed_with_it(repo: Path) -> None:
    """One list: the base's warning is not lost when the run then fails."""
    (repo / "stack2").mkdir()
    for name in PLAN_STACK:
        if name.endswith(".hcl"):
            (repo / "stack2" / name).write_text((repo / "stack" / name).read_text())
    code, out, err = plan(["stack2", "--base", "HEAD", "-o", "json"])
    assert (code, out) == (1, "")
    assert err.count("Warning: Stack absent at base") == 1
    assert err.index("Warning: Stack absent at base") < err.index("Error: Usage file not found")
