"""The expected cost of one unit of work (SPEC §3, §13), step by step, exactly.

T_in  = E[C]·E[I] + g·E[C·(C−1)]/2          T_out = E[C]·E[O]
model = ((1−s−w)·T_in·p_in + s·T_in·p_cached + w·T_in·p_write + T_out·p_out) / 1,000,000
        + E[C]·per_call                     (s cached share, w cache-write share)
meter = E[C]·E[q]·price / per
cost  = raw · (1 − discount) · m · rate     (sheet discount, region multiplier, exchange rate)
step  = cost · share · (1 + retry_rate) · (1 − h if cacheable else 1)

The prices are the item's batch prices for ``processing = "batch"``. With long-context
tiers the model term is the exact cliff expectation of :mod:`long_context` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from infercost.arithmetic import MILLION, ONE, ZERO, exact, from_fraction
from infercost.cost.long_context import TierRates, expected_cost, share_above
from infercost.evaluate.values import Distribution, falling_moment_of, mean_of, upper_of
from infercost.model import (
    LongContext,
    MeterPrice,
    ModelPrice,
    PriceSheet,
    Stack,
    Step,
    TokenPrices,
    Workflow,
)


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


def _token_cost(step: Step, prices: TokenPrices, t_in: Decimal, t_out: Decimal) -> Decimal:
    """Input and output tokens of one run of the step, in the sheet's currency."""
    s, w = step.cached_share, step.cache_write_share
    if not prices.long_context:
        return (
            (ONE - s - w) * t_in * prices.input_per_mtok
            + s * t_in * prices.cached_input_per_mtok
            + w * t_in * prices.cache_write_per_mtok
            + t_out * prices.output_per_mtok
        ) / MILLION
    fs, fw = Fraction(s), Fraction(w)

    def rates(above: Decimal | None, p: TokenPrices | LongContext) -> TierRates:
        blended = (
            (1 - fs - fw) * Fraction(p.input_per_mtok)
            + fs * Fraction(p.cached_input_per_mtok)
            + fw * Fraction(p.cache_write_per_mtok)
        )
        output = Fraction(p.output_per_mtok)
        return TierRates(None if above is None else Fraction(above), blended, output)

    tiers = [rates(None, prices)]
    tiers += [rates(t.above_input_tokens, t) for t in prices.long_context]
    total = expected_cost(
        step.calls,
        step.input_tokens,
        step.context_growth,
        Fraction(mean_of(step.output_tokens)),
        tiers,
    )
    return from_fraction(total) / MILLION


def step_cost(
    step: Step, multiplier: Decimal, cache_hit_rate: Decimal, sheet: PriceSheet | None = None
) -> StepCost:
    with exact():
        item = step.item
        t_in, t_out = ZERO, ZERO
        if isinstance(item, ModelPrice):
            t_in, t_out = tokens(step)
            prices = item.prices(step.processing) or item
            raw = _token_cost(step, prices, t_in, t_out)
            if item.per_call:
                raw += mean_of(step.calls) * item.per_call
        elif isinstance(item, MeterPrice):
            raw = mean_of(step.calls) * mean_of(step.quantity) * item.price / item.per
        else:  # pragma: no cover - the compiler guarantees an item
            raw = ZERO
        if sheet is not None:
            raw = raw * (ONE - sheet.discount)
        cost = multiplier * raw
        if sheet is not None:
            cost = cost * sheet.exchange_rate
        factor = step.share * (ONE + step.retry_rate)
        if step.cacheable:
            factor *= ONE - cache_hit_rate
        return StepCost(step, cost * factor, t_in, t_out)


def workflow_costs(stack: Stack, workflow: Workflow, region: str | None) -> list[StepCost]:
    out = []
    for step in workflow.steps:
        sheet = stack.price_sheets[step.uses.partition("/")[0]]
        out.append(step_cost(step, sheet.multiplier(region), workflow.cache_hit_rate, sheet))
    return out


def _long_context_share(step: Step) -> Decimal | None:
    """The expected share of the step's calls billed at a long-context tier (above the
    item's lowest threshold); null for a meter step or an item without tiers."""
    item = step.item
    prices = item.prices(step.processing) if isinstance(item, ModelPrice) else None
    if prices is None or not prices.long_context:
        return None
    lowest = Fraction(prices.long_context[0].above_input_tokens)
    share = share_above(step.calls, step.input_tokens, step.context_growth, lowest)
    return from_fraction(share)


def step_metrics(step: Step, cost: StepCost, workflow_cost: Decimal) -> dict[str, object]:
    """The figures a step-scope guardrail reads (SPEC §6, §11), at multiplier 1."""
    with exact():
        calls = mean_of(step.calls)
        is_model = step.kind == "model"
        # A fractional constant is the two-point count on floor and ceil (SPEC §15).
        max_calls = upper_of(step.calls).to_integral_value(rounding=ROUND_CEILING)
        if isinstance(step.calls, Distribution) and not step.calls.is_count:
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
            "cache_write_share": step.cache_write_share if is_model else None,
            "processing": step.processing if is_model else None,
            "long_context_share": _long_context_share(step),
            "cacheable": step.cacheable,
            "cost_per_unit": cost.cost_per_unit,
            "cost_share": cost.cost_per_unit / workflow_cost if workflow_cost else None,
        }
