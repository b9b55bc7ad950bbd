"""``infercost check``: evaluate guardrails and fail a change that breaks them.

Exit codes: 0 every blocking guardrail holds, 2 a blocking violation (0 with
``--soft-fail``), 1 an error — ``--soft-fail`` never hides an error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.cli.output import parse_outputs, write_outputs
from infercost.cli.plan import price_sides
from infercost.errors import Diagnostic, InfercostError
from infercost.guard.engine import Side, all_guardrails, check
from infercost.guard.policies import load_policies
from infercost.guard.results import CheckResult
from infercost.model import Guardrail
from infercost.render import check_github, check_junit, check_sarif, check_text, markdown
from infercost.render.documents import check_document
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps
from infercost.workspace import Change, Options, Sides, load_sides

FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")


def evaluate(
    options: Options,
    change: Change,
    policies: list[str],
    strict: bool,
    console: Console,
    today: date | None = None,
) -> CheckResult:
    sides = load_sides(options, change)
    print_diagnostics(sides.warnings, console.stderr, console.err_style)
    # Policy guardrails join each side's own before the plan is made, so a change to a
    # policy file shows among the guardrail changes like a change in the stack.
    head_rules = load_policies(sides.head.settings.policies, Path(sides.head.directory))
    head_rules += load_policies(policies)
    sides.head = replace(sides.head, guardrails=all_guardrails(sides.head, head_rules))
    if sides.base is not None:
        base_rules = _base_policies(sides, change, policies)
        sides.base = replace(sides.base, guardrails=all_guardrails(sides.base, base_rules))
    evaluation = price_sides(sides, options)
    plan = evaluation.plan
    assert plan.head is not None
    compared = change.base_ref is not None or change.base_dir is not None or bool(change.what_ifs)
    base_side = None
    if sides.base is not None and plan.base is not None:
        base_side = Side(sides.base, plan.base, evaluation.snapshot)
    head_side = Side(sides.head, plan.head, evaluation.snapshot, plan.base)
    return check(
        head_side,
        base_side,
        sides.head.guardrails,
        strict=strict,
        today=today,
        base_label=sides.base_label if compared else None,
        plan=plan,
    )


def _base_policies(sides: Sides, change: Change, policies: list[str]) -> list[Guardrail]:
    """The policies as the base had them: at the git ref, in the base directory, or (for
    what-if files alone) the same files as the head."""
    assert sides.base is not None
    try:
        if change.base_ref is not None:
            rules = load_policies(
                sides.base.settings.policies, Path(sides.base.directory), at_ref=change.base_ref
            )
            return rules + load_policies(policies, at_ref=change.base_ref)
        if change.base_dir is not None:
            rules = load_policies(sides.base.settings.policies, change.base_dir)
            return rules + load_policies(policies)
    except InfercostError as exc:
        raise InfercostError(
            Diagnostic(
                "Invalid base policy",
                f"A policy of the base ({sides.base_label}) does not load; its errors follow.",
            ),
            *exc.diagnostics,
        ) from None
    rules = load_policies(sides.base.settings.policies, Path(sides.base.directory))
    return rules + load_policies(policies)


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
