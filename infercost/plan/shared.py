"""Attribution of a feature's allocated-COGS change to its cause (SPEC §18).

A feature's part of a shared cost moves for one of two reasons: the shared cost itself
changed (its amount, members or rule), or the allocation base moved — the units,
variable COGS or revenue of a member feature, this one or another. The first is named by
the shared cost's own configuration changes; the second by the changes behind the member
features' figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infercost.arithmetic import ZERO, exact
from infercost.cost.breakdown import Breakdown
from infercost.model import Stack
from infercost.plan.addresses import feature_addresses

if TYPE_CHECKING:
    from infercost.plan.diff import Attribution, ConfigChange


def shared_attribution(
    feature: str,
    base_stack: Stack | None,
    head_stack: Stack,
    base: Breakdown | None,
    head: Breakdown,
    changes: list[ConfigChange],
) -> tuple[Attribution, ...]:
    """One row per shared cost whose part on ``feature`` changed (features on both sides)."""
    from infercost.plan.diff import Attribution

    if base is None or feature not in base.features or feature not in head.features:
        return ()
    old_shared, new_shared = base.allocation.shared, head.allocation.shared
    rows = []
    with exact():
        for name in sorted(old_shared.keys() | new_shared.keys()):
            o, n = old_shared.get(name), new_shared.get(name)
            before = o.parts.get(feature, ZERO) if o else ZERO
            after = n.parts.get(feature, ZERO) if n else ZERO
            if before == after:
                continue
            address = f"shared_cost.{name}"
            causes = tuple(c for c in changes if c.address == address)
            if not causes:
                members = set(o.features if o else ()) | set(n.features if n else ())
                moved: set[str] = set()
                for member in members:
                    moved |= feature_addresses(base_stack, member)
                    moved |= feature_addresses(head_stack, member)
                moved.discard("infercost")
                causes = tuple(
                    c for c in changes if c.address in moved and c.attribute != "description"
                )
            rows.append(Attribution(name, address, after - before, ZERO, causes))
    return tuple(rows)
