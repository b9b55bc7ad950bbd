"""Human formatting of exact figures: money, percentages, counts, and colour.

Only views call these; the engine and JSON keep the exact Decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: Decimal | None, currency: str = "USD", *, signed: bool = False) -> str:
    """$1,234.57 for amounts, more digits for sub-cent unit costs ($0.000125)."""
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    amount = abs(value)
    if amount == 0 or amount >= Decimal("0.995"):
        text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    else:
        # Four significant digits, so a $0.000004 embedding step does not print as $0.00.
        exponent = amount.adjusted() - 3
        rounded = amount.quantize(Decimal(1).scaleb(min(exponent, -2)), rounding=ROUND_HALF_UP)
        text = format(rounded, "f").rstrip("0")
        if len(text.partition(".")[2]) < 2:
            text = format(rounded.quantize(Decimal("0.01")), "f")
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(ratio: Decimal | None, *, signed: bool = False, digits: int = 1) -> str:
    """A ratio (0.638) as a percentage (63.8%)."""
    if ratio is None:
        return "n/a"
    return pct(ratio * 100, signed=signed, digits=digits)


def pct(value: Decimal | None, *, signed: bool = False, digits: int = 1) -> str:
    """A value already in percent (12.5) as 12.5%."""
    if value is None:
        return "n/a"
    q = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    sign = "+" if signed and q > 0 else ""
    return f"{sign}{q}%"


def points(value: Decimal | None) -> str:
    """A margin change in percentage points: -33.4 pts."""
    if value is None:
        return "n/a"
    q = (value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{'+' if q > 0 else ''}{q} pts"


def count(value: Decimal | int) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none: colour only on a terminal and never with NO_COLOR."""

    color: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)
