"""Wiring for a project run: which stack (or stacks) a command works on, and their views.

Without a stack argument, a command looks for the project file (SPEC §17): with one it
runs every stack (``--stack NAME`` picks one, which then runs as a single stack with the
usage and policies the project gives it); without one it works on the working
directory, as it always did. A stack directory given on the command line is a single
stack whatever project file exists: the README's quick start keeps working.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.config.project import PROJECT_FILE, Project, ProjectStack, find_project, load_project
from infercost.errors import InfercostError

if TYPE_CHECKING:  # a run over a project loads every command; one stack's run does not
    from infercost.app.project import Args, Command, ProjectRun
    from infercost.cli.output import View


def _views(command: Command) -> dict[str, View[ProjectRun]]:
    from infercost.render import project as views

    table: dict[str, dict[str, View[ProjectRun]]] = {
        "validate": {"text": views.text, "json": views.json_view},
        "breakdown": {"text": views.text, "json": views.json_view},
        "plan": {"text": views.text, "json": views.json_view, "markdown": views.markdown_view},
        "check": {
            "text": views.text,
            "json": views.json_view,
            "markdown": views.markdown_view,
            "sarif": views.sarif_view,
            "junit": views.junit_view,
            "github": views.github_view,
        },
    }
    return table[command]


@dataclass(frozen=True)
class Target:
    """What a command works on: one stack directory, or every stack of a project."""

    stack: Path
    project: Project | None = None
    #: The project stack ``--stack`` picked.
    picked: ProjectStack | None = None

    @property
    def whole_project(self) -> bool:
        return self.project is not None and self.picked is None


def target(stack: Path | None, name: str | None) -> Target:
    if stack is not None:
        if name is not None:
            raise InfercostError.at(
                "Conflicting options",
                "Give a stack directory or --stack NAME (a stack of the project), not both.",
            )
        return Target(stack)
    found = find_project()
    if found is None:
        if name is not None:
            raise InfercostError.at(
                "No project file",
                f"--stack {name} names a stack of a project, and no {PROJECT_FILE} was found "
                "at the top of the git repository or in the working directory.",
            )
        return Target(Path("."))
    project = load_project(found)
    if name is None:
        return Target(project.directory, project)
    picked = project.pick(name)
    return Target(picked.path, project, picked)


def for_target(args: Args, where: Target) -> Args:
    """The arguments with the target's stack, and a picked stack's project inputs."""
    if where.project is not None and where.picked is not None:
        from infercost.app.project import stack_args

        return stack_args(args, where.project, where.picked)
    return dataclasses.replace(args, options=dataclasses.replace(args.options, stack=where.stack))


def run(command: Command, args: Args, console: Console, project: Project) -> Outcome:
    from infercost.app.project import run_project
    from infercost.cli.output import publish

    views_of = _views(command)
    for spec in args.outputs:  # checked before any stack runs
        if spec.format not in views_of:
            raise InfercostError.at(
                "Invalid output format",
                f'"{spec.format}" is not an output format of {command} over a project; choose '
                "from " + ", ".join(views_of) + " (or pick one stack with --stack NAME).",
            )
    result = run_project(command, args, project)
    publish(result, args.outputs, views_of, console, result.diagnostics)
    return Outcome(result.exit_code, result.diagnostics)
