"""``infercost fmt``: rewrite ``.hcl`` files in the canonical layout (as ``terraform fmt``).

Prints the files it changed (with ``--check``: the files that would change, writing
nothing). Exit codes: 0 all formatted, 3 ``--check`` found files to format, 1 an error
(a path that does not exist, a file that is not valid HCL). A file is only rewritten
when both its text and the new text parse, so a formatter bug can never break a stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from infercost.app.exit import ExitCode
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.config.fmt import format_text
from infercost.config.hcl import parse_text
from infercost.config.loader import display_path, read_text
from infercost.errors import Diagnostic, InfercostError


def files_of(paths: Sequence[Path]) -> list[Path]:
    """Each directory's ``*.hcl`` files (not recursive, like a stack), and named files."""
    found: list[Path] = []
    for path in paths or [Path(".")]:
        if path.is_dir():
            found.extend(sorted(path.glob("*.hcl")))
        elif path.is_file():
            found.append(path)
        else:
            raise InfercostError.at("File not found", f"{display_path(path)} does not exist.")
    return list(dict.fromkeys(found))


def formatted(path: Path) -> tuple[str, str]:
    """The file's text and its canonical layout; a located error for invalid HCL."""
    name = display_path(path)
    text = read_text(path)
    parse_text(text, name)
    result = format_text(text, name)
    if result != text:
        try:
            parse_text(result, name)
        except InfercostError as exc:
            raise InfercostError.at(
                "Cannot format file",
                f"The canonical layout of {name} does not parse ({exc}); the file is left "
                "as it is. This is a bug in infercost: please report it.",
            ) from None
    return text, result


def run(paths: Sequence[Path], check: bool, console: Console) -> Outcome:
    diagnostics: list[Diagnostic] = []
    differ: list[str] = []
    for path in files_of(paths):
        try:
            text, result = formatted(path)
        except InfercostError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if result == text:
            continue
        if not check:
            try:
                path.write_text(result, encoding="utf-8")
            except OSError as exc:
                diagnostics.append(
                    Diagnostic("Cannot write file", f"{display_path(path)}: {exc.strerror}.")
                )
                continue
        differ.append(display_path(path))
    console.stdout.write("".join(f"{name}\n" for name in differ))
    if diagnostics:
        return Outcome(ExitCode.ERROR, tuple(diagnostics))
    return Outcome(ExitCode.UNFORMATTED if check and differ else ExitCode.SUCCESS)
