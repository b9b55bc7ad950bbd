"""``explain``: one feature's drivers, headroom and break-even, from its priced stack."""

from __future__ import annotations

from dataclasses import dataclass

from infercost.app.arguments import ExplainArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.explain_stack import explained_stack
from infercost.app.run import Run
from infercost.cost.breakdown import compute
from infercost.errors import Diagnostic
from infercost.insight.explain import Explanation, explain, find_feature, parse_swing
from infercost.workspace import load_stack, load_usage


@dataclass(frozen=True)
class ExplainRun:
    args: ExplainArgs
    explanation: Explanation
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def explain_feature(args: ExplainArgs) -> ExplainRun:
    run = Run()
    with run.working():
        swing = parse_swing(args.swing)
        args = explained_stack(args)
        stack = load_stack(args.options, sources=run.sources)
        find_feature(stack, args.feature)  # before the usage: a typo is the likelier slip
        snapshot = load_usage([stack], args.options)
        assert snapshot is not None
        result = explain(stack, compute(stack, snapshot), args.feature, swing, args.sampling)
    return ExplainRun(args, result, run.finished())
