"""The exact expected cost of a step whose item has long-context tiers (SPEC §13).

A tier is a cliff: a call whose input exceeds the threshold is billed entirely at the
tier's prices. Call k of a run has input X_k = I + (k−1)·g (I drawn per call, g once per
run), so the expected cost of a run is

    Σ_k P(C ≥ k) · Σ_t [ a_t · E[X_k · 1{X_k in tier t}] + o_t · E[O] · P(X_k in tier t) ]

with a_t the blended input price of tier t (uncached, cached, cache-write shares) and
o_t its output price. Each term needs P(X > N) and E[X · 1{X > N}] at every threshold
N. They are computed exactly with fractions: by enumeration (in closed form for a
discrete uniform, whose tail sums are arithmetic series) for discrete distributions, and
by integrating piecewise polynomials (the densities of the uniform and triangular
distributions) for continuous ones; a sum over a lattice of a polynomial uses Faulhaber's
formulas, so no sum ever runs over every token count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from itertools import pairwise

from infercost.evaluate.values import Distribution

Poly = tuple[Fraction, ...]  # coefficients, lowest degree first


# -- polynomials ----------------------------------------------------------------------------
def _trim(p: list[Fraction]) -> Poly:
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return tuple(p)


def p_add(a: Poly, b: Poly) -> Poly:
    n = max(len(a), len(b))
    zero = Fraction(0)
    return _trim(
        [(a[i] if i < len(a) else zero) + (b[i] if i < len(b) else zero) for i in range(n)]
    )


def p_scale(a: Poly, k: Fraction) -> Poly:
    return _trim([c * k for c in a])


def p_mul(a: Poly, b: Poly) -> Poly:
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return _trim(out)


def p_eval(a: Poly, x: Fraction) -> Fraction:
    total = Fraction(0)
    for c in reversed(a):
        total = total * x + c
    return total


def p_integral(a: Poly) -> Poly:
    """The antiderivative that is 0 at 0."""
    return _trim([Fraction(0), *(c / (i + 1) for i, c in enumerate(a))])


def p_linear(a: Poly, alpha: Fraction, beta: Fraction) -> Poly:
    """a(alpha + beta·x)."""
    out: Poly = (Fraction(0),)
    power: Poly = (Fraction(1),)
    for c in a:
        out = p_add(out, p_scale(power, c))
        power = p_mul(power, (alpha, beta))
    return out


@cache
def _bernoulli(n: int) -> Fraction:
    if n == 0:
        return Fraction(1)
    total = sum((Fraction(math.comb(n + 1, k)) * _bernoulli(k) for k in range(n)), Fraction(0))
    return -total / (n + 1)


def _power_sum(d: int, n: int) -> Fraction:
    """Σ_{i=1}^{n} i^d (0 for n <= 0), by Faulhaber's formula."""
    if n <= 0:
        return Fraction(0)
    total = Fraction(0)
    for k in range(d + 1):
        b = _bernoulli(k) * (-1 if k == 1 else 1)  # B_1 = +1/2 convention
        total += Fraction(math.comb(d + 1, k)) * b * Fraction(n) ** (d + 1 - k)
    return total / (d + 1)


def lattice_sum(a: Poly, lo: int, hi: int) -> Fraction:
    """Σ_{i=lo}^{hi} a(i), exactly, without visiting every i."""
    if hi < lo:
        return Fraction(0)
    shifted = p_linear(a, Fraction(lo), Fraction(1))  # i = lo + j, j = 0..hi-lo
    n = hi - lo
    return sum(
        (c * (_power_sum(d, n) + (1 if d == 0 else 0)) for d, c in enumerate(shifted)),
        Fraction(0),
    )


# -- distributions ------------------------------------------------------------------------
@dataclass(frozen=True)
class Points:
    """Finitely many values with probabilities (a constant, a two-point count)."""

    masses: tuple[tuple[Fraction, Fraction], ...]


@dataclass(frozen=True)
class Lattice:
    """Every whole number from lo to hi, equally likely."""

    lo: int
    hi: int

    @property
    def n(self) -> int:
        return self.hi - self.lo + 1


@dataclass(frozen=True)
class Continuous:
    """A density made of polynomial pieces on [lo, hi] intervals."""

    pieces: tuple[tuple[Fraction, Fraction, Poly], ...]

    @property
    def breaks(self) -> list[Fraction]:
        return sorted({x for lo, hi, _ in self.pieces for x in (lo, hi)})


Dist = Points | Lattice | Continuous


def dist_of(value: Decimal | Distribution) -> Dist:
    if not isinstance(value, Distribution):
        return Points(((Fraction(value), Fraction(1)),))
    params = [Fraction(p) for p in value.params]
    if params[0] == params[-1]:
        return Points(((params[0], Fraction(1)),))
    if value.discrete:
        return Lattice(int(params[0]), int(params[-1]))
    if value.kind == "between":
        lo, hi = params
        return Continuous(((lo, hi, (1 / (hi - lo),)),))
    a, c, b = params
    pieces = []
    if c > a:  # 2(x−a)/((b−a)(c−a))
        k = Fraction(2) / ((b - a) * (c - a))
        pieces.append((a, c, (-a * k, k)))
    if b > c:  # 2(b−x)/((b−a)(b−c))
        k = Fraction(2) / ((b - a) * (b - c))
        pieces.append((c, b, (b * k, -k)))
    return Continuous(tuple(pieces))


def mean(d: Dist) -> Fraction:
    return partial_tail(d, None)[1]


def partial_tail(d: Dist, m: Fraction | None) -> tuple[Fraction, Fraction]:
    """(P(D > m), E[D · 1{D > m}]); m None means −∞ (the whole distribution)."""
    if isinstance(d, Points):
        above = [(v, p) for v, p in d.masses if m is None or v > m]
        return sum((p for _, p in above), Fraction(0)), sum((v * p for v, p in above), Fraction(0))
    if isinstance(d, Lattice):
        first = d.lo if m is None else max(d.lo, math.floor(m) + 1)
        if first > d.hi:
            return Fraction(0), Fraction(0)
        count = d.hi - first + 1
        return Fraction(count, d.n), Fraction((first + d.hi) * count, 2 * d.n)
    p_total, x_total = Fraction(0), Fraction(0)
    for lo, hi, density in d.pieces:
        start = lo if m is None else max(lo, m)
        if start >= hi:
            continue
        f, g = p_integral(density), p_integral(p_mul(density, (Fraction(0), Fraction(1))))
        p_total += p_eval(f, hi) - p_eval(f, start)
        x_total += p_eval(g, hi) - p_eval(g, start)
    return p_total, x_total


def _tail_segments(d: Continuous) -> list[tuple[Fraction, Fraction, Poly, Poly]]:
    """P(D > m) and E[D·1{D > m}] as polynomials in m on each interval between breaks
    (outside the support they are constants, handled by the caller)."""
    out = []
    breaks = d.breaks
    for left, right in pairwise(breaks):
        p_poly: Poly = (Fraction(0),)
        x_poly: Poly = (Fraction(0),)
        for lo, hi, density in d.pieces:
            f = p_integral(density)
            g = p_integral(p_mul(density, (Fraction(0), Fraction(1))))
            if lo >= right:  # entirely above m: a constant
                p_poly = p_add(p_poly, (p_eval(f, hi) - p_eval(f, lo),))
                x_poly = p_add(x_poly, (p_eval(g, hi) - p_eval(g, lo),))
            elif lo <= left and hi >= right:  # m inside this piece: F(hi) − F(m)
                p_poly = p_add(p_poly, p_add((p_eval(f, hi),), p_scale(f, Fraction(-1))))
                x_poly = p_add(x_poly, p_add((p_eval(g, hi),), p_scale(g, Fraction(-1))))
        out.append((left, right, p_poly, x_poly))
    return out


def _shifted_tail(a: Dist, b: Dist, c: Fraction, n: Fraction) -> tuple[Fraction, Fraction]:
    """(P(X > n), E[X · 1{X > n}]) for X = A + c·B, A and B independent."""
    if c == 0:
        return partial_tail(a, n)
    if isinstance(b, Points) and len(b.masses) == 1:
        shift = c * b.masses[0][0]
        p, x = partial_tail(a, n - shift)
        return p, x + shift * p
    if isinstance(a, Points):
        p_total, x_total = Fraction(0), Fraction(0)
        for value, weight in a.masses:
            p, x = partial_tail(b, (n - value) / c)
            p_total += weight * p
            x_total += weight * (value * p + c * x)
        return p_total, x_total
    if isinstance(b, Points):
        p_total, x_total = Fraction(0), Fraction(0)
        for value, weight in b.masses:
            p, x = partial_tail(a, n - c * value)
            p_total += weight * p
            x_total += weight * (x + c * value * p)
        return p_total, x_total
    if isinstance(b, Lattice) and (isinstance(a, Continuous) or b.n <= a.n):
        p_total, x_total = Fraction(0), Fraction(0)
        for j in range(b.lo, b.hi + 1):
            p, x = partial_tail(a, n - c * j)
            p_total += p
            x_total += x + c * j * p
        return p_total / b.n, x_total / b.n
    if isinstance(a, Lattice) and isinstance(b, Lattice):
        p_total, x_total = Fraction(0), Fraction(0)
        for i in range(a.lo, a.hi + 1):
            p, x = partial_tail(b, (n - i) / c)
            p_total += p
            x_total += i * p + c * x
        return p_total / a.n, x_total / a.n
    if isinstance(a, Lattice):
        assert isinstance(b, Continuous)
        return _lattice_over_continuous(a, b, c, n)
    assert isinstance(a, Continuous) and isinstance(b, Continuous)
    return _continuous_pair(a, b, c, n)


def _lattice_over_continuous(
    a: Lattice, b: Continuous, c: Fraction, n: Fraction
) -> tuple[Fraction, Fraction]:
    """A discrete uniform plus c·B, B continuous: Σ_i tail_B((n − i)/c) in closed form.

    As a function of i, u = (n − i)/c falls in B's segments on integer ranges of i; on
    each range the tail is a polynomial in i, summed with Faulhaber's formulas."""
    breaks = b.breaks
    lo_b = breaks[0]
    total_p, total_x = Fraction(0), Fraction(0)

    def add_range(first: int, last: int, p_poly: Poly, x_poly: Poly) -> None:
        nonlocal total_p, total_x
        first, last = max(first, a.lo), min(last, a.hi)
        if first > last:
            return
        # u(i) = n/c − i/c; P part: p(u(i)); X part: i·p(u(i)) + c·x(u(i)).
        pu = p_linear(p_poly, n / c, -1 / c)
        xu = p_linear(x_poly, n / c, -1 / c)
        total_p += lattice_sum(pu, first, last)
        total_x += lattice_sum(
            p_add(p_mul(pu, (Fraction(0), Fraction(1))), p_scale(xu, c)), first, last
        )

    # u <= lo_b  <=>  i >= n − c·lo_b: the whole of B lies above u.
    whole_p, whole_x = partial_tail(b, None)
    add_range(math.ceil(n - c * lo_b), a.hi, (whole_p,), (whole_x,))
    for left, right, p_poly, x_poly in _tail_segments(b):
        # left < u <= right  <=>  n − c·right <= i < n − c·left
        first = math.ceil(n - c * right)
        last = math.ceil(n - c * left) - 1
        # Keep the boundary points on exactly one side (u == right belongs here).
        add_range(first, last, p_poly, x_poly)
    # u > hi_b (i < n − c·hi_b) contributes nothing.
    return total_p / a.n, total_x / a.n


def _continuous_pair(
    a: Continuous, b: Continuous, c: Fraction, n: Fraction
) -> tuple[Fraction, Fraction]:
    """∫ f_B(y) · tail_A(n − c·y) dy and the matching partial expectation, piece by piece."""
    a_breaks = a.breaks
    a_lo = a_breaks[0]
    whole_p, whole_x = partial_tail(a, None)
    segments = _tail_segments(a)
    # Breakpoints in y: B's pieces and where n − c·y crosses one of A's breaks.
    cuts = sorted({*b.breaks, *((n - x) / c for x in a_breaks)})
    total_p, total_x = Fraction(0), Fraction(0)
    for lo, hi, density in b.pieces:
        inner = [lo, *(y for y in cuts if lo < y < hi), hi]
        for y0, y1 in pairwise(inner):
            mid_m = n - c * (y0 + y1) / 2  # A's argument in the middle of [y0, y1]
            if mid_m <= a_lo:
                p_poly: Poly = (whole_p,)
                x_poly: Poly = (whole_x,)
            else:
                seg = next((s for s in segments if s[0] <= mid_m < s[1]), None)
                if seg is None:
                    continue  # above A's support: no mass
                p_poly, x_poly = seg[2], seg[3]
            pu = p_linear(p_poly, n, -c)  # tail_A(n − c·y)
            xu = p_linear(x_poly, n, -c)
            dp = p_integral(p_mul(density, pu))
            dx = p_integral(
                p_mul(density, p_add(xu, p_scale(p_mul(pu, (Fraction(0), Fraction(1))), c)))
            )
            total_p += p_eval(dp, y1) - p_eval(dp, y0)
            total_x += p_eval(dx, y1) - p_eval(dx, y0)
    return total_p, total_x


# -- calls ----------------------------------------------------------------------------------
def calls_survival(calls: Decimal | Distribution) -> list[Fraction] | None:
    """[P(C ≥ 1), P(C ≥ 2), ...], or None for a continuous count (no call index exists)."""
    if isinstance(calls, Distribution):
        d = dist_of(calls)
        if isinstance(d, Continuous):
            return None
        if isinstance(d, Points):
            calls = Decimal(d.masses[0][0].numerator) / Decimal(d.masses[0][0].denominator)
        else:
            return [
                Fraction(1) if k <= d.lo else Fraction(d.hi - k + 1, d.n)
                for k in range(1, d.hi + 1)
            ]
    value = Fraction(calls)
    whole = math.floor(value)
    out = [Fraction(1)] * whole
    if value != whole:  # a fractional count: floor or ceil, keeping its mean (SPEC §15)
        out.append(value - whole)
    return out


@dataclass(frozen=True)
class TierRates:
    """Per-token rates of one tier: ``above`` None for the base prices."""

    above: Fraction | None
    input_rate: Fraction  # blended over uncached, cached and cache-write shares
    output_rate: Fraction


def expected_cost(
    calls: Decimal | Distribution,
    input_tokens: Decimal | Distribution,
    growth: Decimal | Distribution,
    mean_output: Fraction,
    tiers: Sequence[TierRates],
) -> Fraction:
    """E[Σ over the calls of one run of (input cost + output cost)], exactly.

    ``tiers`` starts with the base rates (above None), then ascending thresholds."""
    a, b = dist_of(input_tokens), dist_of(growth)
    survival = calls_survival(calls)
    if survival is None:
        # A continuous count has no k-th call; with no context growth every call has the
        # same input distribution, so the count only scales it (growth is rejected earlier).
        per_call = _call_cost(a, b, Fraction(0), mean_output, tiers)
        return mean(dist_of(calls)) * per_call
    total = Fraction(0)
    for k, weight in enumerate(survival, start=1):
        if weight:
            total += weight * _call_cost(a, b, Fraction(k - 1), mean_output, tiers)
    return total


def _call_cost(
    a: Dist, b: Dist, c: Fraction, mean_output: Fraction, tiers: Sequence[TierRates]
) -> Fraction:
    # Above each threshold: (P, E[X·1]); the base "threshold" is −∞.
    tails = [(Fraction(1), mean(a) + c * mean(b))]
    tails += [_shifted_tail(a, b, c, t.above) for t in tiers[1:] if t.above is not None]
    tails.append((Fraction(0), Fraction(0)))
    total = Fraction(0)
    for i, tier in enumerate(tiers):
        p = tails[i][0] - tails[i + 1][0]
        x = tails[i][1] - tails[i + 1][1]
        total += tier.input_rate * x + tier.output_rate * mean_output * p
    return total


def share_above(
    calls: Decimal | Distribution,
    input_tokens: Decimal | Distribution,
    growth: Decimal | Distribution,
    threshold: Fraction,
) -> Fraction:
    """The expected share of a run's calls whose input exceeds ``threshold``:
    Σ_k P(C ≥ k)·P(X_k > N) / E[C] (0 when no call is expected)."""
    a, b = dist_of(input_tokens), dist_of(growth)
    survival = calls_survival(calls)
    if survival is None:
        return _shifted_tail(a, b, Fraction(0), threshold)[0]
    expected = sum(survival, Fraction(0))
    if expected == 0:
        return Fraction(0)
    above = sum(
        (w * _shifted_tail(a, b, Fraction(k - 1), threshold)[0] for k, w in enumerate(survival, 1)),
        Fraction(0),
    )
    return above / expected
