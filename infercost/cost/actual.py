"""Actual cost: what records cost when priced with the stack's sheets (SPEC §12).

Every record cost is linear in its token and quantity counts, so the cost of many
records is the price of their exact sums. The engines (DuckDB, Spark, a warehouse)
only add integers and exact decimals per pricing bucket; this module is the one place
that turns such sums into money, so a new price term (cache writes, batch prices, a
long-context tier, a per-call fee, a discount) changes one function and no engine.

A long-context tier is a cliff (a call above the threshold is billed entirely at the
tier's prices), so the cost is linear only within a tier: the engines bucket the records
by tier first (``usage/records/tiers.py``), and :func:`bucket_prices` gives the prices of
a bucket from its step's processing and its tier key.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from infercost.arithmetic import ONE, ZERO, from_fraction
from infercost.model import GpuPrice, LongContext, MeterPrice, ModelPrice, PriceItem, TokenPrices

# Wide enough that products of exact sums and prices never round: the only rounding
# left is the final division (a meter's ``per``), done once on the exact fraction.
_WIDE = decimal.Context(prec=120, traps=[decimal.Inexact, decimal.InvalidOperation])


@dataclass(frozen=True, slots=True)
class UsageSums:
    """Exact sums of one pricing bucket: the records of one item, one feature (so one
    region multiplier), one step (so one processing mode) and one long-context tier."""

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


def price_usage(
    item: PriceItem,
    sums: UsageSums,
    multiplier: Decimal = ONE,
    *,
    discount: Decimal = ZERO,
    exchange_rate: Decimal = ONE,
    prices: TokenPrices | LongContext | None = None,
) -> Decimal:
    """The exact cost of the records summed in ``sums``, billed by ``item``.

    ``prices`` are the token prices of a model bucket (:func:`bucket_prices`: batch or
    standard, base or a long-context tier); the item's standard base prices by default.

    Model: uncached input (input − cached − cache-write) tokens at the input price,
    cached tokens at the cached price, cache-write tokens at the cache-write price (the
    input price unless the item declares one), output at the output price, per million
    tokens; plus the per-call fee for every record (each record is a billed call). Meter:
    quantity × price / per. GPU (SPEC §18): the GPU time the tokens take, ((input −
    cached) / input_tokens_per_second + output / output_tokens_per_second) / utilization
    seconds, at ``hourly`` / 3600 (cached input needs no prefill; a cache write is
    prefilled like any input token). Then the sheet's factors, as for a declared step:
    × (1 − discount) × region multiplier × exchange rate. The result equals the sum of
    the same formula applied record by record, in exact arithmetic.
    """
    with decimal.localcontext(_WIDE):
        factor = (ONE - discount) * multiplier * exchange_rate
        if isinstance(item, ModelPrice):
            p = item if prices is None else prices
            uncached = sums.input_tokens - sums.cached_input_tokens - sums.cache_write_tokens
            total = (
                Decimal(uncached) * p.input_per_mtok
                + Decimal(sums.cached_input_tokens) * p.cached_input_per_mtok
                + Decimal(sums.cache_write_tokens) * p.cache_write_per_mtok
                + Decimal(sums.output_tokens) * p.output_per_mtok
                + Decimal(sums.records) * item.per_call * 1_000_000
            ) * factor
            return from_fraction(Fraction(total) / 1_000_000)
        if isinstance(item, MeterPrice):
            numerator = sums.quantity * item.price * factor
            return from_fraction(Fraction(numerator) / Fraction(item.per))
        if isinstance(item, GpuPrice):
            return from_fraction(
                Fraction(gpu_seconds(item, sums)) * Fraction(item.hourly * factor) / 3600
            )
    raise TypeError(f"cannot price {type(item).__name__}")  # pragma: no cover


def bucket_prices(
    item: ModelPrice, processing: str, tier: int | None
) -> TokenPrices | LongContext | None:
    """The token prices of a bucket of ``item``'s records: the step's ``processing``
    picks the standard or the batch block, and the tier key picks the block's tier.

    ``tier`` is ``floor(N)`` of the highest threshold ``N``, among the standard and batch
    blocks' thresholds together, that the records' input tokens exceed (None below them
    all). Input tokens are whole numbers, so the block's tier is its highest threshold
    whose floor is at most the key. None when batch calls crossed a standard threshold
    and the batch block declares no tiers (SPEC §13: an error), or the item has no batch
    prices at all.
    """
    block = item.prices(processing)
    if block is None:
        return None
    if tier is None:
        return block
    if processing == "batch" and item.long_context and not block.long_context:
        return None
    chosen: TokenPrices | LongContext = block
    for level in block.long_context:  # ascending thresholds
        if math.floor(level.above_input_tokens) <= tier:
            chosen = level
    return chosen


def gpu_seconds(item: GpuPrice, sums: UsageSums) -> Fraction:
    """The GPU seconds the records summed in ``sums`` took, exactly (SPEC §18)."""
    busy = Fraction(sums.input_tokens - sums.cached_input_tokens) / Fraction(
        item.input_tokens_per_second
    )
    if item.output_tokens_per_second is not None:
        busy += Fraction(sums.output_tokens) / Fraction(item.output_tokens_per_second)
    return busy / Fraction(item.utilization)
