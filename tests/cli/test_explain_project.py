"""``explain`` in a repository with a project file (SPEC §17): ``--stack NAME`` picks the
stack; several stacks and no pick is a located error that names the declaring stacks.

The repository is the one of tests/cli/test_projects.py: alpha, beta and gamma each
declare feature "f", one meter step of ``quantity`` calls at $0.01 (alpha 6, beta 1,
gamma 3), with their own usage (1000, 500 and 200 units).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.test_projects import make_repo, project_text
from tests.helpers import run_cli


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def explained(argv: list[str]) -> dict:
    result = run_cli(["explain", *argv, "-o", "json"])
    assert result.code == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def test_stack_picks_the_stack_and_its_usage(repo: Path) -> None:
    beta = explained(["f", "--stack", "beta"])
    # beta: 1 call x $0.01; 500 units
    assert beta["feature"]["cost_per_unit"] == Decimal("0.01")
    assert beta["feature"]["units"] == 500
    gamma = explained(["f", "--stack", "gamma"])
    assert gamma["feature"]["cost_per_unit"] == Decimal("0.03")  # 3 calls x $0.01
    assert gamma["feature"]["units"] == 200


def test_a_feature_in_several_stacks_is_ambiguous(repo: Path) -> None:
    result = run_cli(["explain", "f"])
    assert result.code == 1 and result.stdout == ""
    err = result.stderr
    assert "Error: Ambiguous feature" in err
    assert "on infercost.project.hcl line 1" in err  # the first declaring stack's block
    assert (
        'Feature "f" is declared in 3 stacks of the project infercost.project.hcl: '
        '"alpha" (stacks/alpha/main.hcl:24), "beta" (stacks/beta/main.hcl:24), '
        '"gamma" (stacks/gamma/main.hcl:24). Pick one with --stack NAME, e.g. '
        "`infercost explain f --stack alpha`." in " ".join(err.split())
    )


def test_several_stacks_need_a_pick_even_when_one_declares_the_feature(repo: Path) -> None:
    main = repo / "stacks" / "gamma" / "main.hcl"
    main.write_text(main.read_text().replace('feature "f"', 'feature "g"'))
    (repo / "stacks" / "gamma" / "usage.csv").write_text("feature,units\ng,200\n")
    result = run_cli(["explain", "g"])
    assert result.code == 1
    err = " ".join(result.stderr.split())
    assert "Error: Option needs one stack" in err
    assert "on infercost.project.hcl line 9" in result.stderr  # gamma's block
    assert (
        "explain works on one stack, and the project infercost.project.hcl has 3 "
        '(alpha, beta, gamma); feature "g" is declared in stack "gamma" '
        "(stacks/gamma/main.hcl:24). Pick it with --stack NAME: "
        "`infercost explain g --stack gamma`." in err
    )
    assert explained(["g", "--stack", "gamma"])["feature"]["cost_per_unit"] == Decimal("0.03")
    # the stack the feature is not in: the stack's own unknown-feature error
    result = run_cli(["explain", "g", "--stack", "beta"])
    assert result.code == 1 and 'The stack declares no feature "g"' in result.stderr


def test_a_feature_no_stack_declares(repo: Path) -> None:
    main = repo / "stacks" / "gamma" / "main.hcl"
    main.write_text(main.read_text().replace('feature "f"', 'feature "search"'))
    result = run_cli(["explain", "serch"])
    assert result.code == 1
    err = " ".join(result.stderr.split())
    assert "Error: Unknown feature" in err
    assert "on infercost.project.hcl line 1" in err
    assert (
        'No stack of the project infercost.project.hcl declares a feature "serch". '
        'Did you mean "search"? Its stacks: alpha, beta, gamma.' in err
    )


def test_a_project_of_one_stack_needs_no_pick(repo: Path) -> None:
    (repo / "infercost.project.hcl").write_text(project_text("beta"))
    assert explained(["f"])["feature"]["cost_per_unit"] == Decimal("0.01")


def test_a_stack_directory_ignores_the_project_and_conflicts_with_stack(repo: Path) -> None:
    assert explained(["stacks/alpha", "f"])["feature"]["cost_per_unit"] == Decimal("0.06")
    result = run_cli(["explain", "stacks/alpha", "f", "--stack", "beta"])
    assert result.code == 1 and "Error: Conflicting options" in result.stderr
    result = run_cli(["explain", "f", "--stack", "bta"])
    assert result.code == 1
    assert 'has no stack named "bta". Did you mean "beta"?' in result.stderr


def test_stack_without_a_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["explain", "f", "--stack", "api"])
    assert result.code == 1 and "Error: No project file" in result.stderr
