"""``infercost check``: evaluate guardrails and fail a change that breaks them.

Exit codes (decided in :mod:`infercost.app.exit`): 0 every blocking guardrail holds,
2 a blocking violation (0 with ``--soft-fail``), 1 an error — ``--soft-fail`` never
hides an error.
"""

from __future__ import annotations

from infercost.app.arguments import CheckArgs
from infercost.app.check import CheckRun, check_stack
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, publish
from infercost.render import check_text
from infercost.render.formatting import Style

# The terminal view is the common case; the other renderers load when asked for.


def _json(r: CheckRun, _style: Style) -> str:
    from infercost.render.documents import check_document
    from infercost.render.json_encoding import dumps

    return dumps(check_document(r.result, r.diagnostics))


def _markdown(r: CheckRun, _style: Style) -> str:
    from infercost.render import markdown

    return markdown.check_comment(r.result, r.diagnostics)


def _sarif(r: CheckRun, _style: Style) -> str:
    from infercost.render import check_sarif
    from infercost.vcs import repository_root

    return check_sarif.render(r.result, repository_root(r.args.options.stack))


def _junit(r: CheckRun, _style: Style) -> str:
    from infercost.render import check_junit

    return check_junit.render(r.result)


def _github(r: CheckRun, _style: Style) -> str:
    from infercost.render import check_github

    return check_github.render(r.result, r.diagnostics)


VIEWS: dict[str, View[CheckRun]] = {
    "text": lambda r, style: check_text.render(r.result, style),
    "json": _json,
    "markdown": _markdown,
    "sarif": _sarif,
    "junit": _junit,
    "github": _github,
}
FORMATS = tuple(VIEWS)


def run(args: CheckArgs, console: Console) -> Outcome:
    result = check_stack(args)
    publish(result, args.outputs, VIEWS, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
