"""Elasticities against finite differences of the engine itself, in exact Decimals.

The cost per unit is a polynomial of degree at most 2 in each input's factor, so the
central difference (f(1+ε) − f(1−ε)) / 2ε is its derivative exactly; what is left is
the engine's 28-digit rounding. Each input is scaled in a copy of the stack and priced
by the engine (not by the polynomial under test): a distributed input is scaled as a
random variable (mean × λ, second moment × λ²), as SPEC §16 defines the elasticity.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest

from infercost.arithmetic import exact
from infercost.cost.unit_cost import workflow_costs
from infercost.evaluate.values import Distribution
from infercost.insight.drivers import drivers, elasticities, top_drivers
from infercost.insight.inputs import Input, cost_model
from infercost.model import Stack
from tests.helpers import load

EPS = Decimal("0.001")

STACK = {
    "prices.hcl": """
        price_sheet "openai" {
          region "eu" { multiplier = 1.10 }
          model "gpt-4o" {
            input_per_mtok        = 2.50
            cached_input_per_mtok = 1.25
            output_per_mtok       = 10.00
          }
          model "mini" { input_per_mtok = 0.15 }
        }
        price_sheet "pinecone" {
          region "eu" { multiplier = 1.2 }
          meter "read_unit" {
            price = 16
            per   = 1000000
          }
        }
        """,
    "main.hcl": """
        unit "ticket" {}
        workflow "answer" {
          cache_hit_rate = 0.15
          step "embed" {
            uses         = "openai/mini"
            calls        = between(1, 3)
            input_tokens = 80
            cacheable    = false
          }
          step "retrieve" {
            uses     = "pinecone/read_unit"
            calls    = between(3, 7)
            quantity = triangular(5, 8, 14)
          }
          step "draft" {
            uses           = "openai/gpt-4o"
            calls          = between(2, 5)
            input_tokens   = triangular(1200, 1800, 3000)
            output_tokens  = between(300, 400)
            cached_share   = 0.30
            context_growth = 400
            retry_rate     = 0.05
          }
          step "escalate" {
            uses          = "openai/gpt-4o"
            share         = 0.10
            calls         = 1.5
            input_tokens  = 6000
            output_tokens = 800
          }
        }
        feature "chat" {
          unit             = unit.ticket
          workflow         = workflow.answer
          region           = "eu"
          revenue_per_unit = 0.4
          target_margin    = 0.6
        }
        """,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Scaled(Distribution):
    """A random count or size scaled by λ: mean × λ, second moment × λ²."""

    base_mean: Fraction = Fraction(0)
    base_second: Fraction = Fraction(0)
    factor: Fraction = Fraction(1)

    def _fractions(self) -> tuple[Fraction, Fraction]:
        return self.base_mean * self.factor, self.base_second * self.factor**2


def scaled_value(
    value: Decimal | Distribution, factor: Decimal, attribute: str
) -> Decimal | Distribution:
    f = Fraction(factor)
    if isinstance(value, Distribution):
        mean, second = value._fractions()
    else:
        if attribute != "calls" or value == value.to_integral_value():
            return value * factor  # a plain number: the engine's own arithmetic
        # a fractional count: its two-point law, scaled as a random variable
        mean = Fraction(value)
        whole = mean.numerator // mean.denominator
        p = mean - whole
        second = (1 - p) * whole**2 + p * (whole + 1) ** 2
    return Scaled("between", (Decimal(0), Decimal(1)), "scaled", mean, second, f)


def engine_cost(stack: Stack, item: Input, factor: Decimal) -> Decimal:
    """The engine's cost per unit of feature "chat" with one input scaled."""
    feature = stack.features["chat"]
    workflow = stack.workflows[feature.workflow]
    sheets = dict(stack.price_sheets)
    with exact():
        if item.kind == "workflow":
            workflow = dataclasses.replace(
                workflow, cache_hit_rate=workflow.cache_hit_rate * factor
            )
        elif item.kind == "region":
            sheet_name, _, rest = item.key.partition(".region.")
            sheet = sheets[sheet_name]
            region = dataclasses.replace(
                sheet.regions[rest], multiplier=sheet.regions[rest].multiplier * factor
            )
            sheets[sheet_name] = dataclasses.replace(sheet, regions={rest: region})
        steps = []
        for step in workflow.steps:
            if item.kind == "step" and item.key.startswith(step.name + "."):
                step = dataclasses.replace(
                    step,
                    **{
                        item.attribute: scaled_value(
                            getattr(step, item.attribute), factor, item.attribute
                        )
                    },
                )
            if item.kind == "price" and item.key.startswith(step.uses + "."):
                price = step.item
                step = dataclasses.replace(
                    step,
                    item=dataclasses.replace(
                        price, **{item.attribute: getattr(price, item.attribute) * factor}
                    ),
                )
            steps.append(step)
        workflow = dataclasses.replace(workflow, steps=tuple(steps))
        changed = dataclasses.replace(stack, price_sheets=sheets)
        return sum(c.cost_per_unit for c in workflow_costs(changed, workflow, feature.region))


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load(STACK)


def test_the_polynomial_is_the_engine(stack: Stack) -> None:
    model = cost_model(stack, stack.features["chat"])
    feature = stack.features["chat"]
    expected = sum(
        c.cost_per_unit
        for c in workflow_costs(stack, stack.workflows[feature.workflow], feature.region)
    )
    assert model.cost_per_unit == expected


def test_every_input_is_named(stack: Stack) -> None:
    keys = set(cost_model(stack, stack.features["chat"]).inputs)
    assert {
        "cache_hit_rate",
        "draft.calls",
        "draft.input_tokens",
        "draft.output_tokens",
        "draft.context_growth",
        "draft.cached_share",
        "draft.retry_rate",
        "draft.share",
        "retrieve.quantity",
        "openai/gpt-4o.input_per_mtok",
        "openai/gpt-4o.cached_input_per_mtok",
        "openai/gpt-4o.output_per_mtok",
        "openai/mini.cached_input_per_mtok",  # defaulted to the input price, still a price
        "pinecone/read_unit.price",
        "openai.region.eu",
        "pinecone.region.eu",
    } <= keys


def test_elasticities_equal_central_differences(stack: Stack) -> None:
    model = cost_model(stack, stack.features["chat"])
    base = engine_cost(stack, model.inputs["draft.calls"], Decimal(1))
    assert base == model.cost_per_unit
    checked = 0
    for key, elasticity in elasticities(model).items():
        item = model.inputs[key]
        up = engine_cost(stack, item, 1 + EPS)
        down = engine_cost(stack, item, 1 - EPS)
        with exact():
            difference = (up - down) / (2 * EPS) / base
        assert elasticity is not None
        assert abs(elasticity - difference) < Decimal("1e-20"), key
        checked += 1
    assert checked == len(model.inputs) >= 25


def test_linear_inputs_are_their_share_of_the_cost(stack: Stack) -> None:
    """A price that only one step pays has the elasticity of that step's share of the cost."""
    model = cost_model(stack, stack.features["chat"])
    e = elasticities(model)
    with exact():
        retrieve = model.steps["retrieve"].value() / model.cost_per_unit
    assert e["pinecone/read_unit.price"] == retrieve
    assert e["pinecone.region.eu"] == retrieve
    assert e["retrieve.quantity"] == retrieve
    # the cache hit rate lowers the cost: −h·(cacheable cost)/(1−h) / cost
    cacheable = sum((model.steps[s].value() for s in ("retrieve", "draft", "escalate")), Decimal(0))
    with exact():
        assert e["cache_hit_rate"] == -Decimal("0.15") * cacheable / Decimal("0.85") / (
            model.cost_per_unit
        )
    # prices of a sheet and its region multiplier: the multiplier carries every model price
    with exact():
        openai = sum((e[k] for k in e if k.startswith("openai/") and "price" not in k), Decimal(0))
        assert abs(e["openai.region.eu"] - openai) < Decimal("1e-26")


def test_tornado_and_ranking(stack: Stack) -> None:
    model = cost_model(stack, stack.features["chat"])
    ranked = drivers(model, Decimal(20))
    sizes = [abs(d.elasticity) for d in ranked if d.elasticity is not None]
    assert sizes == sorted(sizes, reverse=True)
    for d in ranked:
        assert d.low == engine_cost(stack, d.input, d.low_factor)
        assert d.high == engine_cost(stack, d.input, d.high_factor)
    by_key = {d.key: d for d in ranked}
    # share = 0.10 may grow 20 %; draft.share = 1 is capped at 1
    assert by_key["escalate.share"].high_factor == Decimal("1.2")
    assert by_key["draft.share"].high_factor == 1
    assert by_key["draft.share"].high == model.cost_per_unit
    top = top_drivers(model)
    assert [k for k, _ in top] == [d.key for d in ranked if d.elasticity][:3]


def test_a_free_workflow_has_no_elasticities() -> None:
    free = load(
        {
            **STACK,
            "prices.hcl": """
                price_sheet "openai" {
                  region "eu" { multiplier = 1.1 }
                  model "gpt-4o" { input_per_mtok = 0 }
                  model "mini" { input_per_mtok = 0 }
                }
                price_sheet "pinecone" {
                  meter "read_unit" { price = 0 }
                }
                """,
        }
    )
    model = cost_model(free, free.features["chat"])
    assert model.cost_per_unit == 0
    assert set(elasticities(model).values()) == {None}
    assert top_drivers(model) == []


@pytest.mark.parametrize("example", ["support-assistant", "search-api"])
def test_the_polynomial_describes_every_example_feature(example: str) -> None:
    from pathlib import Path

    from infercost.cost.breakdown import compute
    from infercost.insight.inputs import describes
    from infercost.workspace import Options, load_stack, load_usage
    from tests.helpers import EXAMPLES

    options = Options(stack=Path(EXAMPLES / example))
    stack = load_stack(options)
    b = compute(stack, load_usage([stack], options))
    for name, feature in stack.features.items():
        assert describes(cost_model(stack, feature), b.features[name].cost_per_unit), name


def test_a_cost_the_model_does_not_know_gets_no_drivers(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A price term the engine bills but the polynomial lacks: drivers are left out."""
    from infercost.cost.breakdown import compute
    from infercost.errors import InfercostError
    from infercost.insight import explain as explain_module
    from infercost.insight import report
    from infercost.insight.polynomial import Polynomial
    from infercost.usage.snapshot import Snapshot

    real = cost_model

    def missing_a_term(s: Stack, f: object) -> object:
        model = real(s, f)  # type: ignore[arg-type]
        extra = Polynomial.constant(Decimal("0.001"))
        return dataclasses.replace(model, polynomial=model.polynomial + extra)

    monkeypatch.setattr(report, "cost_model", missing_a_term)
    monkeypatch.setattr(explain_module, "cost_model", missing_a_term)
    b = compute(stack, Snapshot(path="u.csv", units={"chat": Decimal(10)}))
    attached = report.attach(stack, b, None)
    assert attached.features["chat"].insight.top_drivers == ()
    with pytest.raises(InfercostError, match="Cannot explain"):
        explain_module.explain(stack, b, "chat", Decimal(20), None)
