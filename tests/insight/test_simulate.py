"""Percentiles by simulation: reproducible, exact where the law is a point, unbiased."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.cost.breakdown import compute
from infercost.errors import InfercostError
from infercost.evaluate.values import Distribution
from infercost.insight.moments import call_moments, moments
from infercost.insight.sampling import MAX_SAMPLES, Settings, check_settings, significant
from infercost.insight.simulate import (
    inverted_cdf,
    percentiles,
    simulate_units,
    unit_moments,
)
from infercost.usage.snapshot import Snapshot
from tests.helpers import load

PRICES = """
    price_sheet "p" {
      region "eu" { multiplier = 1.25 }
      model "m" {
        input_per_mtok        = 2
        cached_input_per_mtok = 0.5
        output_per_mtok       = 8
      }
      meter "q" {
        price = 3
        per   = 1000
      }
    }
    unit "u" {}
"""


def stack_of(workflow: str, feature: str = "") -> object:
    return load(
        {
            "prices.hcl": PRICES,
            "main.hcl": workflow
            + (feature or '\nfeature "f" {\n  unit = unit.u\n  workflow = workflow.w\n}\n'),
        }
    )


def test_a_constant_workflow_has_its_cost_as_every_percentile() -> None:
    stack = stack_of(
        """
        workflow "w" {
          step "a" {
            uses          = "p/m"
            calls         = 3
            input_tokens  = 1000
            output_tokens = 200
            cached_share  = 0.5
          }
          step "b" {
            uses     = "p/q"
            quantity = 4
          }
        }
        """
    )
    b = compute(stack, Snapshot(path="u.csv", units={"f": Decimal(100)}))
    cost = b.features["f"].cost_per_unit
    # 3·(500·2 + 500·0.5 + 200·8)/1e6 + 4·3/1000 = 0.00855 + 0.012
    assert cost == Decimal("0.02055")
    p = percentiles(stack, stack.features["f"], Decimal(100), Settings(7, 5000))
    assert p.cost_per_unit.p50 == p.cost_per_unit.p90 == p.cost_per_unit.p95 == cost
    assert p.expected == cost and p.standard_deviation == 0
    assert p.cogs.p50 == p.cogs.p90 == p.cogs.p95 == Decimal("2.055")
    assert p.simulated_mean == cost and p.agrees


def test_point_masses_use_the_inverted_cdf() -> None:
    """Half the units are cache hits (cost 0): P50 is 0, not a midpoint between atoms."""
    values = np.array([0.0, 0.0, 1.0, 1.0])
    assert inverted_cdf(values, (50, 90, 95)) == [0.0, 1.0, 1.0]
    values = np.arange(1, 101, dtype=float)  # 1..100: P50 is 50, P90 90, P95 95
    assert inverted_cdf(values) == [50.0, 90.0, 95.0]
    assert inverted_cdf(np.array([5.0])) == [5.0, 5.0, 5.0]


def test_seeded_and_reproducible() -> None:
    stack = stack_of(
        """
        workflow "w" {
          cache_hit_rate = 0.2
          step "a" {
            uses          = "p/m"
            calls         = between(1, 6)
            input_tokens  = triangular(100, 400, 2000)
            retry_rate    = 0.3
          }
        }
        """
    )
    f = stack.features["f"]
    one = simulate_units(stack, f, 2000, 1)
    assert np.array_equal(one, simulate_units(stack, f, 2000, 1))
    assert not np.array_equal(one, simulate_units(stack, f, 2000, 2))


def test_rounded_calls_keep_their_mean() -> None:
    # X uniform on [1, 2]: C = 1 + Bernoulli(X − 1), E[C] = 3/2, E[C²] = E[1 + 3p] = 5/2,
    # E[C³] = E[1 + 7p] = 9/2, E[C⁴] = E[1 + 15p] = 17/2
    x = Distribution("between", (Decimal("1.0"), Decimal("2.5")), "between(1.0, 2.5)")
    assert not x.discrete
    one_two = Distribution("between", (Decimal(1), Decimal("2.0000001")), "")
    assert call_moments(one_two, 4)[1] == Fraction(one_two.params[0] + one_two.params[1]) / 2
    u = Distribution("between", (Decimal("1"), Decimal("2")), "between(1, 2)")
    assert u.discrete  # whole bounds: the discrete uniform on {1, 2}
    assert call_moments(u, 4) == (
        1,
        Fraction(3, 2),
        Fraction(5, 2),
        Fraction(9, 2),
        Fraction(17, 2),
    )
    assert call_moments(x, 1)[1] == Fraction(7, 4)
    # a fractional constant is the two-point count
    assert call_moments(Decimal("2.25"), 2) == (1, Fraction(9, 4), Fraction(21, 4))
    # triangular moments by hand: T(0, 0, 3): E[X] = 1, E[X²] = 3/2
    t = Distribution("triangular", (Decimal(0), Decimal(0), Decimal(3)), "triangular(0, 0, 3)")
    assert moments(t, 2) == (1, 1, Fraction(3, 2))


def test_exact_variance_matches_a_large_simulation() -> None:
    stack = stack_of(
        """
        workflow "w" {
          cache_hit_rate = 0.25
          step "a" {
            uses           = "p/m"
            calls          = between(1, 4)
            input_tokens   = between(100, 300)
            output_tokens  = triangular(10, 50, 90)
            context_growth = between(20, 60)
            retry_rate     = 0.4
            cached_share   = 0.25
          }
          step "b" {
            uses      = "p/q"
            share     = 0.5
            cacheable = false
            calls     = 2.5
          }
        }
        """
    )
    f = stack.features["f"]
    mean, variance = unit_moments(stack, f)
    draws = simulate_units(stack, f, 400_000, 3)
    assert abs(draws.mean() - float(mean)) < 4 * draws.std() / np.sqrt(draws.size)
    assert abs(draws.var() / float(variance) - 1) < 0.02


def test_settings_are_bounded() -> None:
    assert check_settings(None, None) == Settings()
    for bad in (0, -1, MAX_SAMPLES + 1, 10**12):
        with pytest.raises(InfercostError) as info:
            check_settings(1, bad)
        assert "--samples" in str(info.value)
    with pytest.raises(InfercostError):
        check_settings(-5, 100)


def test_six_significant_digits() -> None:
    assert significant(0.0012345678) == Decimal("0.00123457")
    assert significant(123456789.0) == Decimal("123457000")
    assert significant(Decimal(0)) == 0


# -- hypothesis: random shapes -------------------------------------------------------------

whole = st.integers(0, 6)


@st.composite
def counts(draw: st.DrawFn, continuous: bool) -> str:
    kind = draw(
        st.sampled_from(
            ["const", "frac", "between", "emp", "cbetween", "tri"][: 6 if continuous else 4]
        )
    )
    lo = draw(whole)
    hi = lo + draw(st.integers(0, 5))
    if kind == "emp":
        weights = draw(st.lists(st.integers(0, 50), min_size=2, max_size=2))
        return f"empirical([{lo}, {hi}], [{weights[0]}, {weights[1] + 1}])"
    if kind == "const":
        return str(lo)
    if kind == "frac":
        return f"{lo}.{draw(st.integers(1, 9))}"
    if kind == "between":
        return f"between({lo}, {hi})"
    if kind == "cbetween":
        return f"between({lo}.5, {hi + 1}.25)"
    mode = draw(st.integers(lo, hi))
    return f"triangular({lo}, {mode}, {hi + 1})"


@st.composite
def sizes(draw: st.DrawFn) -> str:
    lo = draw(st.integers(0, 3000))
    hi = lo + draw(st.integers(0, 2000))
    return draw(
        st.sampled_from(
            [
                str(lo),
                f"between({lo}, {hi})",
                f"triangular({lo}, {lo}, {hi + 1})",
                f"{lo}.5",
                f"empirical([{lo}, {hi}.5, {hi + 7}], [3, 1, 2])",
            ]
        )
    )


@st.composite
def workflows(draw: st.DrawFn) -> str:
    lines = [f'workflow "w" {{\n  cache_hit_rate = 0.{draw(st.integers(0, 9))}']
    for i in range(draw(st.integers(1, 4))):
        meter = draw(st.booleans())
        growth = None if meter else draw(st.sampled_from([None, "0", "150", "between(10, 90)"]))
        attrs = {
            "uses": '"p/q"' if meter else '"p/m"',
            "calls": draw(counts(continuous=growth in (None, "0"))),
            "share": f"0.{draw(st.integers(1, 9))}" if draw(st.booleans()) else "1",
            "retry_rate": draw(st.sampled_from(["0", "0.1", "0.75", "2"])),
            "cacheable": draw(st.sampled_from(["true", "false"])),
        }
        if meter:
            attrs["quantity"] = draw(sizes())
        else:
            attrs["input_tokens"] = draw(sizes())
            attrs["output_tokens"] = draw(sizes())
            attrs["cached_share"] = draw(st.sampled_from(["0", "0.5"]))
            if growth is not None:
                attrs["context_growth"] = growth
        body = "\n".join(f"    {k} = {v}" for k, v in attrs.items())
        lines.append(f'  step "s{i}" {{\n{body}\n  }}')
    return "\n".join(lines) + "\n}\n"


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(workflows(), st.integers(0, 2**32))
def test_simulated_mean_within_four_standard_errors(workflow: str, seed: int) -> None:
    stack = stack_of(
        workflow, '\nfeature "f" {\n  unit = unit.u\n  workflow = workflow.w\n  region = "eu"\n}\n'
    )
    feature = stack.features["f"]
    b = compute(stack, Snapshot(path="u.csv", units={"f": Decimal(1000)}))
    mean, variance = unit_moments(stack, feature)
    # the exact moments describe the engine's figure (up to its 28 digits)
    assert abs(mean - b.features["f"].cost_per_unit) <= Decimal("1e-24")
    assert variance >= 0
    draws = simulate_units(stack, feature, 20_000, seed)
    se = draws.std(ddof=1) / np.sqrt(draws.size)
    assert abs(draws.mean() - float(mean)) <= 4 * se + 1e-12 * float(mean)


def test_bracketed_selection_is_the_exact_order_statistic() -> None:
    """Large arrays are selected through brackets from a sample: always the same values as
    a full partition, with point masses (ties) and heavy tails."""
    rng = np.random.default_rng(5)
    for values in (
        rng.random(50_000),
        np.where(rng.random(60_000) < 0.55, 0.0, rng.pareto(1.5, 60_000)),  # a big atom
        np.repeat([1.0, 2.0, 3.0], 30_000),
        np.sort(rng.random(40_000))[::-1].copy(),  # ordered: a stride is no sample
        _strided_trap(48_000),  # the stride sees only the large values: brackets miss
    ):
        n = values.size
        ranks = [-(-level * n // 100) - 1 for level in (50, 90, 95)]
        expected = [float(v) for v in np.sort(values)[ranks]]
        assert inverted_cdf(values) == expected


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.integers(1, 45_000),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["continuous", "atoms", "atom and tail", "sorted", "reversed", "strided"]),
    st.lists(st.integers(1, 99), max_size=3),
)
def test_inverted_cdf_equals_numpys_quantile(
    n: int, seed: int, shape: str, extra: list[int]
) -> None:
    """Whether selected by one partition (small arrays) or inside brackets (from
    BRACKETED values on), every level is numpy's own ``inverted_cdf`` quantile, exactly:
    on continuous values, on a few atoms, on a big atom with a heavy tail, on ordered
    arrays and on arrays whose stride sample sees only one value."""
    rng = np.random.default_rng(seed)
    if shape == "continuous":
        values = rng.random(n)
    elif shape == "atoms":
        values = rng.integers(0, 4, n).astype(np.float64) * 0.25
    elif shape == "atom and tail":
        values = np.where(rng.random(n) < 0.55, 0.0, rng.pareto(1.5, n))
    elif shape == "sorted":
        values = np.sort(rng.random(n))
    elif shape == "reversed":
        values = np.sort(rng.random(n))[::-1].copy()
    else:
        values = _strided_trap(n)
    levels = (50, 90, 95, *extra)
    expected = [
        float(q) for q in np.quantile(values, [lv / 100 for lv in levels], method="inverted_cdf")
    ]
    assert inverted_cdf(values, levels) == expected
    assert inverted_cdf(values) == expected[:3]


def _strided_trap(n: int) -> np.ndarray:
    values = np.zeros(n)
    values[:: max(n // 4096, 1)] = 1000.0
    return values


def test_retries_by_inversion_are_poisson() -> None:
    """Retry counts are drawn by inverting the Poisson CDF (small means) or by numpy's
    sampler (large ones): frequencies match the exact probabilities e^(−λ)·λ^k/k!."""
    from math import exp, factorial

    from infercost.insight.simulate import _poisson

    rng = np.random.default_rng(11)
    n = 200_000
    for lam in (0.05, 0.8, 6.0, 25.0):
        counts = _poisson(rng, np.full(n, lam), None)
        assert abs(counts.mean() - lam) < 5 * np.sqrt(lam / n)
        for k in range(4):
            p = exp(-lam) * lam**k / factorial(k)
            assert abs(np.mean(counts == k) - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-9
    # one uniform per entry and per-entry means: the zeros where λ = 0
    lam = np.array([0.0, 0.0, 3.0] * 1000)
    counts = _poisson(rng, lam, np.exp(-lam))
    assert not counts[lam == 0].any()


def test_wide_calls_and_many_retries_match_the_exact_moments() -> None:
    """Calls spread over hundreds of values (most runs have extra calls beyond the
    minimum) and retry means above the inversion bound: the same law as the moments."""
    stack = stack_of(
        """
        workflow "w" {
          step "a" {
            uses           = "p/m"
            calls          = between(2, 120)
            input_tokens   = triangular(100, 900, 1000)
            output_tokens  = between(10, 20)
            context_growth = 30
            retry_rate     = 0.3
          }
        }
        """
    )
    f = stack.features["f"]
    mean, variance = unit_moments(stack, f)
    draws = simulate_units(stack, f, 200_000, 9)
    assert abs(draws.mean() - float(mean)) < 4 * draws.std() / np.sqrt(draws.size)
    assert abs(draws.var() / float(variance) - 1) < 0.03


# -- the simulated law against closed forms ------------------------------------------------
# The figures below are computed by hand from the declared law, not read off a run: the
# generator or the order of draws may change (the goldens then move) but these may not.
# Meter "p/q" costs 3 per 1,000: a quantity q costs 0.003·q.


def _meter_stack(quantity: str, calls: str = "1", extra: str = "") -> object:
    return stack_of(
        f"""
        workflow "w" {{
          {extra}
          step "a" {{
            uses     = "p/q"
            calls    = {calls}
            quantity = {quantity}
          }}
        }}
        """
    )


def test_percentiles_of_a_discrete_uniform_are_its_quantiles() -> None:
    """Q uniform on 0..999: P(Q ≤ q) = (q + 1)/1000, so the inverted-CDF P50, P90, P95
    are 499, 899, 949. The sample quantile's standard error is about
    sqrt(p(1 − p)/n)·1000 ≤ 1.6 values at n = 100,000: allow 8 values (5 of them)."""
    stack = _meter_stack("between(0, 999)")
    draws = simulate_units(stack, stack.features["f"], 100_000, 17)
    for got, want in zip(inverted_cdf(draws), (499, 899, 949), strict=True):
        assert abs(got / 0.003 - want) <= 8
        assert abs(got / 0.003 - round(got / 0.003)) < 1e-6  # whole quantities only


def test_percentiles_of_a_triangular_are_its_quantiles() -> None:
    """Q ~ triangular(0, 0, 1000): F(q) = 1 − (1 − q/1000)², so the p-quantile is
    1000·(1 − sqrt(1 − p)): 292.893, 683.772, 776.393. Standard error of the sample
    quantile sqrt(p(1 − p)/n)/f(q) with f(q) = 2·(1 − q/1000)/1000: at most 4.9 at P95
    for n = 100,000; allow 5 of them."""
    stack = _meter_stack("triangular(0, 0, 1000)")
    draws = simulate_units(stack, stack.features["f"], 100_000, 23)
    n = draws.size
    for got, p in zip(inverted_cdf(draws), (0.5, 0.9, 0.95), strict=True):
        q = 1000 * (1 - (1 - p) ** 0.5)
        se = (p * (1 - p) / n) ** 0.5 / (2 * (1 - q / 1000) / 1000)
        assert abs(got / 0.003 - q) <= 5 * se


def test_a_sum_over_calls_has_the_convolved_law() -> None:
    """Three calls of Q uniform on 0..1 sum to S on 0..3 with P(S = 0, 1, 2, 3) =
    1/8, 3/8, 3/8, 1/8: frequencies within 5 standard errors; P(S ≤ 2) = 7/8 < 0.9, so
    the inverted-CDF P90 and P95 are both 3."""
    stack = _meter_stack("between(0, 1)", calls="3")
    n = 200_000
    s = np.rint(simulate_units(stack, stack.features["f"], n, 5) / 0.003).astype(int)
    for k, p in enumerate((1 / 8, 3 / 8, 3 / 8, 1 / 8)):
        assert abs(np.mean(s == k) - p) <= 5 * (p * (1 - p) / n) ** 0.5
    assert inverted_cdf(s.astype(float), (90, 95)) == [3.0, 3.0]


def test_rounded_continuous_calls_follow_their_exact_law() -> None:
    """calls = between(0.5, 2.5), X uniform with density 1/2, rounded at random:
    P(C = 0) = ∫_.5^1 (1 − x)/2 = 1/16, P(C = 1) = ∫_.5^1 x/2 + ∫_1^2 (2 − x)/2 = 7/16,
    P(C = 2) = 7/16, P(C = 3) = 1/16 (mean 3/2, the mean of X). The simulation draws C
    from that table: each call costs 0.003, so the unit cost is 0.003·C."""
    from infercost.insight.moments import rounded_pmf

    calls = Distribution("between", (Decimal("0.5"), Decimal("2.5")), "between(0.5, 2.5)")
    assert rounded_pmf(calls) == (
        0,
        (Fraction(1, 16), Fraction(7, 16), Fraction(7, 16), Fraction(1, 16)),
    )
    stack = _meter_stack("1", calls="between(0.5, 2.5)")
    n = 200_000
    c = np.rint(simulate_units(stack, stack.features["f"], n, 8) / 0.003).astype(int)
    for k, p in enumerate((1 / 16, 7 / 16, 7 / 16, 1 / 16)):
        assert abs(np.mean(c == k) - p) <= 5 * (p * (1 - p) / n) ** 0.5
    assert c.min() == 0 and c.max() == 3


def test_atoms_of_a_constant_step_are_exact_percentiles() -> None:
    """A constant step (4 calls of quantity 5: 0.06) that runs in 30 % of the units: the
    cost is 0 with probability 0.7 and 0.06 otherwise, so P50 is exactly 0 and P90, P95
    exactly 0.06 (the sample's share of zeros, 0.7 ± 0.0015, is nowhere near 0.5 or 0.9).
    The constant is added without a pass per step: the atom must be the exact figure."""
    stack = stack_of(
        """
        workflow "w" {
          cache_hit_rate = 0.5
          step "a" {
            uses      = "p/q"
            calls     = 4
            quantity  = 5
            share     = 0.6
          }
        }
        """
    )
    f = stack.features["f"]
    draws = simulate_units(stack, f, 100_000, 4)
    assert set(np.unique(draws)) == {0.0, 0.06}
    assert inverted_cdf(draws) == [0.0, 0.06, 0.06]
    p = percentiles(stack, f, Decimal(10), Settings(4, 100_000))
    assert p is not None and p.cost_per_unit.p95 == Decimal("0.06")


def test_context_growth_over_many_calls_does_not_overflow() -> None:
    """C uniform on {60000, 60001} (drawn as 32-bit whole numbers) with context growth 1:
    the run's input is Σ (k − 1) = C(C − 1)/2 tokens, beyond 2^31 for C·(C − 1); at 2 per
    million tokens a unit costs 3599.94 or 3600.06, never anything else."""
    stack = stack_of(
        """
        workflow "w" {
          step "a" {
            uses           = "p/m"
            calls          = between(60000, 60001)
            input_tokens   = 0
            output_tokens  = 0
            context_growth = 1
          }
        }
        """
    )
    draws = simulate_units(stack, stack.features["f"], 1000, 2)
    low, high = 2e-6 * 60000 * 59999 / 2, 2e-6 * 60001 * 60000 / 2
    assert np.all(np.isclose(draws, low) | np.isclose(draws, high))
    assert np.isclose(draws, low).any() and np.isclose(draws, high).any()


def test_closed_form_moments_equal_the_integrals() -> None:
    """The closed forms of E[X] and E[X²] (continuous uniform and triangular) against the
    piecewise integrals they replace, and by hand: uniform on [0.5, 3.5] has E[X] = 2,
    E[X²] = (0.25 + 1.75 + 12.25)/3 = 19/4; triangular(1, 2, 6) has E[X] = 3 and
    E[X²] = (1 + 4 + 36 + 2 + 6 + 12)/6 = 61/6."""
    from infercost.insight.moments import _continuous, _integral, _pieces

    u = Distribution("between", (Decimal("0.5"), Decimal("3.5")), "between(0.5, 3.5)")
    t = Distribution("triangular", (Decimal(1), Decimal(2), Decimal(6)), "triangular(1, 2, 6)")
    assert moments(u, 2) == (1, 2, Fraction(19, 4))
    assert moments(t, 2) == (1, 3, Fraction(61, 6))
    for lo, mode, hi in [("0", "0", "3"), ("0.5", "2.25", "7"), ("2", "9", "9"), ("1", "1", "1.5")]:
        params = (Decimal(lo), Decimal(mode), Decimal(hi))
        for d in (
            Distribution("triangular", params, ""),
            Distribution("between", (params[0], params[2]), ""),
        ):
            integrals = tuple(
                sum((_integral(*piece, j) for piece in _pieces(d)), Fraction(0)) for j in range(3)
            )
            assert _continuous(d, 2) == integrals
            assert _continuous(d, 3)[:3] == integrals


# -- the draws' own tricks, checked exactly ------------------------------------------------


@pytest.mark.parametrize("w", [8, 16])
def test_multiply_shift_lanes_are_exactly_uniform(w: int) -> None:
    """Every w-bit lane X, as the bounded sampler maps it: H = ⌊X·r / 2^w⌋, rejected when
    X·r mod 2^w < 2^w mod r. Over all 2^w lanes each H in 0..r−1 is kept exactly
    ⌊2^w / r⌋ times (for r = 3, w = 8: 85 lanes each, 1 lane rejected), so an accepted
    lane's H is exactly uniform."""
    from infercost.insight.simulate import LANES8, LANES16

    top = LANES8 if w == 8 else LANES16
    x = np.arange(2**w, dtype=np.int64)
    for r in [*range(1, 40), 541, 1000, top - 1, top] if w == 16 else range(1, top + 1):
        if (w == 8) != (r <= LANES8) or r > top:
            continue
        product = x * r
        kept = product % 2**w >= (2**w) % r
        counts = np.bincount(product[kept] >> w, minlength=r)
        assert counts.size == r and (counts == 2**w // r).all(), r
        assert (~kept).sum() == (2**w) % r < r
    assert 2**8 // 3 == 85 and 2**8 % 3 == 1


def test_bounded_draws_follow_the_discrete_uniform() -> None:
    """The lanes as drawn (with the rejected ones drawn again): r = 7 in 8-bit lanes (4 of
    256 rejected), r = 541 in 16-bit lanes, r = 5000 by numpy's sampler; each value has
    probability 1/r: frequencies within 5 standard errors, nothing outside 0..r−1."""
    from infercost.insight.simulate import _bounded

    rng = np.random.Generator(np.random.SFC64(3))
    n = 700_000
    for r in (7, 541, 5000, 16, 1):
        drawn = _bounded(rng, r, n).astype(np.int64)
        assert drawn.size == n and drawn.min() >= 0 and drawn.max() == r - 1
        freq = np.bincount(drawn, minlength=r) / n
        p = 1 / r
        assert np.abs(freq - p).max() <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12
        assert abs(drawn.mean() - (r - 1) / 2) <= 5 * np.sqrt((r * r - 1) / 12 / n) + 1e-12


def test_continuous_sizes_on_the_midpoint_grid() -> None:
    """A continuous uniform is (A + ½)·2⁻³² with A uniform on 0..2³² − 1: its mean is
    exactly ½ ((2³² − 1)/2 + ½ = 2³¹); a triangular's parts give back, for any A and B,
    (1 − c)·min(U, V) + c·max(U, V), the Stein–Keblis draw; and the shift and weights
    map them onto [lo, hi]."""
    from infercost.insight.simulate import GRID, _standard, _triangular

    assert (2**32 - 1) / 2 + 0.5 == 2**31
    rng = np.random.Generator(np.random.SFC64(1))
    for c in (0.0, 0.25, 0.5, 0.8, 1.0):
        parts = _triangular(rng, c, 1000, 1.0)
        assert all(raw.dtype == np.uint32 for _, raw in parts)  # whole numbers, summed exactly
        got = sum(w * raw.astype(np.float64) for w, raw in parts) * GRID + GRID / 2
        assert np.all((got > 0) & (got < 1))
    ab = np.array([0, 7, 2**32 - 1, 12345, 2**31, 99], dtype=np.uint32)
    u, v = (ab[:3] + 0.5) * GRID, (ab[3:] + 0.5) * GRID

    class Fixed:  # a generator whose raw outputs are ab, two 32-bit halves each
        class bit_generator:
            @staticmethod
            def random_raw(k: int) -> np.ndarray:
                assert k == 3
                return ab.view(np.uint64)

    for c in (0.0, 0.3, 0.5, 1.0):
        parts = _triangular(Fixed(), c, 3, GRID)  # type: ignore[arg-type]
        got = sum(w * raw.astype(np.float64) for w, raw in parts) + GRID / 2
        want = (1 - c) * np.minimum(u, v) + c * np.maximum(u, v)
        assert np.allclose(got, want, rtol=0, atol=1e-15)
    # triangular(10, 20, 50): lo + (hi − lo)·T, the grid's ½ in the shift
    t = Distribution("triangular", (Decimal(10), Decimal(20), Decimal(50)), "")
    parts, shift = _standard(rng, t, 400_000)
    assert shift == 10 + 40 * GRID / 2
    draws = shift + sum(w * raw.astype(np.float64) for w, raw in parts)
    assert draws.min() > 10 and draws.max() < 50
    # E = (10 + 20 + 50)/3, Var = (100 + 400 + 2500 − 200 − 500 − 1000)/18 = 1300/18
    assert abs(draws.mean() - 80 / 3) < 5 * np.sqrt(1300 / 18 / draws.size)


def test_retries_of_a_constant_step_are_poisson_by_hand() -> None:
    """2 calls of quantity 5 (0.015 each) retried at rate 0.5: R ~ Poisson(2·0.5 = 1)
    retries a run, one P(0) for all runs, so a unit costs 0.015·(2 + R) with
    P(R = k) = e^(−1)/k!: 0.3679, 0.3679, 0.1839, 0.0613 for k = 0..3."""
    from math import exp, factorial

    text = """
        workflow "w" {
          step "a" {
            uses       = "p/q"
            calls      = 2
            quantity   = 5
            retry_rate = 0.5
          }
        }
        """
    stack = stack_of(text)
    n = 200_000
    r = np.rint(simulate_units(stack, stack.features["f"], n, 6) / 0.015).astype(int) - 2
    assert r.min() == 0
    for k in range(4):
        p = exp(-1) / factorial(k)
        assert abs(np.mean(r == k) - p) <= 5 * (p * (1 - p) / n) ** 0.5


def test_a_feature_alike_on_both_sides_is_simulated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan shares one memo between its sides: the same feature, workflow and prices
    give the same figures without a second simulation; a changed price is simulated
    again (its key differs), and a memo never changes a figure."""
    from infercost.insight import simulate

    text = """
        workflow "w" {
          step "a" {
            uses          = "p/m"
            calls         = between(1, 4)
            input_tokens  = triangular(100, 400, 900)
            output_tokens = 50
          }
        }
        """
    base, head = stack_of(text), stack_of(text)
    dearer = load(
        {
            "prices.hcl": PRICES.replace("output_per_mtok       = 8", "output_per_mtok = 9"),
            "main.hcl": text + '\nfeature "f" {\n  unit = unit.u\n  workflow = workflow.w\n}\n',
        }
    )
    runs: list[str] = []
    real = simulate.simulate_units

    def counted(stack, feature, samples, seed):  # type: ignore[no-untyped-def]
        runs.append(feature.name)
        return real(stack, feature, samples, seed)

    monkeypatch.setattr(simulate, "simulate_units", counted)
    s = Settings(3, 4000)
    memo: dict[simulate.ShapeKey, simulate.Simulated] = {}
    first = percentiles(head, head.features["f"], Decimal(10), s, memo)
    again = percentiles(base, base.features["f"], Decimal(20), s, memo)
    assert len(runs) == 1 and first is not None and again is not None
    assert again.cost_per_unit == first.cost_per_unit
    assert again.cogs != first.cogs  # the units still count: 20, not 10
    assert again == percentiles(base, base.features["f"], Decimal(20), s)  # no memo
    other = percentiles(dearer, dearer.features["f"], Decimal(10), s, memo)
    assert len(runs) == 3 and other is not None
    assert other.cost_per_unit != first.cost_per_unit


def test_sums_per_run_in_32_bits_equal_the_64_bit_sums() -> None:
    """Runs of 3 to 9 calls of 16-bit draws: the sums per run taken in 32 bits (every
    partial sum fits) are the 64-bit sums, and both are the sums written out run by run
    (run i's calls: the i-th of the first L·n, then its own beyond L)."""
    from infercost.insight.simulate import _bounded, _Calls

    rng = np.random.Generator(np.random.SFC64(2))
    n = 1000
    calls = (3 + rng.integers(0, 7, n)).astype(np.int32)
    layout = _Calls(calls, n)
    x = _bounded(rng, 4000, layout.total)
    narrow, wide = layout.sums(x, 3999), layout.sums(x)
    assert narrow.dtype == np.int32 and wide.dtype == np.int64
    low = int(calls.min())
    flat = x.astype(np.int64)
    start = low * n + np.concatenate([[0], np.cumsum(calls - low)[:-1]])
    by_hand = [
        int(flat[i : low * n : n].sum() + flat[start[i] : start[i] + calls[i] - low].sum())
        for i in range(n)
    ]
    assert narrow.tolist() == wide.tolist() == by_hand
