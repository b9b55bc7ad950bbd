"""The one place diagnostics are printed: Terraform-style, to stderr.

Error: Unsupported argument

  on stack/workflows.hcl line 12, in step "draft":
  12:     input_tokns = 1800

An argument named "input_tokns" is not expected here. Did you mean "input_tokens"?
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from infercost.errors import Diagnostic, Severity
from infercost.render.formatting import Style


def format_diagnostic(d: Diagnostic, style: Style) -> str:
    label = "Error" if d.severity == Severity.ERROR else "Warning"
    colour = style.red if d.severity == Severity.ERROR else style.yellow
    lines = [colour(style.bold(f"{label}: ")) + style.bold(d.summary), ""]
    if d.range is not None:
        where = f"  on {d.range.filename} line {d.range.start.line}"
        if d.context:
            where += f", in {d.context}"
        lines.append(where + ":")
        source = _source_line(d.range.filename, d.range.start.line)
        if source is not None:
            lines.append(f"  {d.range.start.line}: {source}")
        lines.append("")
    if d.detail:
        lines.append(d.detail)
        lines.append("")
    return "\n".join(lines)


def print_diagnostics(diagnostics: Iterable[Diagnostic], stream: TextIO, style: Style) -> None:
    for d in diagnostics:
        stream.write(format_diagnostic(d, style) + "\n")


def _source_line(filename: str, line: int) -> str | None:
    path = Path(filename)
    try:
        if not path.is_file() or path.stat().st_size > 50_000_000:
            return None
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\n").rstrip("\r")
    except OSError:
        return None
    return None
