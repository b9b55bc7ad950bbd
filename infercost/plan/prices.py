"""Price changes as first-class plan changes: "gpt-4o input 2.50 → 2.00" and what it
did to COGS.

A feature's COGS change is attributed to its steps; a step priced by an item whose
prices changed also gets each price change's own effect: the step's head cost minus its
cost with that one price put back, times the head's units. Cost is linear in each price,
so the effects of several prices of one item add up to the step's price-driven change.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from infercost.arithmetic import exact
from infercost.model import PriceSheet, Stack, TokenPrices

if TYPE_CHECKING:
    from infercost.cost.unit_cost import StepCost
    from infercost.plan.diff import ConfigChange

_TIER = re.compile(r"^long_context\[(?P<n>[^\]]+)\]$")
_WORDS = {
    "input_per_mtok": "input",
    "cached_input_per_mtok": "cached input",
    "cache_write_per_mtok": "cache write",
    "output_per_mtok": "output",
    "per_call": "per call",
    "price": "price",
    "discount": "discount",
}


@dataclass(frozen=True)
class PriceEffect:
    """One price change and its effect on a COGS figure (a step's, or the plan's total)."""

    address: str  # price_sheet.P.model.M, or price_sheet.P for a sheet discount
    item: str  # the item's label (gpt-4o), or the sheet's name
    attribute: str
    before: Decimal
    after: Decimal
    cogs_change: Decimal

    @property
    def label(self) -> str:
        """``gpt-4o input``, ``gpt-4o batch output``, ``gpt-4o output above 200000``."""
        *path, name = self.attribute.split(".")
        words = []
        tier = ""
        for segment in path:
            match = _TIER.match(segment)
            if match:
                tier = f" above {match['n']}"
            else:
                words.append(segment)
        words.append(_WORDS.get(name, name))
        return f"{self.item} {' '.join(words)}{tier}"


def is_price_change(change: ConfigChange) -> bool:
    if change.action != "update" or change.attribute is None:
        return False
    if not isinstance(change.before, Decimal) or not isinstance(change.after, Decimal):
        return False
    parts = change.address.split(".")
    if len(parts) == 2 and parts[0] == "price_sheet":
        return change.attribute == "discount"
    if len(parts) >= 4 and parts[0] == "price_sheet" and parts[2] in ("model", "meter"):
        name = change.attribute.rsplit(".", 1)[-1]
        return name in _WORDS
    return False


def with_price(item: Any, attribute: str, value: Decimal) -> Any:
    """The item with one (dotted) price replaced."""
    head, dot, rest = attribute.partition(".")
    if not dot:
        return dataclasses.replace(item, **{head: value})
    if head == "batch":
        return dataclasses.replace(item, batch=with_price(item.batch, rest, value))
    match = _TIER.match(head)
    if match and isinstance(item, TokenPrices):
        threshold = Decimal(match["n"])
        tiers = tuple(
            with_price(t, rest, value) if t.above_input_tokens == threshold else t
            for t in item.long_context
        )
        return dataclasses.replace(item, long_context=tiers)
    return item


def step_price_effects(
    cost: StepCost,
    head: Stack,
    region: str | None,
    cache_hit_rate: Decimal,
    units: Decimal,
    changes: Sequence[ConfigChange],
) -> tuple[PriceEffect, ...]:
    """The effect of each changed price of the step's item (and sheet) on COGS."""
    from infercost.cost.unit_cost import step_cost

    step = cost.step
    item = step.item
    if item is None:
        return ()
    sheet_name, _, item_name = step.uses.partition("/")
    sheet = head.price_sheets.get(sheet_name)
    if sheet is None:
        return ()
    item_address = f"price_sheet.{sheet_name}.{item.kind}.{item_name}"
    out = []
    with exact():
        for change in changes:
            if not is_price_change(change):
                continue
            assert change.attribute is not None
            used_sheet: PriceSheet = sheet
            used_step = step
            if change.address == item_address:
                reverted = with_price(item, change.attribute, change.before)
                if reverted is item:
                    continue  # not a price this item has (nothing to put back)
                used_step = dataclasses.replace(step, item=reverted)
                label = item_name
            elif change.address == f"price_sheet.{sheet_name}":
                used_sheet = dataclasses.replace(sheet, discount=change.before)
                label = sheet_name
            else:
                continue
            other = step_cost(
                used_step, used_sheet.multiplier(region), cache_hit_rate, used_sheet
            ).cost_per_unit
            effect = units * (cost.cost_per_unit - other)
            out.append(
                PriceEffect(
                    change.address, label, change.attribute, change.before, change.after, effect
                )
            )
    return tuple(sorted(out, key=lambda e: (-abs(e.cogs_change), e.attribute)))


def total_effects(effects: list[PriceEffect]) -> tuple[PriceEffect, ...]:
    """The plan-wide effect of each price change: the sum over features and steps."""
    totals: dict[tuple[str, str], PriceEffect] = {}
    with exact():
        for e in effects:
            key = (e.address, e.attribute)
            if key in totals:
                seen = totals[key]
                totals[key] = dataclasses.replace(
                    seen, cogs_change=seen.cogs_change + e.cogs_change
                )
            else:
                totals[key] = e
    return tuple(
        sorted(totals.values(), key=lambda e: (-abs(e.cogs_change), e.address, e.attribute))
    )
