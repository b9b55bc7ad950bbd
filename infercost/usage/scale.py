"""``--usage-scale F``: "what if traffic were F times what the snapshot says" (SPEC §17).

Every usage row's units are multiplied by F, exactly (Decimal), after the snapshot is
read and checked, so every figure downstream moves as it would with that traffic: COGS
and per-unit revenue scale, a subscription's price per customer does not, and the
number of customers (counted from rows, or declared) never changes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from infercost.errors import InfercostError
from infercost.usage.snapshot import Snapshot

#: Plain ASCII decimal notation, as usage files are read: no "1_0", no other scripts'
#: digits, no hex, no NaN or infinity.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: Traffic a trillion times larger, or to a trillionth: far beyond any what-if, and
#: small enough that every scaled row stays exact in the engine's 38 digits. Bounding
#: it also bounds the digits written out: 1e999999999 would be a billion of them.
LARGEST = Decimal(10) ** 12
PLACES = 12


def parse_scale(text: str) -> Decimal:
    """A ``--usage-scale`` value: a finite number from 0 to 10^12, written as a decimal
    with at most 12 digits after the point."""
    shown = text.strip()
    if not _NUMBER.fullmatch(shown):
        raise InfercostError.at(
            "Invalid usage scale",
            f'--usage-scale "{text}" is not a number; give a factor such as 2 or 0.5.',
        )
    value = Decimal(shown)
    if value < 0:
        raise InfercostError.at(
            "Invalid usage scale",
            f"--usage-scale {shown} is negative; a usage scale is a factor of 0 or more.",
        )
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    if value > LARGEST or (any(digits) and -(exponent + trailing) > PLACES):
        raise InfercostError.at(
            "Invalid usage scale",
            f"--usage-scale {shown[:40]}{'…' if len(shown) > 40 else ''} is out of range: a "
            f"usage scale is at most 10^12, with at most {PLACES} digits after the point.",
        )
    # 0, -0 and 0e999999999 are one factor: plain 0 (its exponent is never written out).
    return value if any(digits) else Decimal(0)


def scale_snapshot(snapshot: Snapshot, factor: Decimal) -> Snapshot:
    """A copy of ``snapshot`` with every row's units multiplied by ``factor``."""
    if factor == 1:
        return snapshot
    return snapshot.scaled(factor)
