"""``validate``: parse the stack, check its schema and references, and (if configured)
read its usage. Problems are the result here, not an exception: every view reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.app.arguments import ValidateArgs
from infercost.app.exit import ExitCode, exit_code
from infercost.app.records_setting import read_setting_records
from infercost.app.run import Run
from infercost.cost.limits import check_usage_units
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.workspace import load_stack, load_usage


@dataclass(frozen=True)
class Validation:
    args: ValidateArgs
    #: What was checked, in words ("3 features, 2 workflows, ..."); empty when invalid.
    summary: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def valid(self) -> bool:
        return not any(d.severity == Severity.ERROR for d in self.diagnostics)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def validate(args: ValidateArgs) -> Validation:
    run = Run()
    summary = ""
    try:
        with run.working():
            stack = load_stack(args.options, sources=run.sources)
            snapshot = load_usage([stack], args.options, required=False)
            if snapshot is not None:
                check_usage_units(snapshot)  # as breakdown judges them
            records = read_setting_records(stack, args.options.period)
    except InfercostError:
        return Validation(args, "", run.finished())
    steps = sum(len(w.steps) for w in stack.workflows.values())
    summary = (
        f"{len(stack.features)} features, {len(stack.workflows)} workflows, {steps} steps, "
        f"{sum(len(p.items) for p in stack.price_sheets.values())} price items"
        + (f"; usage {snapshot.path}: {snapshot.rows} rows" if snapshot else "")
        + (f"; {records}" if records else "")
    )
    return Validation(args, summary, run.finished())
