"""The check result model: one result per (guardrail, target), and the run's verdict.

Every view of ``check`` (text, json, markdown, sarif, junit, github) draws from a
:class:`CheckResult`; none recomputes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from infercost.errors import Diagnostic, SourceRange


class Status(StrEnum):
    """A result's status; str-valued, so documents and templates show the plain word."""

    #: The guardrail holds.
    PASS = "pass"
    #: A new violation, or one that got worse than on the base.
    FAIL = "fail"
    #: Already violated on the base and no worse: blocks only with --strict.
    EXISTING = "existing"
    #: Excused by an active waiver.
    WAIVED = "waived"
    #: Could not be judged (the message says why).
    SKIPPED = "skipped"


STATUSES = tuple(Status)


@dataclass(frozen=True)
class WaiverUse:
    """A waiver that matched a result; an expired one no longer excuses it."""

    name: str
    reason: str
    until: date
    expired: bool
    location: SourceRange
    # The line a waiver holds: how far the target may be missed (None: no line).
    max_shortfall: Decimal | None = None
    max_shortfall_text: str | None = None  # the line as a person reads it ("5.0 pts")
    # Why the waiver no longer excuses the violation (it grew past max_shortfall), or None.
    exceeded: str | None = None
    max_shortfall_location: SourceRange | None = None

    @property
    def excuses(self) -> bool:
        return not self.expired and self.exceeded is None


@dataclass(slots=True)
class GuardResult:
    """One guardrail's outcome on one target, as every view shows it (never changed
    once made: a change is a :func:`dataclasses.replace`). Not frozen: a frozen
    dataclass sets each of its 17 fields through ``object.__setattr__``, ~6x the cost
    of a plain one, paid for each of a large stack's tens of thousands of customers."""

    guardrail: str
    target: str  # feature.chat, customer["acme corp"], workflow.w.step.s, stack
    severity: str  # error | warning
    status: Status
    blocking: bool
    message: str
    location: SourceRange | None
    scope: str = "feature"
    description: str | None = None
    condition: str = ""
    source: str = "stack"  # stack, builtin:NAME or a policy file
    guardrail_location: SourceRange | None = None
    values: dict[str, Any] = field(default_factory=dict)  # self attributes the condition read
    base_values: dict[str, Any] | None = None
    worse: str | None = None  # why an existing violation counts as worse
    waiver: WaiverUse | None = None
    # How far the target is missed, and the ``self`` attribute that measures it (None when
    # the condition is not made of comparisons); what a waiver's max_shortfall is held to.
    shortfall: tuple[Decimal, str] | None = None

    @property
    def violated(self) -> bool:
        return self.status in (Status.FAIL, Status.EXISTING, Status.WAIVED)


@dataclass(frozen=True)
class CheckResult:
    currency: str
    period: str
    usage_period: str | None
    base_label: str | None  # None: no base, so no ratchet
    strict: bool
    results: tuple[GuardResult, ...]
    warnings: tuple[Diagnostic, ...] = ()
    plan: Any = None  # the plan.diff.Plan the check was made on
    # The period of the request records the observed attributes come from (check
    # --records); None without records. It may differ from the snapshot's.
    records_period: str | None = None

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def blocking(self) -> tuple[GuardResult, ...]:
        return tuple(r for r in self.results if r.blocking)

    @property
    def summary(self) -> dict[str, int]:
        out = {status.value: self.count(status) for status in STATUSES}
        out["blocking"] = len(self.blocking)
        out["total"] = len(self.results)
        return out
