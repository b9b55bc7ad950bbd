"""The terminal view of a check: what blocks first, then everything else, then the verdict.

Every violation is one headline line (symbol, target, guardrail) with the message, the
values the condition read, where it is and why it is in its group indented below it.
Passes are summarised per guardrail. Text from configuration is shown as is, except
control characters, which could move the cursor or recolour the terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from infercost.guard.results import CheckResult, GuardResult
from infercost.invisible import quoted_line
from infercost.render.check_view import (
    TITLES,
    grouped,
    message,
    note,
    values_text,
    verdict,
    where,
)
from infercost.render.formatting import Style, money, pct
from infercost.render.plan_text import value_text

SYMBOLS = {
    "blocking": "✗",
    "warning": "!",
    "existing": "~",
    "waived": "≈",
    "skipped": "-",
    "pass": "✓",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
INDENT = "      "


def clean(text: str) -> str:
    """Printable text: control characters shown as escapes, lines indented under the first."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\r\n", "\n"))
    return text.replace("\n", "\n" + INDENT)


def render(result: CheckResult, style: Style) -> str:
    colour = {
        "blocking": lambda t: style.red(style.bold(t)),
        "warning": style.yellow,
        "existing": style.cyan,
        "waived": style.cyan,
        "skipped": style.dim,
        "pass": style.green,
    }
    compared = (
        f"compared with {clean(result.base_label)}"
        if result.base_label is not None
        else "no base: every violation of severity error blocks"
    )
    if result.strict:
        compared += "; strict: existing violations block too"
    lines = [style.bold("infercost check") + style.dim(f"  ({compared})")]
    figures = f"{result.currency} per {clean(result.period)}"
    if result.usage_period:
        figures += f", usage period {quoted_line(result.usage_period)}"
    if result.records_period:
        figures += f", records period {quoted_line(result.records_period)}"
    lines.append(style.dim(figures))
    plan = result.plan
    if plan is not None and result.base_label is not None and plan.has_changes:
        d = plan.change
        cogs = (
            f"COGS {money(plan.totals_before.cogs, result.currency)} → "
            f"{money(plan.totals_after.cogs, result.currency)}"
        )
        if d.cogs_pct is not None:
            cogs += f" ({pct(d.cogs_pct, signed=True)})"
        if plan.usage_changed:
            cogs += (
                f": usage {money(d.usage_effect, result.currency, signed=True)}, "
                f"configuration {money(d.configuration_effect, result.currency, signed=True)}"
                " (guardrails judge the configuration)"
            )
        lines.append(cogs)

    changes = (
        result.plan.guardrail_changes
        if result.plan is not None and result.base_label is not None
        else ()
    )
    if changes:
        lines += ["", style.yellow(style.bold("! Guardrail definitions or waivers change:"))]
        for c in changes:
            symbol = {"create": "+", "update": "~", "delete": "-"}.get(c.action, " ")
            text = f"    {symbol} {c.address}"
            if c.attribute:
                text += f" {c.attribute}: {value_text(c.before)} → {value_text(c.after)}"
            elif c.action == "create":
                text += f": {value_text(c.after)}"
            lines.append(clean(text))

    groups = grouped(result)
    for group in ("blocking", "warning", "existing", "waived", "skipped"):
        members = groups[group]
        if not members:
            continue
        lines += ["", colour[group](f"{TITLES[group]} ({len(members)}):")]
        for r in members:
            lines += _result(r, group, result.currency, colour[group], style)

    passes = groups["pass"]
    if passes:
        per_guardrail = Counter(r.guardrail for r in passes)
        listed = ", ".join(
            f"{clean(name)} ×{n}" if n > 1 else clean(name) for name, n in per_guardrail.items()
        )
        lines += ["", style.green(f"Passed ({len(passes)}):") + f" {listed}"]

    lines += ["", (style.red if not result.passed else style.green)(style.bold(verdict(result)))]
    return "\n".join(lines) + "\n"


def _result(
    r: GuardResult, group: str, currency: str, paint: Callable[[str], str], style: Style
) -> list[str]:
    severity = "" if r.severity == "error" else f" [{r.severity}]"
    head = (
        f"  {paint(SYMBOLS[group])} {style.bold(clean(r.target))}  {clean(r.guardrail)}{severity}"
    )
    out = [head]
    text = message(r)
    if text:
        out.append(INDENT + clean(text))
    values = values_text(r, currency)
    if values:
        out.append(INDENT + style.dim("values: " + clean(values)))
    why = note(r, status=False)
    if why:
        expired = r.waiver is not None and r.waiver.expired
        out.append(INDENT + (style.yellow(clean(why)) if expired else clean(why)))
    at = where(r.location or r.guardrail_location)
    if at:
        out.append(INDENT + style.dim("at " + clean(at)))
    return out
