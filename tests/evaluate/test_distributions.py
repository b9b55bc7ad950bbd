"""Exact moments of between() and triangular(), checked against first principles.

Discrete uniforms are enumerated; continuous densities are integrated symbolically as
piecewise polynomials with Fractions, so the expected values are exact.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from infercost.evaluate.values import Distribution, falling_moment_of, mean_of
from tests.helpers import dec

FAST = settings(max_examples=200, deadline=None)

# A polynomial is a list of coefficients, lowest degree first.
Poly = list[Fraction]


def integrate(poly: Poly, lo: Fraction, hi: Fraction) -> Fraction:
    """The exact integral of a polynomial over [lo, hi]."""
    return sum(
        (c * (hi ** (k + 1) - lo ** (k + 1)) / (k + 1) for k, c in enumerate(poly)),
        Fraction(0),
    )


def times_power(poly: Poly, n: int) -> Poly:
    return [Fraction(0)] * n + poly


def moment(pieces: list[tuple[Fraction, Fraction, Poly]], n: int) -> Fraction:
    """E[X^n] for a piecewise-polynomial density given as (lo, hi, pdf) pieces."""
    return sum((integrate(times_power(pdf, n), lo, hi) for lo, hi, pdf in pieces), Fraction(0))


def uniform_pieces(a: Fraction, b: Fraction) -> list[tuple[Fraction, Fraction, Poly]]:
    return [(a, b, [1 / (b - a)])]


Pieces = list[tuple[Fraction, Fraction, Poly]]


def triangular_pieces(a: Fraction, c: Fraction, b: Fraction) -> Pieces:
    pieces = []
    if c > a:  # rising edge: 2(x − a) / ((b − a)(c − a))
        k = Fraction(2) / ((b - a) * (c - a))
        pieces.append((a, c, [-a * k, k]))
    if b > c:  # falling edge: 2(b − x) / ((b − a)(b − c))
        k = Fraction(2) / ((b - a) * (b - c))
        pieces.append((c, b, [b * k, -k]))
    return pieces


def check(dist: Distribution, mean: Fraction, second: Fraction) -> None:
    assert dist.mean == dec(mean)
    assert dist.second_moment == dec(second)
    assert dist.falling_moment == dec(second - mean)
    assert mean_of(dist) == dist.mean
    assert falling_moment_of(dist) == dist.falling_moment


# -- the worked figures of SPEC §3 -------------------------------------------------------------


def test_between_2_5() -> None:
    d = Distribution("between", (Decimal(2), Decimal(5)), "between(2, 5)")
    assert d.discrete
    assert d.mean == Decimal("3.5")  # (2 + 3 + 4 + 5) / 4
    assert d.falling_moment == Decimal(10)  # (2·1 + 3·2 + 4·3 + 5·4) / 4 = 40 / 4
    assert d.second_moment == Decimal("13.5")  # (4 + 9 + 16 + 25) / 4


def test_constants() -> None:
    assert mean_of(Decimal(3)) == 3
    assert falling_moment_of(Decimal(3)) == 6  # 3·2
    # An average count is the two-point count on 1 and 2 (SPEC §15): (0·1 + 2·1) / 2.
    assert falling_moment_of(Decimal("1.5")) == Decimal(1)
    assert falling_moment_of(Decimal("0.5")) == 0  # never negative


def test_degenerate_distributions() -> None:
    point = Distribution("between", (Decimal(3), Decimal(3)), "between(3, 3)")
    check(point, Fraction(3), Fraction(9))
    tri = Distribution("triangular", (Decimal(2), Decimal(2), Decimal(2)), "t")
    check(tri, Fraction(2), Fraction(4))


# -- discrete uniform: brute-force enumeration ----------------------------------------------


@FAST
@given(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_discrete_between_equals_enumeration(lo: int, width: int) -> None:
    hi = lo + width
    values = [Fraction(x) for x in range(lo, hi + 1)]
    n = len(values)
    e_x = sum(values) / n
    e_x2 = sum(x * x for x in values) / n
    e_falling = sum(x * (x - 1) for x in values) / n
    # Whole bounds are judged by value: 2 and 2.0 are both whole.
    for lo_d, hi_d in ((Decimal(lo), Decimal(hi)), (Decimal(f"{lo}.0"), Decimal(f"{hi}.00"))):
        d = Distribution("between", (lo_d, hi_d), f"between({lo_d}, {hi_d})")
        assert d.discrete
        check(d, e_x, e_x2)
        assert d.falling_moment == dec(e_falling)


# -- continuous uniform and triangular: symbolic integration --------------------------------

bounds = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


@FAST
@given(bounds, bounds)
def test_continuous_between_equals_integration(x: Decimal, y: Decimal) -> None:
    lo, hi = min(x, y), max(x, y)
    assume(lo < hi)
    assume(not (lo == lo.to_integral_value() and hi == hi.to_integral_value()))
    d = Distribution("between", (lo, hi), f"between({lo}, {hi})")
    assert not d.discrete
    pieces = uniform_pieces(Fraction(lo), Fraction(hi))
    assert moment(pieces, 0) == 1
    e_x, e_x2 = moment(pieces, 1), moment(pieces, 2)
    check(d, e_x, e_x2)
    # SPEC §3: E[C²] = (lo² + lo·hi + hi²) / 3
    a, b = Fraction(lo), Fraction(hi)
    assert e_x2 == (a * a + a * b + b * b) / 3


@FAST
@given(bounds, bounds, bounds)
def test_triangular_equals_integration(x: Decimal, y: Decimal, z: Decimal) -> None:
    lo, mode, hi = sorted((x, y, z))
    assume(lo < hi)
    d = Distribution("triangular", (lo, mode, hi), f"triangular({lo}, {mode}, {hi})")
    assert not d.discrete
    pieces = triangular_pieces(Fraction(lo), Fraction(mode), Fraction(hi))
    assert moment(pieces, 0) == 1
    e_x, e_x2 = moment(pieces, 1), moment(pieces, 2)
    check(d, e_x, e_x2)
    # SPEC §3: Var = (a² + b² + c² − ab − ac − bc) / 18
    a, c, b = Fraction(lo), Fraction(mode), Fraction(hi)
    assert e_x2 - e_x**2 == (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def test_triangular_example() -> None:
    # triangular(1200, 2000, 4000): mean (1200 + 2000 + 4000) / 3 = 2400
    d = Distribution("triangular", (Decimal(1200), Decimal(2000), Decimal(4000)), "t")
    assert d.mean == Decimal(2400)
    # triangular(0, 3, 6): Var = (0 + 9 + 36 − 0 − 0 − 18) / 18 = 1.5, E[X²] = 9 + 1.5
    d = Distribution("triangular", (Decimal(0), Decimal(3), Decimal(6)), "t")
    assert (d.mean, d.second_moment, d.falling_moment) == (3, Decimal("10.5"), Decimal("7.5"))
