"""Run a command over every stack of a project, in one process (SPEC §17).

Each stack goes through the same application functions as a single stack
(:func:`~infercost.app.validate.validate`, :func:`~infercost.app.breakdown.breakdown`,
:func:`~infercost.app.plan.plan`, :func:`~infercost.app.check.check_stack`); nothing
here prices or judges. What this module adds is what only a project has: the project's
usage and shared policies per stack, stacks added or removed between the base ref and
the head, totals across stacks (one currency and one period label, or none), and one
exit code for all of them.

Stacks are small and CPU-bound, so threads gain nothing under the GIL, and worker
processes started afresh would pay an interpreter start each. On two cores a project of
four stacks or more is split with a fork of this process (:mod:`~infercost.app.forked`):
half the stacks run in the copy, which sends back only its results. A plan's result
holds the open usage engine, which does not pickle, so plans run here one after
another (bench/project.py measures a 20-stack project).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from infercost.app.arguments import BreakdownArgs, CheckArgs, PlanArgs, ValidateArgs
from infercost.app.breakdown import BreakdownRun, breakdown
from infercost.app.check import CheckRun, check_stack
from infercost.app.exit import ExitCode, exit_code
from infercost.app.forked import map_jobs
from infercost.app.plan import PlanRun, Priced, plan
from infercost.app.run import Run
from infercost.app.validate import Validation, validate
from infercost.arithmetic import ZERO, exact
from infercost.config.loader import display_path, parse_files
from infercost.config.parsed import sharing
from infercost.config.project import Project, ProjectStack, load_project, stack_files
from infercost.cost.breakdown import Breakdown, CustomerTable, Totals, compute, margin
from infercost.errors import Diagnostic, InfercostError, Severity, did_you_mean
from infercost.guard.results import CheckResult
from infercost.model import Stack
from infercost.plan.diff import Delta, Plan, build_plan, delta
from infercost.workspace import Sides, read_inputs

Command = Literal["validate", "breakdown", "plan", "check"]
Args = ValidateArgs | BreakdownArgs | PlanArgs | CheckArgs
StackResult = Validation | BreakdownRun | PlanRun | CheckRun


@dataclass(frozen=True)
class StackOutcome:
    """One stack's part of a project run: its result, or the errors that stopped it."""

    stack: ProjectStack
    result: StackResult | None
    diagnostics: tuple[Diagnostic, ...]
    #: ``create`` / ``delete`` when the stack was added or removed since the base ref.
    lifecycle: str | None = None

    @property
    def name(self) -> str:
        return self.stack.name

    @property
    def failed(self) -> bool:
        return any(d.severity == Severity.ERROR for d in self.diagnostics)

    @property
    def plan(self) -> Plan | None:
        if isinstance(self.result, PlanRun):
            return self.result.plan
        if isinstance(self.result, CheckRun):
            plan_: Plan | None = self.result.result.plan
            return plan_
        return None

    @property
    def breakdown(self) -> Breakdown | None:
        if isinstance(self.result, BreakdownRun):
            return self.result.breakdown
        return None

    @property
    def check(self) -> CheckResult | None:
        return self.result.result if isinstance(self.result, CheckRun) else None

    @property
    def currency_period(self) -> tuple[str, str] | None:
        figures: Any = self.check or self.plan or self.breakdown
        return None if figures is None else (figures.currency, figures.period)

    @property
    def blocking(self) -> bool:
        check = self.check
        return check is not None and not check.passed

    @property
    def changed(self) -> bool:
        plan_ = self.plan
        return plan_ is not None and plan_.has_changes


@dataclass(frozen=True)
class ProjectTotals:
    """The project's figures: sums over its stacks, in their one currency and period."""

    currency: str
    period: str
    #: None for breakdown (there is no base).
    before: Totals | None
    after: Totals
    change: Delta | None


@dataclass(frozen=True)
class ProjectRun:
    command: Command
    args: Args
    project: Project
    stacks: tuple[StackOutcome, ...]
    totals: ProjectTotals | None
    #: The project's own warnings (totals refused), then every stack's diagnostics.
    diagnostics: tuple[Diagnostic, ...]

    @property
    def passed(self) -> bool:
        return not any(s.blocking for s in self.stacks)

    @property
    def has_changes(self) -> bool:
        return any(s.changed or s.lifecycle is not None for s in self.stacks)

    @property
    def exit_code(self) -> ExitCode:
        """Codes combine: any error -> 1; else any blocking violation (or, with
        ``--detailed-exitcode``, any change) -> 2; else 0."""
        args = self.args
        return exit_code(
            self.diagnostics,
            blocking=not self.passed,
            soft_fail=isinstance(args, CheckArgs) and args.soft_fail,
            changed=self.has_changes,
            detailed_exitcode=isinstance(args, PlanArgs) and args.detailed_exitcode,
        )


def single_stack_only(args: Args, project: Project) -> None:
    """``--usage``, ``--what-if`` and ``--base-dir`` name one stack's inputs: with several
    stacks they are errors (``--stack NAME`` picks one)."""
    given = []
    if args.options.usage is not None:
        given.append("--usage")
    change = getattr(args, "change", None)
    if change is not None and change.what_ifs:
        given.append("--what-if")
    if change is not None and change.base_dir is not None:
        given.append("--base-dir")
    if given and len(project.stacks) > 1:
        raise InfercostError.at(
            "Option needs one stack",
            f"{' and '.join(given)} {'names' if len(given) == 1 else 'name'} the inputs of "
            f"one stack, and the project {display_path(project.file)} has "
            f"{len(project.stacks)}: pick one with --stack NAME ("
            + ", ".join(project.names)
            + ").",
        )


def declared_somewhere(args: Args, project: Project) -> None:
    """A ``--var`` (or a value in a ``--var-file``) applies to the stacks that declare
    that variable and is ignored by the others; none declaring it is an error."""
    if not args.options.vars and not args.options.var_files:
        return
    inputs = read_inputs(args.options)
    declared: set[str] = set()
    for stack in project.stacks:
        declared |= _declared_variables(stack.path)
    for name, given in inputs.values.items():
        if name not in declared:
            raise InfercostError.at(
                "Undeclared input variable",
                f'A value was given for "{name}" ({given.origin}), but no stack of the project '
                "declares it." + did_you_mean(name, declared),
            )


_VARIABLE = re.compile(r'^[ \t]*variable[ \t]+"([^"\n]+)"', re.M)


def _declared_variables(directory: Path) -> set[str]:
    """The variable names a stack directory declares, read without parsing it (the
    stack's own run parses it and reports any error there)."""
    from infercost.files import read_text

    names: set[str] = set()
    for path in stack_files(directory) if directory.is_dir() else ():
        try:
            # Regular files only: a *.hcl symlink to /dev/zero or a pipe would never end.
            names.update(_VARIABLE.findall(read_text(path, "configuration file")))
        except InfercostError:
            continue
    return names


def stack_args(args: Args, project: Project, stack: ProjectStack) -> Args:
    """The command's arguments for one stack of the project: its directory, the usage
    the project gives it (unless --usage is given), and the project's shared policies."""
    options = dataclasses.replace(
        args.options,
        stack=stack.path,
        usage=args.options.usage if args.options.usage is not None else stack.usage,
        ignore_undeclared_vars=len(project.stacks) > 1,
    )
    out = dataclasses.replace(args, options=options)
    if isinstance(out, CheckArgs) and project.policies:
        out = dataclasses.replace(out, policies=(*project.policies, *out.policies))
    return out


@sharing()  # stacks may share files (and each its base): parse each text once
def run_project(command: Command, args: Args, project: Project) -> ProjectRun:
    """Every stack of ``project`` through ``command``; one result for them all."""
    single_stack_only(args, project)
    declared_somewhere(args, project)
    jobs = [(command, stack_args(args, project, st), st) for st in project.stacks]
    # A plan's result holds the open usage engine, which does not pickle.
    sequential = command == "plan"
    outcomes = [_run_job(job) for job in jobs] if sequential else map_jobs(_run_job, jobs)
    own: list[Diagnostic] = []
    base_ref = getattr(getattr(args, "change", None), "base_ref", None)
    if base_ref is not None and command in ("plan", "check"):
        outcomes = [_mark_created(o) for o in outcomes]
        try:
            outcomes += _removed_stacks(command, args, project, base_ref)
        except InfercostError as exc:  # the stacks that ran are still reported
            own.extend(exc.diagnostics)
    totals = _totals(command, outcomes, own, compared(args))
    diagnostics = [*own]
    for outcome in outcomes:
        diagnostics.extend(_named(d, outcome.name) for d in outcome.diagnostics)
    return ProjectRun(command, args, project, tuple(outcomes), totals, tuple(diagnostics))


def _run_job(job: tuple[Command, Any, ProjectStack]) -> StackOutcome:
    return _run_stack(*job)


def _run_stack(command: Command, args: Any, stack: ProjectStack) -> StackOutcome:
    try:
        result: StackResult
        if command == "validate":
            result = validate(args)
        elif command == "breakdown":
            result = breakdown(args)
        elif command == "plan":
            result = plan(args)
        else:
            result = check_stack(args)
    except InfercostError as exc:
        return StackOutcome(stack, None, tuple(exc.diagnostics))
    return StackOutcome(stack, result, result.diagnostics)


def _named(d: Diagnostic, name: str) -> Diagnostic:
    """A diagnostic without a location says which stack it is about."""
    if d.range is not None:
        return d
    return dataclasses.replace(d, detail=f'Stack "{name}": {d.detail}' if d.detail else name)


def _mark_created(outcome: StackOutcome) -> StackOutcome:
    """A stack with no .hcl files at the base ref is created as a whole."""
    plan_ = outcome.plan
    if plan_ is not None and plan_.base is None:
        return dataclasses.replace(outcome, lifecycle="create")
    return outcome


def _removed_stacks(command: Command, args: Args, project: Project, ref: str) -> list[StackOutcome]:
    """Stacks the project listed at ``ref`` and no longer lists: deleted as a whole."""
    from infercost.vcs import read_file_at

    text = read_file_at(project.file, ref)
    if text is None:
        return []
    try:
        base_project = load_project(project.file, text.decode("utf-8"), check_dirs=False)
    except (InfercostError, UnicodeDecodeError) as exc:
        found = exc.diagnostics if isinstance(exc, InfercostError) else []
        raise InfercostError(
            Diagnostic(
                "Invalid base project",
                f"The project file at git ref {ref} does not load; its errors follow.",
            ),
            *found,
        ) from None
    current = set(project.names)
    out = []
    for stack in base_project.stacks:
        if stack.name in current:
            continue
        stack_args_ = stack_args(args, base_project, stack)
        try:
            out.append(_deleted(command, stack_args_, stack, ref))
        except InfercostError as exc:
            out.append(StackOutcome(stack, None, tuple(exc.diagnostics), "delete"))
    return out


def _deleted(command: Command, args: Any, stack: ProjectStack, ref: str) -> StackOutcome:
    """A removed stack: its base as committed at ``ref`` against an empty head."""
    from infercost.config.compile import compile_stack
    from infercost.vcs import read_stack_at

    run = Run()
    label = f"git ref {ref}"
    with run.working() as diagnostics:
        at_ref = read_stack_at(stack.path, ref)
        run.sources.update(at_ref.texts)
        inputs = read_inputs(args.options, run.sources)
        inputs.ignore_undeclared = True
        base = compile_stack(parse_files(at_ref.texts), inputs, display_path(stack.path))
        snapshot = _base_usage(base, args, stack, ref)
        before = compute(base, snapshot)
        head = Stack(settings=base.settings, directory=base.directory)
        after = Breakdown(
            base.currency,
            base.settings.period,
            snapshot.period,
            {},
            {},
            CustomerTable(None),
            Totals(ZERO, ZERO, None),
        )
        result_plan = build_plan(base, head, before, after, label)
        diagnostics.append(
            Diagnostic(
                "Stack removed",
                f"{display_path(stack.path)} is listed in the project at {ref} and not any "
                "more: everything in it is deleted.",
                severity=Severity.WARNING,
            )
        )
    sides = Sides(base, head, label)
    usage = snapshot.label
    found = run.finished()
    result: StackResult
    if command == "plan":
        result = PlanRun(args, Priced(result_plan, sides, snapshot, usage), found)
    else:
        checked = CheckResult(
            base.currency,
            base.settings.period,
            snapshot.period,
            label,
            args.strict,
            (),
            plan=result_plan,
        )
        result = CheckRun(args, checked, found)
    return StackOutcome(stack, result, found, "delete")


def _base_usage(base: Stack, args: Any, stack: ProjectStack, ref: str) -> Any:
    """A removed stack's usage: on disk when it is still there, else as committed."""
    from infercost.usage.scale import scale_snapshot
    from infercost.usage.snapshot import check_names, read_snapshot
    from infercost.vcs import read_file_at

    path = args.options.usage
    if path is None and base.settings.usage:
        path = stack.path / base.settings.usage
    if path is None:
        raise InfercostError.at(
            "No usage snapshot",
            f'The removed stack "{stack.name}" names no usage file at {ref}.',
        )
    if path.is_file():
        snapshot = read_snapshot(path, args.options.period)
    else:
        data = read_file_at(path, ref)
        if data is None:
            raise InfercostError.at(
                "Usage file not found",
                f"{display_path(path)} exists neither on disk nor at {ref}.",
            )
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / path.name
            copy.write_bytes(data)
            snapshot = read_snapshot(copy, args.options.period)
        snapshot = snapshot.renamed(f"{display_path(path)}@{ref}")
    check_names(snapshot, set(base.features), set(base.subscriptions))
    if args.options.usage_scale is not None:
        snapshot = scale_snapshot(snapshot, args.options.usage_scale)
    return snapshot


def _totals(
    command: Command,
    outcomes: Sequence[StackOutcome],
    warnings: list[Diagnostic],
    compared: bool,
) -> ProjectTotals | None:
    """Sums over the stacks that ran, when they share one currency and one period."""
    if command == "validate":
        return None
    reported = [o for o in outcomes if o.currency_period is not None]
    if not reported:
        return None
    labels = {o.currency_period for o in reported if o.currency_period is not None}
    if len(labels) > 1:
        listed = "; ".join(
            f'stack "{o.name}" is in {o.currency_period[0]} per {o.currency_period[1]}'
            for o in reported
            if o.currency_period is not None
        )
        warnings.append(
            Diagnostic(
                "No project totals",
                "Totals across stacks need one currency and one period label: "
                f"{listed}. Each stack is reported on its own.",
                severity=Severity.WARNING,
            )
        )
        return None
    currency, period = next(iter(labels))
    if command == "breakdown":
        after = _sum([o.breakdown.totals for o in reported if o.breakdown is not None])
        return ProjectTotals(currency, period, None, after, None)
    plans = [o.plan for o in reported if o.plan is not None]
    after = _sum([p.totals_after for p in plans])
    if not compared:
        return ProjectTotals(currency, period, None, after, None)
    before = _sum([p.totals_before for p in plans])
    return ProjectTotals(currency, period, before, after, delta(before, after))


def compared(args: Args) -> bool:
    """Whether a run compares two sides: plan always (an empty base at least), check
    only with a base or what-if files."""
    if isinstance(args, PlanArgs):
        return True
    if isinstance(args, CheckArgs):
        c = args.change
        return c.base_ref is not None or c.base_dir is not None or bool(c.what_ifs)
    return False


def _sum(totals: Sequence[Totals]) -> Totals:
    with exact():
        cogs = sum((t.cogs for t in totals), ZERO)
        revenue = sum((t.revenue for t in totals), ZERO)
        variable = sum((t.variable_cogs for t in totals), ZERO)
        by_item: dict[str, Decimal] = {}
        for t in totals:  # the same GPU item in two stacks is one reservation's load
            for item, hours in t.gpu_hours_by_item.items():
                by_item[item] = by_item.get(item, ZERO) + hours
        return Totals(
            cogs,
            revenue,
            margin(revenue, cogs),
            variable_cogs=variable,
            allocated_cogs=sum((t.allocated_cogs for t in totals), ZERO),
            unallocated_cogs=sum((t.unallocated_cogs for t in totals), ZERO),
            contribution_margin=margin(revenue, variable),
            gpu_hours=sum((t.gpu_hours for t in totals), ZERO),
            gpu_hours_by_item=dict(sorted(by_item.items())),
        )
