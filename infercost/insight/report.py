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

from infercost.cost.breakdown import Breakdown
from infercost.insight.drivers import top_drivers
from infercost.insight.inputs import cost_model
from infercost.insight.sampling import Settings
from infercost.insight.simulate import COGS_METHOD, Percentiles, percentiles
from infercost.model import Stack


@dataclass(frozen=True)
class FeatureInsight:
    top_drivers: tuple[tuple[str, Decimal], ...]
    percentiles: Percentiles | None = None
    cogs_method: str = COGS_METHOD


def attach(stack: Stack, breakdown: Breakdown, settings: Settings | None) -> Breakdown:
    """The breakdown with each feature's insight; percentiles only when ``settings``."""
    features = {}
    for name, result in breakdown.features.items():
        feature = stack.features[name]
        spread = (
            percentiles(stack, feature, result.units, settings) if settings is not None else None
        )
        drivers = tuple(top_drivers(cost_model(stack, feature)))
        features[name] = dataclasses.replace(result, insight=FeatureInsight(drivers, spread))
    return dataclasses.replace(breakdown, features=features)
