"""Colour for terminal views; the number formatters live in :mod:`infercost.numbers`.

Only views call these; the engine and JSON keep the exact Decimals. The formatters are
re-exported so every view imports its figures and its styling from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.numbers import SYMBOLS, count, money, named, number, pct, percent, points
from infercost.render.inert import sgr

__all__ = ["SYMBOLS", "Style", "count", "money", "named", "number", "pct", "percent", "points"]


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none: colour only on a terminal and never with NO_COLOR.

    The codes are infercost's own marked sequences (:func:`infercost.render.inert.sgr`):
    the output filter turns them into ANSI codes and shows every other ESC, one from a
    stack or a usage file included, as an escape."""

    color: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"{sgr(code)}{text}{sgr('0')}" if self.color and text else text

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
