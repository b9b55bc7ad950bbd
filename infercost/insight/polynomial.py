"""Polynomials in named scale factors, with exact Decimal coefficients.

The expected cost of one unit is a polynomial in its inputs (SPEC §3). Writing every
input x as λ_x·x, with λ_x = 1 at the configuration as it is, makes the cost a
polynomial in the λs whose value at all-ones is the cost itself. Then

- the elasticity d ln(cost)/d ln(x) is Σ coef·(power of λ_x) / Σ coef, exactly;
- the cost when one input moves by a factor t is the polynomial in λ_x alone at t;
- the value of an input at which the cost reaches a bound is a root of that one-variable
  polynomial (degree 2 at most today: calls enter through E[C²]).

Nothing here knows what the inputs are: a new price term (a per-call fee, a tier) is
one more monomial with its own named factor, and every driver, tornado and headroom
figure follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from infercost.arithmetic import ONE, ZERO, exact

Monomial = tuple[tuple[str, int], ...]  # sorted (name, power) pairs, powers > 0


def _merge(a: Monomial, b: Monomial) -> Monomial:
    powers = dict(a)
    for name, power in b:
        powers[name] = powers.get(name, 0) + power
    return tuple(sorted(powers.items()))


@dataclass(frozen=True)
class Polynomial:
    terms: Mapping[Monomial, Decimal] = field(default_factory=dict)

    @classmethod
    def constant(cls, value: Decimal) -> Polynomial:
        return cls({(): value} if value else {})

    @classmethod
    def variable(cls, name: str, value: Decimal = ONE) -> Polynomial:
        """``value·λ_name``: an input as it is, scaled by its factor."""
        return cls({((name, 1),): value} if value else {})

    # Arithmetic runs under the caller's context: the builders enter the engine's
    # ``exact()`` once, rather than once per operation.

    def __add__(self, other: Polynomial) -> Polynomial:
        out = dict(self.terms)
        for mono, coef in other.terms.items():
            total = out.get(mono, ZERO) + coef
            if total:
                out[mono] = total
            else:
                out.pop(mono, None)
        return Polynomial(out)

    def __sub__(self, other: Polynomial) -> Polynomial:
        return self + other.scale(-ONE)

    def __mul__(self, other: Polynomial) -> Polynomial:
        out: dict[Monomial, Decimal] = {}
        for ma, ca in self.terms.items():
            for mb, cb in other.terms.items():
                mono = _merge(ma, mb) if ma and mb else (ma or mb)
                out[mono] = out.get(mono, ZERO) + ca * cb
        return Polynomial({m: c for m, c in out.items() if c})

    def scale(self, factor: Decimal) -> Polynomial:
        out = {m: c * factor for m, c in self.terms.items()}
        return Polynomial({m: c for m, c in out.items() if c})

    @property
    def variables(self) -> set[str]:
        return {name for mono in self.terms for name, _ in mono}

    def value(self, at: Mapping[str, Decimal] | None = None) -> Decimal:
        """The value with the given factors (every other factor at 1)."""
        at = at or {}
        with exact():
            total = ZERO
            for mono, coef in self.terms.items():
                term = coef
                for name, power in mono:
                    if name in at:
                        term *= at[name] ** power
                total += term
            return total

    def slope(self, name: str) -> Decimal:
        """d/dλ_name at all-ones: Σ coef·power over the monomials holding λ_name."""
        return self.slopes().get(name, ZERO)

    def slopes(self) -> dict[str, Decimal]:
        """Every factor's slope at all-ones, in one pass over the terms."""
        out: dict[str, Decimal] = {}
        with exact():
            for mono, coef in self.terms.items():
                for name, power in mono:
                    out[name] = out.get(name, ZERO) + (coef * power if power != 1 else coef)
        return out

    def univariate(self, name: str) -> tuple[Decimal, ...]:
        """Coefficients (c0, c1, c2, ...) of the polynomial in λ_name, the others at 1."""
        with exact():
            coefs: dict[int, Decimal] = {}
            for mono, coef in self.terms.items():
                power = dict(mono).get(name, 0)
                coefs[power] = coefs.get(power, ZERO) + coef
            degree = max(coefs, default=0)
            return tuple(coefs.get(i, ZERO) for i in range(degree + 1))


def total(polys: Iterable[Polynomial]) -> Polynomial:
    out = Polynomial()
    for p in polys:
        out = out + p
    return out


def evaluate(coefs: tuple[Decimal, ...], t: Decimal) -> Decimal:
    with exact():
        out = ZERO
        for c in reversed(coefs):
            out = out * t + c
        return out
