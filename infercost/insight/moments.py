"""Exact raw moments of the declared distributions, as Fractions.

The headline figures need only E[X] and E[X·(X−1)]; the spread of a unit's cost (the
variance behind COGS percentiles) needs up to the fourth raw moment of ``calls``
(context growth makes a run's input quadratic in the number of calls). ``calls`` is
simulated as a whole number: a fractional or continuous draw is rounded at random to
its floor or ceiling keeping its mean (SPEC §15, §16), so its moments are those of the
rounded variable, computed here exactly by integrating the density piece by piece.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from fractions import Fraction

from infercost.evaluate.values import Distribution

Moments = tuple[Fraction, ...]  # (E[X^0], E[X^1], ..., E[X^k])

# A continuous ``calls`` spanning more whole numbers than this is integrated in closed
# form per piece anyway; the bound only keeps a hostile range from taking minutes.
MAX_PIECES = 200_000


def _power_sum(n: int, j: int) -> int:
    """Σ_{k=0}^{n} k^j for j ≤ 4 (Faulhaber), so a wide ``between`` costs O(1). Whole
    numbers throughout (each product is divisible by its denominator): integer
    arithmetic, several times cheaper than Fractions."""
    if n < 0:
        return 0
    m = n
    if j == 0:
        return m + 1
    if j == 1:
        return m * (m + 1) // 2
    if j == 2:
        return m * (m + 1) * (2 * m + 1) // 6
    if j == 3:
        return (m * (m + 1) // 2) ** 2
    if j == 4:
        return m * (m + 1) * (2 * m + 1) * (3 * m * m + 3 * m - 1) // 30
    raise ValueError(f"power sums are closed-form up to 4, not {j}")


def _discrete_uniform(lo: int, hi: int, k: int) -> Moments:
    """Moments of the whole numbers lo..hi, equally likely (sums shifted to start at 0)."""
    n = hi - lo + 1
    sums = [_power_sum(n - 1, i) for i in range(k + 1)]
    out = []
    for j in range(k + 1):
        # E[(lo + Y)^j], Y uniform on 0..n-1, by the binomial expansion (whole numbers).
        total = sum(math.comb(j, i) * lo ** (j - i) * sums[i] for i in range(j + 1))
        out.append(Fraction(total, n))
    return tuple(out)


def _pieces(dist: Distribution) -> list[tuple[Fraction, Fraction, Fraction, Fraction]]:
    """The density as linear pieces (left, right, alpha, beta): pdf(x) = alpha + beta·x."""
    if dist.kind == "between":
        a, b = (Fraction(p) for p in dist.params)
        return [(a, b, 1 / (b - a), Fraction(0))]
    a, c, b = (Fraction(p) for p in dist.params)
    out = []
    if c > a:
        scale = 2 / ((b - a) * (c - a))  # pdf = scale·(x − a)
        out.append((a, c, -scale * a, scale))
    if b > c:
        scale = 2 / ((b - a) * (b - c))  # pdf = scale·(b − x)
        out.append((c, b, scale * b, -scale))
    return out


def _integral(left: Fraction, right: Fraction, alpha: Fraction, beta: Fraction, j: int) -> Fraction:
    """∫ x^j · (alpha + beta·x) dx over [left, right]."""
    lo1, hi1 = left ** (j + 1), right ** (j + 1)
    lo2, hi2 = lo1 * left, hi1 * right
    return alpha * (hi1 - lo1) / (j + 1) + beta * (hi2 - lo2) / (j + 2)


def _continuous(dist: Distribution, k: int) -> Moments:
    if k <= 2:  # the closed forms: what the breakdown's spread needs, without integrals
        return _low_moments(dist)[: k + 1]
    return tuple(
        sum((_integral(lft, rgt, al, be, j) for lft, rgt, al, be in _pieces(dist)), Fraction(0))
        for j in range(k + 1)
    )


def _low_moments(dist: Distribution) -> Moments:
    """(1, E[X], E[X²]) of a continuous uniform on [a, b]: (a + b)/2, (a² + ab + b²)/3;
    of a triangular (a, c, b): (a + b + c)/3, (a² + b² + c² + ab + ac + bc)/6."""
    if dist.kind == "between":
        a, b = (Fraction(p) for p in dist.params)
        return Fraction(1), (a + b) / 2, (a * a + a * b + b * b) / 3
    a, c, b = (Fraction(p) for p in dist.params)
    return (
        Fraction(1),
        (a + b + c) / 3,
        (a * a + b * b + c * c + a * b + a * c + b * c) / 6,
    )


def moments(value: Decimal | Distribution, k: int = 2) -> Moments:
    """E[X^j] for j = 0..k of a constant or a distribution, exactly."""
    if not isinstance(value, Distribution) or value.lower == value.upper:
        x = Fraction(value if not isinstance(value, Distribution) else value.lower)
        return tuple(x**j for j in range(k + 1))
    if value.kind == "empirical":
        pts = value.points()
        return tuple(sum((p * v**j for v, p in pts), Fraction(0)) for j in range(k + 1))
    if value.discrete:
        lo, hi = (int(p) for p in value.params)
        return _discrete_uniform(lo, hi, k)
    return _continuous(value, k)


def call_moments(value: Decimal | Distribution, k: int = 4) -> Moments:
    """E[C^j] of ``calls`` as simulated: whole numbers, fractional draws rounded at random.

    Given a draw x = f + p (f whole, 0 ≤ p < 1), C is f+1 with probability p and f
    otherwise, so E[C^j | x] = f^j + p·((f+1)^j − f^j): linear in x on each [f, f+1).
    """
    if isinstance(value, Distribution) and value.lower == value.upper:
        value = value.lower
    if not isinstance(value, Distribution):
        x = Fraction(value)
        f = math.floor(x)
        p = x - f
        return tuple(
            Fraction(f) ** j + p * (Fraction(f + 1) ** j - Fraction(f) ** j) for j in range(k + 1)
        )
    if value.kind == "empirical":
        # Each value v is a constant count (a fractional one rounded at random).
        out = [Fraction(0)] * (k + 1)
        for v, p in value.points():
            for j, m in enumerate(call_moments(Decimal(v.numerator) / Decimal(v.denominator), k)):
                out[j] += p * m
        return tuple(out)
    if value.discrete:
        return moments(value, k)
    first, masses = rounded_pmf(value)
    return tuple(
        sum((mass * (first + i) ** j for i, mass in enumerate(masses)), Fraction(0))
        for j in range(k + 1)
    )


@functools.lru_cache(maxsize=1024)
def rounded_pmf(value: Distribution) -> tuple[int, tuple[Fraction, ...]]:
    """(f0, (P(C = f0), P(C = f0 + 1), ...)) of a continuous ``calls`` rounded at random.

    A draw x in [f, f + 1) is f + 1 with probability x − f and f otherwise, so each unit
    interval gives its mass ∫ pdf to f and f + 1 in the shares ∫ (f + 1 − x)·pdf and
    ∫ (x − f)·pdf. The simulation draws C from this table with one uniform.
    """
    first = math.floor(Fraction(value.lower))
    last = math.ceil(Fraction(value.upper))
    if last - first > MAX_PIECES:
        raise ValueError("calls spans too many whole numbers to integrate")
    masses = [Fraction(0)] * (last - first + 1)
    for left, right, alpha, beta in _pieces(value):
        f = math.floor(left)
        while f < right:
            lo, hi = max(left, Fraction(f)), min(right, Fraction(f + 1))
            if hi > lo:
                mass = _integral(lo, hi, alpha, beta, 0)
                p_mass = _integral(lo, hi, alpha, beta, 1) - f * mass  # ∫ (x − f)·pdf
                masses[f - first] += mass - p_mass
                masses[f + 1 - first] += p_mass
            f += 1
    return first, tuple(masses)
