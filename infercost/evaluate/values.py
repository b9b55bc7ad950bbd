"""The values an expression can produce besides numbers, strings, bools, lists and objects.

Numbers are always :class:`decimal.Decimal`. Distributions carry their exact moments
(computed with fractions, converted to Decimal once) so that headline figures are
expected values, never samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any, TypeAlias

from infercost.arithmetic import from_fraction, is_whole
from infercost.invisible import C0, HIDDEN


@dataclass(frozen=True, slots=True)
class BlockRef:
    """``unit.x``, ``workflow.x``: usable only where the language expects that block."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.name}"


@dataclass(frozen=True, slots=True)
class Missing:
    """A null ``self`` attribute: comparable with null, anything else skips the guardrail."""

    attribute: str


@dataclass(frozen=True, slots=True)
class NoRevenue:
    """A margin over COGS with no revenue: (0 − COGS) / 0, below every floor.

    JSON shows it as null (a margin is undefined without revenue), but a guardrail
    condition that reads it fails, whatever the condition's shape, exactly as the
    implicit ``target_margin`` guardrail fails a feature with COGS and no revenue
    (SPEC §15). A null margin with no COGS either stays :class:`Missing` (skipped).
    """

    attribute: str
    cogs: Decimal


@dataclass(frozen=True, slots=True)
class Distribution:
    """A random count or size: ``between(lo, hi)``, ``triangular(lo, mode, hi)`` or
    ``empirical([values], [weights])``.

    An empirical distribution takes each of its ``params`` (the values) with probability
    weight / sum of weights; its moments are exact sums, so a distribution measured from
    production (``calibrate``) carries its observed E[C] and E[C·(C−1)] to the last digit.
    """

    kind: str  # "between" | "triangular" | "empirical"
    params: tuple[Decimal, ...]
    text: str
    # empirical only, as many as params (keyword-only: subclasses add fields after text)
    weights: tuple[Decimal, ...] = field(default=(), kw_only=True)

    @property
    def discrete(self) -> bool:
        """A uniform over the whole numbers lo..hi (``between`` with whole bounds)."""
        return self.kind == "between" and all(is_whole(p) for p in self.params)

    @property
    def is_count(self) -> bool:
        """Whole numbers only: a whole-bounded ``between`` or an ``empirical`` of whole
        values. E[C·(C−1)] of a count counts ordered pairs of calls (context growth)."""
        if self.kind == "empirical":
            return all(is_whole(v) for v in self.params)
        return self.discrete

    @property
    def lower(self) -> Decimal:
        return min(self.params) if self.kind == "empirical" else self.params[0]

    @property
    def upper(self) -> Decimal:
        return max(self.params) if self.kind == "empirical" else self.params[-1]

    def points(self) -> list[tuple[Fraction, Fraction]]:
        """(value, probability) of an empirical distribution, exactly."""
        total = sum((Fraction(w) for w in self.weights), Fraction(0))
        pairs = zip(self.params, self.weights, strict=True)
        return [(Fraction(v), Fraction(w) / total) for v, w in pairs]

    def _fractions(self) -> tuple[Fraction, Fraction]:
        """(E[X], E[X^2]) exactly."""
        if self.kind == "empirical":
            pts = self.points()
            return sum((p * v for v, p in pts), Fraction(0)), sum(
                (p * v * v for v, p in pts), Fraction(0)
            )
        if self.kind == "between":
            a, b = (Fraction(p) for p in self.params)
            mean = (a + b) / 2
            if self.discrete:
                n = b - a + 1
                return mean, (n * n - 1) / 12 + mean * mean
            return mean, (a * a + a * b + b * b) / 3
        a, c, b = (Fraction(p) for p in self.params)  # lo, mode, hi
        mean = (a + b + c) / 3
        variance = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return mean, variance + mean * mean

    @property
    def mean(self) -> Decimal:
        return from_fraction(self._fractions()[0])

    @property
    def second_moment(self) -> Decimal:
        return from_fraction(self._fractions()[1])

    @property
    def falling_moment(self) -> Decimal:
        """E[X·(X−1)]: the number of ordered call pairs that drives context growth."""
        mean, second = self._fractions()
        return from_fraction(second - mean)

    def __str__(self) -> str:
        return self.text


Value: TypeAlias = Any  # Decimal | str | bool | None | list | dict | Distribution | BlockRef


# The most elements and characters one value may hold. Locals can refer to each other, so
# ``a1 = [local.a0, local.a0]`` doubles a value per line: sixty lines describe more
# elements than any machine holds, and every walk over such a value (equality, a message,
# a JSON view) would never end. A cost stack needs a tiny fraction of this.
MAX_WEIGHT = 1_000_000


class SizedList(list[Any]):
    """A list the evaluator built, carrying its weight so a larger value built from it
    (even from many references to it) is weighed without walking it."""

    __slots__ = ("weight",)

    def __init__(self, items: list[Any], weight: int) -> None:
        super().__init__(items)
        self.weight = weight


class SizedObject(dict[str, Any]):
    """An object the evaluator built, carrying its weight (see :class:`SizedList`)."""

    __slots__ = ("weight",)

    def __init__(self, items: dict[str, Any], weight: int) -> None:
        super().__init__(items)
        self.weight = weight


def weight(value: Value) -> int:
    """Elements and characters in ``value``: a string weighs its length (at least 1), a
    list or object 1 plus its members (and an object's keys)."""
    if isinstance(value, SizedList | SizedObject):
        return value.weight
    if isinstance(value, str):
        return max(1, len(value))
    if isinstance(value, list):
        return 1 + sum(weight(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(max(1, len(k)) + weight(v) for k, v in value.items())
    return 1


def mean_of(value: Decimal | Distribution) -> Decimal:
    return value.mean if isinstance(value, Distribution) else value


def falling_moment_of(value: Decimal | Distribution) -> Decimal:
    """E[C·(C−1)]. A fractional constant c is the two-point count on floor(c) and ceil(c)
    with mean c (SPEC §15): E = f·(f − 1 + 2p) with f = floor(c), p = c − f, never < 0."""
    if isinstance(value, Distribution):
        return value.falling_moment
    whole = value.to_integral_value(rounding=ROUND_FLOOR)
    return whole * (whole - 1 + 2 * (value - whole))


def upper_of(value: Decimal | Distribution) -> Decimal:
    return value.upper if isinstance(value, Distribution) else value


def a_type(value: Value) -> str:
    """The type of ``value`` with its article, as a sentence needs it ("an object")."""
    name = type_name(value)
    return ("an " if name[0] in "aeiou" else "a ") + name


def type_name(value: Value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None or isinstance(value, Missing | NoRevenue):
        return "null"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, Distribution):
        return "distribution"
    if isinstance(value, BlockRef):
        return f"reference to a {value.kind}"
    return type(value).__name__


# Characters no view prints raw: C0/C1 controls, line and paragraph separators, and the
# bidirectional formatting characters. Raw, they start a line the reader does not see (a
# CI runner reads "::error" there), recolour a terminal, or reorder text.
UNPRINTABLE = re.compile(f"[{C0}{HIDDEN}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def quoted(text: str) -> str:
    """A string as an HCL literal on one line: every view shows the same escapes for the
    same text (``\\n``, ``\\u001b``), whatever the output format."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + UNPRINTABLE.sub(_escape, body) + '"'


def source_line(text: str) -> str:
    """Expression text as written, on one line: a line break between tokens is layout
    (read as one space); any other unprintable character is shown escaped."""
    if "\n" in text or "\r" in text:
        text = re.sub(r"[ \t]*\r?[\n\r][ \t]*", " ", text)
    return UNPRINTABLE.sub(_escape, text)


def display(value: Value) -> str:
    """A value as HCL would spell it: used in messages and in plan's changes."""
    from infercost.arithmetic import plain

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, str):
        return quoted(value)
    if value is None or isinstance(value, Missing | NoRevenue):
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(display(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {display(v)}" for k, v in value.items()) + " }"
    return str(value)
