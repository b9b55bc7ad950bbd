"""The expected cost of one unit of work (SPEC §3), step by step, exactly.

T_in  = E[C]·E[I] + g·E[C·(C−1)]/2          T_out = E[C]·E[O]
model = m·((1−s)·T_in·p_in + s·T_in·p_cached + T_out·p_out) / 1,000,000
meter = m·E[C]·E[q]·price / per
step  = cost · share · (1 + retry_rate) · (1 − h if cacheable else 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from infercost.arithmetic import MILLION, ONE, ZERO, exact
from infercost.evaluate.values import Distribution, falling_moment_of, mean_of, upper_of
from infercost.model import MeterPrice, ModelPrice, Stack, Step, Workflow


@dataclass(frozen=True, slots=True)
class StepCost:
    step: Step
    cost_per_unit: Decimal  # share, retries and cache included: steps add up to the unit cost
    input_tokens: Decimal  # T_in per run of the step
    output_tokens: Decimal  # T_out per run of the step

    @property
    def name(self) -> str:
        return self.step.name


def tokens(step: Step) -> tuple[Decimal, Decimal]:
    calls = mean_of(step.calls)
    t_in = calls * mean_of(step.input_tokens)
    t_in += mean_of(step.context_growth) * falling_moment_of(step.calls) / 2
    return t_in, calls * mean_of(step.output_tokens)


def step_cost(step: Step, multiplier: Decimal, cache_hit_rate: Decimal) -> StepCost:
    with exact():
        item = step.item
        t_in, t_out = ZERO, ZERO
        if isinstance(item, ModelPrice):
            t_in, t_out = tokens(step)
            s = step.cached_share
            raw = (
                (ONE - s) * t_in * item.input_per_mtok
                + s * t_in * item.cached_input_per_mtok
                + t_out * item.output_per_mtok
            ) / MILLION
        elif isinstance(item, MeterPrice):
            raw = mean_of(step.calls) * mean_of(step.quantity) * item.price / item.per
        else:  # pragma: no cover - the compiler guarantees an item
            raw = ZERO
        factor = step.share * (ONE + step.retry_rate)
        if step.cacheable:
            factor *= ONE - cache_hit_rate
        return StepCost(step, multiplier * raw * factor, t_in, t_out)


def workflow_costs(stack: Stack, workflow: Workflow, region: str | None) -> list[StepCost]:
    out = []
    for step in workflow.steps:
        sheet = stack.price_sheets[step.uses.partition("/")[0]]
        out.append(step_cost(step, sheet.multiplier(region), workflow.cache_hit_rate))
    return out


def step_metrics(step: Step, cost: StepCost, workflow_cost: Decimal) -> dict[str, object]:
    """The figures a step-scope guardrail reads (SPEC §6, §11), at multiplier 1."""
    with exact():
        calls = mean_of(step.calls)
        is_model = step.kind == "model"
        # A fractional constant is the two-point count on floor and ceil (SPEC §15).
        max_calls = upper_of(step.calls).to_integral_value(rounding=ROUND_CEILING)
        if isinstance(step.calls, Distribution) and not step.calls.discrete:
            max_calls = upper_of(step.calls)
        return {
            "address": step.address,
            "name": step.name,
            "workflow": step.workflow,
            "uses": step.uses,
            "kind": step.kind,
            "calls_mean": calls,
            "calls_max": max_calls,
            "share": step.share,
            "input_tokens_per_call": (cost.input_tokens / calls if calls else ZERO)
            if is_model
            else None,
            "max_input_tokens_per_call": (
                upper_of(step.input_tokens)
                + upper_of(step.context_growth) * max(max_calls - ONE, ZERO)
            )
            if is_model
            else None,
            "output_tokens_per_call": mean_of(step.output_tokens) if is_model else None,
            "quantity_per_call": None if is_model else mean_of(step.quantity),
            "retry_rate": step.retry_rate,
            "cached_share": step.cached_share if is_model else None,
            "cacheable": step.cacheable,
            "cost_per_unit": cost.cost_per_unit,
            "cost_share": cost.cost_per_unit / workflow_cost if workflow_cost else None,
        }
