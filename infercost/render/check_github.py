"""GitHub Actions workflow commands: violations become annotations on the stack's files.

Blocking violations are ``::error``, other failures ``::warning``, existing and waived
violations ``::notice``; passes and skips are not annotated. Blocking ones come first,
since the runner shows only the first few annotations of each kind per step.

Everything is escaped as the runner expects, so a message cannot end its command early
or start another one: ``%``, CR and LF in the message, and ``:`` and ``,`` as well in
property values.
"""

from __future__ import annotations

from collections.abc import Sequence

from infercost.errors import Diagnostic
from infercost.guard.results import CheckResult, GuardResult
from infercost.render.check_view import grouped, message, note, run_warnings, values_text


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(result: CheckResult, diagnostics: Sequence[Diagnostic] | None = None) -> str:
    """The annotations of ``result``. The run's warnings (``diagnostics``, else the
    guardrails' own) are ``::warning``, after the errors and before the guardrails'
    warnings, at their file and line when they have one: a drift judged on another
    period's records is seen on the pull request, not only in the log."""
    groups = grouped(result)
    lines = []
    for group, name in (
        ("blocking", "error"),
        ("warning", "warning"),
        ("existing", "notice"),
        ("waived", "notice"),
    ):
        if group == "warning":
            lines += [_warning(d) for d in run_warnings(result, diagnostics)]
        for r in groups[group]:
            lines.append(_annotation(r, name, result.currency))
    return "".join(line + "\n" for line in lines)


def _annotation(r: GuardResult, name: str, currency: str) -> str:
    prefix = {
        "existing": "existing violation, not blocking: ",
        "waived": "waived: ",
    }.get(r.status, "")
    if r.status == "existing" and r.blocking:
        prefix = ""  # the note says it blocks because of --strict
    text = prefix + (message(r) or f"{r.target} violates {r.guardrail}")
    values = values_text(r, currency)
    if values:
        text += f"\nvalues: {values}"
    extra = note(r, status=False)
    if extra:
        text += f"\n{extra}"
    location = r.location or r.guardrail_location
    return command(
        name,
        text,
        file=location.filename if location else None,
        line=location.start.line if location else None,
        col=location.start.column if location else None,
        title=f"{r.guardrail}: {r.target}",
    )


def _warning(d: Diagnostic) -> str:
    where = d.range
    return command(
        "warning",
        d.summary + (f"\n{d.detail}" if d.detail else ""),
        file=where.filename if where else None,
        line=where.start.line if where else None,
        col=where.start.column if where else None,
        title=d.summary,
    )
