"""``explain``: one feature's drivers, tornado, headroom and break-even, as one result.

Pure: a priced stack in, an :class:`Explanation` out; the views render it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from infercost.cost.breakdown import Breakdown, FeatureResult
from infercost.errors import InfercostError, did_you_mean
from infercost.insight.breakeven import BreakEven, solve
from infercost.insight.drivers import DEFAULT_SWING, Driver, drivers
from infercost.insight.inputs import CostModel, cost_model, describes
from infercost.insight.report import attach
from infercost.insight.sampling import Settings
from infercost.insight.shared import SharedDriver, shared_drivers
from infercost.model import Stack


@dataclass(frozen=True)
class Explanation:
    currency: str
    period: str
    usage_period: str | None
    feature: FeatureResult
    model: CostModel
    swing: Decimal
    drivers: tuple[Driver, ...]
    break_even: BreakEven
    #: Shared costs the feature is a member of: drivers of its COGS per unit (SPEC §18).
    shared: tuple[SharedDriver, ...] = ()


def parse_swing(text: str | None) -> Decimal:
    """``--swing`` in percent, strictly between 0 and 100."""
    if text is None:
        return DEFAULT_SWING
    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not Decimal(0) < value < Decimal(100):
        raise InfercostError.at(
            "Invalid --swing",
            f'--swing is a percentage strictly between 0 and 100 (got "{text}"); the tornado '
            "shows the cost per unit with each input that much lower and higher.",
        )
    return value


def find_feature(stack: Stack, name: str) -> None:
    if name not in stack.features:
        names = sorted(stack.features)
        known = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        known = known or "none"
        raise InfercostError.at(
            "Unknown feature",
            f'The stack declares no feature "{name}".'
            + did_you_mean(name, stack.features)
            + f" Features: {known}.",
        )


def explain(
    stack: Stack, breakdown: Breakdown, name: str, swing: Decimal, sampling: Settings | None
) -> Explanation:
    find_feature(stack, name)
    only = dataclasses.replace(breakdown, features={name: breakdown.features[name]})
    result = attach(stack, only, sampling).features[name]
    model = cost_model(stack, stack.features[name])
    if not describes(model, result.cost_per_unit):
        raise InfercostError.at(
            "Cannot explain this feature",
            f'The cost of feature "{name}" has terms the driver model does not know yet, so '
            "its elasticities and break-even answers would be wrong; breakdown still "
            "shows its exact cost.",
        )
    ranked = drivers(model, swing)
    return Explanation(
        currency=breakdown.currency,
        period=breakdown.period,
        usage_period=breakdown.usage_period,
        feature=result,
        model=model,
        swing=swing,
        drivers=tuple(ranked),
        break_even=solve(stack, breakdown, result, model, ranked),
        shared=shared_drivers(breakdown, result, swing),
    )
