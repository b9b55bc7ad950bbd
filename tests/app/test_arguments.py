"""Each command's arguments are one frozen object, and the app layer works from it alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infercost.app.arguments import BreakdownArgs, CheckArgs, OutputSpec, PlanArgs, ValidateArgs
from infercost.app.check import check_stack
from infercost.app.plan import plan
from infercost.workspace import Change, Options
from tests.cli.test_diagnostics_path import NO_MATCH
from tests.guard.support import GUARD_STACK


@pytest.mark.parametrize("kind", [ValidateArgs, BreakdownArgs, PlanArgs, CheckArgs])
def test_arguments_are_one_frozen_object_per_command(kind: type) -> None:
    args = kind(Options(Path("stack")))
    assert args.outputs == (OutputSpec("text"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.options = Options()


def test_check_returns_a_result_carrying_its_diagnostics(write_stack) -> None:
    stack = write_stack({**GUARD_STACK, "waivers.hcl": NO_MATCH})
    run = check_stack(CheckArgs(Options(stack), soft_fail=True))
    assert [d.summary for d in run.diagnostics] == ["Waiver matches nothing"]
    assert run.diagnostics[0].snippet == 'waiver "typo" {'  # from the text already read
    assert run.result.passed is False and run.exit_code == 0  # --soft-fail
    assert dataclasses.replace(run, args=CheckArgs(Options(stack))).exit_code == 2


def test_plan_returns_a_result_with_its_exit_code(write_stack) -> None:
    stack = write_stack(GUARD_STACK)
    run = plan(PlanArgs(Options(stack), Change(), detailed_exitcode=True))
    assert run.plan.has_changes and run.exit_code == 2  # against an empty stack
    assert run.diagnostics == ()
