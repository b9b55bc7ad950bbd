"""What check leaves undone on a large stack, and that nothing it shows changes.

A base-side failing verdict is read for its status and values: its message is made only
when the head keeps it (an identical target), its misses only when the head fails too.
Customer targets are read from the breakdown's columns; messages are compiled once like
conditions; one snapshot's customer groups serve both sides. Each is held here to the
figures of the slow path, and to figures worked out by hand.

Customers (tests/guard/support.py): "acme corp" (3000 chats) and "beta" (100) use the
feature "chat", whose draft step's retry_rate the head raises; "gamma" used nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from infercost.config.hcl import parse_text
from infercost.evaluate.compiled import CompiledCondition
from infercost.evaluate.evaluator import Scope
from infercost.guard import engine, targets
from infercost.numbers import money, number
from infercost.usage import figures
from infercost.workspace import Options, load_stack, load_usage
from tests.guard.support import GUARD_STACK, result, run_check
from tests.guard.support import figures as priced

D = Decimal
WriteStack = Callable[..., Path]

RETRY = "retry_rate     = 0.1"
RULE = """
    guardrail "customer_cap" {
      scope     = "customer"
      condition = self.cogs <= 0.5
      message   = "${self.id} costs ${self.cogs}"
    }
"""


def stack_with(retry: str) -> dict[str, str]:
    main = GUARD_STACK["main.hcl"].replace(RETRY, f"retry_rate     = {retry}")
    return {**GUARD_STACK, "main.hcl": main, "rules.hcl": RULE}


def test_a_base_verdict_makes_its_message_only_when_the_head_keeps_it(
    write_stack: WriteStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stack(stack_with("0.1"), "base")
    stack = write_stack(stack_with("0.3"))
    made: list[str] = []
    message = engine._Judge.message

    def counted(self: engine._Judge, t: engine.Target, values: dict[str, Any]) -> str:
        if self.g.name == "customer_cap":
            made.append(t.address)
        return message(self, t, values)

    monkeypatch.setattr(engine._Judge, "message", counted)
    check = run_check(stack, base_dir=Path("base"))
    # acme and beta fail on both sides (COGS above 0.5); gamma (COGS 0) holds. Only the
    # head's two failures are written; the base's two never are.
    assert sorted(made) == ['customer["acme corp"]', 'customer["beta"]']
    for who in ("acme corp", "beta"):
        r = result(check, "customer_cap", f'customer["{who}"]')
        now, was = r.values["cogs"], r.base_values["cogs"]
        assert now > was > D("0.5")  # more retries: the violation grew
        assert r.status == "fail" and r.message == f"{who} costs {number(now)}"
        # The base's miss, measured only for the ratchet, is its COGS above the cap.
        assert r.worse == (
            f"the violation grew: it now misses by {money(now - D('0.5'))} "
            f"(was {money(was - D('0.5'))})"
        )
        assert r.shortfall == (now - D("0.5"), "cogs")


def test_a_kept_base_verdict_is_completed_as_the_heads(
    write_stack: WriteStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing changes: every target keeps the base's verdict, message and misses made
    # for the head; the results are those of judging every target again.
    write_stack(stack_with("0.1"), "base")
    stack = write_stack(stack_with("0.1"))
    kept = run_check(stack, base_dir=Path("base"))
    monkeypatch.setattr(engine, "_same_scope", lambda g, base, head: False)
    afresh = run_check(stack, base_dir=Path("base"))
    assert kept.results == afresh.results
    acme = result(kept, "customer_cap", 'customer["acme corp"]')
    cogs = acme.values["cogs"]
    assert (acme.status, acme.message, acme.shortfall) == (
        "existing",
        f"acme corp costs {number(cogs)}",
        (cogs - D("0.5"), "cogs"),
    )
    assert acme.base_values == acme.values


def test_customer_targets_from_columns_are_those_of_each_customer(
    write_stack: WriteStack,
) -> None:
    stack = write_stack(
        {
            **GUARD_STACK,
            "shared.hcl": """
                shared_cost "pods" {
                  amount   = 7
                  features = [feature.chat]
                }
            """,
        }
    )
    b, snapshot = priced(stack)
    loaded = load_stack(Options(stack=stack))
    fast = targets.targets("customer", loaded, b, snapshot, None)
    slow = [targets._customer(loaded, c) for c in b.customers.values()]
    assert [(t.address, t.location, t.attributes) for t in fast] == [
        (t.address, t.location, t.attributes) for t in slow
    ]
    gamma = fast[-1].attributes
    # gamma used nothing: it pays its subscription (29) and carries none of the pods.
    assert (gamma["cogs"], gamma["revenue"], gamma["allocated_cogs"]) == (D(0), D(29), D(0))
    assert sum((t.attributes["allocated_cogs"] for t in fast), D(0)) == D(7)


class _Shown(engine._MessageEvaluator):
    pass


@pytest.mark.parametrize(
    "template",
    [
        '"${self.id} costs ${self.cogs}"',
        '"${self.cogs}"',
        '"${self.id}"',
        '"flag ${self.flag} and ${self.none}"',
        '"up ${self.cogs_change_pct}% (${var.team})"',
        '"${self.cogs * 2} and ${max(self.cogs, 20)}"',
        '"plain text"',
    ],
)
def test_a_compiled_message_reads_as_the_evaluator_writes_it(template: str) -> None:
    expr = parse_text(f"x = {template}\n", "m.hcl").body.attributes["x"].expr
    attributes = {
        "id": "acme",
        "cogs": D("12.345678"),
        "flag": True,
        "none": None,
        "cogs_change_pct": D("3.14159"),
    }

    def scope() -> Scope:
        return Scope(variables={"team": "core"}, allow_blocks=False, self_value=attributes)

    shown = scope()
    compiled = CompiledCondition(expr, shown, _Shown(shown, number))
    assert compiled.run(attributes)[0] == _Shown(scope(), number).evaluate(expr)


def test_a_message_that_cannot_be_made_falls_back_to_the_default(
    write_stack: WriteStack,
) -> None:
    rule = RULE.replace('"${self.id} costs ${self.cogs}"', '"${self.id} ${self.nope}"')
    stack = write_stack({**GUARD_STACK, "rules.hcl": rule})
    check = run_check(stack)
    acme = result(check, "customer_cap", 'customer["acme corp"]')
    assert acme.message == (
        'customer_cap: self.cogs <= 0.5 does not hold for customer["acme corp"] '
        f"(cogs = {money(acme.values['cogs'])})"
    )


def test_one_snapshot_is_grouped_once_per_set_of_subscriptions(
    write_stack: WriteStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = write_stack(GUARD_STACK)
    options = Options(stack=stack)
    snapshot = load_usage([load_stack(options)], options)  # read, not yet priced
    assert snapshot is not None
    runs: list[tuple[str, ...]] = []
    group = figures._group_customers

    def counted(snap: Any, prices: Any) -> figures.Groups:
        runs.append(tuple(prices))
        return group(snap, prices)

    monkeypatch.setattr(figures, "_group_customers", counted)
    first = figures.group_customers(snapshot, {"pro": D(29)})
    second = figures.group_customers(snapshot, {"pro": D(30)})  # prices do not matter
    assert runs == [("pro",)]
    assert first == second == figures.Groups({"pro": {"chat": D(3100)}}, {"pro": 3})
    first.units["pro"]["chat"] = D(0)  # each caller has a copy of its own
    assert figures.group_customers(snapshot, {"pro": D(29)}).units["pro"]["chat"] == D(3100)
    figures.group_customers(snapshot, {"pro": D(29), "team": D(99)})
    assert runs == [("pro",), ("pro", "team")]
