"""``infercost breakdown``: cost per unit, COGS, revenue and margin, and where money goes."""

from __future__ import annotations

from pathlib import Path

from infercost.cli.context import Console
from infercost.cli.output import parse_outputs, write_outputs
from infercost.cost.breakdown import compute
from infercost.render import breakdown_text
from infercost.render.documents import breakdown_document
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps
from infercost.workspace import Options, load_stack, load_usage

FORMATS = ("text", "json")


def run(options: Options, outputs: list[str] | None, out: Path | None, console: Console) -> int:
    specs = parse_outputs(outputs, out, FORMATS)
    stack = load_stack(options)
    snapshot = load_usage([stack], options)
    assert snapshot is not None
    result = compute(stack, snapshot)
    rendered = []
    for spec in specs:
        if spec.format == "json":
            rendered.append((spec, dumps(breakdown_document(result))))
        else:
            style = console.out_style if spec.path is None else Style(False)
            rendered.append((spec, breakdown_text.render(result, style, stack.directory)))
    write_outputs(rendered, console.stdout)
    return 0
