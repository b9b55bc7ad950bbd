"""``breakdown``: one stack priced against its usage."""

from __future__ import annotations

from dataclasses import dataclass

from infercost.app.arguments import BreakdownArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.run import Run
from infercost.cost.breakdown import Breakdown, compute
from infercost.errors import Diagnostic
from infercost.insight.ahead import Spreads
from infercost.insight.report import attach
from infercost.model import Stack
from infercost.workspace import load_stack, load_usage, usage_read_early


@dataclass(frozen=True)
class BreakdownRun:
    args: BreakdownArgs
    stack: Stack
    breakdown: Breakdown
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def breakdown(args: BreakdownArgs) -> BreakdownRun:
    run = Run()
    with run.working(), usage_read_early(args.options) as early:
        stack = load_stack(args.options, sources=run.sources)
        snapshot = load_usage([stack], args.options, early=early)
        assert snapshot is not None
        # Percentiles are simulated while the engine prices the customers.
        ahead = Spreads(stack, snapshot.units, args.sampling) if args.sampling else None
        try:
            result = attach(stack, compute(stack, snapshot), args.sampling, ahead)
        finally:  # done by now, unless pricing failed: then nothing more is simulated
            if ahead is not None:
                ahead.cancel()
        run.diagnostics.append(result.warnings)
    return BreakdownRun(args, stack, result, run.finished())
