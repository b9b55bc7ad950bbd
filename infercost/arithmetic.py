"""Exact money: one Decimal context for the whole engine and one way to print numbers.

Binary floats never enter the engine; literals are read from their source text. Divisions
that do not terminate are rounded half-even at 28 significant digits (SPEC §10).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

PRECISION = 28
CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
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
    text = format(value.normalize(CONTEXT), "f")
    return text


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()
