"""The one way a number is shown to a person: money, percent, points, counts (SPEC §15).

Every human output (terminal text, Markdown, JUnit and GitHub bodies) and every message
the guardrails write draws its figures from here, so one run never shows ``+$0.125`` in
one place and ``+0.12`` in another. Rounding is half away from zero (what a reader does
by hand; half-even is for the engine's arithmetic, never for money on screen): money to
the cent, or to four significant digits below a cent-ish amount so a cost per unit of
$0.000125 does not print as $0.00; percentages with one decimal; margin moves in
percentage points with one decimal. JSON keeps the exact values and never comes here.

Pure functions without I/O: the core (guardrail messages) may use them as well as views.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
ROUNDING = ROUND_HALF_UP  # half away from zero, for Decimal
NA = "n/a"

_CENT = Decimal("0.01")
_MONEY = {"cogs", "revenue", "cost_per_unit", "price", "revenue_per_unit", "sub_revenue"}
_RATIO = {"margin", "target_margin", "share", "cached_share", "retry_rate", "cache_hit_rate"}


def _context(value: Decimal) -> decimal.Context:
    """Enough digits to quantize any finite value without InvalidOperation."""
    digits = max(28, value.adjusted() + 12) if value.is_finite() and value else 28
    context = _CONTEXTS.get(digits)
    if context is None:
        # Made once per precision: a check formats tens of thousands of figures. Only
        # its precision and rounding are read (its flags are never looked at).
        context = _CONTEXTS[digits] = decimal.Context(prec=digits, rounding=ROUNDING)
    return context


_CONTEXTS: dict[int, decimal.Context] = {}


def _round(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUNDING, context=_context(value))


def money(value: Decimal | None, currency: str = "USD", *, signed: bool = False) -> str:
    """$1,234.57 for amounts, more digits for sub-cent unit costs ($0.000125)."""
    if value is None:
        return NA
    if not value.is_finite():
        return "∞" if value > 0 else "-∞"
    amount = abs(value)
    cents = _round(amount, -2)
    if amount == 0 or cents >= 1:
        rounded = cents
        text = f"{rounded:,}"
    else:
        # Four significant digits, so a $0.000004 embedding step does not print as $0.00.
        rounded = _round(amount, min(amount.adjusted() - 3, -2))
        text = format(rounded, "f").rstrip("0")
        if len(text.partition(".")[2]) < 2:
            text = format(_round(rounded, -2), "f")
    sign = "-" if value < 0 and rounded else ("+" if signed and value > 0 and rounded else "")
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def pct(value: Decimal | None, *, signed: bool = False, digits: int = 1) -> str:
    """A value already in percent (12.5) as 12.5%: one decimal unless ``digits`` asks
    for more (calibrate's what-if residual, within a tenth of a percent)."""
    if value is None:
        return NA
    if not value.is_finite():
        return "∞%" if value > 0 else "-∞%"
    q = _round(value, -digits)
    if q == 0:
        q = abs(q)  # never "-0.0%"
    sign = "+" if signed and q > 0 else ""
    return f"{sign}{q:,}%"


def percent(ratio: Decimal | None, *, signed: bool = False) -> str:
    """A ratio (0.638) as a percentage (63.8%)."""
    if ratio is None:
        return NA
    return pct(ratio * 100 if ratio.is_finite() else ratio, signed=signed)


def points(ratio: Decimal | None) -> str:
    """A move of a margin (a ratio difference, -0.334) in percentage points: -33.4 pts."""
    if ratio is None:
        return NA
    if not ratio.is_finite():
        return "∞ pts"
    q = _round(ratio * 100, -1)
    if q == 0:
        q = abs(q)
    return f"{'+' if q > 0 else ''}{q:,} pts"


def count(value: Decimal | int) -> str:
    """Units and customers: whole numbers with separators, else two decimals; a value
    that two decimals would show as 0.00 (a thousandth of a unit) shows two significant
    digits instead, since a count that is not zero must not read as zero."""
    value = Decimal(value)
    if not value.is_finite():
        return "∞"
    if value == value.to_integral_value():
        return f"{_round(value, 0):,}"
    if abs(value) < Decimal("0.005"):
        return significant(value, 2)
    return f"{_round(value, -2):,}"


def counted(n: int, noun: str) -> str:
    """``1 record``, ``1,500 records``: one place for the plural, core and views alike."""
    return f"{count(n)} {noun if n == 1 else noun + 's'}"


def number(value: Decimal) -> str:
    """A number without a known meaning: at most four decimals, no trailing zeros."""
    if not value.is_finite():
        return "∞" if value > 0 else "-∞"
    rounded = _round(value, -4) if value.adjusted() < 24 else value
    if rounded.is_zero():
        return "0"
    text = format(rounded.normalize(_context(rounded)), "f")
    return text


def significant(value: Decimal | None, digits: int = 4) -> str:
    """A figure to ``digits`` significant digits (half away from zero, whole numbers kept
    whole), plain notation without trailing zeros, thousands separated from 1,000: an
    input's value in explain (10,050 tokens, a 0.05674 share)."""
    if value is None:
        return NA
    if not value.is_finite():
        return "∞" if value > 0 else "-∞"
    if value.is_zero():
        return "0"
    q = _round(value, min(value.adjusted() - digits + 1, 0))
    if q.adjusted() > value.adjusted():  # 999.96 rounds to 1000.0: one digit too many
        q = _round(q, min(q.adjusted() - digits + 1, 0))
    shown = q.normalize(_context(q))
    return format(shown, ",f" if abs(shown) >= 1000 else "f")


def named(name: str, value: Any, currency: str) -> str:
    """A ``self`` value as a person reads it, by what its name says it is: margins and
    shares as percentages, money with its symbol, changes of margin in points."""
    from infercost.evaluate.values import display

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        return display(value)
    if name.endswith("_pct"):
        return pct(value, signed=True)
    if name == "margin_change":
        return points(value)
    if name in _RATIO or name.endswith(("_margin", "_share", "_rate")):
        return percent(value)
    if name.endswith(("_change", "_effect")) and name.rsplit("_", 1)[0] in _MONEY:
        return money(value, currency, signed=True)
    if name in _MONEY:
        return money(value, currency)
    return count(value)


def miss(amount: Decimal, kind: str, currency: str) -> str:
    """How far a target is missed, by what measures it (``kind``, a ``self`` attribute):
    a margin or share misses by points, a percent change by points too, money by money,
    anything else by a plain number. Never signed: a miss is a distance."""
    if kind.endswith("_pct"):
        return points(amount / 100 if amount.is_finite() else amount).removeprefix("+")
    shown = named(kind, amount, currency) if kind else number(amount)
    if shown.endswith("%"):  # a ratio: its miss is a move in points
        return points(amount).removeprefix("+")
    return shown.removeprefix("+")
