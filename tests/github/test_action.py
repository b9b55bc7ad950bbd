"""The composite action's shell steps, run with bash against real git repositories.

A pull request controls the inputs a workflow may pass (a branch name, a ref): none may
become an option of git or infercost, and by default the change is compared with the
merge base of the pull request's base and the checked-out head.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO

ACTION = REPO / ".github/actions/infercost-check/action.yml"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _step(name: str) -> dict[str, Any]:
    steps = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    (found,) = [s for s in steps if s.get("name") == name]
    return found


def _run_step(name: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """Run a step's script as the runner does (bash, env from the step); return the exit
    code, the log and the step outputs written to GITHUB_OUTPUT."""
    outputs = cwd / "github_output"
    outputs.write_text("", encoding="utf-8")
    full = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_OUTPUT": str(outputs),
        "RUNNER_TEMP": str(cwd),
        **env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", _step(name)["run"]],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    values = dict(
        line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if line
    )
    return done.returncode, done.stdout + done.stderr, values


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return done.stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """main: one commit, then a teammate's; pr: branched after the first, one commit."""
    root = tmp_path / "origin"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "stack.hcl").write_text("# one\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    _git(root, "checkout", "-q", "-b", "pr")
    (root / "pr.hcl").write_text("# pr\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "pr")
    _git(root, "checkout", "-q", "main")
    (root / "team.hcl").write_text("# team\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "team")
    return root


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=touch PWNED",
        "-c",
        "main...--upload-pack=touch PWNED",
        "--output=PWNED...HEAD",
        "main\n--upload-pack=touch PWNED",
    ],
)
def test_a_base_ref_is_never_an_option(origin: Path, ref: str) -> None:
    code, log, outputs = _run_step("Resolve the base", origin, {"STACK": ".", "BASE_REF": ref})
    assert code == 1
    assert "::error title=infercost::input 'base-ref' must be" in log
    assert "ref" not in outputs
    assert not (origin / "PWNED").exists()


def test_the_default_base_is_the_merge_base_with_head(origin: Path) -> None:
    _git(origin, "checkout", "-q", "pr")
    tip = _git(origin, "rev-parse", "main")
    code, log, outputs = _run_step("Resolve the base", origin, {"STACK": ".", "BASE_REF": tip})
    assert (code, outputs) == (0, {"ref": f"{tip}...HEAD"}), log
    # a ref with "..." is used as given
    code, _, outputs = _run_step(
        "Resolve the base", origin, {"STACK": ".", "BASE_REF": "main...pr"}
    )
    assert (code, outputs) == (0, {"ref": "main...pr"})


def test_a_shallow_clone_fetches_down_to_the_merge_base(origin: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--depth=1", "--branch=pr", f"file://{origin}", str(clone))
    tip = _git(origin, "rev-parse", "main")
    code, log, outputs = _run_step("Resolve the base", clone, {"STACK": ".", "BASE_REF": tip})
    assert (code, outputs) == (0, {"ref": f"{tip}...HEAD"}), log
    merge_base = _git(clone, "merge-base", tip, "HEAD")
    assert merge_base == _git(origin, "rev-parse", "main~1")


def test_no_merge_base_stops_with_the_fix(origin: Path) -> None:
    _git(origin, "checkout", "-q", "--orphan", "lonely")
    _git(origin, "commit", "-q", "-m", "unrelated")
    code, log, _ = _run_step("Resolve the base", origin, {"STACK": ".", "BASE_REF": "main"})
    assert code == 1
    assert "::error title=infercost::cannot find the merge base" in log
    assert "fetch-depth: 0" in log


def test_check_passes_every_input_joined_to_its_option_and_the_stack_after_dashes(
    tmp_path: Path,
) -> None:
    fake = tmp_path / "infercost"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/args"\nexit 2\n')
    fake.chmod(0o755)
    env = {
        "INFERCOST": str(fake),
        "STACK": "--policy=/etc/evil",
        "BASE": "abc...HEAD",
        "USAGE": "-u.csv",
        "POLICIES": "builtin:retry-storms\n  --strict  \n",
        "SARIF": "false",
        "STRICT": "false",
        "SOFT_FAIL": "false",
    }
    code, log, outputs = _run_step("infercost check", tmp_path, env)
    assert code == 0, log
    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert args[:7] == ["check", "-o", "text", "-o", "github", "-o", args[6]]
    assert args[7:] == [
        "--base=abc...HEAD",
        "--usage=-u.csv",
        "--policy=builtin:retry-storms",
        "--policy=--strict",
        "--",
        "--policy=/etc/evil",
    ]
    assert outputs["exit-code"] == "2"


def test_the_action_installs_infercost_from_its_own_checkout() -> None:
    script = _step("Install infercost")["run"]
    assert 'spec="$ACTION_PATH/../../.."' in script
    assert (ACTION.parent / "../../../pyproject.toml").resolve() == REPO / "pyproject.toml"
    assert 'name = "infercost"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_no_expression_is_expanded_inside_a_script() -> None:
    steps = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    for step in steps:
        assert "${{" not in step.get("run", ""), step["name"]


def test_comment_passes_every_input_joined_to_its_option(tmp_path: Path) -> None:
    fake = tmp_path / "infercost"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/args"\nexit 1\n')
    fake.chmod(0o755)
    env = {
        "INFERCOST": str(fake),
        "MARKDOWN": "-r.md",
        "STACK": ".",
        "TAG": "--repo=evil/x",
        "GITHUB_TOKEN": "t",
        "REPOSITORY": "acme/shop",
        "PR_NUMBER": "7",
        "HEAD_SHA": "0" * 40,
        "PR_UPDATED_AT": "2026-11-29T10:00:00Z",
        "FROM_FORK": "true",
    }
    code, log, outputs = _run_step("Comment on the pull request", tmp_path, env)
    # a fork's read-only token: a warning, not a failure; the exit code is still kept
    assert code == 0, log
    assert "::warning title=infercost::cannot comment on a pull request from a fork" in log
    assert outputs["exit-code"] == "0"
    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert args == [
        "comment",
        "--body-file=-r.md",
        "--repo=acme/shop",
        "--pr=7",
        "--tag=--repo=evil/x",
        "--valid-at=2026-11-29T10:00:00Z",
    ]


def test_without_a_stack_check_runs_the_project_and_no_dashes(tmp_path: Path) -> None:
    fake = tmp_path / "infercost"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/args"\nexit 0\n')
    fake.chmod(0o755)
    (tmp_path / "infercost.project.hcl").write_text("", encoding="utf-8")
    env = {
        "INFERCOST": str(fake),
        "STACK": "",
        "BASE": "abc...HEAD",
        "USAGE": "",
        "POLICIES": "",
        "SARIF": "false",
        "STRICT": "false",
        "SOFT_FAIL": "false",
    }
    code, log, outputs = _run_step("infercost check", tmp_path, env)
    assert code == 0, log
    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert args[0] == "check" and args[-1] == "--base=abc...HEAD" and "--" not in args
    assert outputs["project"] == "true"
