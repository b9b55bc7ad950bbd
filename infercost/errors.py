"""Errors as values.

Every problem a user can cause is a :class:`Diagnostic` that knows where it happened.
Code that finds problems raises :class:`InfercostError` carrying one or more of them; the
CLI's single handler prints them Terraform-style and picks the exit code. Nothing else
in the package prints errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class SourceRange:
    """A span of a file; ``filename`` is as the user should see it."""

    filename: str
    start: Pos
    end: Pos

    @classmethod
    def point(cls, filename: str, line: int, column: int = 1) -> SourceRange:
        return cls(filename, Pos(line, column), Pos(line, column))


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    summary: str
    detail: str = ""
    range: SourceRange | None = None
    severity: Severity = Severity.ERROR
    # "in step "draft"": the innermost block that holds the range, as Terraform shows it.
    context: str | None = None
    # The source line at ``range``, attached from the texts a run has read (see
    # infercost.app.sources.with_snippets), so a file read from git shows it too.
    snippet: str | None = field(default=None, compare=False)


@dataclass
class InfercostError(Exception):
    """One or more error diagnostics (and any warnings found before them); exit code 1."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __init__(self, *diagnostics: Diagnostic) -> None:
        super().__init__(diagnostics[0].summary if diagnostics else "error")
        self.diagnostics = list(diagnostics)

    @classmethod
    def at(
        cls,
        summary: str,
        detail: str = "",
        range: SourceRange | None = None,
        context: str | None = None,
    ) -> InfercostError:
        return cls(Diagnostic(summary, detail, range, Severity.ERROR, context))

    def __str__(self) -> str:
        return "; ".join(f"{d.summary}: {d.detail}" for d in self.diagnostics)


def excerpt(text: str, width: int = 60) -> str:
    """A piece of source or a value quoted in a message: its first line, cut to ``width``
    characters, control characters escaped. A diagnostic never echoes a whole file."""
    from infercost.invisible import quoted_line

    first, newline, _rest = text.partition("\n")
    shown = quoted_line(first, width)
    return shown + "…" if newline and not shown.endswith("…") else shown


def did_you_mean(name: str, candidates: object) -> str:
    """A ' Did you mean "x"?' suffix, or '' when nothing is close."""
    import difflib

    names = sorted({str(c) for c in candidates})  # type: ignore[attr-defined]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:
        lowered = {n.lower(): n for n in names}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f' Did you mean "{close[0]}"?' if close else ""
