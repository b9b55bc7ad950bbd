"""``infercost validate``: parse, check the schema and references; 0 valid, 1 invalid."""

from __future__ import annotations

from typing import Any

from infercost.app.arguments import ValidateArgs
from infercost.app.validate import Validation, validate
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.cli.output import View, render, write_outputs
from infercost.errors import Severity
from infercost.render.diagnostics import diagnostics_fields
from infercost.render.documents import FORMAT_VERSION
from infercost.render.formatting import Style
from infercost.render.json_encoding import dumps


def _text(v: Validation, style: Style) -> str:
    """Success on stdout; problems go to stderr through the one diagnostics handler."""
    if not v.valid:
        return ""
    return style.green(style.bold("Success!")) + f" The configuration is valid ({v.summary}).\n"


def _document(v: Validation) -> dict[str, Any]:
    errors = [d for d in v.diagnostics if d.severity == Severity.ERROR]
    return {
        "format_version": FORMAT_VERSION,
        "valid": not errors,
        "error_count": len(errors),
        "warning_count": len(v.diagnostics) - len(errors),
        "diagnostics": diagnostics_fields(v.diagnostics),
    }


VIEWS: dict[str, View[Validation]] = {
    "text": _text,
    "json": lambda v, _style: dumps(_document(v)),
}
FORMATS = tuple(VIEWS)


def run(args: ValidateArgs, console: Console) -> Outcome:
    result = validate(args)
    rendered = render(result, args.outputs, VIEWS, console)
    # An invalid stack has no text view: nothing is written, not even an empty file.
    write_outputs([(s, text) for s, text in rendered if text or s.format != "text"], console.stdout)
    # The JSON document holds the diagnostics; stderr repeats them only beside a text view.
    shown = any(spec.format == "text" for spec in args.outputs)
    return Outcome(result.exit_code, result.diagnostics if shown else ())
