"""Break-even answers, substituted back into the engine, give the target margin exactly."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.arithmetic import exact
from infercost.cost.breakdown import Breakdown, compute
from infercost.insight.explain import explain
from infercost.model import Stack
from infercost.usage.snapshot import Snapshot
from infercost.workspace import Options, load_stack, load_usage
from tests.helpers import REPO, load

EXAMPLE = REPO / "examples" / "support-assistant"


@pytest.fixture(scope="module")
def priced() -> tuple[Stack, Snapshot, Breakdown]:
    options = Options(stack=Path(EXAMPLE))
    stack = load_stack(options)
    snapshot = load_usage([stack], options)
    assert snapshot is not None
    return stack, snapshot, compute(stack, snapshot)


def with_feature(stack: Stack, name: str, **changes: object) -> Stack:
    features = dict(stack.features)
    features[name] = dataclasses.replace(features[name], **changes)
    return dataclasses.replace(stack, features=features)


def test_allowed_cost_per_unit_by_hand(priced) -> None:
    stack, _, b = priced
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    f = b.features["support_assistant"]
    with exact():
        assert x.break_even.allowed_cost_per_unit == f.revenue * Decimal("0.4") / f.units
    assert x.break_even.target_margin == Decimal("0.60")
    assert x.break_even.meets_target is (f.margin >= Decimal("0.6"))


def test_revenue_per_unit_substituted_back(priced) -> None:
    stack, snapshot, b = priced
    # Free subscriptions: a usage price must carry the whole margin.
    free = {n: dataclasses.replace(s, price=Decimal(0)) for n, s in stack.subscriptions.items()}
    stack = dataclasses.replace(stack, subscriptions=free)
    b = compute(stack, snapshot)
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    needed = x.break_even.revenue_per_unit_needed
    assert needed is not None and needed > 0
    # no subscriptions: the price is c / (1 − M) = 0.007901975078125 / 0.4
    assert needed == Decimal("0.0197549376953125")
    after = compute(with_feature(stack, "support_assistant", revenue_per_unit=needed), snapshot)
    assert after.features["support_assistant"].margin == Decimal("0.60")


def test_subscription_price_substituted_back(priced) -> None:
    stack, snapshot, b = priced
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    prices = {s.name: s for s in x.break_even.subscriptions}
    assert set(prices) == {"pro", "team"}
    for name, answer in prices.items():
        assert answer.needed is not None
        subs = dict(stack.subscriptions)
        subs[name] = dataclasses.replace(subs[name], price=answer.needed)
        after = compute(dataclasses.replace(stack, subscriptions=subs), snapshot)
        margin = after.features["support_assistant"].margin
        assert margin is not None
        # exact up to the engine's 28 significant digits
        assert abs(margin - Decimal("0.60")) < Decimal("1e-26"), (name, margin)


def test_headroom_of_a_linear_input_substituted_back(priced) -> None:
    stack, snapshot, b = priced
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    room = {h.key: h for h in x.break_even.headroom}
    price = room["openai/gpt-4o.input_per_mtok"]
    assert price.status == "headroom" and price.value is not None
    item = stack.price_sheets["openai"].items["gpt-4o"]
    changed = dataclasses.replace(item, input_per_mtok=price.value)
    workflows = {}
    for name, wf in stack.workflows.items():
        steps = tuple(
            dataclasses.replace(s, item=changed) if s.uses == "openai/gpt-4o" else s
            for s in wf.steps
        )
        workflows[name] = dataclasses.replace(wf, steps=steps)
    after = compute(dataclasses.replace(stack, workflows=workflows), snapshot)
    margin = after.features["support_assistant"].margin
    assert abs(margin - Decimal("0.60")) < Decimal("1e-26")
    with exact():
        assert price.change_pct == (price.value / Decimal("2.50") - 1) * 100


def test_headroom_of_calls_solves_the_quadratic(priced) -> None:
    """draft.calls enters through E[C] and E[C²]: the crossing is a root of a quadratic."""
    stack, _, b = priced
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    room = {h.key: h for h in x.break_even.headroom}
    calls = room["draft.calls"]
    assert calls.status == "headroom" and calls.factor is not None
    coefs = x.model.polynomial.univariate("draft.calls")
    assert len(coefs) == 3 and coefs[2] > 0
    with exact():
        at = coefs[0] + coefs[1] * calls.factor + coefs[2] * calls.factor**2
    assert abs(at - x.break_even.allowed_cost_per_unit) < Decimal("1e-25")


def test_bounded_inputs_and_cost_lowering_inputs(priced) -> None:
    stack, _, b = priced
    x = explain(stack, b, "support_assistant", Decimal(20), None)
    room = {h.key: h for h in x.break_even.headroom}
    # draft runs on every unit (share = 1): it cannot grow, so never
    assert room["draft.share"].status == "never"
    # a higher cache hit rate lowers the cost: its headroom is a fall, or never
    cache = room["cache_hit_rate"]
    assert cache.status == "never" or (cache.change_pct is not None and cache.change_pct < 0)


def test_below_target_reports_the_change_needed() -> None:
    stack = load(
        {
            "main.hcl": """
                price_sheet "p" { meter "call" { price = 1 } }
                unit "u" {}
                workflow "w" {
                  step "s" {
                    uses  = "p/call"
                    calls = 2
                  }
                }
                feature "f" {
                  unit             = unit.u
                  workflow         = workflow.w
                  revenue_per_unit = 4
                  target_margin    = 0.75
                }
                """
        }
    )
    b = compute(stack, Snapshot(path="u.csv", units={"f": Decimal(10)}))
    x = explain(stack, b, "f", Decimal(20), None)
    be = x.break_even
    # cost 2 per unit, revenue 4: margin 50 %; the 75 % target allows a cost of 1
    assert be.allowed_cost_per_unit == 1 and not be.meets_target
    assert be.revenue_per_unit_needed == 8  # 2 / (1 − 0.75)
    room = {h.key: h for h in be.headroom}
    assert room["s.calls"].status == "needed"
    assert room["s.calls"].value == 1 and room["s.calls"].change_pct == -50
    assert room["p/call.price"].value == Decimal("0.5")


def test_no_target_is_break_even_at_margin_zero() -> None:
    stack = load(
        {
            "main.hcl": """
                price_sheet "p" { meter "call" { price = 1 } }
                unit "u" {}
                workflow "w" {
                  step "s" { uses = "p/call" }
                }
                feature "f" {
                  unit             = unit.u
                  workflow         = workflow.w
                  revenue_per_unit = 4
                }
                """
        }
    )
    b = compute(stack, Snapshot(path="u.csv", units={"f": Decimal(10)}))
    be = explain(stack, b, "f", Decimal(20), None).break_even
    assert not be.has_target and be.target_margin == 0
    assert be.allowed_cost_per_unit == 4 and be.revenue_per_unit_needed == 1
    assert any("no target_margin" in n for n in be.notes)
    room = {h.key: h for h in be.headroom}
    assert room["s.calls"].value == 4 and room["s.calls"].change_pct == 300


def test_no_units_says_so() -> None:
    stack = load(
        {
            "main.hcl": """
                price_sheet "p" { meter "call" { price = 1 } }
                unit "u" {}
                workflow "w" {
                  step "s" { uses = "p/call" }
                }
                feature "f" {
                  unit          = unit.u
                  workflow      = workflow.w
                  target_margin = 0.5
                }
                """
        }
    )
    b = compute(stack, Snapshot(path="u.csv", units={}))
    be = explain(stack, b, "f", Decimal(20), None).break_even
    assert be.allowed_cost_per_unit is None and be.revenue_per_unit_needed is None
    assert be.headroom == () and any("No units" in n for n in be.notes)
