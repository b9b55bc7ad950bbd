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
fraction of the draws. Steps whose per-call sizes are constants are summed in closed form
per run (C·v + a·g·C(C−1)/2) instead of call by call; the law is the same.

How it stays fast (the bench's 200 features at 100,000 units each draw about 150 million
sizes): every step is one numpy pass per kind of draw over all its runs; per-call sizes
are drawn raw, as whole numbers, and summed per run in integers before the rates and the
affine map are applied (:class:`_Calls`). A small range of whole numbers takes an 8- or
16-bit lane of the generator's 64-bit output per draw (exact multiply-shift with rejection,
:func:`_bounded`); a continuous uniform is (A + ½)·2⁻³² for a 32-bit A, two per output: the
continuous law to within 2⁻³³ in every draw, with its exact mean, far below the 6 digits
shown; a triangular is a fixed linear mix of min(A, B), A and B (:func:`_triangular`), so
its sum over calls is three integer sums; Poisson counts of small mean by inverting the CDF;
units that were cache hits are set aside once; P50/P90/P95 are selected inside brackets
found from a sample, not by sorting. Money stays exact elsewhere: only these spreads are
floats, rounded to 6 significant digits.

COGS over a period is a sum of many independent units; it is not drawn unit by unit but
taken as normal with the exact mean and variance of the unit cost (computed here from the
moments, see :func:`unit_moments`) — every output says so. Percentiles use the inverted
CDF, the smallest x with P(X ≤ x) ≥ p: unit costs have point masses (cache hits, steps
that did not run) where other definitions would interpolate between two atoms.

numpy does the drawing (vectorized; pure Python would need minutes for what the bench
asks). Every feature gets its own stream, seeded from the run's seed and the feature's
name, so a feature's percentiles do not move when another feature changes. The bit
generator is SFC64 (a fifth cheaper per double than numpy's default PCG64); a given
seed reproduces the same figures only with the same generator and order of draws, so a
change to either moves every simulated figure (the goldens), never the law: the tests
check the law against closed forms. A constant part of a step's cost (all of it for a
step without draws) is one number per unit array, not a pass over the units; a rounded
continuous ``calls`` is drawn from its exact table (:func:`rounded_pmf`) with one uniform.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

import numpy as np

from infercost.arithmetic import ZERO, exact, from_fraction
from infercost.cost.gpu import token_rates
from infercost.evaluate.values import Distribution, mean_of
from infercost.insight.moments import call_moments, moments, rounded_pmf
from infercost.insight.sampling import DIGITS, Settings, significant
from infercost.model import Feature, GpuPrice, MeterPrice, ModelPrice, Stack, Step

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
    parts, shift = _standard(rng, value, n)
    if not parts:
        return shift
    (weight, raw), *rest = parts
    drawn: np.ndarray = raw * weight if weight != 1 else raw.astype(np.float64)
    for weight, raw in rest:
        drawn += raw * weight
    if shift:
        drawn += shift
    return drawn


#: n draws of a size as (parts, shift): each draw is shift + Σ weight·raw over the parts,
#: raw arrays of whole numbers (or of floats, for empirical sizes) laid out call by call.
Drawn = tuple[list[tuple[float, np.ndarray]], float]


def _standard(rng: np.random.Generator, value: Decimal | Distribution, n: int) -> Drawn:
    """n draws of a size as whole-number parts and a shift (:data:`Drawn`); no parts for
    a constant. Sums over calls are linear: they sum each raw part per run in integers
    and apply the weights once per run (C·shift + Σ weight·Σ raw) instead of once per
    call."""
    if not isinstance(value, Distribution):
        return [], float(value)
    if value.lower == value.upper:
        return [], float(value.lower)
    if value.kind == "empirical":
        return [(1.0, _draw_empirical(rng, value, n))], 0.0
    if value.kind == "between":
        first, last = value.params
        if value.discrete:
            return [(1.0, _bounded(rng, int(last) - int(first) + 1, n))], float(first)
        span = float(last) - float(first)  # U = (A + ½)·2⁻³², A a 32-bit whole number
        return [(span * GRID, _grid(rng, n))], float(first) + span * GRID / 2
    lo, mode, hi = (float(p) for p in value.params)
    span = hi - lo
    return _triangular(rng, (mode - lo) / span, n, span * GRID), lo + span * GRID / 2


NOTHING: Drawn = ([], 0.0)

#: The spacing of the uniforms drawn for continuous sizes: 2⁻³².
GRID = 2.0**-32

#: Ranges of whole numbers up to this size are drawn in 8-bit lanes, up to LANES16 in
#: 16-bit lanes, several from one 64-bit output of the generator (:func:`_bounded`).
LANES8 = 16
LANES16 = 1 << 12


def _bounded(rng: np.random.Generator, r: int, n: int) -> np.ndarray:
    """n whole numbers uniform on 0..r−1, exactly.

    A small range takes a w-bit lane (w = 8 or 16) of the generator's 64-bit outputs per
    draw: 8 or 4 draws from one output, where numpy's bounded sampler spends 32 bits and a
    call per element. Lemire's multiply-shift ("Fast random integer generation in an
    interval", 2019): with X uniform on 0..2^w − 1, write X·r = H·2^w + L; H is the draw,
    and the X whose low part L is below t = 2^w mod r are rejected and drawn again. Each
    H in 0..r−1 is then the image of exactly ⌊2^w / r⌋ accepted lanes, so the draws are
    exactly uniform; a lane is rejected with probability t/2^w < r/2^w (at most 1/16 with
    the bounds above, 0 when r is a power of two). Larger ranges use numpy's sampler.
    """
    if r > LANES16:
        big = r > 2**31 - 1
        drawn: np.ndarray = rng.integers(0, r, size=n, dtype=np.int64 if big else np.int32)
        return drawn
    w, narrow, wide = (8, np.uint8, np.uint16) if r <= LANES8 else (16, np.uint16, np.uint32)
    high, low = _lanes(rng, w, narrow, wide, r, n)
    t = (1 << w) % r
    if t:
        bad = np.flatnonzero(low < t)
        while bad.size:
            again, again_low = _lanes(rng, w, narrow, wide, r, bad.size)
            kept = again_low >= t
            high[bad[kept]] = again[kept]
            bad = bad[~kept]
    return high


_LITTLE = sys.byteorder == "little"


def _lanes(
    rng: np.random.Generator,
    w: int,
    narrow: type[np.unsignedinteger],
    wide: type[np.unsignedinteger],
    r: int,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(H, L) of X·r for n w-bit lanes X of the generator's outputs: the high and low
    halves of the 2w-bit products, as views (no shift or mask pass)."""
    lanes = 64 // w
    x = rng.bit_generator.random_raw(-(-n // lanes)).view(narrow)[:n]
    halves = np.multiply(x, r, dtype=wide).view(narrow)
    if _LITTLE:
        return halves[1::2], halves[0::2]
    return halves[0::2], halves[1::2]  # pragma: no cover - big-endian machines


def _grid(rng: np.random.Generator, n: int) -> np.ndarray:
    """n whole numbers uniform on 0..2³² − 1: two from each 64-bit output."""
    drawn: np.ndarray = rng.bit_generator.random_raw(-(-n // 2)).view(np.uint32)[:n]
    return drawn


def _triangular(
    rng: np.random.Generator, c: float, n: int, weight: float
) -> list[tuple[float, np.ndarray]]:
    """n draws of the triangular law on [0, 1] with mode c, scaled by ``weight``·2³², as
    whole-number parts (the shift ½·2⁻³² per draw is the caller's).

    T = (1 − c)·min(U, V) + c·max(U, V) for independent uniforms U, V (Stein and Keblis,
    "A new method to simulate the triangular distribution", 2009): the same law as
    inverting the CDF, without square roots or branches. With max = U + V − min, that is
    (1 − 2c)·min + c·(U + V); with U = (A + ½)·2⁻³² and V = (B + ½)·2⁻³² (A, B uniform
    32-bit whole numbers), min(U, V) = (min(A, B) + ½)·2⁻³², so
    T = 2⁻³²·((1 − 2c)·min(A, B) + c·A + c·B + ½): three whole-number parts that sum
    over calls exactly; at c = ½ the minimum drops out.
    """
    ab = _grid(rng, 2 * n)
    a, b = ab[:n], ab[n:]
    if c == 0:  # the mode at the lower end: min(U, V)
        return [(weight, np.minimum(a, b))]
    if c == 1:
        return [(weight, np.maximum(a, b))]
    parts = [(c * weight, a), (c * weight, b)]
    if c != 0.5:
        parts.append(((1 - 2 * c) * weight, np.minimum(a, b)))
    return parts


def _draw_empirical(rng: np.random.Generator, value: Distribution, n: int) -> np.ndarray:
    values = np.array([float(v) for v in value.params])
    weights = np.array([float(w) for w in value.weights])
    drawn: np.ndarray = rng.choice(values, size=n, p=weights / weights.sum())
    return drawn


def _draw_calls(
    rng: np.random.Generator, value: Decimal | Distribution, n: int
) -> np.ndarray | int:
    """Whole numbers of calls; fractional draws rounded at random keeping their mean. A
    whole constant is returned as itself: its runs' costs are closed forms, not arrays."""
    if isinstance(value, Distribution) and value.lower == value.upper:
        value = value.lower  # between(k, k) is the constant k: nothing to draw
    if isinstance(value, Distribution) and value.discrete:
        lo, hi = (int(p) for p in value.params)
        wide = hi > 2**31 - 1 or lo < -(2**31)
        counts: np.ndarray = _bounded(rng, hi - lo + 1, n).astype(np.int64 if wide else np.int32)
        counts += lo
        return counts
    if isinstance(value, Distribution) and value.kind != "empirical":
        first, cdf = _rounded_cdf(value)  # the rounded count's own law, one uniform a run
        u = rng.random(n)
        if cdf.size > SEARCHED:
            drawn: np.ndarray = np.searchsorted(cdf, u, side="right")
            drawn += first
            return drawn
        # C = f0 + #{k: u ≥ CDF(f0 + k)}: a few compares (at most SEARCHED), no search,
        # counted in bytes
        counted = np.zeros(n, dtype=np.uint8)
        above = np.empty(n, dtype=np.bool_)
        for step in cdf[:-1]:
            np.greater_equal(u, step, out=above)
            counted += above.view(np.uint8)
        drawn = counted.astype(np.int32 if abs(first) < 2**30 else np.int64)
        drawn += first
        return drawn
    x = _draw(rng, value, n)
    if isinstance(x, float):
        whole = math.floor(x)
        frac = x - whole
        if frac == 0:
            return whole
        return whole + (rng.random(n) < frac).astype(np.int64)
    floor = np.floor(x)
    calls: np.ndarray = (floor + (rng.random(n) < (x - floor))).astype(np.int64)
    return calls


#: Counts a rounded continuous ``calls`` can take beyond which C is found by binary search
#: (numpy's searchsorted costs about as much per draw as twenty compare-and-add passes).
SEARCHED = 20


@functools.lru_cache(maxsize=1024)
def _rounded_cdf(value: Distribution) -> tuple[int, np.ndarray]:
    """(f0, CDF) of a continuous ``calls`` rounded at random (:func:`rounded_pmf`), the
    last entry raised to +inf so every uniform finds a count despite float rounding."""
    first, masses = rounded_pmf(value)
    cdf = np.cumsum([float(m) for m in masses])
    cdf[-1] = math.inf
    return first, cdf


def call_rates(step: Step, multiplier: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(cost per input token or meter quantity, cost per output token, fixed cost per
    call) of one call, at ``multiplier`` (region, sheet discount and exchange rate
    together): the step's processing prices, cached reads and cache writes blended as
    shares of the input, and the item's per-call fee."""
    item = step.item
    if isinstance(item, MeterPrice):
        return multiplier * item.price / item.per, ZERO, ZERO
    if isinstance(item, GpuPrice):  # GPU time written per token (SPEC §18)
        per_in_gpu, per_out_gpu = token_rates(item, step.cached_share)
        return multiplier * per_in_gpu, multiplier * per_out_gpu, ZERO
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


def _simulate_runs(
    rng: np.random.Generator, step: Step, rates: tuple[float, float, float], n: int
) -> tuple[np.ndarray | None, float]:
    """The cost of n independent runs of one step (share and cache already decided), as
    (the part that varies from run to run or None, a constant every run adds).

    Per run: a·ΣI_k + b·ΣO_k + fee·C + a·g·C(C−1)/2, plus the retries. Constant sizes
    are summed in closed form; drawn sizes are summed per run by :class:`_Calls` (raw
    sizes first, the rates applied once per run, not once per call). What is the same
    for every run (all of it for a step without draws) stays one number: the caller adds
    it once per unit array instead of in a pass per step.
    """
    a, b, fee = rates
    size_in, size_out, growth_value = _sizes(step)
    calls = _draw_calls(rng, step.calls, n)
    layout = None
    if (a and isinstance(size_in, Distribution)) or (b and isinstance(size_out, Distribution)):
        layout = _Calls(calls, n)
    total = layout.total if layout is not None else 0  # constants draw nothing
    x_in = _standard(rng, size_in, total) if a else NOTHING
    x_out = _standard(rng, size_out, total) if b else NOTHING
    # the part of every call's cost that is not drawn
    v = a * x_in[1] + b * x_out[1] + fee
    cost: np.ndarray | None = None
    constant = 0.0
    if isinstance(calls, int):
        constant = v * calls
    else:
        cost = v * calls
    if layout is not None:
        for rate, size, (parts, _) in ((a, size_in, x_in), (b, size_out, x_out)):
            for weight, raw in parts:
                summed = (rate * weight) * layout.sums(raw, _largest(size))
                cost = summed if cost is None else _plus(cost, summed)
    growth = _draw(rng, growth_value, n)
    has_growth = not (isinstance(growth, float) and growth == 0.0)
    if has_growth:
        if isinstance(calls, int):
            pairs: np.ndarray | float = calls * (calls - 1) / 2  # Σ (k − 1) over the calls
        else:
            fc = calls.astype(np.float64)  # C(C − 1) can overflow the draws' 32 bits
            pairs = fc * (fc - 1) / 2
        grown = a * growth * pairs
        if isinstance(grown, np.ndarray):
            cost = grown if cost is None else _plus(cost, grown)
        else:
            constant += grown
    rate = float(step.retry_rate)
    if rate > 0:
        rows, counts = _retries(rng, rate, calls, n)
        if rows.size and cost is None:
            cost = np.zeros(n)
        if rows.size and layout is None and not has_growth:
            assert cost is not None
            np.add.at(cost, rows, counts * v)
        elif rows.size:
            assert cost is not None
            owner = np.repeat(rows, counts)
            made = calls if isinstance(calls, int) else calls[owner]
            pick = (rng.random(owner.size) * made).astype(np.int64)  # k − 1, uniform
            extra: np.ndarray = np.full(owner.size, v)
            if layout is not None:
                at = layout.positions(owner, pick)
                for rate, (parts, _) in ((a, x_in), (b, x_out)):
                    for weight, raw in parts:
                        extra += (rate * weight) * raw[at]
            if has_growth:
                g = growth[owner] if isinstance(growth, np.ndarray) else growth
                extra += a * g * pick
            starts = np.cumsum(counts) - counts  # each retried run's retries, in a row
            np.add.at(cost, rows, np.add.reduceat(extra, starts))
    return cost, constant


def _largest(size: Decimal | Distribution) -> int | None:
    """The largest raw draw of a whole-number size, hi − lo (None for any other)."""
    if isinstance(size, Distribution) and size.discrete:
        return int(size.params[1]) - int(size.params[0])
    return None


def _plus(total: np.ndarray, more: np.ndarray) -> np.ndarray:
    total += more
    return total


class _Calls:
    """Where each call of n runs sits in one flat array of per-call draws, and sums per run.

    With L = min(C) over the runs, the first L·n draws are the first L calls of every run,
    call k of run i at k·n + i: an (L, n) matrix summed down its columns in one pass. The
    calls beyond L follow run by run; their sums per run are differences of one running
    sum taken at each run's end (no per-call run index to build). The draws are
    independent and identically distributed, so the order they are laid out in changes
    no law.
    """

    def __init__(self, calls: np.ndarray | int, n: int) -> None:
        self.n = n
        if isinstance(calls, int):  # every run makes the same calls: the matrix only
            self.low, self.beyond = calls, 0
            self.total = calls * n
            return
        self.low = low = int(calls.min()) if n else 0
        self.extra = calls - low
        self.end = np.cumsum(self.extra)  # where run i's calls beyond L end (exclusive)
        self.beyond = int(self.end[-1]) if n else 0
        self.total = low * n + self.beyond

    def sums(self, x: np.ndarray, largest: int | None = None) -> np.ndarray:
        """Σ over each run's calls of the per-call draws ``x``: exact for whole numbers,
        which are summed in 64-bit integers, or in 32 bits when every sum of the
        ``largest`` draw fits (less memory to pass over)."""
        n, low = self.n, self.low
        whole = x.dtype.kind in "iu"
        acc: type[np.generic] = np.int64 if whole else np.float64
        # every partial sum (a run's, and the running sum of the calls beyond L) is at
        # most (L + all calls beyond L)·largest
        narrow = largest is not None and (low + self.beyond) * largest < 2**31
        if narrow and whole and x.itemsize <= 4:
            acc = np.int32
        out: np.ndarray = (
            x[: low * n].reshape(low, n).sum(axis=0, dtype=acc) if low else np.zeros(n, acc)
        )
        if self.beyond:
            running = np.empty(self.beyond + 1, dtype=acc)
            running[0] = 0
            np.cumsum(x[low * n :], dtype=acc, out=running[1:])
            at_end = running[self.end]  # run i's calls beyond L start where run i−1's end
            out += at_end
            out[1:] -= at_end[:-1]
        return out

    def positions(self, owner: np.ndarray, pick: np.ndarray) -> np.ndarray:
        """Where call ``pick`` (from 0) of run ``owner`` sits in the flat draws."""
        n, low = self.n, self.low
        if not self.beyond:
            at: np.ndarray = pick * n + owner
            return at
        start = self.end - self.extra  # where run i's calls beyond L begin
        at = np.where(pick < low, pick * n + owner, low * n + start[owner] + (pick - low))
        return at


#: Largest mean drawn by inversion in :func:`_poisson`; larger ones use numpy's sampler.
INVERSION = 20.0


#: Counts of calls up to which P(no retry) is looked up in a table rather than computed.
TABLED = 256


def _retries(
    rng: np.random.Generator, rate: float, calls: np.ndarray | int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate·C) retries for each of n runs, as (the runs that have any, their
    counts): retry rates are small, so most runs have none and nothing is done for them.
    P(0) = e^(−rate·C) is one number when every run makes the same calls, and is looked
    up per count of calls when the counts are few (an exponential per run costs more
    than the uniform)."""
    if isinstance(calls, int):
        lam = rate * calls
        return _poisson_rows(rng, np.full(1, lam), np.exp(np.full(1, -lam)), n)
    top = int(calls.max()) if calls.size else 0
    lam_of = rate * calls.astype(np.float64)
    if top <= TABLED:
        return _poisson_rows(rng, lam_of, np.exp(-rate * np.arange(top + 1))[calls], n)
    return _poisson_rows(rng, lam_of, None, n)


def _poisson(rng: np.random.Generator, lam: np.ndarray, zero: np.ndarray | None) -> np.ndarray:
    """Poisson(λ) counts, one per entry (:func:`_poisson_rows`, written out in full)."""
    out = np.zeros(lam.size, dtype=np.int64)
    rows, counts = _poisson_rows(rng, lam, zero, lam.size)
    out[rows] = counts
    return out


def _poisson_rows(
    rng: np.random.Generator, lam: np.ndarray, zero: np.ndarray | None, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """n Poisson(λ) counts as (the entries that are not 0, their counts), by inverting
    the CDF with one uniform each; ``lam`` and ``zero`` (P(0) = e^(−λ)) hold one value
    per entry, or one value for all.

    Retry rates are small, so most counts are 0 and settle after one comparison; only the
    few larger ones walk up the CDF. Several times cheaper than numpy's per-entry sampler
    for small means; the same law (to the precision of doubles).
    """
    one = lam.size == 1 and n != 1
    top = float(lam.max()) if lam.size else 0.0
    if top > INVERSION:
        drawn: np.ndarray = rng.poisson(lam[0] if one else lam, size=n)
        rows = np.flatnonzero(drawn)
        return rows, drawn[rows]
    u = rng.random(n)
    p = np.exp(-lam) if zero is None else zero  # P(0), the first step of the CDF
    rows = np.flatnonzero(u >= (p[0] if one else p))
    u = u[rows]
    lam = np.full(rows.size, lam[0]) if one else lam[rows]
    p = np.full(rows.size, p[0]) if one else p[rows]
    counts = np.zeros(rows.size, dtype=np.int64)
    cdf = p.copy()
    going = np.arange(rows.size)
    k = 0
    while going.size:
        k += 1
        counts[going] = k
        p = p * lam / k
        cdf += p
        more = (u >= cdf) & (p > 0)
        going, u, lam, p, cdf = going[more], u[more], lam[more], p[more], cdf[more]
    return rows, counts


def simulate_units(stack: Stack, feature: Feature, samples: int, seed: int) -> np.ndarray:
    """The cost of ``samples`` independent units of the feature, as floats.

    Units that were not cache hits are gathered once: cacheable steps add into a compact
    array of those units (scattered back at the end), so each step draws and adds only
    over the units it can run on; a step with ``share`` < 1 picks its runs among them.
    """
    rng = np.random.Generator(np.random.SFC64(feature_seed(seed, feature.name)))
    workflow = stack.workflows[feature.workflow]
    out = np.zeros(samples)
    h = float(workflow.cache_hit_rate)
    served: np.ndarray | None = None  # the units that were not cache hits
    served_out = out
    if h > 0:
        served = np.flatnonzero(rng.random(samples) >= h)
        served_out = np.zeros(served.size)
    every = {id(out): 0.0, id(served_out): 0.0}  # what every unit of each array adds
    for step in workflow.steps:
        with exact():
            rates = call_rates(step, sheet_factor(stack, step, feature.region))
        a, b, fee = (float(x) for x in rates)
        into = served_out if step.cacheable else out
        share = float(step.share)
        if share >= 1:
            cost, constant = _simulate_runs(rng, step, (a, b, fee), into.size)
            every[id(into)] += constant
            if cost is not None:
                into += cost
            continue
        ran = rng.random(into.size) < share
        runs = int(np.count_nonzero(ran))
        if not runs:
            continue
        cost, constant = _simulate_runs(rng, step, (a, b, fee), runs)
        if cost is None:  # the same for every run: one masked pass, no index
            np.add(into, constant, out=into, where=ran)
            continue
        if constant:
            cost += constant
        np.add.at(into, np.flatnonzero(ran), cost)  # unbuffered: twice as fast as +=
    if served is not None:
        if every[id(served_out)]:
            served_out += every[id(served_out)]
        np.add.at(out, served, served_out)
    if every[id(out)]:
        out += every[id(out)]
    return out


def inverted_cdf(values: np.ndarray, levels: tuple[int, ...] = LEVELS) -> list[float]:
    """The smallest x with P(X ≤ x) ≥ p: order statistic number ceil(p·n), from 1."""
    n = values.size
    ranks = [max(-(-level * n // 100), 1) - 1 for level in levels]
    if n >= BRACKETED:
        found = _bracketed(values, sorted(set(ranks)))
        if found is not None:
            return [found[r] for r in ranks]
    part = np.partition(values, sorted(set(ranks)))
    return [float(part[r]) for r in ranks]


#: From this many values on, order statistics are selected inside brackets (below).
BRACKETED = 20_000


def _bracketed(values: np.ndarray, ranks: list[int]) -> dict[int, float] | None:
    """The order statistics at ``ranks`` (sorted), or None when a bracket missed.

    A sorted strided sample (the units are independent and identically distributed, so
    any stride is a random sample) gives, for each group of nearby ranks, two values
    that enclose it with overwhelming probability; one pass counts the values below the
    bracket and keeps those inside, and only those few are partitioned. The result is the
    exact order statistic either way: a bracket that does not enclose its ranks is
    detected and the caller partitions everything.
    """
    n = values.size
    sample = np.sort(values[:: max(n // 4096, 1)])
    m = sample.size
    groups: list[list[int]] = []
    for r in ranks:  # ranks within 10 % of n share a bracket (P90 and P95 do)
        if groups and r - groups[-1][0] <= n // 10:
            groups[-1].append(r)
        else:
            groups.append([r])
    found: dict[int, float] = {}
    for group in groups:
        first, last = group[0] / n, group[-1] / n
        # 4.5 standard deviations of the sample's rank, and two places more
        low = int(first * m) - math.ceil(4.5 * math.sqrt(m * first * (1 - first))) - 2
        high = int(last * m) + math.ceil(4.5 * math.sqrt(m * last * (1 - last))) + 2
        lower = sample[low] if low > 0 else -math.inf
        upper = sample[high] if high < m else math.inf
        keep = values >= lower
        below = n - int(np.count_nonzero(keep))
        keep &= values <= upper
        inside = values[keep]  # one extraction of the few inside, not of a half
        if not (below <= group[0] and group[-1] < below + inside.size):
            return None
        part = np.partition(inside, [r - below for r in group])
        for r in group:
            found[r] = float(part[r - below])
    return found


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


#: What a simulation depends on: (seed, samples, feature name, cache hit rate, and per
#: step its exact rates and every attribute drawn or decided), see :func:`shape_key`.
ShapeKey = tuple[object, ...]

#: A simulation's figures: the unit cost's P50/P90/P95, simulated mean and its error.
Simulated = tuple[list[Decimal], float, float]


def shape_key(stack: Stack, feature: Feature, settings: Settings) -> ShapeKey:
    """Everything :func:`simulate_units` reads, by value: equal keys draw the same units
    (the stream is seeded by the seed and the feature's name), so a feature unchanged
    between the two sides of a plan is simulated once."""
    workflow = stack.workflows[feature.workflow]
    steps = []
    for step in workflow.steps:
        with exact():
            rates = call_rates(step, sheet_factor(stack, step, feature.region))
        sizes = _sizes(step)
        steps.append((rates, step.calls, step.share, step.retry_rate, step.cacheable, sizes))
    return (
        settings.seed,
        settings.samples,
        feature.name,
        workflow.cache_hit_rate,
        tuple(steps),
    )


def percentiles(
    stack: Stack,
    feature: Feature,
    units: Decimal,
    settings: Settings,
    memo: dict[ShapeKey, Simulated] | None = None,
) -> Percentiles | None:
    """The spread of one feature, or None when simulating it would draw too many numbers.
    ``memo``: simulations already made for other stacks (the other side of a plan), by
    :func:`shape_key`."""
    if expected_draws(stack, feature, settings.samples) > MAX_DRAWS:
        return None
    if any(has_tiers(step) for step in stack.workflows[feature.workflow].steps):
        return None  # a cliff is priced exactly, call by call, but not simulated
    try:
        expected, variance = unit_moments(stack, feature)
    except ValueError:  # a continuous calls spanning too many whole numbers to integrate
        return None
    key = shape_key(stack, feature, settings) if memo is not None else None
    found = memo.get(key) if memo is not None and key is not None else None
    if found is None:
        found = _simulated(stack, feature, settings)
        if memo is not None and key is not None:
            memo[key] = found
    unit, sim_mean, sim_se = found
    with exact():
        sd = variance.sqrt() if variance > 0 else ZERO
        cogs = []
        for level in LEVELS:
            value = units * expected + _z(level) * sd * units.sqrt()
            cogs.append(significant(max(value, ZERO)))
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


def _simulated(stack: Stack, feature: Feature, settings: Settings) -> Simulated:
    draws = simulate_units(stack, feature, settings.samples, settings.seed)
    unit = [significant(x) for x in inverted_cdf(draws)]
    n = draws.size
    sim_mean = float(draws.mean())
    sim_se = float(draws.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return unit, sim_mean, sim_se
