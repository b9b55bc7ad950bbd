"""``check``: judge the head's guardrails (and policies), ratcheted against the base."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from infercost.app.arguments import CheckArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.plan import price
from infercost.app.run import Run
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.guard.engine import Side, all_guardrails, check
from infercost.guard.policies import load_policies
from infercost.guard.results import CheckResult
from infercost.model import Guardrail, Stack
from infercost.workspace import Change, EarlyUsage, Sides, load_sides, usage_read_early

if TYPE_CHECKING:
    from infercost.calibrate.drift import Observed


@dataclass(frozen=True)
class CheckRun:
    args: CheckArgs
    result: CheckResult
    #: Everything the run found: the sides' warnings, then the guardrails' (waivers).
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(
            self.diagnostics, blocking=not self.result.passed, soft_fail=self.args.soft_fail
        )


def check_stack(args: CheckArgs, today: date | None = None) -> CheckRun:
    run = Run()
    # The --usage file is read in the engine while the stacks are parsed (as breakdown
    # does): on a large snapshot the two overlap instead of following each other.
    with run.working() as diagnostics, usage_read_early(args.options) as early:
        sides = load_sides(args.options, args.change, run.sources)
        diagnostics.append(sides.warnings)
        result = _judge(sides, args, today, run.sources, diagnostics, early)
        diagnostics.append(result.warnings)
    return CheckRun(args, result, run.finished())


def _judge(
    sides: Sides,
    args: CheckArgs,
    today: date | None,
    sources: MutableMapping[str, str],
    diagnostics: Diagnostics,
    early: EarlyUsage | None = None,
) -> CheckResult:
    change, policies = args.change, args.policies
    # Policy guardrails join each side's own before the plan is made, so a change to a
    # policy file shows among the guardrail changes like a change in the stack.
    head_rules = load_policies(
        sides.head.settings.policies, Path(sides.head.directory), sources=sources
    )
    head_rules += load_policies(policies, sources=sources)
    sides.head = replace(sides.head, guardrails=all_guardrails(sides.head, head_rules))
    if sides.base is not None:
        base_rules = _base_policies(sides, change, policies, sources)
        sides.base = replace(sides.base, guardrails=all_guardrails(sides.base, base_rules))
    priced = price(sides, args.options, change=change, early=early)
    plan = priced.plan
    assert plan.head is not None
    diagnostics.append(plan.head.warnings)  # what the change leaves behind
    compared = change.base_ref is not None or change.base_dir is not None or bool(change.what_ifs)
    # The ratchet judges the configuration effect: the head against the base
    # configuration priced on the head's usage (plan.middle, the base itself when both
    # sides share a snapshot), so a usage refresh neither blocks nor hides a change.
    base_side = None
    observed_head = observed_base = None
    records = _records(sides.head, args)
    if records is not None:
        # Both sides read the same records, each priced and resolved by its own stack.
        observed_head = _observed(sides.head, args, *records)
        if sides.base is not None:
            observed_base = _observed(sides.base, args, *records)
        diagnostics.append(_other_period(observed_head.period, plan.usage_period))
    if sides.base is not None and plan.middle is not None:
        base_side = Side(sides.base, plan.middle, priced.snapshot, observed=observed_base)
    head_side = Side(sides.head, plan.head, priced.snapshot, plan.middle, observed_head)
    return check(
        head_side,
        base_side,
        sides.head.guardrails,
        strict=args.strict,
        today=today,
        base_label=sides.base_label if compared else None,
        plan=plan,
    )


def _records(head: Stack, args: CheckArgs) -> tuple[tuple[Path, ...], str] | None:
    """``--records`` and ``--from``, else the head stack's ``records`` setting."""
    if args.records:
        return args.records, args.records_from
    from infercost.app.records_setting import setting_records

    return setting_records(head)


def _observed(stack: Stack, args: CheckArgs, records: tuple[Path, ...], source: str) -> Observed:
    from infercost.app.calibrate import calibrate
    from infercost.calibrate.drift import drift_attributes

    run = calibrate(stack, records, source, args.options.period)
    return drift_attributes(run.features, stack, run.result.period)


def _other_period(records: str | None, usage: str | None) -> list[Diagnostic]:
    """Drift read from another period than the snapshot's is allowed (records of this
    week against last month's usage), but never unsaid."""
    if records is None or usage is None or records == usage:
        return []
    return [
        Diagnostic(
            "Records of another period",
            f"The observed and drift attributes come from the records of {records}; the "
            f"usage snapshot is for {usage}. Pass --period {usage} to read that period's "
            "records instead.",
            severity=Severity.WARNING,
        )
    ]


def _base_policies(
    sides: Sides, change: Change, policies: tuple[str, ...], sources: MutableMapping[str, str]
) -> list[Guardrail]:
    """The policies as the base had them: at the git ref, in the base directory, or (for
    what-if files alone) the same files as the head."""
    assert sides.base is not None
    own = sides.base.settings.policies
    try:
        if change.base_ref is not None:
            ref = change.base_ref
            rules = load_policies(own, Path(sides.base.directory), at_ref=ref, sources=sources)
            return rules + load_policies(policies, at_ref=ref, sources=sources)
        if change.base_dir is not None:
            rules = load_policies(own, change.base_dir, sources=sources)
            return rules + load_policies(policies, sources=sources)
    except InfercostError as exc:
        raise InfercostError(
            Diagnostic(
                "Invalid base policy",
                f"A policy of the base ({sides.base_label}) does not load; its errors follow.",
            ),
            *exc.diagnostics,
        ) from None
    rules = load_policies(own, Path(sides.base.directory), sources=sources)
    return rules + load_policies(policies, sources=sources)
