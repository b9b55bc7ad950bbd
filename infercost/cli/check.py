"""``infercost check``: evaluate guardrails and fail a change that breaks them.

Exit codes: 0 every blocking guardrail holds, 2 a blocking violation (0 with
``--soft-fail``), 1 an error — ``--soft-fail`` never hides an error.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.cli.output import parse_outputs, write_outputs
from infercost.cli.plan import compute_plan
from infercost.guard.engine import Side, all_guardrails, check
from infercost.guard.policies import load_policies
from infercost.guard.results import CheckResult
from infercost.render import check_github, check_junit, check_sarif, check_text, markdown
from infercost.render.documents import check_document
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps
from infercost.workspace import Change, Options

FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")


def evaluate(
    options: Options,
    change: Change,
    policies: list[str],
    strict: bool,
    console: Console,
    today: date | None = None,
) -> CheckResult:
    evaluation = compute_plan(options, change, console)
    plan, sides = evaluation.plan, evaluation.sides
    head = sides.head
    assert plan.head is not None
    loaded = load_policies(head.settings.policies, Path(head.directory))
    loaded += load_policies(policies)
    guardrails = all_guardrails(head, loaded)
    compared = change.base_ref is not None or change.base_dir is not None or bool(change.what_ifs)
    base_side = None
    if sides.base is not None and plan.base is not None:
        base_side = Side(sides.base, plan.base, evaluation.snapshot)
    head_side = Side(head, plan.head, evaluation.snapshot, plan.base)
    return check(
        head_side,
        base_side,
        guardrails,
        strict=strict,
        today=today,
        base_label=sides.base_label if compared else None,
        plan=plan,
    )


def run(
    options: Options,
    change: Change,
    policies: list[str],
    strict: bool,
    soft_fail: bool,
    outputs: list[str] | None,
    out: Path | None,
    console: Console,
) -> int:
    specs = parse_outputs(outputs, out, FORMATS)
    result = evaluate(options, change, policies, strict, console)
    print_diagnostics(result.warnings, console.stderr, console.err_style)
    rendered = []
    for spec in specs:
        if spec.format == "json":
            text = dumps(check_document(result))
        elif spec.format == "markdown":
            text = markdown.check_comment(result)
        elif spec.format == "sarif":
            from infercost.vcs import repository_root

            text = check_sarif.render(result, repository_root(options.stack))
        elif spec.format == "junit":
            text = check_junit.render(result)
        elif spec.format == "github":
            text = check_github.render(result)
        else:
            style = console.out_style if spec.path is None else Style(False)
            text = check_text.render(result, style)
        rendered.append((spec, text))
    write_outputs(rendered, console.stdout)
    if result.passed or soft_fail:
        return 0
    return 2
