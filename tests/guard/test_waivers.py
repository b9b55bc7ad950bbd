"""Waivers: a named, reasoned, dated exception for one (guardrail, target).

Unit tests fix ``today`` (2026-06-01, see tests/guard/support.py); CLI tests, which use
the real date, choose dates far in the past or the future.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from infercost.errors import InfercostError, Severity
from tests.guard.support import GUARD_STACK, TODAY, result, run_check
from tests.helpers import run_cli

WriteStack = Callable[..., Path]

UNDERWATER = """
    guardrail "no_underwater" {
      scope     = "customer"
      condition = !self.underwater
    }
    """


def waiver(
    name: str = "launch",
    guardrail: str = "target_margin",
    target: str = '"feature.chat"',
    reason: str | None = '"Launch pricing agreed with finance"',
    until: str | None = '"2027-01-31"',
) -> str:
    """One waiver block; values are HCL expressions (strings come quoted)."""
    lines = [f'waiver "{name}" {{', f'  guardrail = "{guardrail}"', f"  target    = {target}"]
    if reason is not None:
        lines.append(f"  reason    = {reason}")
    if until is not None:
        lines.append(f"  until     = {until}")
    return "\n".join([*lines, "}", ""])


def stack_with(write_stack: WriteStack, *waivers: str, guardrails: str = UNDERWATER) -> Path:
    return write_stack(
        {**GUARD_STACK, "guardrails.hcl": guardrails, "waivers.hcl": "\n".join(waivers)}
    )


# -- the engine ------------------------------------------------------------------------------
def test_an_active_waiver_excuses_a_violation(write_stack: WriteStack) -> None:
    stack = stack_with(write_stack, waiver())
    check = run_check(stack)
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("waived", False)
    assert chat.waiver is not None
    assert chat.waiver.name == "launch"
    assert chat.waiver.reason == "Launch pricing agreed with finance"
    assert chat.waiver.until == date(2027, 1, 31)
    assert chat.waiver.expired is False
    assert chat.waiver.location.filename == "stack/waivers.hcl"
    # The violation itself is still described.
    assert chat.message.startswith("chat: margin 48.1% is below target 50.0%")
    # acme corp is underwater and not waived: the check still fails, on that alone.
    assert [r.target for r in check.blocking] == ['customer["acme corp"]']
    assert check.summary["waived"] == 1
    assert check.warnings == ()


def test_a_waiver_is_active_on_its_last_day(write_stack: WriteStack) -> None:
    stack = stack_with(write_stack, waiver(until=f'"{TODAY.isoformat()}"'))
    chat = result(run_check(stack, today=TODAY), "target_margin", "feature.chat")
    assert chat.status == "waived"
    assert run_check(stack, today=date(2026, 6, 2)).warnings[0].summary == "Waiver expired"


def test_a_customer_target_is_waived_by_its_address(write_stack: WriteStack) -> None:
    stack = stack_with(
        write_stack,
        waiver(name="acme", guardrail="no_underwater", target='"customer[\\"acme corp\\"]"'),
        waiver(),
    )
    check = run_check(stack)
    acme = result(check, "no_underwater", 'customer["acme corp"]')
    assert (acme.status, acme.blocking) == ("waived", False)
    assert check.passed is True


def test_an_expired_waiver_lets_the_violation_count_again(write_stack: WriteStack) -> None:
    stack = stack_with(write_stack, waiver(until='"2026-01-31"'))
    check = run_check(stack)
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("fail", True)
    assert chat.waiver is not None and chat.waiver.expired is True
    (warning,) = check.warnings
    assert warning.severity == Severity.WARNING
    assert warning.summary == "Waiver expired"
    assert "2026-01-31" in warning.detail
    assert warning.range is not None and warning.range.filename == "stack/waivers.hcl"


def test_an_expired_waiver_on_a_passing_result_still_warns(write_stack: WriteStack) -> None:
    main = GUARD_STACK["main.hcl"].replace("target_margin    = 0.5", "target_margin    = 0.4")
    stack = write_stack(
        {**GUARD_STACK, "main.hcl": main, "waivers.hcl": waiver(until='"2026-01-31"')}
    )
    check = run_check(stack)
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.waiver) == ("pass", None)
    assert [w.summary for w in check.warnings] == ["Waiver expired"]


def test_a_waiver_excuses_an_existing_violation_under_strict(write_stack: WriteStack) -> None:
    write_stack(GUARD_STACK, "base")
    stack = stack_with(write_stack, waiver(), guardrails="")
    check = run_check(stack, base_dir=Path("base"), strict=True)
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("waived", False)
    assert check.passed is True


def test_a_waiver_that_matches_nothing_warns(write_stack: WriteStack) -> None:
    stack = stack_with(
        write_stack,
        waiver(),
        waiver(name="typo", guardrail="no_underwater", target='"customer[\\"acme\\"]"'),
    )
    check = run_check(stack)
    (warning,) = check.warnings
    assert warning.summary == "Waiver matches nothing"
    assert '"typo"' in warning.detail
    assert warning.range is not None
    assert (warning.range.filename, warning.range.start.line) == (
        "stack/waivers.hcl",
        8,
    )  # after a blank line
    # It excuses nothing: acme corp still blocks.
    assert result(check, "no_underwater", 'customer["acme corp"]').blocking


@pytest.mark.parametrize(
    ("reason", "until", "summary", "line"),
    [
        ('""', '"2027-01-31"', "Missing waiver reason", 4),
        ('"   "', '"2027-01-31"', "Missing waiver reason", 4),
        (None, '"2027-01-31"', "Missing required argument", 1),
        ('"ok"', '"2027-13-01"', "Invalid date", 5),
        ('"ok"', '"next quarter"', "Invalid date", 5),
        ('"ok"', None, "Missing required argument", 1),
    ],
)
def test_a_waiver_needs_a_reason_and_a_date(
    write_stack: WriteStack, reason: str | None, until: str | None, summary: str, line: int
) -> None:
    stack = stack_with(write_stack, waiver(reason=reason, until=until))
    with pytest.raises(InfercostError) as caught:
        run_check(stack)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.summary == summary
    assert diagnostic.range is not None
    assert (diagnostic.range.filename, diagnostic.range.start.line) == ("stack/waivers.hcl", line)
    code, out, err = run_cli(["check", str(stack), "-o", "json"])
    assert (code, out) == (1, "")
    assert f"Error: {summary}" in err
    assert run_cli(["validate", str(stack)]).code == 1


# -- the CLI and its views ---------------------------------------------------------------------
FAR_FUTURE = '"2999-12-31"'
LONG_AGO = '"2001-01-31"'


def test_cli_active_waiver_in_text_json_and_markdown(write_stack: WriteStack) -> None:
    stack = stack_with(
        write_stack,
        waiver(until=FAR_FUTURE),
        waiver(
            name="acme",
            guardrail="no_underwater",
            target='"customer[\\"acme corp\\"]"',
            reason='"Legacy <contract> @sales"',
            until=FAR_FUTURE,
        ),
    )
    code, out, err = run_cli(
        [
            "check",
            str(stack),
            "--no-color",
            "-o",
            "text",
            "-o",
            "json=check.json",
            "-o",
            "markdown=comment.md",
        ]
    )
    assert (code, err) == (0, "")
    assert "Waived (2):" in out
    assert 'waived by "launch" until 2999-12-31: Launch pricing agreed with finance' in out
    doc = json.loads(Path("check.json").read_text(encoding="utf-8"))
    assert doc["passed"] is True
    assert doc["summary"]["waived"] == 2 and doc["summary"]["blocking"] == 0
    chat = next(r for r in doc["results"] if r["guardrail"] == "target_margin")
    assert (chat["status"], chat["blocking"]) == ("waived", False)
    assert chat["waiver"] == {
        "name": "launch",
        "reason": "Launch pricing agreed with finance",
        "until": "2999-12-31",
        "expired": False,
        "max_shortfall": None,
        "exceeded": None,
    }
    md = Path("comment.md").read_text(encoding="utf-8")
    assert "Waived (2)" in md
    assert "| `feature.chat` | `target_margin` | `launch` | 2999-12-31 |" in md
    assert "Legacy &lt;contract&gt; &#64;&#8203;sales" in md  # escaped: no HTML, no mention


def test_cli_expired_waiver_blocks_and_warns_on_stderr(write_stack: WriteStack) -> None:
    stack = stack_with(write_stack, waiver(until=LONG_AGO), guardrails="")
    code, out, err = run_cli(["check", str(stack), "-o", "json"])
    assert code == 2
    assert err.startswith("Warning: Waiver expired")
    assert "on stack/waivers.hcl line 1" in err
    doc = json.loads(out)  # stdout is the document alone
    chat = next(r for r in doc["results"] if r["guardrail"] == "target_margin")
    assert (chat["status"], chat["blocking"]) == ("fail", True)
    assert chat["waiver"]["expired"] is True
    code, out, _ = run_cli(["check", str(stack), "--no-color"])
    assert code == 2
    assert 'waiver "launch" EXPIRED (it was valid until 2001-01-31)' in out


def test_cli_waiver_matching_nothing_warns_without_changing_the_exit_code(
    write_stack: WriteStack,
) -> None:
    stack = stack_with(
        write_stack,
        waiver(until=FAR_FUTURE),
        waiver(name="ghost", target='"feature.nope"', until=FAR_FUTURE),
        guardrails="",
    )
    code, out, err = run_cli(["check", str(stack), "-o", "json"])
    assert code == 0
    assert json.loads(out)["passed"] is True
    assert "Warning: Waiver matches nothing" in err
    assert 'waiver "ghost"' in err
