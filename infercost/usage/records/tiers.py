"""The long-context tier of a record, as a key of its pricing bucket (SPEC §12, §13).

A call whose input tokens exceed a tier's ``above_input_tokens`` is billed entirely at
that tier's prices, so the records of one item cannot be priced from one sum: they are
bucketed first by the tier their input falls in. The key is computed in the query, per
record, by a ``CASE`` over the item's thresholds, and
:func:`infercost.cost.actual.bucket_prices` turns it back into prices.

The key is ``floor(N)`` of the highest threshold ``N`` the record's input exceeds, among
the thresholds of the item's standard and batch blocks together (null below them all).
Input tokens are whole numbers, so ``input > N`` is ``input > floor(N)``; the key is an
exact integer whatever the threshold's decimals. Which block prices a record (its step's
``processing``) is already a key of the bucket (the step), so one key per item serves
both: the tier of a block is its highest threshold whose floor is at most the key.

Thresholds come from the stack, which may be hostile: they enter the query as sqlglot
number literals built from Python integers, and item names as string literals that
sqlglot escapes for each dialect; no stack text is pasted into SQL.
"""

from __future__ import annotations

import math
from decimal import Decimal

from sqlglot import exp

from infercost.model import ModelPrice, Stack

# The key's SQL type; token fields are DECIMAL(38, 9), so a threshold of 10**29 or more
# can never be exceeded and is left out of the expression.
TIER_TYPE = "decimal(38, 0)"
_NEVER = 10**29


def thresholds(item: ModelPrice) -> list[int]:
    """The keys a record of ``item`` can have, highest first: floors of the standard and
    batch blocks' thresholds."""
    found = {t.above_input_tokens for t in item.long_context}
    if item.batch is not None:
        found |= {t.above_input_tokens for t in item.batch.long_context}
    keys = {_floor(n) for n in found}
    return sorted((k for k in keys if k < _NEVER), reverse=True)


def _floor(value: Decimal) -> int:
    return math.floor(value)


def tier_expression(
    stack: Stack, item: exp.Expression, input_tokens: exp.Expression
) -> exp.Expression | None:
    """SQL for the tier key of a record (see the module doc); None when no item of the
    stack has tiers (every key would be null)."""
    per_item: list[tuple[str, list[int]]] = []
    for sheet in stack.price_sheets.values():
        for price in sheet.items.values():
            if isinstance(price, ModelPrice):
                keys = thresholds(price)
                if keys:
                    per_item.append((price.address, keys))
    if not per_item:
        return None
    outer = exp.Case()
    for address, keys in sorted(per_item):
        inner = exp.Case()
        for key in keys:
            number = exp.Literal.number(key)
            inner = inner.when(exp.GT(this=input_tokens.copy(), expression=number), number.copy())
        outer = outer.when(exp.EQ(this=item.copy(), expression=exp.Literal.string(address)), inner)
    return exp.cast(outer, TIER_TYPE)
