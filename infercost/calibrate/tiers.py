"""Why the what-if cannot match the actual cost when records straddle a long-context
threshold (SPEC §12, §13).

The actual cost bills every record at the tier its own input size falls in. The
what-if bills the observed shape: each call's input is the fitted first-call input plus
growth, so a step whose records lie on both sides of a threshold is priced as if every
call sat on the side of that line. The difference is real and cannot be fitted away by
the shape's attributes; calibrate says so instead of leaving an unexplained residual.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from infercost.arithmetic import plain
from infercost.cost.actual import bucket_prices
from infercost.model import LongContext, ModelPrice, Stack
from infercost.usage.records.result import ImportResult

if TYPE_CHECKING:
    from infercost.calibrate.shape import ObservedStep


def add_tier_notes(stack: Stack, result: ImportResult, steps: Sequence[ObservedStep]) -> None:
    """A note on every observed step whose records fall in more than one tier of the
    prices they are billed with, when its modelled and actual costs differ."""
    records = {(c.feature, c.step, c.item): c.tiers for c in result.costs}
    for o in steps:
        tiers = records.get(o.key, ())
        item = stack.price_item(o.key[2])
        if len(tiers) < 2 or not isinstance(item, ModelPrice):
            continue
        if o.modelled_cost_per_unit == o.actual_cost_per_unit:
            continue
        processing = o.declared.processing if o.declared is not None else "standard"
        block = item.prices(processing)
        if block is None or not block.long_context:
            continue
        lowest = plain(block.long_context[0].above_input_tokens)
        # Records per tier of the block they are billed with (None: its base prices).
        counts: dict[Decimal | None, int] = {}
        for key, n in tiers:
            prices = bucket_prices(item, processing, key)
            if prices is None:  # pragma: no cover - the import reports such records
                continue
            above = prices.above_input_tokens if isinstance(prices, LongContext) else None
            counts[above] = counts.get(above, 0) + n
        if len(counts) < 2:
            continue
        total = sum(counts.values())
        parts = ", ".join(
            f"{n} of {total} " + (f"at most {lowest}" if above is None else f"above {plain(above)}")
            for above, n in counts.items()
        )
        o.notes.append(
            f"the records straddle long-context thresholds of {o.key[2]} ({parts} input "
            "tokens): each record is billed at the tier of its own input, while the what-if "
            "prices calls of the fitted input size, so the two costs differ."
        )
