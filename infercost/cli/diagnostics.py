"""The one place diagnostics are printed: to stderr, after the run, each once.

The text of a diagnostic is :func:`infercost.render.diagnostics.format_diagnostic`;
its source line comes from the texts the run read, attached before printing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from infercost.app.exit import ExitCode
from infercost.app.sources import with_snippets
from infercost.cli.context import Console
from infercost.errors import Diagnostic
from infercost.render.diagnostics import format_diagnostic
from infercost.render.formatting import Style

__all__ = ["Outcome", "format_diagnostic", "print_diagnostics", "report"]


def print_diagnostics(
    diagnostics: Iterable[Diagnostic],
    stream: TextIO,
    style: Style,
    sources: Mapping[str, str] | None = None,
) -> None:
    for d in with_snippets(diagnostics, sources or {}):
        stream.write(format_diagnostic(d, style) + "\n")


@dataclass(frozen=True)
class Outcome:
    """What a command hands back to the handler: its exit code and its diagnostics."""

    code: ExitCode
    diagnostics: tuple[Diagnostic, ...] = ()


def report(outcome: Outcome, console: Console) -> int:
    """The one handler at the end of every command: print its diagnostics once, to
    stderr, and return its exit code."""
    print_diagnostics(outcome.diagnostics, console.stderr, console.err_style)
    return int(outcome.code)
