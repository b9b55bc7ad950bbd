"""``infercost compare [STACK] WHAT_IF.hcl...``: the stack and each what-if side by side."""

from __future__ import annotations

from pathlib import Path

from infercost.app.compare import CompareArgs, Comparison, compare
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, publish
from infercost.errors import InfercostError
from infercost.render import compare as views

VIEWS: dict[str, View[Comparison]] = {
    "text": views.text,
    "json": views.json_view,
    "markdown": views.markdown_view,
}
FORMATS = tuple(VIEWS)


def split(paths: list[Path], stack_name: str | None) -> tuple[Path | None, tuple[Path, ...]]:
    """[STACK] WHAT_IF...: the first path is the stack when it is a directory."""
    if paths and paths[0].is_dir():
        return paths[0], tuple(paths[1:])
    return None, tuple(paths)


def one_stack(stack: Path | None, stack_name: str | None) -> tuple[Path, Path | None]:
    """The stack a comparison works on (and the usage its project gives it): a directory,
    a project's stack by --stack, a project's only stack, or the working directory."""
    from infercost.cli.project import target

    where = target(stack, stack_name)
    if where.picked is not None:
        return where.picked.path, where.picked.usage
    if where.project is not None:
        if len(where.project.stacks) == 1:
            only = where.project.stacks[0]
            return only.path, only.usage
        raise InfercostError.at(
            "Option needs one stack",
            "compare works on one stack, and the project has "
            f"{len(where.project.stacks)}: give its directory or pick one with --stack NAME ("
            + ", ".join(where.project.names)
            + ").",
        )
    return where.stack, None


def run(args: CompareArgs, console: Console) -> Outcome:
    result = compare(args)
    publish(result, args.outputs, VIEWS, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
