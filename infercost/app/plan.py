"""``plan``: both sides of a change priced, each on its own usage snapshot, and compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from infercost.app.arguments import PlanArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.run import Run
from infercost.cost.breakdown import compute
from infercost.errors import Diagnostic
from infercost.insight.report import attach
from infercost.insight.sampling import Settings
from infercost.plan.diff import Plan, build_plan
from infercost.usage.snapshot import Snapshot
from infercost.workspace import (
    Change,
    EarlyUsage,
    Options,
    Sides,
    load_base_usage,
    load_sides,
    load_usage,
)

if TYPE_CHECKING:  # numpy is imported only when percentiles are asked for
    from infercost.insight.simulate import ShapeKey, Simulated


@dataclass(frozen=True)
class Priced:
    """Both sides priced (each on its own snapshot): what plan shows and check judges."""

    plan: Plan
    sides: Sides
    snapshot: Snapshot
    #: The snapshot's path, and its period when it has several ("usage.csv (2026-10)").
    usage_label: str


@dataclass(frozen=True)
class PlanRun:
    args: PlanArgs
    priced: Priced
    diagnostics: tuple[Diagnostic, ...]

    @property
    def plan(self) -> Plan:
        return self.priced.plan

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(
            self.diagnostics,
            changed=self.plan.has_changes,
            detailed_exitcode=self.args.detailed_exitcode,
        )


def plan(args: PlanArgs) -> PlanRun:
    run = Run()
    with run.working() as diagnostics:
        sides = load_sides(args.options, args.change, run.sources)
        diagnostics.append(sides.warnings)
        priced = price(sides, args.options, args.sampling, change=args.change)
        assert priced.plan.head is not None
        diagnostics.append(priced.plan.head.warnings)  # what the change leaves behind
    return PlanRun(args, priced, run.finished())


def price(
    sides: Sides,
    options: Options,
    sampling: Settings | None = None,
    change: Change | None = None,
    early: EarlyUsage | None = None,
) -> Priced:
    """Price each side on its own snapshot and compare them; shared with check.

    Both sides carry their features' top drivers, and percentiles when ``sampling``.
    When the base has a snapshot of its own (committed at the base ref, or in the base
    directory) that differs from the head's, the base configuration is also priced on
    the head's snapshot, which splits each COGS change into usage and configuration
    effects (plan/diff.py) and is what the guardrail ratchet compares the head with.
    ``early``: the ``--usage`` file, already being read while the sides were loaded.
    """
    stacks = [sides.base, sides.head] if sides.base else [sides.head]
    snapshot = load_usage(stacks, options, early=early)
    assert snapshot is not None
    base_snapshot = (
        load_base_usage(sides, options, change, snapshot) if change is not None else None
    )
    simulated: dict[ShapeKey, Simulated] = {}  # a feature alike on both sides: once
    head = attach(sides.head, compute(sides.head, snapshot), sampling, memo=simulated)
    middle = None
    if sides.base is None:
        base = None
    elif base_snapshot is not None:
        base = attach(sides.base, compute(sides.base, base_snapshot), sampling, memo=simulated)
        middle = compute(sides.base, snapshot)
    else:
        base = attach(sides.base, compute(sides.base, snapshot), sampling, memo=simulated)
    usage = snapshot.label
    if base_snapshot is not None:
        usage += f"; base: {base_snapshot.label}"
    result = build_plan(sides.base, sides.head, base, head, sides.base_label, middle)
    return Priced(result, sides, snapshot, usage)
