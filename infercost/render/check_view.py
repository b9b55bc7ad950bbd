"""What every human view of a check shares: grouping, the verdict sentence, figures.

The text, Markdown, JUnit and GitHub views all show the same groups in the same order
and describe a result with the same words, so a reviewer reading the comment and an
engineer reading the log see one story. Nothing here computes a result; it only
arranges and words a :class:`~infercost.guard.results.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infercost.errors import Diagnostic, Severity, SourceRange
from infercost.guard.results import CheckResult, GuardResult
from infercost.numbers import named

# Groups in the order every view shows them: what blocks first, passes last.
GROUPS = ("blocking", "warning", "existing", "waived", "skipped", "pass")
TITLES = {
    "blocking": "Blocking",
    "warning": "Warnings, not blocking",
    "existing": "Existing, not blocking",
    "waived": "Waived",
    "skipped": "Skipped",
    "pass": "Passed",
}

_MAX_NAMED = 3


def group_of(r: GuardResult) -> str:
    """The one group a result is listed in."""
    if r.blocking:
        return "blocking"
    if r.status == "fail":
        return "warning"
    return r.status


def grouped(result: CheckResult) -> dict[str, list[GuardResult]]:
    out: dict[str, list[GuardResult]] = {g: [] for g in GROUPS}
    for r in result.results:
        out[group_of(r)].append(r)
    return out


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def verdict(result: CheckResult) -> str:
    """The closing sentence: the outcome first, then what it is made of."""
    groups = grouped(result)
    if not result.passed:
        blocking = groups["blocking"]
        named = [f"{r.target}: {r.guardrail}" for r in blocking[:_MAX_NAMED]]
        if len(blocking) > _MAX_NAMED:
            named.append(f"and {len(blocking) - _MAX_NAMED} more")
        return f"Check failed: {plural(len(blocking), 'blocking violation')} ({'; '.join(named)})."
    if not result.results:
        return "Check passed: there are no guardrails to check."
    parts = [
        f"{plural(len(groups['pass']), 'check')} {'holds' if len(groups['pass']) == 1 else 'hold'}"
    ]
    parts += tail(groups)
    return "Check passed: " + ", ".join(parts) + "."


def tail(groups: dict[str, list[GuardResult]]) -> list[str]:
    """The non-blocking counts, in words: "1 existing violation (not blocking)", ..."""
    parts = []
    if groups["warning"]:
        parts.append(plural(len(groups["warning"]), "warning"))
    if groups["existing"]:
        parts.append(plural(len(groups["existing"]), "existing violation") + " (not blocking)")
    if groups["waived"]:
        parts.append(f"{len(groups['waived'])} waived")
    if groups["skipped"]:
        parts.append(f"{len(groups['skipped'])} skipped")
    return parts


def headline(result: CheckResult) -> str:
    """A short verdict for titles: "1 blocking violation" / "12 checks hold"."""
    groups = grouped(result)
    if not result.passed:
        head = plural(len(groups["blocking"]), "blocking violation")
    elif not result.results:
        head = "no guardrails to check"
    else:
        n = len(groups["pass"])
        head = f"{plural(n, 'check')} {'holds' if n == 1 else 'hold'}"
    return ", ".join([head, *tail(groups)])


def where(location: SourceRange | None) -> str:
    """``stack/features.hcl:12:3``, or an empty string."""
    if location is None:
        return ""
    return f"{location.filename}:{location.start.line}:{location.start.column}"


def value_text(name: str, value: Any, currency: str) -> str:
    """One ``self`` value as a person reads it: margins as %, money with its symbol."""
    return named(name, value, currency)


def values_text(r: GuardResult, currency: str) -> str:
    """``margin 41.2% (base 45.0%), target_margin 60.0%``: what the condition read."""
    parts = []
    base = r.base_values or {}
    for name, value in r.values.items():
        now = value_text(name, value, currency)
        text = f"{name} {now}"
        if base.get(name) is not None:
            was = value_text(name, base[name], currency)
            if was != now:  # a difference hidden by rounding is not worth a mention
                text += f" (base {was})"
        parts.append(text)
    return ", ".join(parts)


@dataclass(frozen=True)
class Line:
    """A result as words, shared by the Markdown table and the JUnit/GitHub bodies."""

    guardrail: str
    target: str
    severity: str
    status: str
    message: str
    location: str
    values: str
    note: str  # worse / waiver / why it does not block


def message(r: GuardResult) -> str:
    """The result's message without a waiver suffix: every view shows the waiver apart."""
    text = r.message
    if r.waiver is not None:
        suffix = f" (waived until {r.waiver.until.isoformat()}: {r.waiver.reason})"
        text = text.removesuffix(suffix)
    return text


def note(r: GuardResult, *, status: bool = True) -> str:
    """Why the result is in its group, beyond the message (``status``: say why it does or
    does not block, for views whose layout does not already say so)."""
    parts = []
    w = r.waiver
    if w is not None:
        until = w.until.isoformat()
        if r.status in ("pass", "skipped"):
            why = "the guardrail holds" if r.status == "pass" else "the result was skipped"
            state = "has expired" if w.expired else "is not in use"
            parts.append(f'waiver "{w.name}" (until {until}) {state}: {why}')
        elif w.expired:
            parts.append(
                f'waiver "{w.name}" EXPIRED (it was valid until {until}): '
                f"the violation counts again; its reason was: {w.reason}"
            )
        elif w.exceeded is not None:
            parts.append(
                f'waiver "{w.name}" NO LONGER EXCUSES this: {w.exceeded}; '
                f"the violation counts again; its reason was: {w.reason}"
            )
        else:
            line = (
                f" (allows a shortfall up to {w.max_shortfall_text})"
                if w.max_shortfall_text
                else ""
            )
            parts.append(f'waived by "{w.name}" until {until}{line}: {w.reason}')
    if r.worse:
        parts.append(f"worse than on the base: {r.worse}")
    if r.status == "existing" and r.blocking:
        parts.append("already violated on the base; blocks because of --strict")
    elif status and r.status == "existing":
        parts.append("already violated on the base and not worse")
    if status and r.status == "fail" and not r.blocking and r.severity == "warning":
        parts.append("severity warning: reported, never blocks")
    return "; ".join(parts)


def line(r: GuardResult, currency: str) -> Line:
    return Line(
        guardrail=r.guardrail,
        target=r.target,
        severity=r.severity,
        status=r.status,
        message=message(r),
        location=where(r.location or r.guardrail_location),
        values=values_text(r, currency),
        note=note(r),
    )


def run_warnings(result: Any, diagnostics: Sequence[Diagnostic] | None) -> list[Diagnostic]:
    """The warnings a check view shows apart from its guardrails: the run's (else the
    guardrails' own), without a crossed waiver's, which has its own box (Markdown) or
    its guardrail's annotation (GitHub)."""
    found = result.warnings if diagnostics is None else diagnostics
    return [
        d for d in found if d.severity == Severity.WARNING and d.summary != "Waiver no longer holds"
    ]
