"""The project file, ``infercost.project.hcl``: the stacks of one repository (SPEC §17).

A repository often holds several products, each its own stack with its own usage. The
project file names them (``stack "NAME" { path = "...", usage = "..." }``) and the
policies they share, so one CI job and one comment cover them all. It is looked for at
the git top level, else in the working directory; every path in it is relative to the
file itself. It is schema-checked like a stack (unknown blocks and arguments get a
"did you mean") and each problem is located in it: a stack path that leaves the
repository, two stacks with one name or one path, a directory without ``.hcl`` files.

The project file is never part of a stack, even when its directory is itself a stack
directory: :mod:`infercost.config.loader` and :mod:`infercost.vcs` skip it by name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.config.structure import check_structure
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.files import confine, read_text

PROJECT_FILE = "infercost.project.hcl"


@dataclass(frozen=True)
class ProjectStack:
    """One stack of a project, its paths resolved against the project file's directory."""

    name: str
    #: The stack directory (absolute).
    path: Path
    #: The usage snapshot the project gives it, or None to use the stack's own setting.
    usage: Path | None
    #: ``path`` as written in the project file (for messages and the comment).
    written: str
    range: SourceRange | None = None


@dataclass(frozen=True)
class Project:
    file: Path
    #: The directory of the project file: every path in it is relative to this one.
    directory: Path
    #: The top of the repository (the git top level, else the project's directory).
    root: Path
    stacks: tuple[ProjectStack, ...]
    #: Shared policies: paths resolved against the project directory, or builtin:NAME.
    policies: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(st.name for st in self.stacks)

    def pick(self, name: str) -> ProjectStack:
        """The stack named ``name``; an unknown name is an error with a did-you-mean."""
        for stack in self.stacks:
            if stack.name == name:
                return stack
        raise InfercostError.at(
            "Unknown stack",
            f'The project {_shown(self.file)} has no stack named "{name}".'
            + did_you_mean(name, self.names)
            + " Its stacks: "
            + ", ".join(self.names)
            + ".",
        )


def top_level(start: Path) -> Path | None:
    """The top of the git work tree holding ``start`` (a ``.git`` directory or file), or
    None. A plain walk up: finding the project file must not cost a git import."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def find_project(cwd: Path | None = None) -> Path | None:
    """The project file for a run started in ``cwd``: at the git top level, else in the
    working directory; None when there is none."""
    cwd = (cwd or Path.cwd()).resolve()
    top = top_level(cwd)
    for folder in (top, cwd):
        if folder is not None and (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    return None


def load_project(path: Path, text: str | None = None, *, check_dirs: bool = True) -> Project:
    """Parse, schema-check and resolve a project file; every problem found, located.

    ``text`` is the file's content when it was read elsewhere (from git, at a base ref);
    ``check_dirs`` is False there, since the stack directories of an old commit need
    not exist on disk.
    """
    # The folder is resolved, not the file: a project file that is a symlink must not
    # move the project (and what its paths are relative to) elsewhere on the machine.
    path = path.parent.resolve() / path.name
    directory = path.parent
    shown = _shown(path)
    root = top_level(directory) or directory
    if text is None:
        # A pull request may make the project file a symlink to /proc/self/environ, a
        # pipe or a file outside the repository: read regular files inside it only.
        confine(path, [root], "project file")
        text = read_text(path, "project file")
    parsed = parse_text(text, shown)
    check_structure(parsed.body, "project")
    found = Diagnostics()
    stacks: list[ProjectStack] = []
    names: dict[str, s.Block] = {}
    paths: dict[Path, s.Block] = {}
    for block in parsed.body.blocks_of("stack"):
        try:
            stack = _stack(block, directory, root, check_dirs)
        except InfercostError as exc:
            found.append(exc)
            continue
        earlier = names.get(stack.name)
        if earlier is not None:
            found.append(
                Diagnostic(
                    "Duplicate stack",
                    f'A stack named "{stack.name}" is already declared at line '
                    f"{earlier.type_range.start.line}; each stack needs its own name.",
                    block.label_ranges[0],
                    context=block.header,
                )
            )
            continue
        same = paths.get(stack.path)
        if same is not None:
            found.append(
                Diagnostic(
                    "Duplicate stack path",
                    f'stack "{stack.name}" has the same path as stack "{same.name}" (line '
                    f"{same.type_range.start.line}): {_shown(stack.path)}. A directory is "
                    "one stack.",
                    block.body.attributes["path"].expr.range,
                    context=block.header,
                )
            )
            continue
        names[stack.name] = block
        paths[stack.path] = block
        stacks.append(stack)
    policies: tuple[str, ...] = ()
    attr = parsed.body.attributes.get("policies")
    if attr is not None:
        try:
            policies = _policies(attr, directory, root)
        except (OSError, ValueError) as exc:
            found.append(
                InfercostError.at("Invalid path", f'"policies": {_reason(exc)}.', attr.expr.range)
            )
        except InfercostError as exc:
            found.append(exc)
    if not found and not stacks:
        found.append(
            Diagnostic(
                "No stacks",
                f'{shown} declares no stack; add one like stack "NAME" {{ path = "DIR" }}.',
                SourceRange.point(shown, 1, 1),
            )
        )
    found.raise_if_errors()
    return Project(path, directory, root, tuple(stacks), policies)


def _stack(block: s.Block, directory: Path, root: Path, check_dirs: bool) -> ProjectStack:
    attr = block.body.attributes["path"]
    written = _string(attr, block)
    with _path_errors(block, attr):
        target = (directory / written).resolve()
        if not _inside(target, root):
            raise _error(
                "Stack outside the repository",
                f'stack "{block.name}": the path "{written}" resolves to {target}, outside the '
                f"repository at {root}. A project's stacks live in its repository.",
                attr,
                block,
            )
        if check_dirs:
            if not target.is_dir():
                raise _error(
                    "Stack not found",
                    f'stack "{block.name}": the directory {_shown(target)} does not exist.',
                    attr,
                    block,
                )
            if not stack_files(target):
                raise _error(
                    "Empty stack",
                    f'stack "{block.name}": no .hcl files were found in {_shown(target)} (the '
                    f"project file {PROJECT_FILE} is never part of a stack).",
                    attr,
                    block,
                )
    usage: Path | None = None
    usage_attr = block.body.attributes.get("usage")
    if usage_attr is not None:
        usage = directory / _string(usage_attr, block)
        with _path_errors(block, usage_attr):
            # The stacks get this file as if it were given on the command line: it must
            # lie in the repository like them, or a pull request could make the runner
            # read any .csv or .json on the machine and quote it in a diagnostic.
            confine(usage, [root], "usage file named in the project", usage_attr.expr.range)
            if check_dirs and not usage.is_file():
                raise _error(
                    "Usage file not found",
                    f'stack "{block.name}": {_shown(usage)} does not exist (usage is relative '
                    "to the project file).",
                    usage_attr,
                    block,
                )
    return ProjectStack(block.name, target, usage, written, block.range)


@contextlib.contextmanager
def _path_errors(block: s.Block, attr: s.Attribute) -> Iterator[None]:
    """A path the system cannot use (a NUL byte, a name too long) is a located error."""
    try:
        yield
    except (OSError, ValueError) as exc:
        raise _error(
            "Invalid path", f'stack "{block.name}": "{attr.name}": {_reason(exc)}.', attr, block
        ) from None


def stack_files(directory: Path) -> list[Path]:
    """The ``*.hcl`` files of a stack directory: never the project file."""
    return sorted(p for p in directory.glob("*.hcl") if p.name != PROJECT_FILE)


def _policies(attr: s.Attribute, directory: Path, root: Path) -> tuple[str, ...]:
    value = Evaluator(Scope(allow_blocks=False)).evaluate(attr.expr)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InfercostError.at(
            "Incorrect attribute value type",
            '"policies" must be a list of strings (paths or builtin:NAME).',
            attr.expr.range,
        )
    out = []
    for v in value:
        if v.startswith("builtin:"):
            out.append(v)
            continue
        # Checked here since the stacks receive them as command-line policies.
        path = (directory / v).resolve()
        confine(path, [root], "policy named in the project", attr.expr.range)
        out.append(_shown(path))
    return tuple(out)


def _string(attr: s.Attribute, block: s.Block) -> str:
    value = Evaluator(Scope(allow_blocks=False)).evaluate(attr.expr)
    if not isinstance(value, str) or not value:
        raise _error(
            "Incorrect attribute value type",
            f'"{attr.name}" must be a non-empty string: a path relative to the project file.',
            attr,
            block,
        )
    if not value.isprintable():
        # A line break or a direction control in a directory name would be echoed in
        # every message and output line that names the stack or its files.
        raise _error(
            "Invalid path",
            f'stack "{block.name}": "{attr.name}" holds a control or text-direction '
            "character; name the directory without one.",
            attr,
            block,
        )
    return value


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"the system cannot use this path ({exc.strerror or exc})"
    return "a path cannot hold a NUL character"


def _error(summary: str, detail: str, attr: s.Attribute, block: s.Block) -> InfercostError:
    return InfercostError(Diagnostic(summary, detail, attr.expr.range, context=block.header))


def _shown(path: Path) -> str:
    from infercost.config.loader import display_path

    return display_path(path)
