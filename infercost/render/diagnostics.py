"""A diagnostic, encoded once: the JSON object and the Terraform-style text.

Both views are drawn from the same :class:`~infercost.errors.Diagnostic` (its source
line attached from the texts the run read), so ``validate -o json``, the ``diagnostics``
array of every document and the text on stderr always agree.

Error: Unsupported argument

  on stack/workflows.hcl line 12, in step "draft":
  12:     input_tokns = 1800

An argument named "input_tokns" is not expected here. Did you mean "input_tokens"?
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infercost.errors import Diagnostic, Severity
from infercost.render.formatting import Style


def diagnostic_fields(d: Diagnostic) -> dict[str, Any]:
    """The JSON object of one diagnostic (SPEC §8): severity, summary, detail, range."""
    return {
        "severity": d.severity.value,
        "summary": d.summary,
        "detail": d.detail,
        "range": None
        if d.range is None
        else {
            "filename": d.range.filename,
            "start": {"line": d.range.start.line, "column": d.range.start.column},
            "end": {"line": d.range.end.line, "column": d.range.end.column},
        },
    }


def diagnostics_fields(diagnostics: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    return [diagnostic_fields(d) for d in diagnostics]


def format_diagnostic(d: Diagnostic, style: Style) -> str:
    """The text of one diagnostic, as Terraform prints it."""
    label = "Error" if d.severity == Severity.ERROR else "Warning"
    colour = style.red if d.severity == Severity.ERROR else style.yellow
    lines = [colour(style.bold(f"{label}: ")) + style.bold(d.summary), ""]
    if d.range is not None:
        where = f"  on {d.range.filename} line {d.range.start.line}"
        if d.context:
            where += f", in {d.context}"
        lines.append(where + ":")
        if d.snippet is not None:
            lines.append(f"  {d.range.start.line}: {d.snippet}")
        lines.append("")
    if d.detail:
        lines.append(d.detail)
        lines.append("")
    return "\n".join(lines)
