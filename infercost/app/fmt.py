"""``fmt``: the canonical layout of ``.hcl`` files (:mod:`infercost.config.fmt`), written
in place or, with ``check``, only compared.

A file is rewritten only when both its text and the new text parse, so a formatter bug
can never break a stack; a file to rewrite that is not valid HCL is an error and left
as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infercost.app.exit import ExitCode
from infercost.app.run import Run
from infercost.config.fmt import format_text
from infercost.config.hcl import parse_text
from infercost.config.loader import display_path, read_text
from infercost.errors import Diagnostic, InfercostError, Severity


@dataclass(frozen=True)
class Formatting:
    #: Files rewritten (or, with ``check``, that would be), as shown to the user.
    differ: tuple[str, ...]
    check: bool
    diagnostics: tuple[Diagnostic, ...]
    #: For ``-`` (standard input): the text in the layout, written to standard output.
    output: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        if any(d.severity == Severity.ERROR for d in self.diagnostics):
            return ExitCode.ERROR
        return ExitCode.UNFORMATTED if self.check and self.differ else ExitCode.SUCCESS


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


def formatted(text: str, name: str) -> str:
    """The canonical layout of a file's text; a located error for invalid HCL.

    A file already in the layout is not parsed (validity is ``validate``'s question,
    and parsing costs ten times the layout); one to rewrite is parsed before and after,
    so a formatter bug can never break it.
    """
    result = format_text(text, name)
    if result != text:
        parse_text(text, name)
        try:
            parse_text(result, name)
        except InfercostError as exc:
            raise InfercostError.at(
                "Cannot format file",
                f"The canonical layout of {name} does not parse ({exc}); the file is left "
                "as it is. This is a bug in infercost: please report it.",
            ) from None
    return result


def format_stdin(text: str, check: bool) -> Formatting:
    """``fmt -``: standard input in the layout on standard output (as editors call
    ``terraform fmt -``); with ``check``, nothing is written, only the exit code."""
    run = Run()
    run.sources["<stdin>"] = text
    try:
        result = formatted(text, "<stdin>")
    except InfercostError as exc:
        run.diagnostics.append(exc)
        return Formatting((), check, run.finished())
    differ = ("<stdin>",) if result != text else ()
    return Formatting(differ, check, run.finished(), None if check else result)


def format_files(paths: Sequence[Path], check: bool) -> Formatting:
    run = Run()
    differ: list[str] = []
    try:
        files = files_of(paths)
    except InfercostError as exc:
        return Formatting((), check, tuple(exc.diagnostics))
    for path in files:
        name = display_path(path)
        try:
            text = run.sources[name] = read_text(path)
            result = formatted(text, name)
            if result == text:
                continue
            if not check:
                try:
                    path.write_text(result, encoding="utf-8")
                except OSError as exc:
                    raise InfercostError.at(
                        "Cannot write file", f"{name}: {exc.strerror or exc}."
                    ) from None
        except InfercostError as exc:
            run.diagnostics.append(exc)
            continue
        differ.append(name)
    return Formatting(tuple(differ), check, run.finished())
