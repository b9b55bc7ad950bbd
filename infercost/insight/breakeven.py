"""Headroom and break-even: the prices and input values at which a feature meets its
target margin, solved from the cost polynomial (SPEC §16), never by trial.

With revenue R, units U, variable cost per unit c and allocated shared costs A (SPEC §18),
the gross margin (R − U·c − A)/R meets a target M exactly when c = (R·(1 − M) − A)/U.
Revenue is linear in the revenue per unit and in each subscription price, so those
answers are one division; an input's headroom is a root of the cost polynomial in that
input's factor (degree 2 at most). Without a target the question is the break-even
point, margin 0. A is held as allocated: with ``allocate = "units"`` or weights it does
not move with the answers; with ``variable_cogs`` or ``revenue`` the feature's share of
a shared cost moves with them, and the answers say so in a note. A shared cost's own
amount is a driver of its own (:mod:`infercost.insight.shared`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from infercost.arithmetic import ONE, ZERO, exact
from infercost.cost.breakdown import Breakdown, FeatureResult
from infercost.insight.drivers import Driver
from infercost.insight.inputs import CostModel
from infercost.model import Stack


@dataclass(frozen=True)
class Headroom:
    """How far one input can move before the margin meets the target."""

    key: str
    status: str  # headroom (meets the target now) | needed (below it now) | never
    factor: Decimal | None  # the input's factor at the crossing
    value: Decimal | None  # the input (its mean) at the crossing
    change_pct: Decimal | None  # (factor − 1)·100; negative when the input must fall
    reason: str | None = None  # why never


@dataclass(frozen=True)
class SubscriptionPrice:
    name: str
    price: Decimal
    customers: Decimal
    revenue_share: Decimal
    needed: Decimal | None  # the price meeting the target, the other subscriptions held
    reason: str | None = None


@dataclass(frozen=True)
class BreakEven:
    feature: str
    target_margin: Decimal  # the feature's target, or 0 (break-even) without one
    has_target: bool
    units: Decimal
    revenue: Decimal
    cogs: Decimal
    margin: Decimal | None
    cost_per_unit: Decimal
    allowed_cost_per_unit: Decimal | None
    revenue_per_unit: Decimal
    revenue_per_unit_needed: Decimal | None
    subscriptions: tuple[SubscriptionPrice, ...]
    headroom: tuple[Headroom, ...]
    notes: tuple[str, ...] = field(default=())
    #: The feature's allocated shared costs per unit (0 without units or shared costs).
    shared_cost_per_unit: Decimal = ZERO

    @property
    def meets_target(self) -> bool:
        return self.allowed_cost_per_unit is not None and (
            self.cost_per_unit <= self.allowed_cost_per_unit
        )


def solve(
    stack: Stack,
    breakdown: Breakdown,
    result: FeatureResult,
    model: CostModel,
    ranked: list[Driver],
) -> BreakEven:
    with exact():
        return _solve(stack, breakdown, result, model, ranked)


def _solve(
    stack: Stack,
    breakdown: Breakdown,
    result: FeatureResult,
    model: CostModel,
    ranked: list[Driver],
) -> BreakEven:
    feature = stack.features[result.name]
    target = result.target_margin if result.target_margin is not None else ZERO
    units, revenue, cost = result.units, result.revenue, result.cost_per_unit
    shared = result.allocated_cogs
    notes: list[str] = []
    if result.target_margin is None:
        notes.append(
            f'feature "{result.name}" has no target_margin: these answers are the '
            "break-even point (margin 0)."
        )
    keep = ONE - target
    allowed: Decimal | None = None
    rpu_needed: Decimal | None = None
    prices: list[SubscriptionPrice] = []
    headroom: list[Headroom] = []
    if units == ZERO:
        notes.append(
            "No units in the usage period: the margin does not depend on the cost per "
            "unit, so there is no cost, price or headroom to solve for."
        )
    else:
        allowed = (revenue * keep - shared) / units
        subscription_revenue = revenue - units * feature.revenue_per_unit
        if keep == ZERO:
            notes.append("A 100% target margin is met only by a zero cost per unit.")
        else:
            rpu_needed = (cost + shared / units) / keep - subscription_revenue / units
        moving = sorted(
            sc.name
            for sc in breakdown.allocation.shared.values()
            if sc.parts.get(result.name) and sc.allocate in ("variable_cogs", "revenue")
        )
        if moving:
            notes.append(
                "Shared costs allocated by variable COGS or revenue ("
                + ", ".join(moving)
                + ") are held at this feature's current part; its share moves when the "
                "cost or the revenue does."
            )
        for sub in stack.subscriptions.values():
            if result.name not in sub.revenue_share:
                continue
            counted = breakdown.subscriptions[sub.name].customers
            share = sub.revenue_share[result.name]
            weight = counted * share
            needed: Decimal | None = None
            reason = None
            if keep == ZERO:
                reason = "a 100% target cannot be met by revenue"
            elif weight == ZERO:
                reason = "no customers, or no revenue share of this feature"
            else:
                others = revenue - weight * sub.price
                needed = ((units * cost + shared) / keep - others) / weight
            prices.append(SubscriptionPrice(sub.name, sub.price, counted, share, needed, reason))
        slopes = model.polynomial.slopes()
        for driver in ranked:
            headroom.append(_headroom(model, driver, allowed, slopes.get(driver.key, ZERO)))
    return BreakEven(
        feature=result.name,
        target_margin=target,
        has_target=result.target_margin is not None,
        units=units,
        revenue=revenue,
        cogs=result.cogs,
        margin=result.margin,
        cost_per_unit=cost,
        allowed_cost_per_unit=allowed,
        revenue_per_unit=feature.revenue_per_unit,
        revenue_per_unit_needed=rpu_needed,
        subscriptions=tuple(prices),
        headroom=tuple(headroom),
        notes=tuple(notes),
        shared_cost_per_unit=shared / units if units else ZERO,
    )


def _roots(coefs: tuple[Decimal, ...], level: Decimal) -> list[Decimal]:
    """Real roots of p(t) = level for p of degree ≤ 2, exactly up to the precision."""
    c = list(coefs) + [ZERO] * (3 - len(coefs))
    if len(coefs) > 3 and any(coefs[3:]):
        raise ValueError("headroom is solved for polynomials of degree 2 at most")
    a, b, c0 = c[2], c[1], c[0] - level
    if a == ZERO:
        return [] if b == ZERO else [-c0 / b]
    disc = b * b - 4 * a * c0
    if disc < ZERO:
        return []
    root = disc.sqrt()
    # The stable pair: q = −(b + sign(b)·√D)/2, roots q/a and c0/q.
    q = -(b + root) / 2 if b >= ZERO else -(b - root) / 2
    if q == ZERO:
        return [ZERO]
    return sorted({q / a, c0 / q})


def _headroom(model: CostModel, driver: Driver, allowed: Decimal, slope: Decimal) -> Headroom:
    item = driver.input
    key = item.key
    if item.value == ZERO:
        return Headroom(key, "never", None, None, None, "zero: scaling it changes nothing")
    coefs = model.polynomial.univariate(key)
    if slope == ZERO:
        return Headroom(key, "never", None, None, None, "the cost does not depend on it")
    cost = model.cost_per_unit
    status = "headroom" if cost <= allowed else "needed"
    # Meeting the target now: move the way that raises the cost; below it: the other way.
    upward = (slope > ZERO) == (status == "headroom")
    upper = item.upper
    candidates = [
        t
        for t in _roots(coefs, allowed)
        if t >= ZERO and (t > ONE if upward else t < ONE) and (upper is None or t <= upper)
    ]
    if status == "headroom" and cost == allowed:
        candidates = [ONE]
    if not candidates:
        if upper is not None and upward and upper <= ONE:
            reason = "already 1, its largest value"
        elif upper is not None and upward:
            reason = "even at its bound of 1 the margin stays on this side of the target"
        elif upward:
            reason = "no growth of this input reaches the target"
        else:
            reason = "no reduction of this input reaches the target"
        return Headroom(key, "never", None, None, None, reason)
    factor = min(candidates) if upward else max(candidates)
    return Headroom(key, status, factor, item.value * factor, (factor - ONE) * 100)
