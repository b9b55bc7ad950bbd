"""The expected cost of one unit (SPEC §3), against arithmetic done by hand here.

Every expected figure is written out as a Decimal expression of the spec's formula,
with the moments worked out in the comments, never copied from the engine's output.
"""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from infercost.cost.unit_cost import StepCost, step_metrics, workflow_costs
from infercost.model import Stack
from tests.helpers import CONTEXT, dec, load

M = D(1_000_000)

PRICES = """
    price_sheet "llm" {
      region "eu" { multiplier = 1.10 }
      model "big" {
        input_per_mtok        = 2.50
        cached_input_per_mtok = 1.25
        output_per_mtok       = 10.00
      }
      model "embed" { input_per_mtok = 0.02 }
    }
    price_sheet "vec" {
      meter "read" {
        price = 16.00
        per   = 1000000
      }
    }
    price_sheet "gpu" {
      region "us" { multiplier = 0.9 }
      meter "second" {
        price = 0.72
        per   = 3600
      }
    }
    """

WORKFLOW = """
    unit "ticket" {}

    workflow "answer" {
      cache_hit_rate = 0.15

      step "embed" {
        uses         = "llm/embed"
        calls        = between(1, 3)
        input_tokens = 60
        cacheable    = false
      }
      step "retrieve" {
        uses     = "vec/read"
        calls    = between(3, 7)
        quantity = 5
      }
      step "draft" {
        uses           = "llm/big"
        calls          = between(2, 5)
        input_tokens   = 1800
        output_tokens  = 350
        cached_share   = 0.30
        context_growth = 400
        retry_rate     = 0.05
      }
      step "escalate" {
        uses          = "llm/big"
        share         = 0.10
        input_tokens  = 6000
        output_tokens = 800
      }
      step "rerank" {
        uses     = "gpu/second"
        calls    = 2
        quantity = 0.05
      }
    }

    feature "plain" {
      unit     = unit.ticket
      workflow = workflow.answer
    }
    feature "eu" {
      unit     = unit.ticket
      workflow = workflow.answer
      region   = "eu"
    }
    """


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load({"prices.hcl": PRICES, "main.hcl": WORKFLOW})


def costs(stack: Stack, region: str | None = None, workflow: str = "answer") -> dict[str, StepCost]:
    return {c.name: c for c in workflow_costs(stack, stack.workflows[workflow], region)}


# Per-step costs at multiplier 1, by hand. h = cache_hit_rate = 0.15.
# embed: E[C] = (1+2+3)/3 = 2; T_in = 2·60 = 120; not cacheable.
EMBED = D(120) * D("0.02") / M  # = 0.0000024
# retrieve: E[C] = (3+...+7)/5 = 5; meter: 5·5·16/1,000,000, then the cache (1 − 0.15).
RETRIEVE = D(5) * D(5) * D(16) / D(1_000_000) * (1 - D("0.15"))  # = 0.00034
# draft: E[C] = 3.5, E[C(C−1)] = (2+6+12+20)/4 = 10.
#   T_in = 3.5·1800 + 400·10/2 = 6300 + 2000 = 8300;  T_out = 3.5·350 = 1225
#   cost = (0.7·8300·2.50 + 0.3·8300·1.25 + 1225·10) / 1e6 = 29887.5 / 1e6
#   per unit: · (1 + 0.05) retries · (1 − 0.15) cache
DRAFT_T_IN = D("3.5") * 1800 + D(400) * 10 / 2
DRAFT = ((1 - D("0.3")) * DRAFT_T_IN * D("2.50") + D("0.3") * DRAFT_T_IN * D("1.25")
         + D("3.5") * 350 * D(10)) / M * D("1.05") * (1 - D("0.15"))  # fmt: skip
# escalate: one call, 10% of units: (6000·2.50 + 800·10)/1e6 · 0.10 · (1 − 0.15)
ESCALATE = (D(6000) * D("2.50") + D(800) * D(10)) / M * D("0.10") * (1 - D("0.15"))
# rerank: 2 calls · 0.05 GPU-seconds · $0.72 per 3600 s, cached like the rest
RERANK = D(2) * D("0.05") * D("0.72") / D(3600) * (1 - D("0.15"))


def test_hand_figures_are_what_we_think() -> None:
    assert DRAFT_T_IN == 8300
    figures = (EMBED, RETRIEVE, DRAFT, ESCALATE, RERANK)
    assert figures == tuple(
        map(D, ("0.0000024", "0.00034", "0.02667459375", "0.001955", "0.000017"))
    )


def test_each_step_at_multiplier_one(stack: Stack) -> None:
    got = costs(stack)
    assert got["embed"].cost_per_unit == EMBED
    assert got["retrieve"].cost_per_unit == RETRIEVE
    assert got["draft"].cost_per_unit == DRAFT
    assert got["escalate"].cost_per_unit == ESCALATE
    assert got["rerank"].cost_per_unit == RERANK
    assert list(got) == ["embed", "retrieve", "draft", "escalate", "rerank"]


def test_tokens_per_run(stack: Stack) -> None:
    draft = costs(stack)["draft"]
    assert (draft.input_tokens, draft.output_tokens) == (D(8300), D(1225))
    assert (costs(stack)["retrieve"].input_tokens, costs(stack)["retrieve"].output_tokens) == (0, 0)


def test_region_multiplies_only_the_sheets_that_declare_it(stack: Stack) -> None:
    got = costs(stack, "eu")
    eu = D("1.10")
    assert got["embed"].cost_per_unit == eu * EMBED
    assert got["draft"].cost_per_unit == eu * DRAFT
    assert got["escalate"].cost_per_unit == eu * ESCALATE
    # "vec" and "gpu" have no "eu" region: multiplier 1.
    assert got["retrieve"].cost_per_unit == RETRIEVE
    assert got["rerank"].cost_per_unit == RERANK
    # "us" is declared on gpu only.
    assert costs(stack, "us")["rerank"].cost_per_unit == D("0.9") * RERANK
    assert costs(stack, "us")["draft"].cost_per_unit == DRAFT


def test_workflow_cost_is_the_sum_of_its_steps(stack: Stack) -> None:
    total = sum((c.cost_per_unit for c in costs(stack).values()), D(0))
    assert total == EMBED + RETRIEVE + DRAFT + ESCALATE + RERANK


CONTINUOUS = """
    unit "u" {}
    workflow "w" {
      step "cont" {
        uses           = "llm/big"
        calls          = between(1, 2.5)
        input_tokens   = 1000
      }
      step "tri" {
        uses           = "llm/big"
        calls          = triangular(0, 3, 6)
        input_tokens   = triangular(1200, 2000, 4000)
        output_tokens  = between(150, 400)
      }
      step "meter" {
        uses     = "vec/read"
        calls    = between(0.5, 1.5)
        quantity = triangular(5, 10, 30)
      }
    }
    """


def test_continuous_between_and_triangular() -> None:
    stack = load({"prices.hcl": PRICES, "main.hcl": CONTINUOUS})
    got = costs(stack, workflow="w")
    # A continuous calls has no context_growth (SPEC §15: its E[C(C−1)] is not a count of
    # call pairs); its mean still drives the tokens.
    # cont: continuous uniform on [1, 2.5]: E[C] = 1.75; T_in = 1.75·1000 = 1750
    t_in = D("1.75") * 1000
    assert got["cont"].input_tokens == t_in == 1750
    assert got["cont"].cost_per_unit == t_in * D("2.50") / M
    # tri: calls triangular(0, 3, 6): E = 3
    #   input_tokens triangular(1200, 2000, 4000): E = 7200/3 = 2400
    #   output_tokens between(150, 400) (discrete): E = 275
    #   T_in = 3·2400 = 7200;  T_out = 3·275 = 825
    t_in = D(3) * 2400
    t_out = D(3) * 275
    assert (got["tri"].input_tokens, got["tri"].output_tokens) == (t_in, t_out) == (7200, 825)
    assert got["tri"].cost_per_unit == (t_in * D("2.50") + t_out * D(10)) / M
    # meter: E[C] = 1 (continuous), E[q] = (5 + 10 + 30)/3 = 15 → 1·15·16/1e6
    assert got["meter"].cost_per_unit == D(1) * D(15) * D(16) / M == D("0.00024")


def test_non_terminating_moments_round_once_at_28_digits() -> None:
    text = CONTINUOUS.replace("between(1, 2.5)", "triangular(0, 1, 1)")
    stack = load({"prices.hcl": PRICES, "main.hcl": text})
    got = costs(stack, workflow="w")["cont"]
    # E[C] = (0 + 1 + 1)/3 = 2/3, rounded once at 28 digits, then times 1000 exactly
    assert got.input_tokens == dec(Fraction(2, 3)) * 1000
    # E[C(C−1)] of a triangular stays exact in fractions: Var = (0+1+1−0−0−1)/18 = 1/18,
    # E[C²] = 4/9 + 1/18 = 1/2, E[C(C−1)] = 1/2 − 2/3 = −1/6: negative, which is why a
    # continuous calls may not carry context_growth.
    calls = stack.workflows["w"].steps[0].calls
    assert calls.falling_moment == dec(Fraction(-1, 6))


def test_step_metrics_for_guardrails(stack: Stack) -> None:
    draft_step = stack.workflows["answer"].steps[2]
    cost = costs(stack)["draft"]
    total = sum((c.cost_per_unit for c in costs(stack).values()), D(0))
    metrics = step_metrics(draft_step, cost, total)
    assert metrics["address"] == "workflow.answer.step.draft"
    assert (metrics["calls_mean"], metrics["calls_max"]) == (D("3.5"), 5)
    # T_in / E[C] = 8300 / 3.5; largest call: 1800 + 400·(5 − 1) = 3400
    assert metrics["input_tokens_per_call"] == dec(Fraction(8300) / Fraction(7, 2))
    assert metrics["max_input_tokens_per_call"] == 3400
    assert metrics["cost_share"] == CONTEXT.divide(DRAFT, total)
    meter = step_metrics(stack.workflows["answer"].steps[1], costs(stack)["retrieve"], total)
    assert meter["input_tokens_per_call"] is None and meter["quantity_per_call"] == 5
