"""The exit code, derived in one place (infercost.app.exit) with a stated precedence."""

from __future__ import annotations

import pytest

from infercost.app.exit import ExitCode, exit_code
from infercost.errors import Diagnostic, Severity

ERROR = Diagnostic("Bad input")
WARNING = Diagnostic("Waiver expired", severity=Severity.WARNING)


@pytest.mark.parametrize(
    ("diagnostics", "flags", "code"),
    [
        ((), {}, 0),
        ((WARNING,), {}, 0),  # warnings never change the code
        ((ERROR,), {}, 1),
        ((WARNING, ERROR), {"blocking": True}, 1),  # an error outranks a violation
        ((ERROR,), {"blocking": True, "soft_fail": True}, 1),  # --soft-fail never hides it
        ((), {"blocking": True}, 2),
        ((), {"blocking": True, "soft_fail": True}, 0),
        ((), {"changed": True}, 0),  # plan without --detailed-exitcode
        ((), {"changed": True, "detailed_exitcode": True}, 2),
        ((ERROR,), {"changed": True, "detailed_exitcode": True}, 1),
    ],
)
def test_exit_code_precedence(
    diagnostics: tuple[Diagnostic, ...], flags: dict[str, bool], code: int
) -> None:
    assert exit_code(diagnostics, **flags) == code


def test_exit_codes_are_the_documented_numbers() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
