"""``infercost plan``: the COGS diff between a base and the proposed configuration."""

from __future__ import annotations

from infercost.app.arguments import PlanArgs
from infercost.app.plan import PlanRun, plan
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, publish
from infercost.render import html, markdown, plan_text
from infercost.render.documents import plan_document
from infercost.render.json_encoding import dumps

VIEWS: dict[str, View[PlanRun]] = {
    "text": lambda r, style: plan_text.render(
        r.plan, style, str(r.args.options.stack), r.priced.usage_label
    ),
    "json": lambda r, _style: dumps(plan_document(r.plan, r.diagnostics)),
    "markdown": lambda r, _style: markdown.plan_comment(r.plan),
    "html": lambda r, _style: html.plan_page(r.plan, str(r.args.options.stack)),
}
FORMATS = tuple(VIEWS)


def run(args: PlanArgs, console: Console) -> Outcome:
    result = plan(args)
    publish(result, args.outputs, VIEWS, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
