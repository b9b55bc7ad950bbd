"""The exact cliff expectation (SPEC §13) against brute force: enumeration of every
outcome for discrete distributions, numerical integration for continuous ones."""

from __future__ import annotations

import math
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.cost.long_context import TierRates, expected_cost, lattice_sum
from infercost.evaluate.values import Distribution


def between(lo: int | str, hi: int | str) -> Distribution:
    return Distribution("between", (D(lo), D(hi)), f"between({lo}, {hi})")


def rates(thresholds: list[int], prices: list[int], outputs: list[int]) -> list[TierRates]:
    tiers = [TierRates(None, Fraction(prices[0]), Fraction(outputs[0]))]
    for above, price, out in zip(thresholds, prices[1:], outputs[1:], strict=False):
        tiers.append(TierRates(Fraction(above), Fraction(price), Fraction(out)))
    return tiers


def rate_of(x: Fraction, thresholds: list[int], values: list[int]) -> int:
    chosen = values[0]
    for above, value in zip(thresholds, values[1:], strict=False):
        if x > above:
            chosen = value
    return chosen


def support(value: D | Distribution) -> list[int]:
    if isinstance(value, Distribution):
        return list(range(int(value.params[0]), int(value.params[1]) + 1))
    return [int(value)]


def brute_force(calls, size, growth, mean_out, thresholds, prices, outputs) -> Fraction:
    """Every count, growth and per-call size, equally likely, summed call by call."""
    if isinstance(calls, D) and calls != calls.to_integral_value():
        low = math.floor(calls)
        counts = [(low, 1 - (Fraction(calls) - low)), (low + 1, Fraction(calls) - low)]
    else:
        values = support(calls)
        counts = [(c, Fraction(1, len(values))) for c in values]
    sizes, growths = support(size), support(growth)
    total = Fraction(0)
    for count, p_count in counts:
        for g in growths:
            for k in range(1, count + 1):
                for i in sizes:
                    x = Fraction(i + (k - 1) * g)
                    cost = x * rate_of(x, thresholds, prices) + mean_out * rate_of(
                        x, thresholds, outputs
                    )
                    total += p_count * Fraction(1, len(growths) * len(sizes)) * cost
    return total


def counts() -> st.SearchStrategy:
    small = st.integers(0, 4)
    return st.one_of(
        small.map(D),
        st.sampled_from(["0.5", "1.25", "2.75"]).map(D),
        st.tuples(small, st.integers(0, 3)).map(lambda t: between(t[0], t[0] + t[1])),
    )


def sizes(top: int) -> st.SearchStrategy:
    return st.one_of(
        st.integers(0, top).map(D),
        st.tuples(st.integers(0, top), st.integers(0, 25)).map(
            lambda t: between(t[0], t[0] + t[1])
        ),
    )


tier_setup = st.tuples(
    st.lists(st.integers(1, 150), min_size=1, max_size=3, unique=True).map(sorted),
    st.lists(st.integers(0, 9), min_size=4, max_size=4),
    st.lists(st.integers(0, 9), min_size=4, max_size=4),
)


@settings(max_examples=150, deadline=None)
@given(counts(), sizes(120), sizes(30), st.integers(0, 50), tier_setup)
def test_discrete_expectation_equals_enumeration(calls, size, growth, out, setup) -> None:
    thresholds, prices, outputs = setup
    prices, outputs = prices[: len(thresholds) + 1], outputs[: len(thresholds) + 1]
    tiers = rates(thresholds, prices, outputs)
    got = expected_cost(calls, size, growth, Fraction(out), tiers)
    assert got == brute_force(calls, size, growth, Fraction(out), thresholds, prices, outputs)


def _density(kind: str, params: tuple[float, ...]):
    if kind == "between":
        lo, hi = params
        return lambda x: 1 / (hi - lo) if lo <= x <= hi else 0.0
    a, c, b = params

    def f(x: float) -> float:
        if a <= x < c:
            return 2 * (x - a) / ((b - a) * (c - a))
        if c <= x <= b and b > c:
            return 2 * (b - x) / ((b - a) * (b - c))
        return 0.0

    return f


def numeric(calls: int, size: Distribution, growth: Distribution | D, threshold: float) -> float:
    """Midpoint rule over I (and g), in floats: P(X > N) priced 3, below priced 1."""
    n = 4000 if not isinstance(growth, Distribution) else 500
    kinds = [(size.kind, tuple(float(p) for p in size.params))]
    lo, hi = kinds[0][1][0], kinds[0][1][-1]
    xs = [lo + (hi - lo) * (j + 0.5) / n for j in range(n)]
    fx = _density(*kinds[0])
    wx = [(hi - lo) / n * fx(x) for x in xs]
    if isinstance(growth, Distribution):
        g_params = tuple(float(p) for p in growth.params)
        glo, ghi = g_params[0], g_params[-1]
        gs = [glo + (ghi - glo) * (j + 0.5) / 100 for j in range(100)]
        fg = _density(growth.kind, g_params)
        wg = [(ghi - glo) / 100 * fg(g) for g in gs]
    else:
        gs, wg = [float(growth)], [1.0]
    total = 0.0
    for k in range(1, calls + 1):
        for g, pg in zip(gs, wg, strict=True):
            for x, px in zip(xs, wx, strict=True):
                v = x + (k - 1) * g
                total += pg * px * v * (3 if v > threshold else 1)
    return total


continuous_sizes = st.one_of(
    st.tuples(st.integers(0, 60), st.integers(5, 60)).map(
        lambda t: between(f"{t[0]}.5", f"{t[0] + t[1]}.5")
    ),
    st.tuples(st.integers(0, 60), st.integers(0, 30), st.integers(5, 30)).map(
        lambda t: Distribution(
            "triangular", (D(t[0]), D(t[0] + t[1]), D(t[0] + t[1] + t[2])), "triangular"
        )
    ),
)  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 3),
    continuous_sizes,
    st.one_of(st.integers(0, 20).map(D), continuous_sizes),
    st.integers(10, 150),
)
def test_continuous_expectation_equals_numerical_integration(calls, size, growth, above) -> None:
    tiers = [
        TierRates(None, Fraction(1), Fraction(0)),
        TierRates(Fraction(above), Fraction(3), Fraction(0)),
    ]
    got = float(expected_cost(D(calls), size, growth, Fraction(0), tiers))
    want = numeric(calls, size, growth, above)
    # The midpoint rule errs by about one grid step times the jump at the cliff.
    assert math.isclose(got, want, rel_tol=5e-3, abs_tol=1e-6), (got, want)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 40), st.integers(1, 20), continuous_sizes, st.integers(10, 150))
def test_discrete_size_with_continuous_growth(lo, width, growth, above) -> None:
    """Faulhaber sums over the sizes, integration over the growth: against a loop over
    sizes and numerical integration."""
    size = between(lo, lo + width)
    tiers = [
        TierRates(None, Fraction(1), Fraction(0)),
        TierRates(Fraction(above), Fraction(3), Fraction(0)),
    ]
    got = float(expected_cost(D(3), size, growth, Fraction(0), tiers))
    params = tuple(float(p) for p in growth.params)
    glo, ghi, n = params[0], params[-1], 1000
    fg = _density(growth.kind, params)
    want = 0.0
    for j in range(n):
        g = glo + (ghi - glo) * (j + 0.5) / n
        pg = (ghi - glo) / n * fg(g)
        for k in range(1, 4):
            for i in range(lo, lo + width + 1):
                v = i + (k - 1) * g
                want += pg * v * (3 if v > above else 1) / (width + 1)
    assert math.isclose(got, want, rel_tol=5e-3), (got, want)


def test_without_crossing_the_threshold_it_is_the_plain_formula() -> None:
    # No call can exceed 10^9 tokens: E[C]·E[I] + g·E[C(C−1)]/2 at the base price.
    tiers = [
        TierRates(None, Fraction(2), Fraction(0)),
        TierRates(Fraction(10**9), Fraction(9), Fraction(0)),
    ]
    got = expected_cost(between(2, 5), between(1000, 3000), D(400), Fraction(0), tiers)
    assert got == 2 * (Fraction(7, 2) * 2000 + 400 * Fraction(10, 2))


@given(
    st.integers(-20, 20), st.integers(0, 30), st.lists(st.integers(-5, 5), min_size=1, max_size=5)
)
def test_lattice_sums_of_polynomials(lo, width, coefficients) -> None:
    poly = tuple(Fraction(c) for c in coefficients)
    want = sum(sum(c * i**d for d, c in enumerate(coefficients)) for i in range(lo, lo + width + 1))
    assert lattice_sum(poly, lo, lo + width) == want
