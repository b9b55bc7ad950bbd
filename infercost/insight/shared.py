"""Shared costs as drivers of a feature's COGS per unit (SPEC §18: ``explain`` treats a
shared cost's ``amount`` as a driver).

A feature's COGS per unit is its variable cost per unit c plus its allocated shared costs
per unit: cogs_per_unit = c + Σ_s p_s / U, where p_s is the part of shared cost s
allocated to the feature and U its units. Scaling one amount by λ scales its part by λ
(the allocation base — units, variable COGS, revenue or weights — does not depend on the
amount), so, exactly:

- the elasticity of cogs_per_unit to amount_s is p_s / COGS (the share of the feature's
  COGS that this shared cost carries);
- the tornado is cogs_per_unit ± swing · p_s / U;
- the gross margin (R − U·c − Σ p)/R meets a target M exactly when
  λ · p_s = R·(1 − M) − U·c − (Σ p − p_s): one division, the headroom of the amount.

Parts are the allocation's own (rounded down to 10^-18, the remainder to the last
feature in name order); the answers scale the exact part this feature carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from infercost.arithmetic import ONE, ZERO, exact
from infercost.cost.breakdown import Breakdown, FeatureResult
from infercost.insight.breakeven import Headroom


@dataclass(frozen=True)
class SharedDriver:
    """One shared cost allocated (or allocatable) to the feature, as a driver."""

    name: str
    amount: Decimal  # the shared cost's whole amount per period
    allocate: str  # units | variable_cogs | revenue | weights
    part: Decimal  # the part allocated to this feature
    elasticity: Decimal | None  # of cogs_per_unit to the amount; None without COGS/units
    low: Decimal | None  # cogs_per_unit with the amount at (1 − swing); None without units
    high: Decimal | None
    low_factor: Decimal
    high_factor: Decimal
    headroom: Headroom | None  # None without units (nothing to solve for)

    @property
    def key(self) -> str:
        return f"shared_cost.{self.name}.amount"


def shared_drivers(
    breakdown: Breakdown, result: FeatureResult, swing: Decimal
) -> tuple[SharedDriver, ...]:
    """Every shared cost naming the feature as a member, largest part first (then name)."""
    with exact():
        return tuple(_drivers(breakdown, result, swing))


def _drivers(breakdown: Breakdown, result: FeatureResult, swing: Decimal) -> list[SharedDriver]:
    units, cogs = result.units, result.cogs
    target = result.target_margin if result.target_margin is not None else ZERO
    # What the target leaves for shared costs: R·(1 − M) − U·c.
    room = result.revenue * (ONE - target) - units * result.cost_per_unit
    down, up = ONE - swing / 100, ONE + swing / 100
    out = []
    for shared in breakdown.allocation.shared.values():
        if result.name not in shared.features and result.name not in shared.parts:
            continue
        part = shared.parts.get(result.name, ZERO)
        elasticity = part / cogs if cogs and units else None
        low = high = None
        headroom = None
        if units:
            per_unit = cogs / units
            low = per_unit - (ONE - down) * part / units
            high = per_unit + (up - ONE) * part / units
            headroom = _headroom(shared.name, shared.amount, part, room, result.allocated_cogs)
        out.append(
            SharedDriver(
                shared.name,
                shared.amount,
                shared.allocate,
                part,
                elasticity,
                low,
                high,
                down,
                up,
                headroom,
            )
        )
    out.sort(key=lambda d: (-d.part, d.name))
    return out


def _headroom(
    name: str, amount: Decimal, part: Decimal, room: Decimal, allocated: Decimal
) -> Headroom:
    key = f"shared_cost.{name}.amount"
    if not part:
        reason = (
            "zero: scaling it changes nothing"
            if not amount
            else "none of it is allocated to this feature (it has none of the base)"
        )
        return Headroom(key, "never", None, None, None, reason)
    factor = (room - (allocated - part)) / part
    meets = allocated <= room
    if not meets and factor < ZERO:
        return Headroom(
            key, "never", None, None, None, "even without this shared cost the target is not met"
        )
    status = "headroom" if meets else "needed"
    return Headroom(key, status, factor, amount * factor, (factor - ONE) * 100)
