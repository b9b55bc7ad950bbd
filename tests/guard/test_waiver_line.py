"""Waivers hold a line (SPEC §14): ``max_shortfall`` is how far the target may be missed.

GUARD_STACK's chat (tests/guard/support.py): revenue 102.5 (3 · 29 + 3100 · 0.005);
COGS 53.19135 with retry_rate 0.1, 48.4685 with retry_rate 0 (tests/guard/test_ratchet.py).
Margins: (102.5 − 53.19135) / 102.5 = 0.48106, (102.5 − 48.4685) / 102.5 = 0.52714.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from infercost.arithmetic import exact
from tests.guard.support import GUARD_STACK, result, run_check
from tests.helpers import run_cli

WriteStack = Callable[..., Path]
D = Decimal

with exact():
    MARGIN_RETRY = (D("102.5") - D("53.19135")) / D("102.5")  # 0.48106
    MARGIN_NO_RETRY = (D("102.5") - D("48.4685")) / D("102.5")  # 0.527136...


def waiver(max_shortfall: str | None, until: str = "2999-12-31", target: str = "feature.chat",
           guardrail: str = "target_margin") -> str:  # fmt: skip
    line = f"  max_shortfall = {max_shortfall}\n" if max_shortfall is not None else ""
    return (
        'waiver "launch" {\n'
        f'  guardrail = "{guardrail}"\n  target = "{target}"\n'
        '  reason = "Launch pricing agreed with finance"\n'
        f'  until = "{until}"\n{line}}}\n'
    )


def files(*, target: str = "0.5", retry: str = "0.1", extra: str = "") -> dict[str, str]:
    main = GUARD_STACK["main.hcl"].replace("target_margin    = 0.5", f"target_margin    = {target}")
    main = main.replace("retry_rate     = 0.1", f"retry_rate     = {retry}")
    return {**GUARD_STACK, "main.hcl": main, "waivers.hcl": extra}


def test_within_the_line_the_waiver_excuses(write_stack: WriteStack) -> None:
    stack = write_stack(files(extra=waiver("0.02")))
    chat = result(run_check(stack), "target_margin", "feature.chat")
    # Short by 0.5 − 0.48106 = 0.01894: within 0.02.
    assert chat.shortfall == (D("0.5") - MARGIN_RETRY, "margin") == (D("0.01894"), "margin")
    assert (chat.status, chat.blocking) == ("waived", False)
    assert chat.waiver is not None and chat.waiver.exceeded is None
    assert chat.waiver.max_shortfall == D("0.02")
    assert chat.waiver.max_shortfall_text == "2.0 pts"


def test_past_the_line_it_blocks_again_and_says_why(write_stack: WriteStack) -> None:
    stack = write_stack(files(extra=waiver("0.01")))
    chat = result(run_check(stack), "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("fail", True)  # no base: a violation blocks
    assert chat.waiver is not None
    assert chat.waiver.exceeded == (
        "the violation now misses by 1.9 pts, more than the 1.0 pts the waiver allows "
        "(max_shortfall)"
    )
    code, out, err = run_cli(["check", str(stack)])
    assert code == 2
    assert 'waiver "launch" NO LONGER EXCUSES this: the violation now misses by 1.9 pts' in out
    # ... and a warning on stderr points at the line the waiver held.
    assert "Warning: Waiver no longer holds" in err
    assert "on stack/waivers.hcl line 6" in err


def test_a_waived_violation_that_grows_past_the_line_blocks(write_stack: WriteStack) -> None:
    # Target 0.55: short by 0.022864 on the base (no retries), 0.06894 on the head.
    write_stack(files(target="0.55", retry="0", extra=waiver("0.05")), "base")
    stack = write_stack(files(target="0.55", extra=waiver("0.05")))
    chat = result(run_check(stack, base_dir=Path("base")), "target_margin", "feature.chat")
    assert chat.shortfall is not None
    assert chat.shortfall[0] == D("0.55") - MARGIN_RETRY == D("0.06894")
    assert (chat.status, chat.blocking) == ("fail", True)
    assert chat.worse == "the violation grew: it now misses by 6.9 pts (was 2.3 pts)"
    # Without a line the same waiver hides the worsening: that is what max_shortfall ends.
    write_stack(files(target="0.55", retry="0", extra=waiver(None)), "base")
    stack = write_stack(files(target="0.55", extra=waiver(None)))
    hidden = result(run_check(stack, base_dir=Path("base")), "target_margin", "feature.chat")
    assert (hidden.status, hidden.blocking) == ("waived", False)


def test_a_condition_without_a_measurable_shortfall_is_not_excused(
    write_stack: WriteStack,
) -> None:
    rules = 'guardrail "no_underwater" {\n  scope = "customer"\n  condition = !self.underwater\n}\n'
    extra = waiver("0.1", guardrail="no_underwater", target='customer[\\"acme corp\\"]')
    stack = write_stack({**files(extra=extra), "guardrails.hcl": rules})
    acme = result(run_check(stack), "no_underwater", 'customer["acme corp"]')
    assert acme.shortfall is None
    assert (acme.status, acme.blocking) == ("fail", True)
    assert acme.waiver is not None and acme.waiver.exceeded is not None
    assert "cannot be measured" in acme.waiver.exceeded


def test_max_shortfall_must_be_a_number_not_below_zero(write_stack: WriteStack) -> None:
    stack = write_stack(files(extra=waiver("-0.1")))
    code, _, err = run_cli(["validate", str(stack)])
    assert code == 1
    assert "max_shortfall" in err and "stack/waivers.hcl" in err
    stack = write_stack(files(extra=waiver('"lots"')))
    code, _, err = run_cli(["validate", str(stack)])
    assert code == 1 and '"max_shortfall" must be a number' in err


def test_the_comment_says_plainly_that_the_waiver_no_longer_holds(write_stack: WriteStack) -> None:
    stack = write_stack(files(extra=waiver("0.01")))
    code, md, _ = run_cli(["check", str(stack), "-o", "markdown"])
    assert code == 2
    assert (
        "> - Waiver `launch` no longer excuses `feature.chat` `target_margin`: the violation "
        "now misses by 1.9 pts, more than the 1.0 pts the waiver allows (max\\_shortfall). "
        "**It blocks again.**"
    ) in md
    stack = write_stack(files(extra=waiver("0.02")))
    code, md, _ = run_cli(["check", str(stack), "-o", "markdown"])
    row = "| `feature.chat` | `target_margin` | `launch` | 2999-12-31 | "
    assert row + "misses by 1.9 pts of at most 2.0 pts |" in md


def test_sarif_does_not_suppress_a_violation_past_the_line(write_stack: WriteStack) -> None:
    stack = write_stack(files(extra=waiver("0.01")))
    code, out, _ = run_cli(["check", str(stack), "-o", "sarif"])
    assert code == 2
    results = json.loads(out)["runs"][0]["results"]
    (chat,) = [r for r in results if r["ruleId"] == "target_margin"]
    assert chat["level"] == "error" and "suppressions" not in chat
    assert chat["properties"]["waiver"]["max_shortfall"] == 0.01
    assert chat["properties"]["waiver"]["exceeded"].startswith("the violation now misses by")
