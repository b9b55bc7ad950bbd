"""``infercost usage import`` and ``infercost usage sql``: production records in."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from infercost.app.arguments import UsageImportArgs, UsageSqlArgs
from infercost.app.exit import ExitCode
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, render, write_outputs
from infercost.errors import InfercostError
from infercost.render.json_encoding import dumps
from infercost.usage.records.result import ImportResult
from infercost.workspace import load_stack

FORMATS = ("text", "json")


def split_paths(paths: list[Path]) -> tuple[Path, list[Path]]:
    """SPEC §12: the first argument is the stack when it is a directory holding *.hcl
    files; otherwise every argument is a source file and the stack is "."."""
    if paths and paths[0].is_dir() and any(paths[0].glob("*.hcl")):
        return paths[0], list(paths[1:])
    return Path("."), list(paths)


def run_import(args: UsageImportArgs, console: Console) -> Outcome:
    from infercost.app.records import (
        check_out,
        check_source,
        import_records,
        write_snapshot,
    )
    from infercost.render.records import import_document, import_text

    source = check_source(args.source)
    if source == "focus" and args.out is not None:
        raise InfercostError.at(
            "Invalid --out",
            "A FOCUS export has cost per service, not per unit: it gives no usage snapshot.",
        )
    stack = load_stack(args.options)
    target = args.out
    if target is None and source != "focus" and stack.settings.usage:
        target = Path(stack.directory) / stack.settings.usage
    if target is None and source != "focus":
        raise InfercostError.at(
            "No snapshot file",
            'Give the snapshot to write with --out FILE, or set usage = "FILE" in the '
            "infercost block.",
        )
    if target is not None:
        check_out(target)
    with _progress(console):
        result = import_records(stack, args.files, source, args.options.period, args.engine)
    views: dict[str, View[ImportResult]] = {
        "text": lambda r, style: import_text(r, target, style),
        "json": lambda r, _style: dumps(import_document(r, target)),
    }
    rendered = render(result, args.outputs, views, console)
    if target is not None and source != "focus":
        write_snapshot(result, target)
    write_outputs(rendered, console.stdout)
    return Outcome(ExitCode.SUCCESS)


class _progress:
    """A spinner on stderr, only on a terminal and only once a read takes over a second."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = None

    def __enter__(self) -> _progress:
        stream = self.console.stderr
        if not (getattr(stream, "isatty", None) and stream.isatty()) or stream is not sys.stderr:
            return self
        import threading

        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._show, daemon=True)
        self.started = time.monotonic()
        self.thread.start()
        return self

    def _show(self) -> None:
        if self.stop.wait(1.0):
            return
        from rich.console import Console as RichConsole
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("Reading records"),
            TimeElapsedColumn(),
            console=RichConsole(file=sys.stderr),
            transient=True,
        ) as progress:
            progress.add_task("read", total=None)
            self.stop.wait()

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "stop"):
            self.stop.set()
            self.thread.join()


def run_sql(args: UsageSqlArgs, console: Console) -> Outcome:
    from infercost.usage.records.query import DIALECTS, table_name_error
    from infercost.usage.records.query import render as render_sql

    if args.dialect not in DIALECTS:
        from infercost.errors import did_you_mean

        raise InfercostError.at(
            "Unknown SQL dialect",
            f'"{args.dialect}": choose from {", ".join(DIALECTS)}.'
            + did_you_mean(args.dialect, DIALECTS),
        )
    problem = table_name_error(args.table)
    if problem is not None:
        raise InfercostError.at("Invalid table name", problem)
    stack = load_stack(args.options)
    console.stdout.write(render_sql(stack, args.dialect, args.table) + ";\n")
    return Outcome(ExitCode.SUCCESS)
