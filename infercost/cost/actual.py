"""Actual cost: what records cost when priced with the stack's sheets (SPEC §12).

Every record cost is linear in its token and quantity counts, so the cost of many
records is the price of their exact sums. The engines (DuckDB, Spark, a warehouse)
only add integers and exact decimals per pricing bucket; this module is the one place
that turns such sums into money, so a new price term (cache writes, batch prices, a
long-context tier, a per-call fee, a discount) changes one function and no engine.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from infercost.arithmetic import ONE, ZERO, from_fraction
from infercost.model import MeterPrice, ModelPrice, PriceItem

# Wide enough that products of exact sums and prices never round: the only rounding
# left is the final division (a meter's ``per``), done once on the exact fraction.
_WIDE = decimal.Context(prec=120, traps=[decimal.Inexact, decimal.InvalidOperation])


@dataclass(frozen=True, slots=True)
class UsageSums:
    """Exact sums of one pricing bucket: the records of one item, one feature (so one
    region multiplier) and, later, one processing mode and one long-context tier."""

    records: int = 0
    input_tokens: int = 0  # cached and cache-write tokens included
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    quantity: Decimal = ZERO

    def __add__(self, other: UsageSums) -> UsageSums:
        return UsageSums(
            self.records + other.records,
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.output_tokens + other.output_tokens,
            self.quantity + other.quantity,
        )


def price_usage(item: PriceItem, sums: UsageSums, multiplier: Decimal = ONE) -> Decimal:
    """The exact cost of the records summed in ``sums``, billed by ``item``.

    Model: uncached input (input − cached − cache-write) and cache-write tokens at the
    input price (cache writes have no price of their own yet: SPEC §13 defaults it to
    the input price), cached tokens at the cached price, output at the output price, per
    million tokens. Meter: quantity × price / per. Then the region multiplier. The result
    equals the sum of the same formula applied record by record, in exact arithmetic.
    """
    if isinstance(item, ModelPrice):
        with decimal.localcontext(_WIDE):
            uncached = sums.input_tokens - sums.cached_input_tokens
            total = (
                Decimal(uncached) * item.input_per_mtok
                + Decimal(sums.cached_input_tokens) * item.cached_input_per_mtok
                + Decimal(sums.output_tokens) * item.output_per_mtok
            ) * multiplier
        return from_fraction(Fraction(total) / 1_000_000)
    if isinstance(item, MeterPrice):
        with decimal.localcontext(_WIDE):
            numerator = sums.quantity * item.price * multiplier
        return from_fraction(Fraction(numerator) / Fraction(item.per))
    raise TypeError(f"cannot price {type(item).__name__}")  # pragma: no cover
