"""``infercost calibrate``: the declared shape against what production does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infercost.app.arguments import OutputSpec
from infercost.app.exit import ExitCode
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import render, write_outputs
from infercost.render.json_encoding import dumps
from infercost.workspace import Options, load_stack

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class CalibrateArgs:
    options: Options
    files: tuple[Path, ...]
    source: str
    write_what_if: Path | None
    outputs: tuple[OutputSpec, ...]
    #: ``--engine``: duckdb or spark.
    engine: str = "duckdb"


def run(args: CalibrateArgs, console: Console) -> Outcome:
    from infercost.app.calibrate import calibrate, write_text
    from infercost.app.records import check_source
    from infercost.cli.usage import _progress
    from infercost.render.calibrate import calibrate_markdown, calibrate_text, document

    source = check_source(args.source)
    stack = load_stack(args.options)
    with _progress(console):
        result = calibrate(stack, args.files, source, args.options.period, args.engine)
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
