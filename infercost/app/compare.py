"""``compare``: a stack and each what-if applied to it alone, side by side (SPEC §17).

The question before a launch or a pricing change is rarely one what-if: it is "cheaper
model", "more retrieval" and "traffic doubles" next to each other. Each what-if file is
applied to the stack on its own (never on top of another), every variant is priced
against the stack's one usage snapshot (scaled by ``--usage-scale`` when given, for all
columns alike), and the result holds one breakdown per column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from infercost.app.arguments import OutputSpec
from infercost.app.exit import ExitCode, exit_code
from infercost.app.run import Run
from infercost.config.compile import compile_stack
from infercost.config.loader import check_files, display_path, parse_files, read_stack_dir
from infercost.cost.breakdown import Breakdown, compute
from infercost.errors import Diagnostic, InfercostError
from infercost.files import read_text
from infercost.plan.overrides import apply_what_ifs
from infercost.workspace import Options, load_usage, read_inputs

BASELINE = "stack"


@dataclass(frozen=True)
class CompareArgs:
    options: Options
    #: What-if files, each applied alone to the stack: one column each.
    what_ifs: tuple[Path, ...] = ()
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)


@dataclass(frozen=True)
class Column:
    #: ``stack`` for the stack as it is, else the what-if file as the user named it.
    name: str
    what_if: str | None
    breakdown: Breakdown


@dataclass(frozen=True)
class Comparison:
    args: CompareArgs
    stack: str
    usage_label: str
    columns: tuple[Column, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def currency(self) -> str:
        return self.columns[0].breakdown.currency

    @property
    def period(self) -> str:
        return self.columns[0].breakdown.period

    @property
    def usage_period(self) -> str | None:
        return self.columns[0].breakdown.usage_period

    @property
    def features(self) -> list[str]:
        """Every feature of any column, sorted by name."""
        return sorted({n for c in self.columns for n in c.breakdown.features})

    @property
    def subscriptions(self) -> list[str]:
        return sorted({n for c in self.columns for n in c.breakdown.subscriptions})

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def compare(args: CompareArgs) -> Comparison:
    if not args.what_ifs:
        raise InfercostError.at(
            "No what-if files",
            "compare needs at least one what-if file: infercost compare [STACK] WHAT_IF.hcl...",
        )
    run = Run()
    options = args.options
    shown = display_path(options.stack)
    with run.working():
        inputs = read_inputs(options, run.sources)
        inputs.ignore_undeclared = True
        texts = read_stack_dir(options.stack)
        run.sources.update(texts)
        files = parse_files(texts, root=None)
        check_files(files)
        stack = compile_stack(files, inputs, shown)
        variants = []
        for path in args.what_ifs:
            name = display_path(path)
            if not path.exists():
                raise InfercostError.at("What-if file not found", f"{name} does not exist.")
            # A regular UTF-8 file only: never a pipe, a device or /proc (files.py).
            text = read_text(path, "what-if file")
            run.sources[name] = text
            merged = apply_what_ifs(files, parse_files({name: text}, root=None))
            check_files(merged)
            variant = compile_stack(merged, inputs, shown)
            if variant.currency != stack.currency:
                raise InfercostError.at(
                    "Currency mismatch",
                    f"The stack is in {stack.currency} and {name} makes it {variant.currency}; "
                    "a comparison is in one currency.",
                )
            variants.append((name, variant))
        declared = set(stack.variables).union(*(set(v.variables) for _, v in variants))
        for var, given in inputs.values.items():
            if var not in declared:
                raise InfercostError.at(
                    "Undeclared input variable",
                    f'A value was given for "{var}" ({given.origin}), but no column declares it.',
                )
        # The stack's own usage snapshot for every column (it comes last: the "head").
        snapshot = load_usage([*(v for _, v in variants), stack], options)
        assert snapshot is not None
        columns = [Column(BASELINE, None, compute(stack, snapshot))]
        columns += [Column(name, name, compute(v, snapshot)) for name, v in variants]
    usage = snapshot.label
    return Comparison(args, shown, usage, tuple(columns), run.finished())
