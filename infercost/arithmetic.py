"""Exact money: one Decimal context for the whole engine and one way to print numbers.

Binary floats never enter the engine; literals are read from their source text and keep
every digit they are written with. Divisions that do not terminate are rounded half-even
at 28 significant digits (SPEC §10).

The exponent range is bounded (|x| < 1e1000, SPEC §15): a larger figure is an overflow,
trapped and reported where it arose, never a number too long to print. Every trap is a
subclass of :class:`decimal.DecimalException`, which callers turn into located errors.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

PRECISION = 28
EXPONENT_LIMIT = 999
CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=EXPONENT_LIMIT,
    Emin=-EXPONENT_LIMIT,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# Only for printing exact values that carry more digits than the engine computes with.
_WIDE = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)

ZERO = Decimal(0)
ONE = Decimal(1)
MILLION = Decimal(1_000_000)


@contextmanager
def exact() -> Iterator[decimal.Context]:
    """Run a block of engine code under the engine's context, whatever the caller set."""
    with decimal.localcontext(CONTEXT) as ctx:
        yield ctx


def from_fraction(value: Fraction) -> Decimal:
    """A Fraction as a Decimal, exact when it terminates, else rounded at the precision."""
    with exact():
        return Decimal(value.numerator) / Decimal(value.denominator)


def plain(value: Decimal) -> str:
    """Plain notation without exponent or trailing zeros: 10.00 -> 10, 2.4E-6 -> 0.0000024."""
    if value.is_zero():
        return "0"
    # normalize() rounds to the context's precision and traps beyond its exponents: give
    # it room for every digit a value has (a literal may have more than 28).
    return format(value.normalize(_WIDE), "f")


def in_range(value: Decimal) -> bool:
    """Whether a number lies in the engine's exponent range (a literal may not)."""
    if not value.is_finite():
        return False
    return value.is_zero() or -EXPONENT_LIMIT <= value.adjusted() <= EXPONENT_LIMIT


def arithmetic_problem(exc: decimal.DecimalException) -> str:
    """Words for a trapped Decimal signal, as a user should read them."""
    if isinstance(exc, decimal.Overflow):
        return "The result is too large (beyond 1e999)."
    if isinstance(exc, decimal.DivisionByZero):
        return "Division by zero."
    signals = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [type(exc)]
    if any(issubclass(s, decimal.DivisionImpossible) for s in signals):
        return (
            f"The result cannot be computed exactly at {PRECISION} significant digits "
            "(the quotient of % or an integer division has too many digits)."
        )
    return f"The operation has no exact result at {PRECISION} significant digits."


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()
