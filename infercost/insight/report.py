"""Percentiles and drivers attached to a priced breakdown, for the views that show them.

Pricing stays exact and separate (:mod:`infercost.cost.breakdown`); this adds, per
feature, what SPEC §16 puts around the expected values: the spread (when percentiles are
asked for) and the top drivers of the cost per unit. The figures ride on
``FeatureResult.insight``, a field that is never compared, so a plan never reports a
change because of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from infercost.arithmetic import exact
from infercost.cost.breakdown import Breakdown
from infercost.insight.drivers import top_drivers
from infercost.insight.inputs import cost_model, describes
from infercost.insight.sampling import COGS_METHOD, Settings
from infercost.model import Stack

if TYPE_CHECKING:  # numpy is imported only when percentiles are asked for
    from infercost.insight.ahead import Spreads
    from infercost.insight.simulate import Percentiles, ShapeKey, Simulated


@dataclass(frozen=True)
class FeatureInsight:
    top_drivers: tuple[tuple[str, Decimal], ...]
    percentiles: Percentiles | None = None
    cogs_method: str = COGS_METHOD
    #: Why percentiles were asked for and are absent, for the views to say.
    note: str | None = None


def attach(
    stack: Stack,
    breakdown: Breakdown,
    settings: Settings | None,
    ahead: Spreads | None = None,
    memo: dict[ShapeKey, Simulated] | None = None,
) -> Breakdown:
    """The breakdown with each feature's insight; percentiles only when ``settings``
    (those ``ahead`` simulated for the same units taken from it). ``memo``: shared by
    the two sides of a plan, so that a feature simulated the same way on both is
    simulated once."""
    with exact():  # every figure in the engine's context, whatever the caller's
        return _attach(stack, breakdown, settings, ahead, memo)


def _attach(
    stack: Stack,
    breakdown: Breakdown,
    settings: Settings | None,
    ahead: Spreads | None,
    memo: dict[ShapeKey, Simulated] | None,
) -> Breakdown:
    if settings is not None:
        from infercost.insight.simulate import percentiles
    features = {}
    for name, result in breakdown.features.items():
        feature = stack.features[name]
        model = cost_model(stack, feature)
        if not describes(model, result.cost_per_unit):
            features[name] = dataclasses.replace(result, insight=FeatureInsight((), None))
            continue
        spread = None
        if settings is not None:
            known, spread = ahead.spread(name, result.units) if ahead else (False, None)
            if not known:
                spread = percentiles(stack, feature, result.units, settings, memo)
        drivers = tuple(top_drivers(model))
        note = None
        if settings is not None and spread is None:
            note = (
                f"percentiles not simulated: {settings.samples:,} units of this workflow "
                "would draw too many numbers (calls in the hundreds of thousands); lower "
                "--samples or narrow calls"
            )
        features[name] = dataclasses.replace(
            result, insight=FeatureInsight(drivers, spread, note=note)
        )
    return dataclasses.replace(breakdown, features=features)
