"""A target the change left identical keeps the base's verdict; nothing else does.

In a large stack most customers are untouched by a change, so ``check`` reuses the base's
verdict for a target whose attributes are identical on both sides, when the condition
sees the same variables and locals. The results must be exactly those of judging every
target again, and a change of a variable must still be seen.

Customers (tests/guard/support.py): "acme corp" (3000 chats) and "beta" (100) use the
feature "chat", whose draft step's retry_rate the head changes; "gamma" used nothing
(COGS 0 on both sides), so its attributes are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.guard import engine
from tests.guard.support import GUARD_STACK, result, run_check

D = Decimal
WriteStack = Callable[..., Path]

RETRY = "retry_rate     = 0.1"


def stack_with(retry: str, limit: str) -> dict[str, str]:
    main = GUARD_STACK["main.hcl"].replace(RETRY, f"retry_rate     = {retry}")
    return {
        **GUARD_STACK,
        "main.hcl": main,
        "rules.hcl": f"""
            variable "limit" {{
              default = {limit}
            }}
            guardrail "customer_cogs" {{
              scope     = "customer"
              condition = self.cogs >= var.limit
              message   = "${{self.id}} costs ${{self.cogs}}"
            }}
            """,
    }


def judged_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_same_scope", lambda g, base, head: False)


def test_results_equal_those_of_judging_every_target(
    write_stack: WriteStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stack(stack_with("0", "0"), "base")
    stack = write_stack(stack_with("0.1", "0"))
    judged: list[str] = []
    verdict = engine._Judge.verdict

    def counted(self: engine._Judge, t: engine.Target, complete: bool = True) -> engine.Verdict:
        if self.g.name == "customer_cogs":
            judged.append(t.address)
        return verdict(self, t, complete)

    monkeypatch.setattr(engine._Judge, "verdict", counted)
    reused = run_check(stack, base_dir=Path("base"))
    # Three customers on the base, then only the two whose COGS changed on the head.
    assert len(judged) == 5 and 'customer["gamma"]' not in judged[3:]
    judged_afresh(monkeypatch)
    afresh = run_check(stack, base_dir=Path("base"))
    assert len(judged) == 5 + 6
    assert reused.results == afresh.results
    gamma = result(reused, "customer_cogs", 'customer["gamma"]')
    assert (gamma.status, gamma.values, gamma.base_values) == (
        "pass",
        {"cogs": D(0)},
        {"cogs": D(0)},
    )


def test_a_changed_variable_is_judged_again(write_stack: WriteStack) -> None:
    # gamma's attributes are identical (COGS 0), but the limit it is held to moved from
    # 0 (holds) to 0.5 (fails): the base's verdict must not be reused.
    write_stack(stack_with("0.1", "0"), "base")
    stack = write_stack(stack_with("0.1", "0.5"))
    check = run_check(stack, base_dir=Path("base"))
    gamma = result(check, "customer_cogs", 'customer["gamma"]')
    assert (gamma.status, gamma.message) == ("fail", "gamma costs 0")
    assert gamma.base_values == {"cogs": D(0)}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (D("1.5"), D("1.5"), True),
        (D("1.0"), D("1.00"), False),  # equal numbers, shown differently
        (D("-0"), D("0"), False),
        (True, 1, False),
        (D(1), 1, False),
        ("x", "x", True),
        (None, None, True),
        ({"a": D("1"), "b": [D("2"), "c"]}, {"b": [D("2"), "c"], "a": D("1")}, True),
        ({"a": D("1")}, {"a": D("1"), "b": None}, False),
        ([D("1")], (D("1"),), False),
        (object(), object(), False),  # anything else is never assumed identical
    ],
)
def test_identical_values(a: object, b: object, same: bool) -> None:
    assert engine._identical(a, b) is same
