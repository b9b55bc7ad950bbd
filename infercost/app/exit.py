"""The exit code of a run, decided in this one place.

Precedence, highest first (as black's ``Report.return_code`` states its own):

1. ``ERROR`` (1): any error diagnostic — bad input, a bad flag, a failed write. Never
   hidden by ``--soft-fail``.
2. ``CHANGES`` (2): ``check`` found a blocking violation (unless ``--soft-fail``), or
   ``plan --detailed-exitcode`` found a change; ``UNFORMATTED`` (3): ``fmt --check``
   found files to format (as ``terraform fmt -check`` exits 3).
3. ``SUCCESS`` (0): everything else; warnings never change the exit code.

``INTERRUPTED`` (130) is the shell's code for Ctrl-C, for a run that was cut short.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from infercost.errors import Diagnostic, Severity


class ExitCode(IntEnum):
    SUCCESS = 0
    ERROR = 1
    #: Blocking violations (check) or changes (plan --detailed-exitcode).
    CHANGES = 2
    #: ``fmt --check`` found files not in the canonical layout (as ``terraform fmt``).
    UNFORMATTED = 3
    INTERRUPTED = 130


def exit_code(
    diagnostics: Iterable[Diagnostic] = (),
    *,
    blocking: bool = False,
    soft_fail: bool = False,
    changed: bool = False,
    detailed_exitcode: bool = False,
) -> ExitCode:
    """The code for a run with these diagnostics and outcome, by the precedence above."""
    if any(d.severity == Severity.ERROR for d in diagnostics):
        return ExitCode.ERROR
    if blocking and not soft_fail:
        return ExitCode.CHANGES
    if changed and detailed_exitcode:
        return ExitCode.CHANGES
    return ExitCode.SUCCESS
