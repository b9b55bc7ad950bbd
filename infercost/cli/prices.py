"""``infercost prices import|outdated|update|history`` (SPEC §13): argument wiring and
the small amount of work between reading the data, the stack and the files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.cli.output import parse_outputs, write_outputs
from infercost.config.loader import display_path, parse_files, read_stack_dir
from infercost.errors import InfercostError
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps
from infercost.workspace import Options, load_stack

prices_app = typer.Typer(
    help="Import prices from maintained data, find and update outdated ones, read their history.",
    no_args_is_help=True,
)

FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="Price data: genai-prices (bundled, default) or litellm."),
]
FileOpt = Annotated[
    Path | None,
    typer.Option("--file", help="The LiteLLM model_prices_and_context_window.json file."),
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="Prices as of this date (YYYY-MM-DD); default today.")
]
OutputOpt = Annotated[
    list[str] | None, typer.Option("-o", "--output", help="Output format: text or json.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the output to FILE.")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Set a variable: NAME=VALUE.")]


def _finish(command: object, *args: object) -> None:
    from infercost.cli.main import _finish as finish

    finish(command, *args)  # type: ignore[arg-type]


def _console() -> Console:
    from infercost.cli.main import _console as console

    return console(False)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InfercostError.at(
            "Invalid date", f'--at must be a date like "2026-03-01", not "{text}".'
        ) from None


def _data(source: str | None, file: Path | None, at: str | None, args: list[str]):  # type: ignore[no-untyped-def]
    """The price data; with ``--from litellm`` a ``.json`` among the arguments is its file
    (so ``--from litellm FILE`` reads as SPEC §13 writes it)."""
    from infercost.prices.data import open_data

    if source == "litellm" and file is None:
        for arg in args:
            if arg.endswith(".json") or (Path(arg).is_file() and "/" not in arg[:1]):
                file = Path(arg)
                args.remove(arg)
                break
    return open_data(source, _date(at), file)


def _split_stack(args: list[str]) -> tuple[Path, list[str]]:
    """``[STACK] [SHEET/ITEM...]``: the first argument is the stack when it is a directory."""
    if args and Path(args[0]).is_dir():
        return Path(args[0]), args[1:]
    return Path("."), args


def _warnings(diagnostics: object, console: Console) -> None:
    items = list(diagnostics)  # type: ignore[call-overload]
    if items:
        print_diagnostics(items, console.stderr, console.err_style)


# -- import -------------------------------------------------------------------------------
def run_import(
    models: list[str],
    source: str | None,
    file: Path | None,
    at: str | None,
    sheet: str | None,
    out: Path | None,
    console: Console,
) -> int:
    from infercost.errors import Diagnostic, Severity
    from infercost.prices.record import one_line
    from infercost.prices.sheets import render

    data = _data(source, file, at, models)
    if not models:
        raise InfercostError.at("No models", "Name at least one PROVIDER/MODEL to import.")
    if sheet is not None and not sheet.replace("-", "_").replace("_", "a").isalnum():
        raise InfercostError.at("Invalid sheet name", f'"{sheet}" is not a valid block name.')
    records, errors = [], []
    for reference in models:
        try:
            records.append(data.lookup(reference))
        except InfercostError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise InfercostError(*errors)
    text = render(records, data.describe(), data.at, sheet)
    warnings = [
        Diagnostic(
            "Prices not imported",
            f"{r.provider}/{r.model}: "
            + one_line("; ".join(r.not_imported))
            + " (the language has "
            "no attribute for them; they are listed as comments in the sheet).",
            severity=Severity.WARNING,
        )
        for r in records
        if r.not_imported
    ]
    warnings += [
        Diagnostic("Note", f"{r.provider}/{r.model}: {note}.", severity=Severity.WARNING)
        for r in records
        for note in r.notes
    ]
    _warnings(warnings, console)
    if out is None:
        console.stdout.write(text)
        return 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InfercostError.at("Cannot write output", f"{out}: {exc.strerror or exc}.") from None
    console.stderr.write(f"Wrote {len(records)} models to {display_path(out)}.\n")
    return 0


@prices_app.command("import")
def import_command(
    models: Annotated[list[str] | None, typer.Argument(help="PROVIDER/MODEL to import.")] = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Put every model in this price_sheet.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the HCL to FILE.hcl.")] = None,
) -> None:
    """Write price_sheet HCL with every price the data has, naming its source and date."""
    _finish(run_import, list(models or ()), source, file, at, sheet, out, _console())


# -- outdated ----------------------------------------------------------------------------
def _outdated(args: list[str], source: str | None, file: Path | None, at: str | None, var):  # type: ignore[no-untyped-def]
    from infercost.prices.compare import outdated

    data = _data(source, file, at, args)
    stack_dir, items = _split_stack(args)
    stack = load_stack(Options(stack=stack_dir, vars=tuple(var or ())))
    return stack_dir, stack, outdated(stack, data, items)


def run_outdated(
    args: list[str],
    source: str | None,
    file: Path | None,
    at: str | None,
    var: list[str] | None,
    outputs: list[str] | None,
    out: Path | None,
    detailed_exitcode: bool,
    console: Console,
) -> int:
    from infercost.render.prices_text import outdated_document, outdated_text

    specs = parse_outputs(outputs, out, ("text", "json"))
    _, stack, report = _outdated(args, source, file, at, var)
    _warnings(report.notes, console)
    rendered = []
    for spec in specs:
        if spec.format == "json":
            rendered.append((spec, dumps(outdated_document(report, stack.currency))))
        else:
            style = console.out_style if spec.path is None else Style(False)
            rendered.append((spec, outdated_text(report, style)))
    write_outputs(rendered, console.stdout)
    return 2 if detailed_exitcode and report.has_differences else 0


@prices_app.command("outdated")
def outdated_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(help="[STACK] [SHEET/ITEM...]", metavar="[STACK] [ITEM]..."),
    ] = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    var: VarOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when a price differs.")
    ] = False,
) -> None:
    """Every declared model item compared with the data: the prices that differ."""
    _finish(
        run_outdated,
        list(args or ()),
        source,
        file,
        at,
        var,
        output,
        out,
        detailed_exitcode,
        _console(),
    )


# -- update -------------------------------------------------------------------------------
def run_update(
    args: list[str],
    source: str | None,
    file: Path | None,
    at: str | None,
    var: list[str] | None,
    dry_run: bool,
    console: Console,
) -> int:
    from infercost.prices.update import update_files
    from infercost.render.prices_text import update_text

    stack_dir, _, report = _outdated(args, source, file, at, var)
    _warnings(report.notes, console)
    texts = read_stack_dir(stack_dir)
    files = parse_files(texts)
    records = {m.item.address: m.record for m in report.matches}
    result = update_files(files, report.differences, records)
    _warnings(result.warnings, console)
    if not dry_run:
        for f in result.files:
            path = stack_dir / Path(f.path).name
            try:
                path.write_text(f.after, encoding="utf-8")
            except OSError as exc:
                raise InfercostError.at(
                    "Cannot write file", f"{f.path}: {exc.strerror or exc}."
                ) from None
    console.stdout.write(update_text(result))
    return 0


@prices_app.command("update")
def update_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(help="[STACK] [SHEET/ITEM...]", metavar="[STACK] [ITEM]..."),
    ] = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    var: VarOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Rewrite the differing prices in place, keeping comments, order and layout."""
    _finish(run_update, list(args or ()), source, file, at, var, dry_run, _console())


# -- history -------------------------------------------------------------------------------
def run_history(
    args: list[str],
    ref: str,
    outputs: list[str] | None,
    out: Path | None,
    console: Console,
) -> int:
    from infercost.prices.history import history
    from infercost.render.prices_text import history_document, history_text

    specs = parse_outputs(outputs, out, ("text", "json"))
    stack_dir, items = _split_stack(args)
    if len(items) > 1:
        raise InfercostError.at(
            "Too many arguments", "prices history takes [STACK] and at most one SHEET/ITEM."
        )
    item = items[0] if items else None
    if not stack_dir.is_dir():
        raise InfercostError.at(
            "Stack not found", f"The directory {display_path(stack_dir)} does not exist."
        )
    result = history(stack_dir, item, ref)
    _warnings(result.warnings, console)
    rendered = []
    for spec in specs:
        if spec.format == "json":
            document = history_document(result, display_path(stack_dir), item)
            rendered.append((spec, dumps(document)))
        else:
            style = console.out_style if spec.path is None else Style(False)
            rendered.append((spec, history_text(result, style)))
    write_outputs(rendered, console.stdout)
    return 0


@prices_app.command("history")
def history_command(
    args: Annotated[
        list[str] | None, typer.Argument(help="[STACK] [SHEET/ITEM]", metavar="[STACK] [ITEM]")
    ] = None,
    ref: Annotated[str, typer.Option("--ref", help="Read the history of this ref.")] = "HEAD",
    output: OutputOpt = None,
    out: OutOpt = None,
) -> None:
    """Every change of every price through the stack's git history (first parent)."""
    _finish(run_history, list(args or ()), ref, output, out, _console())
