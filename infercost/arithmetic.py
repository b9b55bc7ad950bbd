"""Exact money: one Decimal context for the whole engine and one way to print numbers.

Binary floats never enter the engine; literals are read from their source text and keep
every digit they are written with. Divisions that do not terminate are rounded half-even
at 28 significant digits (SPEC §10).

Expressions (the HCL evaluator) compute in :data:`EXPRESSION`: sums, differences,
products and remainders are exact up to :data:`DIGIT_LIMIT` significant digits, and a
quotient is exact when it terminates within them. A quotient that does not terminate is
rounded at 28 digits as above and comes back as :class:`Rounded`, so a check that needs
an exact value (parts that add up to exactly 1) can tell it from one that is exact.

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

#: The most significant digits an exact result of an expression may have: enough for the
#: sum of any two numbers in range (1e999 + 1e-999 has 1,999), and a bound on chains of
#: products (``a1 = a0 * a0``, ``a2 = a1 * a1``, ...) whose digits double at each step.
DIGIT_LIMIT = 2000
#: The evaluator's context. Inexact is trapped: a result that would need more than
#: DIGIT_LIMIT digits is an error, never silently rounded; Subnormal too, since a result
#: below 1e-999 in size (and not 0) lies outside the range literals are held to.
EXPRESSION = CONTEXT.copy()
EXPRESSION.prec = DIGIT_LIMIT
for _trap in (decimal.Subnormal, decimal.Inexact):
    EXPRESSION.traps[_trap] = True
# Non-terminating quotients: CONTEXT's 28 digits, with a result below the range trapped.
_ROUNDING = CONTEXT.copy()
_ROUNDING.traps[decimal.Subnormal] = True


class Rounded(Decimal):
    """A number that is not exact: the rounded quotient of a division that does not
    terminate (``1 / 7``), or any result computed from one. It is a Decimal in every
    other respect; only checks that need exactness look for it."""

    __slots__ = ()


def marked(result: Decimal, *operands: Decimal) -> Decimal:
    """``result`` as :class:`Rounded` when any operand it was computed from is."""
    return Rounded(result) if any(type(x) is Rounded for x in operands) else result


def quotient(a: Decimal, b: Decimal) -> Decimal:
    """``a / b`` exactly when it terminates within DIGIT_LIMIT digits, else rounded at 28
    significant digits as :class:`Rounded`. ``b`` is not zero."""
    try:
        return EXPRESSION.divide(a, b)
    except (decimal.Overflow, decimal.Subnormal):  # out of range (maybe inexact too)
        raise
    except decimal.Inexact:
        return Rounded(_ROUNDING.divide(a, b))


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
    if any(issubclass(s, decimal.Subnormal) for s in signals):
        return "The result is too small (below 1e-999 in size, and not 0)."
    if any(issubclass(s, decimal.DivisionImpossible) for s in signals):
        return (
            f"The result cannot be computed exactly at {PRECISION} significant digits "
            "(the quotient of % or an integer division has too many digits)."
        )
    if any(issubclass(s, decimal.Inexact) for s in signals):  # only EXPRESSION traps it
        return f"The exact result would need more than {DIGIT_LIMIT:,} significant digits."
    return f"The operation has no exact result at {PRECISION} significant digits."


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()
