"""The support-assistant example served on GPUs, with shared costs: figures by hand."""

from __future__ import annotations

import decimal
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.cost.breakdown import Breakdown
from tests.helpers import CONTEXT, REPO, run_cli
from tests.test_examples import breakdown

NAME = "support-assistant/self-hosted"


@pytest.fixture(scope="module")
def gpu() -> Breakdown:
    return breakdown(NAME)


def floor18(value: D) -> D:
    return value.quantize(D("1e-18"), rounding=decimal.ROUND_FLOOR)


def test_gpu_steps(gpu: Breakdown) -> None:
    steps = {s.name: s for s in gpu.features["support_assistant"].steps}
    # draft: T_in = 17175, T_out = 1575 (as in the API-served stack), 35 % prefix-cached
    seconds = (D("0.65") * 17175 / 20000 + D(1575) / 1500) / D("0.6")
    assert seconds == D("2.6803125")
    factor = D("1.05") * D("0.85")  # retries, cache hits of 15 %
    assert steps["draft"].gpu_seconds_per_unit == seconds * factor == D("2.39217890625")
    assert steps["draft"].cost_per_unit == seconds * D("3.60") / 3600 * factor
    # embed_query: E[C] = 2 calls of 80 tokens at 40,000 tokens/s, 25 % busy, not cacheable
    assert steps["embed_query"].gpu_seconds_per_unit == D(160) / 40000 / D("0.25") == D("0.016")
    hours = gpu.totals.gpu_hours_by_item
    assert hours["cluster/llama-3.3-70b-h100"] == CONTEXT.divide(
        D(291387) * D("2.39217890625"), D(3600)
    )


def test_shared_costs(gpu: Breakdown) -> None:
    units_sa, units_ss = D(291387), D(208996)
    pods = gpu.allocation.shared["vector_db_pods"].parts
    # by units; support_assistant is last in name order and takes the remainder
    ss = floor18(CONTEXT.divide(D(700) * units_ss, units_sa + units_ss))
    assert pods == {"semantic_search": ss, "support_assistant": D(700) - ss}
    oncall = gpu.allocation.shared["gpu_platform_oncall"].parts
    assert oncall == {"semantic_search": D(120), "support_assistant": D(1080)}
    f = gpu.features["support_assistant"]
    assert f.allocated_cogs == sum(
        (s.parts["support_assistant"] for s in gpu.allocation.shared.values()), D(0)
    )
    assert f.cogs == f.variable_cogs + f.allocated_cogs
    assert gpu.totals.allocated_cogs == D(2350)  # 700 + 450 + 1200, all allocated
    assert gpu.totals.cogs == gpu.totals.variable_cogs + D(2350)
    # customers carry their features' parts exactly
    carried = sum((c.allocated_cogs for c in gpu.customers.values()), D(0))
    assert carried == D(2350)
    # margins two ways: shared costs push the ticket feature below its 60 % target
    assert f.contribution_margin is not None and f.contribution_margin > D("0.6")
    assert f.margin is not None and f.margin < D("0.6") and f.below_target


def test_text_and_json_goldens(assert_golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run_cli(["breakdown", f"examples/{NAME}", "--no-color"])
    assert (code, err) == (0, "")
    assert_golden("breakdown_support-assistant-self-hosted.txt", out)
    code, out, err = run_cli(["breakdown", f"examples/{NAME}", "-o", "json"])
    assert (code, err) == (0, "")
    assert_golden("breakdown_support-assistant-self-hosted.json", out)


def test_plan_from_api_to_gpus(assert_golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run_cli(
        ["plan", f"examples/{NAME}", "--base-dir", "examples/support-assistant", "--no-color"]
    )
    assert (code, err) == (0, "")
    assert "shared_cost.vector_db_pods" in out
    assert_golden("plan_support-assistant-self-hosted.txt", out)
    code, out, err = run_cli(
        ["plan", f"examples/{NAME}", "--base-dir", "examples/support-assistant", "-o", "markdown"]
    )
    assert (code, err) == (0, "")
    # variable COGS falls on GPUs, the shared costs arrive: the comment shows both
    assert (
        "Variable COGS $2,536.79 → $2,435.45 · shared costs $0.00 → $2,350.00 · "
        "contribution margin 77.4% → 78.3%"
    ) in out


def test_example_validates() -> None:
    code, _out, err = run_cli(["validate", str(Path(REPO, "examples", NAME))])
    assert (code, err) == (0, "")
