"""``--usage-scale F``: "what if traffic were F times what the snapshot says" (SPEC §17).

Every usage row's units are multiplied by F, exactly (Decimal), after the snapshot is
read and checked, so every figure downstream moves as it would with that traffic: COGS
and per-unit revenue scale, a subscription's price per customer does not, and the
number of customers (counted from rows, or declared) never changes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from infercost.errors import InfercostError
from infercost.usage.snapshot import Snapshot


def parse_scale(text: str) -> Decimal:
    """A ``--usage-scale`` value: a finite number ≥ 0, written as a decimal."""
    shown = text.strip()
    try:
        value = Decimal(shown)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise InfercostError.at(
            "Invalid usage scale",
            f'--usage-scale "{text}" is not a number; give a factor such as 2 or 0.5.',
        )
    if value < 0:
        raise InfercostError.at(
            "Invalid usage scale",
            f"--usage-scale {shown} is negative; a usage scale is a factor of 0 or more.",
        )
    return value


def scale_snapshot(snapshot: Snapshot, factor: Decimal) -> Snapshot:
    """A copy of ``snapshot`` with every row's units multiplied by ``factor``."""
    if factor == 1:
        return snapshot
    return snapshot.scaled(factor)
