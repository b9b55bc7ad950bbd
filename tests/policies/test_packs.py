"""The shipped policy packs: they load, and each rule judges typical targets as documented."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from infercost.config.compile import compile_policy
from infercost.config.loader import parse_files
from infercost.evaluate.evaluator import Evaluator, NullRead, Scope
from infercost.model import Guardrail

D = Decimal
POLICIES = Path(__file__).resolve().parents[2] / "infercost" / "policies"
PACKS = sorted(p.stem for p in POLICIES.glob("*.hcl"))

MODEL_STEP: dict[str, Any] = {
    "address": "workflow.answer.step.draft",
    "name": "draft",
    "workflow": "answer",
    "uses": "openai/gpt-4o",
    "kind": "model",
    "calls_mean": D("3.5"),
    "calls_max": D(5),
    "share": D(1),
    "input_tokens_per_call": D(2600),
    "max_input_tokens_per_call": D(3400),
    "output_tokens_per_call": D(350),
    "quantity_per_call": None,
    "retry_rate": D("0.05"),
    "cached_share": D("0.3"),
    "cacheable": True,
    "cost_per_unit": D("0.0349"),
    "cost_share": D("0.7"),
    "observed_cost_per_unit": D("0.0351"),
    "drift_pct": D("0.57"),
    "observed_calls_mean": D("3.6"),
    "observed_retry_rate": D("0.06"),
}
METER_STEP: dict[str, Any] = {
    **MODEL_STEP,
    "address": "workflow.answer.step.retrieve",
    "name": "retrieve",
    "uses": "pinecone/read_unit",
    "kind": "meter",
    "input_tokens_per_call": None,
    "max_input_tokens_per_call": None,
    "output_tokens_per_call": None,
    "quantity_per_call": D(5),
    "cached_share": None,
    "calls_max": D(7),
    "cost_share": D("0.01"),
}
FEATURE: dict[str, Any] = {
    "name": "chat",
    "unit": "ticket",
    "workflow": "answer",
    "region": None,
    "units": D(1000),
    "cost_per_unit": D("0.12"),
    "cogs": D(120),
    "revenue": D(400),
    "margin": D("0.7"),
    "target_margin": D("0.6"),
    "revenue_per_unit": D("0.4"),
    "cogs_change": D(10),
    "cogs_change_pct": D("9.09"),
    "margin_change": D("-0.02"),
    "cost_per_unit_change_pct": D("9.09"),
    "observed_cost_per_unit": D("0.13"),
    "drift_pct": D("8.3"),
}
SUBSCRIPTION: dict[str, Any] = {
    "name": "pro",
    "price": D(29),
    "customers": D(100),
    "revenue": D(2900),
    "cogs": D(900),
    "margin": D("0.69"),
    "underwater_customers": D(4),  # the engine must pass a Decimal, not an int
    "underwater_share": D("0.04"),
}
STACK: dict[str, Any] = {
    "cogs": D(1100),
    "revenue": D(4000),
    "margin": D("0.725"),
    "cogs_change": D(100),
    "cogs_change_pct": D(10),
    "gpu_hours": D(150),
    "gpu_hours_by_item": {"cluster/h100": D(150)},
    "reserved_gpu_hours": D(200),
}
SAMPLES = {
    "feature": FEATURE,
    "subscription": SUBSCRIPTION,
    "stack": STACK,
    "step": MODEL_STEP,
}


def load(pack: str) -> dict[str, Guardrail]:
    path = POLICIES / f"{pack}.hcl"
    files = parse_files({str(path): path.read_text(encoding="utf-8")}, root="policy")
    return compile_policy(files, f"builtin:{pack}")


def judge(g: Guardrail, attributes: dict[str, Any]) -> str:
    assert g.condition is not None
    evaluator = Evaluator(Scope(allow_blocks=False, self_value=attributes))
    try:
        value = evaluator.evaluate(g.condition)
    except NullRead:
        return "skipped"
    assert isinstance(value, bool)
    if not value:
        assert g.message is not None
        text = Evaluator(Scope(allow_blocks=False, self_value=attributes)).evaluate(g.message)
        assert isinstance(text, str) and text
    return "pass" if value else "fail"


def test_the_documented_packs_are_shipped() -> None:
    assert PACKS == [
        "cogs-growth",
        "context-windows",
        "drift",
        "expensive-model-share",
        "gpu-fleet",
        "margin-floors",
        "retrieval-fanout",
        "retry-storms",
        "verbose-responses",
    ]
    readme = (POLICIES / "README.md").read_text(encoding="utf-8")
    for pack in PACKS:
        assert f"builtin:{pack}" in readme


@pytest.mark.parametrize("pack", PACKS)
def test_pack_loads_with_described_guardrails(pack: str) -> None:
    guardrails = load(pack)
    assert guardrails
    for g in guardrails.values():
        assert g.description and g.message is not None, g.name
        assert g.name != "target_margin"


def test_guardrail_names_are_unique_across_packs() -> None:
    names = [name for pack in PACKS for name in load(pack)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("pack", PACKS)
def test_typical_targets_pass(pack: str) -> None:
    for g in load(pack).values():
        assert judge(g, SAMPLES[g.scope]) == "pass", g.name
        if g.scope == "step":
            assert judge(g, METER_STEP) == "pass", g.name


@pytest.mark.parametrize(
    ("pack", "name", "attributes", "expected"),
    [
        ("margin-floors", "feature_margin_floor", {**FEATURE, "margin": D("0.49")}, "fail"),
        ("margin-floors", "feature_margin_floor", {**FEATURE, "margin": None}, "skipped"),
        ("margin-floors", "subscription_margin_floor",
         {**SUBSCRIPTION, "margin": D("0.5")}, "fail"),
        ("margin-floors", "underwater_customer_share",
         {**SUBSCRIPTION, "underwater_share": D("0.2")}, "fail"),
        ("margin-floors", "underwater_customer_share",
         {**SUBSCRIPTION, "underwater_share": None}, "skipped"),
        ("context-windows", "max_input_tokens_per_call",
         {**MODEL_STEP, "max_input_tokens_per_call": D(32001)}, "fail"),
        ("context-windows", "avg_input_tokens_per_call",
         {**MODEL_STEP, "input_tokens_per_call": D(16000)}, "pass"),
        # a model served on the team's own GPUs has a context window and pays for output too
        ("context-windows", "max_input_tokens_per_call",
         {**MODEL_STEP, "kind": "gpu", "max_input_tokens_per_call": D(32001)}, "fail"),
        ("verbose-responses", "verbose_responses",
         {**MODEL_STEP, "kind": "gpu", "output_tokens_per_call": D(1600)}, "fail"),
        ("expensive-model-share", "dominant_model_step",
         {**MODEL_STEP, "kind": "gpu", "cost_share": D("0.9")}, "fail"),
        ("context-windows", "max_input_tokens_per_call",
         {**METER_STEP, "max_input_tokens_per_call": None}, "pass"),
        ("context-windows", "avg_input_tokens_per_call",
         {**MODEL_STEP, "input_tokens_per_call": D("16000.5")}, "fail"),
        ("retrieval-fanout", "retrieval_fanout_calls", {**METER_STEP, "calls_max": D(11)}, "fail"),
        ("retrieval-fanout", "retrieval_fanout_volume",
         {**METER_STEP, "calls_max": D(10), "quantity_per_call": D(51)}, "fail"),
        ("retrieval-fanout", "retrieval_fanout_volume", {**MODEL_STEP, "calls_max": D(99)}, "pass"),
        ("retry-storms", "retry_storm", {**MODEL_STEP, "retry_rate": D("0.3")}, "fail"),
        # 150 of 200 reserved GPU-hours pass; 170 leave less than 20 % headroom; 201 do not fit
        ("gpu-fleet", "gpu_reservation_headroom", {**STACK, "gpu_hours": D(170)}, "fail"),
        ("gpu-fleet", "gpu_hours_within_reservation", {**STACK, "gpu_hours": D(200)}, "pass"),
        ("gpu-fleet", "gpu_hours_within_reservation", {**STACK, "gpu_hours": D(201)}, "fail"),
        ("gpu-fleet", "gpu_hours_within_reservation",
         {**STACK, "reserved_gpu_hours": None}, "skipped"),
        ("retry-storms", "retry_rate_elevated", {**METER_STEP, "retry_rate": D("0.11")}, "fail"),
        ("retry-storms", "retry_storm", {**MODEL_STEP, "retry_rate": D("0.2")}, "pass"),
        ("verbose-responses", "verbose_responses",
         {**MODEL_STEP, "output_tokens_per_call": D(1600)}, "fail"),
        ("verbose-responses", "runaway_generation",
         {**MODEL_STEP, "output_tokens_per_call": D(1600)}, "pass"),
        ("expensive-model-share", "dominant_model_step", {**MODEL_STEP, "cost_share": D("0.9")},
         "fail"),
        ("expensive-model-share", "dominant_model_step", {**MODEL_STEP, "cost_share": None},
         "skipped"),
        ("cogs-growth", "stack_cogs_growth_pct", {**STACK, "cogs_change_pct": D("10.01")}, "fail"),
        ("cogs-growth", "stack_cogs_growth_pct", {**STACK, "cogs_change_pct": None}, "skipped"),
        ("cogs-growth", "stack_cogs_growth_amount", {**STACK, "cogs_change": D(10001)}, "fail"),
        ("cogs-growth", "feature_cost_per_unit_growth",
         {**FEATURE, "cost_per_unit_change_pct": D(30)}, "fail"),
        ("drift", "cost_drift", {**FEATURE, "drift_pct": D("20.01")}, "fail"),
        ("drift", "cost_drift", {**FEATURE, "drift_pct": D(20)}, "pass"),
        ("drift", "cost_drift", {**FEATURE, "drift_pct": None}, "skipped"),
        ("drift", "cost_drift_down", {**FEATURE, "drift_pct": D("-30.5")}, "fail"),
        ("drift", "retry_drift", {**MODEL_STEP, "observed_retry_rate": D("0.11")}, "fail"),
        ("drift", "calls_drift", {**MODEL_STEP, "observed_calls_mean": D("4.4")}, "fail"),
        ("drift", "calls_drift", {**MODEL_STEP, "observed_calls_mean": None}, "skipped"),
    ],
)  # fmt: skip
def test_rule_judgements(pack: str, name: str, attributes: dict[str, Any], expected: str) -> None:
    assert judge(load(pack)[name], attributes) == expected
