"""``infercost validate``: parse, check the schema and references; 0 valid, 1 invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.cli.output import parse_outputs, write_outputs
from infercost.errors import Diagnostic, InfercostError
from infercost.render.documents import FORMAT_VERSION
from infercost.render.json_encoding import dumps
from infercost.workspace import Options, load_stack, load_usage

FORMATS = ("text", "json")


def run(options: Options, outputs: list[str] | None, out: Path | None, console: Console) -> int:
    specs = parse_outputs(outputs, out, FORMATS)
    diagnostics: list[Diagnostic] = []
    summary = ""
    try:
        stack = load_stack(options)
        snapshot = load_usage([stack], options, required=False)
        steps = sum(len(w.steps) for w in stack.workflows.values())
        summary = (
            f"{len(stack.features)} features, {len(stack.workflows)} workflows, {steps} steps, "
            f"{sum(len(p.items) for p in stack.price_sheets.values())} price items"
            + (f"; usage {snapshot.path}: {snapshot.rows} rows" if snapshot else "")
        )
    except InfercostError as exc:
        diagnostics = exc.diagnostics
    rendered = []
    for spec in specs:
        if spec.format == "json":
            rendered.append((spec, dumps(_document(diagnostics))))
        elif not diagnostics:
            style = console.out_style
            rendered.append(
                (
                    spec,
                    style.green(style.bold("Success!"))
                    + f" The configuration is valid ({summary}).\n",
                )
            )
    if diagnostics and any(s.format == "text" for s in specs):
        print_diagnostics(diagnostics, console.stderr, console.err_style)
    write_outputs(rendered, console.stdout)
    return 1 if diagnostics else 0


def _document(diagnostics: list[Diagnostic]) -> dict[str, Any]:
    errors = [d for d in diagnostics if d.severity == "error"]
    return {
        "format_version": FORMAT_VERSION,
        "valid": not errors,
        "error_count": len(errors),
        "warning_count": len(diagnostics) - len(errors),
        "diagnostics": [
            {
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
            for d in diagnostics
        ],
    }
