"""``infercost calibrate``: the declared shape against what production does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infercost.app.arguments import OutputSpec
from infercost.app.exit import ExitCode
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import render, write_outputs
from infercost.errors import InfercostError
from infercost.render.json_encoding import dumps
from infercost.workspace import Options, load_stack

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class CalibrateArgs:
    options: Options
    files: tuple[Path, ...]
    #: ``--from``; None: the stack's ``records`` setting names it.
    source: str | None
    write_what_if: Path | None
    outputs: tuple[OutputSpec, ...]
    #: ``--engine``: duckdb or spark.
    engine: str = "duckdb"


def run(args: CalibrateArgs, console: Console) -> Outcome:
    from infercost.app.calibrate import calibrate, write_text
    from infercost.app.records import check_source
    from infercost.cli.usage import _progress
    from infercost.render.calibrate import calibrate_markdown, calibrate_text, document

    stack = load_stack(args.options)
    files, source = args.files, args.source
    if not files:
        # No files named: the stack's records setting (its from, unless --from is given).
        from infercost.app.records_setting import setting_records

        found = setting_records(stack)
        if found is not None:
            files, source = found[0], source or found[1]
    if source is None:
        raise InfercostError.at(
            "Missing --from",
            "Name the records' format with --from records, otel or litellm, or set "
            'records = { from = "...", files = [...] } in the infercost block.',
        )
    source = check_source(source)
    with _progress(console):
        result = calibrate(stack, files, source, args.options.period, args.engine)
    doc = document(stack, result)
    rendered = render(
        doc,
        args.outputs,
        {
            "text": calibrate_text,
            "markdown": calibrate_markdown,
            "json": lambda d, _style: dumps(d),
        },
        console,
    )
    if args.write_what_if is not None:
        write_text(args.write_what_if, result.what_if)
    write_outputs(rendered, console.stdout)
    return Outcome(ExitCode.SUCCESS)
