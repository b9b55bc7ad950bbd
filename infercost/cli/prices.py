"""``infercost prices import|outdated|update|history`` (SPEC §13): argument wiring only.
Each command builds its frozen arguments, calls :mod:`infercost.app.prices`, renders its
views and hands its outcome back to the one handler in :mod:`infercost.cli.main`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from infercost.cli import commandline as cl
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import parse_outputs, publish
from infercost.errors import InfercostError
from infercost.render.json_encoding import dumps

if TYPE_CHECKING:  # the price data and its readers load only when a prices command runs
    from infercost.app.prices import DataArgs, HistoryRun, OutdatedRun
    from infercost.cli.output import View

prices_app = cl.App(
    help="Import prices from maintained data, find and update outdated ones, read their history.",
    invoke_without_command=True,
)


@prices_app.callback()
def _prices(ctx: cl.Context) -> None:
    """``infercost prices`` alone prints its help and exits 0, as ``infercost`` does."""
    if ctx.invoked_subcommand is None:
        _console(ctx).stdout.write(ctx.get_help() + "\n")


FromOpt = Annotated[
    str | None,
    cl.Option("--from", help="Price data: genai-prices (bundled, default) or litellm."),
]
FileOpt = Annotated[
    Path | None,
    cl.Option("--file", help="The LiteLLM model_prices_and_context_window.json file."),
]
AtOpt = Annotated[
    str | None, cl.Option("--at", help="Prices as of this date (YYYY-MM-DD); default today.")
]
OutputOpt = Annotated[
    list[str] | None, cl.Option("-o", "--output", help="Output format: text or json.")
]
OutOpt = Annotated[Path | None, cl.Option("--out", help="Write the output to FILE.")]
VarOpt = Annotated[list[str] | None, cl.Option("--var", help="Set a variable: NAME=VALUE.")]
ItemsArg = Annotated[
    list[str] | None,
    cl.Argument(help="[STACK] [SHEET/ITEM...]", metavar="[STACK] [ITEM]..."),
]


def _console(ctx: cl.Context) -> Console:
    return ctx.obj if isinstance(ctx.obj, Console) else Console()


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InfercostError.at(
            "Invalid date", f'--at must be a date like "2026-03-01", not "{text}".'
        ) from None


def _data(source: str | None, file: Path | None, at: str | None, args: list[str]) -> DataArgs:
    """With ``--from litellm``, a ``.json`` file among the arguments is the data's file,
    so ``--from litellm FILE`` reads as SPEC §13 writes it."""
    from infercost.app.prices import DataArgs

    if source == "litellm" and file is None:
        for arg in list(args):
            if arg.endswith(".json") or Path(arg).is_file():
                file = Path(arg)
                args.remove(arg)
                break
    return DataArgs(source, file, _date(at))


def _split_stack(args: list[str]) -> tuple[Path, tuple[str, ...]]:
    """``[STACK] [SHEET/ITEM...]``: the first argument is the stack when it is a directory."""
    if args and Path(args[0]).is_dir():
        return Path(args[0]), tuple(args[1:])
    return Path("."), tuple(args)


# -- import -------------------------------------------------------------------------------
@prices_app.command("import")
def import_command(
    ctx: cl.Context,
    models: Annotated[list[str] | None, cl.Argument(help="PROVIDER/MODEL to import.")] = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    sheet: Annotated[
        str | None, cl.Option("--sheet", help="Put every model in this price_sheet.")
    ] = None,
    out: Annotated[Path | None, cl.Option("--out", help="Write the HCL to FILE.hcl.")] = None,
) -> Outcome:
    """Write price_sheet HCL with every price the data has, naming its source and date."""
    from infercost.app.prices import ImportArgs, import_prices

    console = _console(ctx)
    names = list(models or ())
    data = _data(source, file, at, names)  # takes a LiteLLM file out of the names
    result = import_prices(ImportArgs(tuple(names), data, sheet, out))
    if out is None:
        console.stdout.write(result.text)
    else:
        from infercost.config.loader import display_path

        console.stderr.write(f"Wrote {len(result.records)} models to {display_path(out)}.\n")
    return Outcome(result.exit_code, result.diagnostics)


# -- outdated ----------------------------------------------------------------------------
def _outdated_views() -> dict[str, View[OutdatedRun]]:
    from infercost.render.prices_text import outdated_document, outdated_text

    return {
        "text": lambda r, style: outdated_text(r.report, style),
        "json": lambda r, _style: dumps(
            outdated_document(r.report, r.stack.currency, r.diagnostics)
        ),
    }


@prices_app.command("outdated")
def outdated_command(
    ctx: cl.Context,
    args: ItemsArg = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    var: VarOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    detailed_exitcode: Annotated[
        bool, cl.Option("--detailed-exitcode", help="Exit 2 when a price differs.")
    ] = False,
) -> Outcome:
    """Every declared model item compared with the data: the prices that differ."""
    from infercost.app.prices import OutdatedArgs, outdated_prices
    from infercost.options import Options

    rest = list(args or ())
    data = _data(source, file, at, rest)
    stack, items = _split_stack(rest)
    arguments = OutdatedArgs(
        Options(stack=stack, vars=tuple(var or ())),
        items,
        data,
        parse_outputs(output, out, ("text", "json")),
        detailed_exitcode,
    )
    result = outdated_prices(arguments)
    publish(result, arguments.outputs, _outdated_views(), _console(ctx), result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)


# -- update -------------------------------------------------------------------------------
@prices_app.command("update")
def update_command(
    ctx: cl.Context,
    args: ItemsArg = None,
    source: FromOpt = None,
    file: FileOpt = None,
    at: AtOpt = None,
    var: VarOpt = None,
    dry_run: Annotated[
        bool, cl.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> Outcome:
    """Rewrite the differing prices in place, keeping comments, order and layout."""
    from infercost.app.prices import UpdateArgs, update_prices
    from infercost.options import Options
    from infercost.render.prices_text import update_text

    rest = list(args or ())
    data = _data(source, file, at, rest)
    stack, items = _split_stack(rest)
    options = Options(stack=stack, vars=tuple(var or ()))
    result = update_prices(UpdateArgs(options, items, data, dry_run))
    _console(ctx).stdout.write(update_text(result.result))
    return Outcome(result.exit_code, result.diagnostics)


# -- history ------------------------------------------------------------------------------
def _history_views() -> dict[str, View[HistoryRun]]:
    from infercost.render.prices_text import history_document, history_text

    return {
        "text": lambda r, style: history_text(r.history, style),
        "json": lambda r, _style: dumps(
            history_document(r.history, r.stack, r.args.item, r.diagnostics)
        ),
    }


@prices_app.command("history")
def history_command(
    ctx: cl.Context,
    args: Annotated[
        list[str] | None, cl.Argument(help="[STACK] [SHEET/ITEM]", metavar="[STACK] [ITEM]")
    ] = None,
    ref: Annotated[str, cl.Option("--ref", help="Read the history of this ref.")] = "HEAD",
    output: OutputOpt = None,
    out: OutOpt = None,
) -> Outcome:
    """Every change of every price through the stack's git history (first parent)."""
    from infercost.app.prices import HistoryArgs, price_history

    stack, items = _split_stack(list(args or ()))
    if len(items) > 1:
        raise InfercostError.at(
            "Too many arguments", "prices history takes [STACK] and at most one SHEET/ITEM."
        )
    arguments = HistoryArgs(
        stack, items[0] if items else None, ref, parse_outputs(output, out, ("text", "json"))
    )
    result = price_history(arguments)
    publish(result, arguments.outputs, _history_views(), _console(ctx), result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
