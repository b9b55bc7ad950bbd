"""Percentiles of the cost of one unit and of a period's COGS, by seeded simulation.

The headline figures stay exact expected values; this module says how wide the spread
around them is (SPEC §16). A unit is simulated literally, all steps and attributes
independent of each other:

- it is a cache hit with probability ``cache_hit_rate``; then only non-cacheable steps run;
- each step runs with probability ``share``; its ``calls`` are drawn (a fractional or
  continuous draw is rounded at random to floor or ceiling, keeping its mean);
- a distributed ``context_growth`` is drawn once per run; every call draws its own input
  and output tokens (or quantity); call k carries input I_k + (k − 1)·g;
- each call is repeated a Poisson(``retry_rate``) number of times with the same tokens;
  a cached share is a fraction of every call's input, not a draw.

Retries are drawn per run as a Poisson(C·rate) total, each retry landing on a call chosen
uniformly: the same joint law as one Poisson count per call (Poisson splitting), at a
fraction of the draws. Steps whose per-call sizes are constants are summed in closed
form per run (C·v + a·g·C(C−1)/2) instead of call by call; the law is the same.

COGS over a period is a sum of many independent units; it is not drawn unit by unit but
taken as normal with the exact mean and variance of the unit cost (computed here from the
moments, see :func:`unit_moments`) — every output says so. Percentiles use the inverted
CDF, the smallest x with P(X ≤ x) ≥ p: unit costs have point masses (cache hits, steps
that did not run) where other definitions would interpolate between two atoms.

numpy does the drawing (vectorized; pure Python would need minutes for what the bench
asks). Every feature gets its own stream, seeded from the run's seed and the feature's
name, so a feature's percentiles do not move when another feature changes.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

import numpy as np

from infercost.arithmetic import ZERO, exact, from_fraction
from infercost.evaluate.values import Distribution, mean_of
from infercost.insight.moments import call_moments, moments
from infercost.insight.sampling import DIGITS, Settings, significant
from infercost.model import Feature, MeterPrice, ModelPrice, Stack, Step

LEVELS = (50, 90, 95)


@dataclass(frozen=True)
class Spread:
    p50: Decimal
    p90: Decimal
    p95: Decimal


@dataclass(frozen=True)
class Percentiles:
    """P50/P90/P95 of one unit's cost (simulated) and of the period's COGS (from moments)."""

    cost_per_unit: Spread
    cogs: Spread
    expected: Decimal  # the exact expected cost per unit
    simulated_mean: Decimal
    standard_error: Decimal  # of the simulated mean
    standard_deviation: Decimal  # of one unit's cost, exact (to 6 digits)
    samples: int
    seed: int

    @property
    def agrees(self) -> bool:
        """The simulated mean lies within 4 standard errors of the exact expectation."""
        return abs(self.simulated_mean - self.expected) <= 4 * self.standard_error + _ulp(
            self.expected
        )


def _ulp(value: Decimal) -> Decimal:
    """One unit in the 6th significant digit: the simulated mean's own rounding."""
    if not value:
        return ZERO
    return Decimal(1).scaleb(value.adjusted() - DIGITS + 1)


def feature_seed(seed: int, name: str) -> np.random.SeedSequence:
    digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
    return np.random.SeedSequence([seed, digest])


# ---------------------------------------------------------------------------------------
# drawing


def _draw(rng: np.random.Generator, value: Decimal | Distribution, n: int) -> np.ndarray | float:
    """n draws of a size (tokens, quantity, growth), or the constant itself."""
    if not isinstance(value, Distribution):
        return float(value)
    if value.lower == value.upper:
        return float(value.lower)
    if value.kind == "empirical":
        return _draw_empirical(rng, value, n)
    if value.kind == "between":
        lo, hi = (float(p) for p in value.params)
        if value.discrete:
            return rng.integers(int(lo), int(hi) + 1, size=n)  # scaled to floats by the caller
        return lo + (hi - lo) * rng.random(n)
    lo, mode, hi = (float(p) for p in value.params)
    return rng.triangular(lo, mode, hi, size=n)


def _draw_empirical(rng: np.random.Generator, value: Distribution, n: int) -> np.ndarray:
    values = np.array([float(v) for v in value.params])
    weights = np.array([float(w) for w in value.weights])
    drawn: np.ndarray = rng.choice(values, size=n, p=weights / weights.sum())
    return drawn


def _draw_calls(rng: np.random.Generator, value: Decimal | Distribution, n: int) -> np.ndarray:
    """Whole numbers of calls; fractional draws rounded at random keeping their mean."""
    if isinstance(value, Distribution) and value.discrete:
        lo, hi = (int(p) for p in value.params)
        return rng.integers(lo, hi + 1, size=n)
    x = _draw(rng, value, n)
    if isinstance(x, float):
        whole = math.floor(x)
        frac = x - whole
        if frac == 0:
            return np.full(n, whole, dtype=np.int64)
        return whole + (rng.random(n) < frac).astype(np.int64)
    floor = np.floor(x)
    calls: np.ndarray = (floor + (rng.random(n) < (x - floor))).astype(np.int64)
    return calls


def call_rates(step: Step, multiplier: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(cost per input token or meter quantity, cost per output token, fixed cost per
    call) of one call, at ``multiplier`` (region, sheet discount and exchange rate
    together): the step's processing prices, cached reads and cache writes blended as
    shares of the input, and the item's per-call fee."""
    item = step.item
    if isinstance(item, MeterPrice):
        return multiplier * item.price / item.per, ZERO, ZERO
    assert isinstance(item, ModelPrice)
    prices = item.prices(step.processing) or item
    s, w = step.cached_share, step.cache_write_share
    per_in = (
        (1 - s - w) * prices.input_per_mtok
        + s * prices.cached_input_per_mtok
        + w * prices.cache_write_per_mtok
    )
    return (
        multiplier * per_in / 1_000_000,
        multiplier * prices.output_per_mtok / 1_000_000,
        multiplier * item.per_call,
    )


def sheet_factor(stack: Stack, step: Step, region: str | None) -> Decimal:
    """What every price of the step's sheet is multiplied by: region, discount, rate."""
    sheet = stack.price_sheets[step.uses.partition("/")[0]]
    with exact():
        return sheet.multiplier(region) * (1 - sheet.discount) * sheet.exchange_rate


def has_tiers(step: Step) -> bool:
    """A long-context cliff makes a call's price depend on its own size: not simulated
    here, and not a polynomial (SPEC §13)."""
    item = step.item
    prices = item.prices(step.processing) if isinstance(item, ModelPrice) else None
    return prices is not None and bool(prices.long_context)


def _sizes(
    step: Step,
) -> tuple[Decimal | Distribution, Decimal | Distribution, Decimal | Distribution]:
    if isinstance(step.item, MeterPrice):
        return step.quantity, Decimal(0), Decimal(0)
    return step.input_tokens, step.output_tokens, step.context_growth


def _simulate_runs(rng: np.random.Generator, step: Step, multiplier: Decimal, n: int) -> np.ndarray:
    """The cost of n independent runs of one step (share and cache already decided).

    Per run: Σ_k v_k + a·g·C(C−1)/2 with v_k = a·I_k + b·O_k, summed in closed form when
    the sizes are constants and segment by segment (``reduceat``) when they are drawn.
    """
    with exact():
        rates = call_rates(step, multiplier)
    a, b, fee = (float(x) for x in rates)
    size_in, size_out, growth_value = _sizes(step)
    calls = _draw_calls(rng, step.calls, n)
    fc = calls.astype(np.float64)
    drawn = isinstance(size_in, Distribution) or isinstance(size_out, Distribution)
    v: np.ndarray | float
    if not drawn:
        v = a * float(size_in) + b * float(size_out) + fee  # type: ignore[arg-type]
        cost = v * fc
        starts = None
    else:
        total = int(calls.sum())
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(calls[:-1], out=starts[1:])
        v = _scaled(rng, a, size_in, total) + _scaled(rng, b, size_out, total) + fee
        if isinstance(v, float):  # pragma: no cover - one of the sizes is drawn
            v = np.full(total, v)
        if total:
            cost = np.add.reduceat(v, np.minimum(starts, total - 1))
            cost[calls == 0] = 0.0
        else:
            cost = np.zeros(n)
    growth = _draw(rng, growth_value, n)
    has_growth = not (isinstance(growth, float) and growth == 0.0)
    if has_growth:
        cost = cost + a * growth * (fc * (fc - 1) / 2)
    rate = float(step.retry_rate)
    if rate > 0:
        retries = rng.poisson(rate * fc)
        count = int(retries.sum())
        if count:
            if not drawn and not has_growth:
                cost = cost + retries * v
            else:
                owner = np.repeat(np.arange(n), retries)
                pick = (rng.random(count) * fc[owner]).astype(np.int64)  # k − 1, uniform
                extra = v[starts[owner] + pick] if starts is not None else np.full(count, v)  # type: ignore[index]
                if has_growth:
                    g = growth[owner] if isinstance(growth, np.ndarray) else growth
                    extra = extra + a * g * pick
                cost = cost + np.bincount(owner, weights=extra, minlength=n)
    return cost


def _scaled(
    rng: np.random.Generator, rate: float, value: Decimal | Distribution, n: int
) -> np.ndarray | float:
    if not rate:
        return 0.0
    x = _draw(rng, value, n)
    return rate * x


def simulate_units(stack: Stack, feature: Feature, samples: int, seed: int) -> np.ndarray:
    """The cost of ``samples`` independent units of the feature, as floats."""
    rng = np.random.default_rng(feature_seed(seed, feature.name))
    workflow = stack.workflows[feature.workflow]
    out = np.zeros(samples)
    h = float(workflow.cache_hit_rate)
    hit = rng.random(samples) < h if h > 0 else None
    served = ~hit if hit is not None else None  # units that were not cache hits
    for step in workflow.steps:
        multiplier = sheet_factor(stack, step, feature.region)
        runs: np.ndarray | None = None
        if step.cacheable and served is not None:
            runs = served
        share = float(step.share)
        if share < 1:
            chosen = rng.random(samples) < share
            runs = chosen if runs is None else runs & chosen
        if runs is None:
            out += _simulate_runs(rng, step, multiplier, samples)
            continue
        index = np.flatnonzero(runs)
        if index.size:
            out[index] += _simulate_runs(rng, step, multiplier, index.size)
    return out


def inverted_cdf(values: np.ndarray, levels: tuple[int, ...] = LEVELS) -> list[float]:
    """The smallest x with P(X ≤ x) ≥ p: order statistic number ceil(p·n), from 1."""
    n = values.size
    ranks = [max(-(-level * n // 100), 1) - 1 for level in levels]
    part = np.partition(values, sorted(set(ranks)))
    return [float(part[r]) for r in ranks]


# ---------------------------------------------------------------------------------------
# exact moments of the unit cost


@functools.lru_cache(maxsize=4096)
def _size_moments(value: Decimal | Distribution) -> tuple[Decimal, Decimal]:
    """(E[X], E[X²]) of a size, from the exact fractions, rounded once to 28 digits."""
    _, m1, m2 = moments(value, 2)
    return from_fraction(m1), from_fraction(m2)


@functools.lru_cache(maxsize=4096)
def _count_moments(value: Decimal | Distribution) -> tuple[Decimal, ...]:
    """(E[C], E[C²], E[C³], E[C⁴]) of calls as simulated (whole, rounded at random)."""
    return tuple(from_fraction(m) for m in call_moments(value, 4)[1:])


def _run_moments(step: Step, multiplier: Decimal) -> tuple[Decimal, Decimal]:
    """(E[Y], E[Y²]) of one run's cost Y = Σ_k (1 + R_k)·(a·I_k + b·O_k + a·g·(k − 1)).

    With V = a·I + b·O, m_k = E[V] + a·g·(k − 1), S1 = Σ(k−1) = C(C−1)/2 and
    S2 = Σ(k−1)² = (C−1)C(2C−1)/6, given C and g:
    E[Y] = (1+r)·Σ m_k and E[Y²] = ρ·C·Var V + r·Σ m_k² + (1+r)²·(Σ m_k)², ρ = r + (1+r)².
    Runs under the engine's context (the caller enters it).
    """
    a, b, fee = call_rates(step, multiplier)
    size_in, size_out, growth = _sizes(step)
    i1, i2 = _size_moments(size_in)
    o1, o2 = _size_moments(size_out)
    g1, g2 = _size_moments(growth)
    c1, c2, c3, c4 = _count_moments(step.calls)
    r = step.retry_rate
    tokens = a * i1 + b * o1
    var_v = a * a * i2 + 2 * a * b * i1 * o1 + b * b * o2 - tokens * tokens
    mu = tokens + fee  # a per-call fee shifts every call's cost, not its spread
    s1 = (c2 - c1) / 2
    s2 = (2 * c3 - 3 * c2 + c1) / 6
    c_s1 = (c3 - c2) / 2
    s1_sq = (c4 - 2 * c3 + c2) / 4
    mean = (1 + r) * (c1 * mu + a * g1 * s1)
    rho = r + (1 + r) ** 2
    second = (
        rho * c1 * var_v
        + r * (c1 * mu * mu + 2 * mu * a * g1 * s1 + a * a * g2 * s2)
        + (1 + r) ** 2 * (c2 * mu * mu + 2 * mu * a * g1 * c_s1 + a * a * g2 * s1_sq)
    )
    return mean, second


def unit_moments(stack: Stack, feature: Feature) -> tuple[Decimal, Decimal]:
    """(E[X], Var X) of one unit's cost X = Σ_s J_s·Y_s, J_s = "step s ran", exactly
    (to the engine's 28 digits)."""
    with exact():
        workflow = stack.workflows[feature.workflow]
        h = workflow.cache_hit_rate
        runs = []
        for step in workflow.steps:
            ey, ey2 = _run_moments(step, sheet_factor(stack, step, feature.region))
            runs.append((step.share, step.cacheable, ey, ey2))
        mean = ZERO
        second = ZERO
        # E[X²] = Σ P(s)·E[Y_s²] + Σ_{s≠t} P(s and t)·E[Y_s]·E[Y_t]; steps share only the
        # cache hit, so P(s and t) = share_s·share_t·(1 − h if either is cacheable).
        cached = ZERO  # Σ share·E[Y] over cacheable steps
        free = ZERO  # ... over non-cacheable steps
        for share, cacheable, ey, ey2 in runs:
            p = share * ((1 - h) if cacheable else 1)
            mean += p * ey
            second += p * ey2 - (share * ey) ** 2 * ((1 - h) if cacheable else 1)
            if cacheable:
                cached += share * ey
            else:
                free += share * ey
        # Σ_{s,t} over all ordered pairs (including s = t, removed above):
        second += (1 - h) * (cached * cached + 2 * cached * free) + free * free
        variance = second - mean * mean
        return mean, max(variance, ZERO)


# ---------------------------------------------------------------------------------------


def _z(level: int) -> Decimal:
    return Decimal(repr(NormalDist().inv_cdf(level / 100)))


MAX_DRAWS = 40_000_000  # per feature: about a second of drawing and 1 GB at most


def expected_draws(stack: Stack, feature: Feature, samples: int) -> float:
    """How many numbers simulating ``samples`` units is expected to draw, per call and per
    retry: a step with thousands of calls of random size would need billions."""
    workflow = stack.workflows[feature.workflow]
    h = float(workflow.cache_hit_rate)
    total = 0.0
    for step in workflow.steps:
        runs = samples * float(step.share) * ((1 - h) if step.cacheable else 1)
        calls = float(mean_of(step.calls))
        size_in, size_out, growth = _sizes(step)
        drawn = sum(isinstance(v, Distribution) for v in (size_in, size_out))
        per_retry = 2 if drawn or isinstance(growth, Distribution) or growth else 0
        total += runs * (2 + calls * drawn + calls * float(step.retry_rate) * per_retry)
    return total


def percentiles(
    stack: Stack, feature: Feature, units: Decimal, settings: Settings
) -> Percentiles | None:
    """The spread of one feature, or None when simulating it would draw too many numbers."""
    if expected_draws(stack, feature, settings.samples) > MAX_DRAWS:
        return None
    if any(has_tiers(step) for step in stack.workflows[feature.workflow].steps):
        return None  # a cliff is priced exactly, call by call, but not simulated
    try:
        expected, variance = unit_moments(stack, feature)
    except ValueError:  # a continuous calls spanning too many whole numbers to integrate
        return None
    draws = simulate_units(stack, feature, settings.samples, settings.seed)
    unit = [significant(x) for x in inverted_cdf(draws)]
    with exact():
        sd = variance.sqrt() if variance > 0 else ZERO
        cogs = []
        for level in LEVELS:
            value = units * expected + _z(level) * sd * units.sqrt()
            cogs.append(significant(max(value, ZERO)))
    n = draws.size
    sim_mean = float(draws.mean())
    sim_se = float(draws.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return Percentiles(
        cost_per_unit=Spread(*unit),
        cogs=Spread(*cogs),
        expected=expected,
        simulated_mean=significant(sim_mean),
        standard_error=significant(sim_se),
        standard_deviation=significant(sd),
        samples=settings.samples,
        seed=settings.seed,
    )
