"""``infercost explain [STACK] FEATURE``: what drives a feature's cost and what it can take."""

from __future__ import annotations

from pathlib import Path

from infercost.app.arguments import ExplainArgs
from infercost.app.explain import ExplainRun, explain_feature
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, publish
from infercost.errors import InfercostError
from infercost.render import explain_text
from infercost.render.explain_document import explain_document
from infercost.render.json_encoding import dumps

VIEWS: dict[str, View[ExplainRun]] = {
    "text": lambda r, style: explain_text.render(r.explanation, style),
    "json": lambda r, _style: dumps(explain_document(r.explanation, r.diagnostics)),
    "markdown": lambda r, _style: _markdown(r),
}
FORMATS = tuple(VIEWS)


def _markdown(result: ExplainRun) -> str:
    from infercost.render import explain_markdown

    return explain_markdown.render(result.explanation)


def split_arguments(values: list[str]) -> tuple[Path | None, str]:
    """``[STACK] FEATURE``: without a stack, the project's (``--stack NAME``) or the
    working directory."""
    if len(values) == 1:
        return None, values[0]
    if len(values) == 2:
        return Path(values[0]), values[1]
    raise InfercostError.at(
        "Invalid command line",
        "explain takes [STACK] FEATURE: an optional stack directory and one feature name.",
    )


def run(args: ExplainArgs, console: Console) -> Outcome:
    result = explain_feature(args)
    publish(result, args.outputs, VIEWS, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
