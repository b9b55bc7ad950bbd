"""Which input drives a feature's cost per unit, and by how much (SPEC §16).

The elasticity d ln(cost)/d ln(x) says by how many percent the cost per unit moves when
the input moves by one percent; for an input that enters linearly it is the share of
the cost that input carries. It is read off the cost polynomial exactly, never by
nudging the input. The tornado evaluates the same polynomial at ±swing of one input,
the others held, so both views agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from infercost.arithmetic import ONE, ZERO, exact
from infercost.insight.inputs import CostModel, Input
from infercost.insight.polynomial import evaluate

DEFAULT_SWING = Decimal(20)
TOP = 3


@dataclass(frozen=True)
class Driver:
    input: Input
    elasticity: Decimal | None  # None when the cost per unit is zero
    low: Decimal  # cost per unit with the input at (1 − swing), capped at its bound
    high: Decimal  # ... at (1 + swing)
    low_factor: Decimal
    high_factor: Decimal

    @property
    def key(self) -> str:
        return self.input.key

    @property
    def spread(self) -> Decimal:
        return abs(self.high - self.low)


def _capped(factor: Decimal, item: Input) -> Decimal:
    upper = item.upper
    return min(factor, upper) if upper is not None else factor


def elasticities(model: CostModel) -> dict[str, Decimal | None]:
    cost = model.cost_per_unit
    with exact():
        slopes = model.polynomial.slopes()
        return {key: (slopes.get(key, ZERO) / cost if cost else None) for key in model.inputs}


def _rank_key(d: Driver) -> tuple[Decimal, str]:
    return (-abs(d.elasticity) if d.elasticity is not None else ZERO, d.key)


def drivers(model: CostModel, swing: Decimal = DEFAULT_SWING) -> list[Driver]:
    """Every input, ranked by the size of its elasticity (ties by name)."""
    out = []
    elastic = elasticities(model)
    with exact():
        down, up = ONE - swing / 100, ONE + swing / 100
        for key, item in model.inputs.items():
            coefs = model.polynomial.univariate(key)
            lo, hi = _capped(down, item), _capped(up, item)
            out.append(Driver(item, elastic[key], evaluate(coefs, lo), evaluate(coefs, hi), lo, hi))
    out.sort(key=_rank_key)
    return out


def top_drivers(model: CostModel, n: int = TOP) -> list[tuple[str, Decimal]]:
    """The n inputs with the largest non-zero elasticity: what a summary names."""
    ranked = sorted(
        ((k, e) for k, e in elasticities(model).items() if e), key=lambda x: (-abs(x[1]), x[0])
    )
    return ranked[:n]
