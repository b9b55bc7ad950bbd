"""``plan``: both sides of a change priced against the head's usage, and compared."""

from __future__ import annotations

from dataclasses import dataclass

from infercost.app.arguments import PlanArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.run import Run
from infercost.cost.breakdown import compute
from infercost.errors import Diagnostic
from infercost.insight.report import attach
from infercost.insight.sampling import Settings
from infercost.plan.diff import Plan, build_plan
from infercost.usage.snapshot import Snapshot
from infercost.workspace import Options, Sides, load_sides, load_usage


@dataclass(frozen=True)
class Priced:
    """Both sides priced against one snapshot: what plan shows and check judges."""

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
        priced = price(sides, args.options, args.sampling)
        assert priced.plan.head is not None
        diagnostics.append(priced.plan.head.warnings)  # what the change leaves behind
    return PlanRun(args, priced, run.finished())


def price(sides: Sides, options: Options, sampling: Settings | None = None) -> Priced:
    """Price both sides against the head's snapshot and compare them; shared with check.

    Both sides carry their features' top drivers, and percentiles when ``sampling``.
    """
    stacks = [sides.base, sides.head] if sides.base else [sides.head]
    snapshot = load_usage(stacks, options)
    assert snapshot is not None
    head = attach(sides.head, compute(sides.head, snapshot), sampling)
    base = attach(sides.base, compute(sides.base, snapshot), sampling) if sides.base else None
    usage = snapshot.path + (f" ({snapshot.period})" if snapshot.period else "")
    result = build_plan(sides.base, sides.head, base, head, sides.base_label)
    return Priced(result, sides, snapshot, usage)
