"""``prices import|outdated|update|history``: what each command does, returning a result
that carries its diagnostics; the CLI only wires options and views to these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from infercost.app.arguments import OutputSpec
from infercost.app.exit import ExitCode, exit_code
from infercost.app.run import Run
from infercost.config.loader import display_path, parse_files, read_stack_dir
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.files import check_target
from infercost.model import Stack
from infercost.prices.compare import Outdated, outdated
from infercost.prices.data import PriceData, open_data
from infercost.prices.history import History, history
from infercost.prices.record import PriceRecord, one_line
from infercost.prices.update import UpdateResult, update_files
from infercost.workspace import Options, load_stack


@dataclass(frozen=True)
class DataArgs:
    """Which price data: ``--from``, its ``--file`` (LiteLLM) and ``--at`` date."""

    source: str | None = None
    file: Path | None = None
    at: date | None = None

    def open(self) -> PriceData:
        return open_data(self.source, self.at, self.file)


@dataclass(frozen=True)
class ImportArgs:
    models: tuple[str, ...]
    data: DataArgs = DataArgs()
    sheet: str | None = None
    out: Path | None = None


@dataclass(frozen=True)
class OutdatedArgs:
    options: Options
    items: tuple[str, ...] = ()
    data: DataArgs = DataArgs()
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)
    detailed_exitcode: bool = False


@dataclass(frozen=True)
class UpdateArgs:
    options: Options
    items: tuple[str, ...] = ()
    data: DataArgs = DataArgs()
    dry_run: bool = False


@dataclass(frozen=True)
class HistoryArgs:
    stack: Path
    item: str | None = None
    ref: str = "HEAD"
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)


# -- import -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportRun:
    args: ImportArgs
    text: str
    records: tuple[PriceRecord, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def import_prices(args: ImportArgs) -> ImportRun:
    from infercost.prices.sheets import render

    run = Run()
    with run.working() as diagnostics:
        data = args.data.open()
        if not args.models:
            raise InfercostError.at("No models", "Name at least one PROVIDER/MODEL to import.")
        if args.sheet is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", args.sheet):
            raise InfercostError.at(
                "Invalid sheet name",
                f'--sheet "{one_line(args.sheet)}" is not a block name: a letter or _ first, '
                "then letters, digits, _ or -.",
            )
        records: list[PriceRecord] = []
        errors = []
        for reference in args.models:
            try:
                records.append(data.lookup(reference))
            except InfercostError as exc:
                errors.extend(exc.diagnostics)
        if errors:
            raise InfercostError(*errors)
        text = render(records, data.describe(), data.at, args.sheet)
        for r in records:
            if r.not_imported:
                diagnostics.append(
                    Diagnostic(
                        "Prices not imported",
                        f"{r.provider}/{r.model}: "
                        + one_line("; ".join(r.not_imported))
                        + " (the language has no attribute for them; they are listed as "
                        "comments in the sheet).",
                        severity=Severity.WARNING,
                    )
                )
            for note in r.notes:
                diagnostics.append(
                    Diagnostic(
                        "Note", f"{r.provider}/{r.model}: {note}.", severity=Severity.WARNING
                    )
                )
        if args.out is not None:
            check_target(args.out)
            try:
                args.out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InfercostError.at(
                    "Cannot write output", f"{args.out}: {exc.strerror or exc}."
                ) from None
    return ImportRun(args, text, tuple(records), run.finished())


# -- outdated and update ------------------------------------------------------------------
@dataclass(frozen=True)
class OutdatedRun:
    args: OutdatedArgs
    stack: Stack
    report: Outdated
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(
            self.diagnostics,
            changed=self.report.has_differences,
            detailed_exitcode=self.args.detailed_exitcode,
        )


def _compare(
    options: Options, items: tuple[str, ...], data_args: DataArgs, run: Run
) -> tuple[Stack, Outdated]:
    data = data_args.open()
    stack = load_stack(options, sources=run.sources)
    report = outdated(stack, data, items)
    run.diagnostics.append(*report.notes)
    return stack, report


def outdated_prices(args: OutdatedArgs) -> OutdatedRun:
    run = Run()
    with run.working():
        stack, report = _compare(args.options, args.items, args.data, run)
    return OutdatedRun(args, stack, report, run.finished())


@dataclass(frozen=True)
class UpdateRun:
    args: UpdateArgs
    result: UpdateResult
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def update_prices(args: UpdateArgs) -> UpdateRun:
    run = Run()
    with run.working() as diagnostics:
        _, report = _compare(args.options, args.items, args.data, run)
        texts = read_stack_dir(args.options.stack)
        files = parse_files(texts)
        records = {m.item.address: m.record for m in report.matches}
        result = update_files(files, report.differences, records)
        diagnostics.append(*result.warnings)
        if not args.dry_run:
            for f in result.files:
                path = args.options.stack / Path(f.path).name
                try:
                    path.write_text(f.after, encoding="utf-8")
                except OSError as exc:
                    raise InfercostError.at(
                        "Cannot write file", f"{f.path}: {exc.strerror or exc}."
                    ) from None
    return UpdateRun(args, result, run.finished())


# -- history ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryRun:
    args: HistoryArgs
    history: History
    diagnostics: tuple[Diagnostic, ...]

    @property
    def stack(self) -> str:
        return display_path(self.args.stack)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def price_history(args: HistoryArgs) -> HistoryRun:
    run = Run()
    with run.working() as diagnostics:
        if not args.stack.is_dir():
            raise InfercostError.at(
                "Stack not found", f"The directory {display_path(args.stack)} does not exist."
            )
        result = history(args.stack, args.item, args.ref)
        diagnostics.append(*result.warnings)
    return HistoryRun(args, result, run.finished())
