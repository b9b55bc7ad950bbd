"""The shipped examples validate, and their headline figures match arithmetic by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from infercost.cost.breakdown import Breakdown, compute
from infercost.workspace import Options, load_stack, load_usage
from tests.helpers import EXAMPLES, run_cli

M = D(1_000_000)


def breakdown(name: str) -> Breakdown:
    options = Options(stack=EXAMPLES / name)
    stack = load_stack(options)
    snapshot = load_usage([stack], options)
    assert snapshot is not None
    return compute(stack, snapshot)


@pytest.fixture(scope="module")
def support() -> Breakdown:
    return breakdown("support-assistant")


@pytest.fixture(scope="module")
def search() -> Breakdown:
    return breakdown("search-api")


@pytest.mark.parametrize("name", ["support-assistant", "search-api"])
def test_examples_validate(name: str) -> None:
    code, out, err = run_cli(["validate", str(EXAMPLES / name)])
    assert (code, err) == (0, "")
    assert out.startswith("Success!")


def test_support_assistant_cost_per_unit(support: Breakdown) -> None:
    h = D("0.15")  # var.cache_hit_rate default
    moderate = D(0)  # omni-moderation is free
    # embed_query: E[C] = 2 (between(1, 3)), 80 tokens, $0.02/M, not cacheable
    embed = 2 * D(80) * D("0.02") / M
    # retrieve: E[C] = 5 (between(3, 7)), 10 read units a call, $16 per 1M
    retrieve = 5 * D(10) * D(16) / M * (1 - h)
    # draft (gpt-4o-mini): E[C] = 3.5, E[C(C−1)] = 10, I = 1800 + 5·450 = 4050, g = 600
    #   T_in = 3.5·4050 + 600·10/2 = 14175 + 3000 = 17175; T_out = 3.5·450 = 1575
    t_in, t_out = D("3.5") * 4050 + D(600) * 10 / 2, D("3.5") * 450
    assert (t_in, t_out) == (17175, 1575)
    draft = ((1 - D("0.35")) * t_in * D("0.15") + D("0.35") * t_in * D("0.075")
             + t_out * D("0.60")) / M * (1 + D("0.05")) * (1 - h)  # fmt: skip
    # escalate (gpt-4o): 15% of tickets, I = 1800 + 2250 + 6000, O = 1000
    escalate = (D(10050) * D("2.50") + D(1000) * D("10.00")) / M * D("0.15") * (1 - h)
    expected = moderate + embed + retrieve + draft + escalate
    assert expected == D("0.007901975078125")
    f = support.features["support_assistant"]
    assert f.cost_per_unit == expected
    assert [s.cost_per_unit for s in f.steps] == [moderate, embed, retrieve, draft, escalate]


def test_support_assistant_figures(support: Breakdown) -> None:
    f = support.features["support_assistant"]
    assert f.units == 291387
    assert f.cogs == D(291387) * D("0.007901975078125") == D("2302.532812089609375")
    # pro: 264 customers · $29 · 0.7; team: 36 · $99 · 0.8
    assert f.revenue == 264 * D(29) * D("0.7") + 36 * D(99) * D("0.8") == D("8210.4")
    assert f.target_margin == D("0.6") and not f.below_target


def test_semantic_search_figures(support: Breakdown) -> None:
    eu = D("1.10")  # only the openai sheet declares region "eu"
    embed = eu * D(40) * D("0.02") / M  # one call, not cacheable
    retrieve = D("1.5") * D(10) * D(16) / M * (1 - D("0.30"))  # pinecone: multiplier 1
    # summarise: 40% of searches, triangular(1200, 2000, 4000) → E = 2400 input tokens
    summarise = (D(2400) * D("1.00") + D(200) * D("5.00")) / M * D("0.40") * (1 - D("0.30"))
    f = support.features["semantic_search"]
    assert f.cost_per_unit == embed + retrieve + summarise == D("0.00112088")
    assert f.units == 208996
    assert f.cogs == D(208996) * D("0.00112088") == D("234.25943648")
    assert f.revenue == 264 * D(29) * D("0.3") + 36 * D(99) * D("0.2") == D("3009.6")


def test_support_assistant_subscriptions(support: Breakdown) -> None:
    pro, team = support.subscriptions["pro"], support.subscriptions["team"]
    assert (pro.customers, pro.revenue, pro.underwater_customers) == (264, 7656, 26)
    assert pro.revenue == 264 * D(29)
    assert (team.customers, team.revenue, team.underwater_customers) == (36, 36 * D(99), 0)
    assert len(support.customers) == 300
    underwater = [c for c in support.customers.values() if c.underwater]
    assert len(underwater) == 26
    assert all(c.cogs > c.revenue for c in underwater)
    assert support.usage_period == "2026-11"
    assert support.totals.cogs == D("2302.532812089609375") + D("234.25943648")
    assert support.totals.revenue == D("8210.4") + D("3009.6")


def test_search_api_figures(search: Breakdown) -> None:
    # search (cache 0.25): embed triangular(8, 16, 60) → 28 tokens; retrieve between(5, 15)
    # → 10 read units; rerank 0.05 GPU-seconds at $0.72 an hour
    s = search.features["search"]
    cost = (D(28) * D("0.02") / M + D(10) * D(16) / M * D("0.75")
            + D("0.05") * D("0.72") / D(3600) * D("0.75"))  # fmt: skip
    assert s.cost_per_unit == cost == D("0.00012806")
    assert s.units == 1253500
    assert s.revenue == D(1253500) * D("0.0005")
    # answer (cache 0.10): generate with calls between(1, 2): E[C] = 1.5, E[C(C−1)] = 1;
    #   I = triangular(1500, 2500, 5000) → 3000, O = between(150, 400) → 275
    #   T_in = 1.5·3000 + 300·1/2 = 4650; T_out = 1.5·275 = 412.5
    generate = ((D("0.5") * 4650 * D("0.15") + D("0.5") * 4650 * D("0.075")
                 + D("412.5") * D("0.60")) / M * D("1.02") * D("0.9"))  # fmt: skip
    a = search.features["answer"]
    assert a.steps[-1].cost_per_unit == generate == D("0.00070743375")
    assert a.cost_per_unit == (
        D(28) * D("0.02") / M
        + 2 * D(10) * D(16) / M * D("0.9")
        + 2 * D("0.05") * D("0.72") / D(3600) * D("0.9")
        + generate
    )
    assert a.revenue == a.units * D("0.003")
    assert search.subscriptions == {} and search.customers == {}
    assert search.usage_period is None
