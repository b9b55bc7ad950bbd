"""``infercost breakdown``: cost per unit, COGS, revenue and margin, and where money goes."""

from __future__ import annotations

from infercost.app.arguments import BreakdownArgs
from infercost.app.breakdown import BreakdownRun, breakdown
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, publish
from infercost.render import breakdown_text, html
from infercost.render.customers_json import breakdown_json_inert

VIEWS: dict[str, View[BreakdownRun]] = {
    "text": lambda r, style: breakdown_text.render(r.breakdown, style, r.stack.directory),
    "json": lambda r, _style: breakdown_json_inert(r.breakdown, r.diagnostics),
    "html": lambda r, _style: html.breakdown_page(r.breakdown, r.stack.directory),
}
FORMATS = tuple(VIEWS)


def run(args: BreakdownArgs, console: Console) -> Outcome:
    result = breakdown(args)
    publish(result, args.outputs, VIEWS, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
