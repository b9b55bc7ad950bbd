"""A feature's expected cost per unit as a polynomial in its named inputs (SPEC §3, §16).

Every input a reviewer can change gets a name and a scale factor λ (see
:mod:`infercost.insight.polynomial`): each step's calls, token sizes, context growth,
cached share, retry rate, quantity and share; the workflow's cache hit rate; every price
the feature pays (input, cached input even when it defaults to the input price, output,
meter price) and the region multiplier of each sheet. A distributed input is scaled as a
random variable: its mean by λ and its second moment by λ², which is how ``calls``
enters the context-growth term E[C·(C−1)] = E[C²] − E[C].

The polynomial's value with every λ at 1 is, exactly, the engine's cost per unit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from infercost.arithmetic import MILLION, ONE, exact
from infercost.evaluate.values import Distribution, falling_moment_of
from infercost.evaluate.values import mean_of as _mean_of
from infercost.insight.polynomial import Polynomial, total
from infercost.model import Feature, MeterPrice, ModelPrice, Stack, Step

V = Polynomial.variable


@functools.lru_cache(maxsize=4096)
def mean_of(value: Decimal | Distribution) -> Decimal:
    """The engine's mean, remembered: a distribution's moments are exact fractions."""
    return _mean_of(value)


@functools.lru_cache(maxsize=4096)
def _falling(value: Decimal | Distribution) -> Decimal:
    with exact():
        return falling_moment_of(value)


K = Polynomial.constant


@dataclass(frozen=True)
class Input:
    """One input of a feature's cost per unit, scaled by the factor named ``key``."""

    key: str  # the driver's name as shown: "draft.calls", "openai/gpt-4o.input_per_mtok"
    kind: str  # step | workflow | price | region
    attribute: str
    value: Decimal  # the value the factor multiplies (a distribution's mean)
    text: str  # as configured: "between(2, 5)", "0.3"
    address: str  # configuration address, as plan names it
    bounded: bool = False  # a share or rate that cannot exceed 1

    @property
    def upper(self) -> Decimal | None:
        """The largest factor the input can take (it is capped at 1), or None."""
        if not self.bounded:
            return None
        with exact():
            return ONE / self.value if self.value else None


@dataclass(frozen=True)
class CostModel:
    feature: str
    polynomial: Polynomial  # the cost per unit
    steps: dict[str, Polynomial]  # each step's cost per unit
    inputs: dict[str, Input]

    @property
    def cost_per_unit(self) -> Decimal:
        return self.polynomial.value()


def _text(value: Decimal | Distribution) -> str:
    from infercost.arithmetic import plain

    return value.text if isinstance(value, Distribution) else plain(value)


def cost_model(stack: Stack, feature: Feature) -> CostModel:
    with exact():
        return _Builder(stack, feature).build()


class _Builder:
    def __init__(self, stack: Stack, feature: Feature) -> None:
        self.stack = stack
        self.feature = feature
        self.inputs: dict[str, Input] = {}

    def input(
        self,
        key: str,
        kind: str,
        attribute: str,
        value: Decimal | Distribution,
        address: str,
        bounded: bool = False,
    ) -> Polynomial:
        """Register an input and return its mean times its factor."""
        mean = mean_of(value)
        if key not in self.inputs:
            self.inputs[key] = Input(key, kind, attribute, mean, _text(value), address, bounded)
        return V(key, mean)

    def build(self) -> CostModel:
        stack, feature = self.stack, self.feature
        workflow = stack.workflows[feature.workflow]
        hit = self.input(
            "cache_hit_rate",
            "workflow",
            "cache_hit_rate",
            workflow.cache_hit_rate,
            f"workflow.{workflow.name}",
            bounded=True,
        )
        steps: dict[str, Polynomial] = {}
        for step in workflow.steps:
            raw = self.run_cost(step)
            sheet_name = step.uses.partition("/")[0]
            sheet = stack.price_sheets[sheet_name]
            if sheet.discount or sheet.exchange_rate != ONE:
                # A negotiated discount and a currency's rate are settings, not drivers.
                raw = raw.scale((ONE - sheet.discount) * sheet.exchange_rate)
            if feature.region is not None and feature.region in sheet.regions:
                raw = raw * self.input(
                    f"{sheet_name}.region.{feature.region}",
                    "region",
                    "multiplier",
                    sheet.regions[feature.region].multiplier,
                    f"price_sheet.{sheet_name}.region.{feature.region}",
                )
            name, address = step.name, step.address
            factor = self.input(f"{name}.share", "step", "share", step.share, address, True)
            retries = self.input(
                f"{name}.retry_rate", "step", "retry_rate", step.retry_rate, address
            )
            factor = factor * (K(ONE) + retries)
            if step.cacheable:
                factor = factor * (K(ONE) - hit)
            steps[step.name] = raw * factor
        return CostModel(feature.name, total(steps.values()), steps, self.inputs)

    def run_cost(self, step: Step) -> Polynomial:
        """The cost of one run of the step before share, retries, cache and region."""
        name, address, item = step.name, step.address, step.item
        c1 = mean_of(step.calls)
        c2 = _falling(step.calls) + c1  # E[C²] as the engine counts E[C·(C−1)]
        calls = self.input(f"{name}.calls", "step", "calls", step.calls, address)
        calls_sq = Polynomial({((f"{name}.calls", 2),): c2} if c2 else {})
        if isinstance(item, MeterPrice):
            quantity = self.input(f"{name}.quantity", "step", "quantity", step.quantity, address)
            price = self.input(
                f"{item.address}.price",
                "price",
                "price",
                item.price,
                f"price_sheet.{item.sheet}.meter.{item.name}",
            )
            return (calls * quantity * price).scale(ONE / item.per)
        assert isinstance(item, ModelPrice)
        at = f"price_sheet.{item.sheet}.model.{item.name}"
        # A batch step pays the batch block's prices, named as plan names them.
        prices = item.prices(step.processing) or item
        prefix = "batch." if prices is not item else ""
        tokens_in = self.input(
            f"{name}.input_tokens", "step", "input_tokens", step.input_tokens, address
        )
        tokens_out = self.input(
            f"{name}.output_tokens", "step", "output_tokens", step.output_tokens, address
        )
        growth = self.input(
            f"{name}.context_growth", "step", "context_growth", step.context_growth, address
        )
        cached = self.input(
            f"{name}.cached_share", "step", "cached_share", step.cached_share, address, True
        )

        def priced(attribute: str) -> Polynomial:
            key = prefix + attribute
            return self.input(f"{item.address}.{key}", "price", key, getattr(prices, attribute), at)

        p_in = priced("input_per_mtok")
        p_cached = priced("cached_input_per_mtok")
        p_out = priced("output_per_mtok")
        t_in = calls * tokens_in + (growth * (calls_sq - calls)).scale(Decimal("0.5"))
        t_out = calls * tokens_out
        uncached = K(ONE) - cached
        price_in = p_cached * cached
        if step.cache_write_share:
            written = self.input(
                f"{name}.cache_write_share",
                "step",
                "cache_write_share",
                step.cache_write_share,
                address,
                True,
            )
            uncached = uncached - written
            price_in = price_in + priced("cache_write_per_mtok") * written
        price_in = price_in + p_in * uncached
        cost = (t_in * price_in + t_out * p_out).scale(ONE / MILLION)
        if item.per_call:
            fee = self.input(f"{item.address}.per_call", "price", "per_call", item.per_call, at)
            cost = cost + calls * fee
        # Long-context tiers make the cost a cliff, not a polynomial: this model then
        # differs from the engine's cost and ``describes`` leaves its drivers out.
        return cost


def describes(model: CostModel, cost_per_unit: Decimal) -> bool:
    """Whether the polynomial is the engine's cost (to its 28 digits).

    A price term the engine bills and this model does not know would make every
    elasticity, tornado and headroom wrong; the views then leave them out instead.
    """
    with exact():
        return abs(model.cost_per_unit - cost_per_unit) <= abs(cost_per_unit) * Decimal("1e-24")
