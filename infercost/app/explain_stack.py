"""Which stack ``explain`` works on, in a repository with a project file (SPEC §17).

``explain`` answers for one feature of one stack. A stack directory on the command line
is that stack, project or not (the README's quick start keeps working). Without one, the
project file decides: ``--stack NAME`` picks a stack, a project of one stack needs no
pick, and a project of several stacks needs one — then the error says which stacks
declare the feature, so the fix is one copy and paste. The command does not guess even
when only one stack declares it: a feature of the same name added to another stack
later must not silently change what ``explain FEATURE`` means in CI.

Finding the declaring stacks reads each stack's ``.hcl`` files for ``feature "NAME"``
blocks without parsing them: a project of many stacks answers the error at the cost of
reading text, and a stack that does not parse is reported when it is picked.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from infercost.app.arguments import ExplainArgs
from infercost.config.loader import display_path
from infercost.config.project import (
    PROJECT_FILE,
    Project,
    ProjectStack,
    find_project,
    load_project,
    stack_files,
)
from infercost.errors import InfercostError, SourceRange, did_you_mean
from infercost.files import read_text

_FEATURE = re.compile(r'^[ \t]*feature[ \t]+"([^"\n]+)"', re.M)


def explained_stack(args: ExplainArgs) -> ExplainArgs:
    """``args`` with the stack explain works on (and the usage its project gives it)."""
    if args.stack_given:
        if args.stack_name is not None:
            raise InfercostError.at(
                "Conflicting options",
                "Give a stack directory or --stack NAME (a stack of the project), not both.",
            )
        return args
    found = find_project()
    if found is None:
        if args.stack_name is not None:
            raise InfercostError.at(
                "No project file",
                f"--stack {args.stack_name} names a stack of a project, and no {PROJECT_FILE} "
                "was found at the top of the git repository or in the working directory.",
            )
        return args
    project = load_project(found)
    if args.stack_name is not None:
        picked = project.pick(args.stack_name)
    elif len(project.stacks) == 1:
        picked = project.stacks[0]
    else:
        raise _needs_one(project, args.feature)
    options = dataclasses.replace(
        args.options,
        stack=picked.path,
        usage=args.options.usage if args.options.usage is not None else picked.usage,
        ignore_undeclared_vars=len(project.stacks) > 1,
    )
    return dataclasses.replace(args, options=options)


def declarations(stack: ProjectStack, feature: str) -> list[tuple[Path, int]]:
    """(file, line) of every ``feature "FEATURE"`` block of one stack, from its text."""
    found = []
    for path in stack_files(stack.path) if stack.path.is_dir() else ():
        try:
            text = read_text(path, "configuration file")
        except InfercostError:  # reported when that stack is picked and loaded
            continue
        for match in _FEATURE.finditer(text):
            if match.group(1) == feature:
                found.append((path, text.count("\n", 0, match.start()) + 1))
    return found


def _needs_one(project: Project, feature: str) -> InfercostError:
    shown = display_path(project.file)
    stacks = ", ".join(project.names)
    declaring = [(st, declarations(st, feature)) for st in project.stacks]
    declaring = [(st, where) for st, where in declaring if where]
    where = (
        declaring[0][0].range
        if declaring and declaring[0][0].range
        else SourceRange.point(shown, 1)
    )
    if not declaring:
        every = set()
        for st in project.stacks:
            every |= _feature_names(st)
        return InfercostError.at(
            "Unknown feature",
            f'No stack of the project {shown} declares a feature "{feature}".'
            + did_you_mean(feature, every)
            + f" Its stacks: {stacks}.",
            where,
        )
    listed = ", ".join(
        f'"{st.name}" ({display_path(path)}:{line})' for st, ((path, line), *_) in declaring
    )
    if len(declaring) > 1:
        return InfercostError.at(
            "Ambiguous feature",
            f'Feature "{feature}" is declared in {len(declaring)} stacks of the project '
            f"{shown}: {listed}. Pick one with --stack NAME, e.g. "
            f"`infercost explain {feature} --stack {declaring[0][0].name}`.",
            where,
        )
    return InfercostError.at(
        "Option needs one stack",
        f"explain works on one stack, and the project {shown} has {len(project.stacks)} "
        f'({stacks}); feature "{feature}" is declared in stack {listed}. Pick it with '
        f"--stack NAME: `infercost explain {feature} --stack {declaring[0][0].name}`.",
        where,
    )


def _feature_names(stack: ProjectStack) -> set[str]:
    names: set[str] = set()
    for path in stack_files(stack.path) if stack.path.is_dir() else ():
        try:
            names.update(_FEATURE.findall(read_text(path, "configuration file")))
        except InfercostError:
            continue
    return names
