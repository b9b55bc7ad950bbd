"""``infercost plan``: the COGS diff between a base and the proposed configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.cli.output import parse_outputs, write_outputs
from infercost.cost.breakdown import compute
from infercost.plan.diff import Plan, build_plan
from infercost.render import markdown, plan_text
from infercost.render.documents import plan_document
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps
from infercost.usage.snapshot import Snapshot
from infercost.workspace import Change, Options, Sides, load_sides, load_usage

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class Evaluation:
    plan: Plan
    sides: Sides
    snapshot: Snapshot
    usage_label: str


def compute_plan(options: Options, change: Change, console: Console) -> Evaluation:
    """Both sides priced against the head's snapshot."""
    sides = load_sides(options, change)
    print_diagnostics(sides.warnings, console.stderr, console.err_style)
    return price_sides(sides, options)


def price_sides(sides: Sides, options: Options) -> Evaluation:
    """Price both sides against the head's snapshot and compare them; shared with check."""
    stacks = [sides.base, sides.head] if sides.base else [sides.head]
    snapshot = load_usage(stacks, options)
    assert snapshot is not None
    head = compute(sides.head, snapshot)
    base = compute(sides.base, snapshot) if sides.base else None
    usage = snapshot.path + (f" ({snapshot.period})" if snapshot.period else "")
    plan = build_plan(sides.base, sides.head, base, head, sides.base_label)
    return Evaluation(plan, sides, snapshot, usage)


def run(
    options: Options,
    change: Change,
    outputs: list[str] | None,
    out: Path | None,
    detailed_exitcode: bool,
    console: Console,
) -> int:
    specs = parse_outputs(outputs, out, FORMATS)
    evaluation = compute_plan(options, change, console)
    plan, usage = evaluation.plan, evaluation.usage_label
    rendered = []
    for spec in specs:
        if spec.format == "json":
            text = dumps(plan_document(plan))
        elif spec.format == "markdown":
            text = markdown.plan_comment(plan)
        else:
            style = console.out_style if spec.path is None else Style(False)
            text = plan_text.render(plan, style, str(options.stack), usage)
        rendered.append((spec, text))
    write_outputs(rendered, console.stdout)
    return 2 if detailed_exitcode and plan.has_changes else 0
