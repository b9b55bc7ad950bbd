"""plan treats a shared cost like any other block, and attributes its allocation (§18)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from infercost.cost.breakdown import compute
from infercost.plan.diff import Action, build_plan
from infercost.usage.snapshot import read_snapshot
from tests.cost.test_allocation import STACK
from tests.helpers import load

PODS = """
shared_cost "vector_db_pods" {
  amount   = AMOUNT
  features = [feature.chat, feature.search]
}
"""


def plan(tmp_path: Path, base_extra: str, head_extra: str, head_stack: str = STACK):
    usage = tmp_path / "usage.csv"
    usage.write_text("feature,units\nchat,8000\nsearch,2000\n", encoding="utf-8")
    snapshot = read_snapshot(usage)
    base = load({"main.hcl": STACK + base_extra})
    head = load({"main.hcl": head_stack + head_extra})
    return build_plan(base, head, compute(base, snapshot), compute(head, snapshot), "base")


def test_amount_change_is_attributed_to_the_shared_cost(tmp_path: Path) -> None:
    p = plan(tmp_path, PODS.replace("AMOUNT", "700"), PODS.replace("AMOUNT", "1400"))
    (change,) = p.changes
    assert (change.address, change.action, change.attribute) == (
        "shared_cost.vector_db_pods",
        Action.UPDATE,
        "amount",
    )
    assert (change.before, change.after) == (D(700), D(1400))
    chat = next(f for f in p.features if f.name == "chat")
    # chat has 8000 of 10,000 units: 560 → 1120, +560; its cost per unit is unchanged
    assert chat.action == Action.UPDATE
    assert chat.change.cogs == D(560)
    (row,) = chat.attribution
    assert (row.step, row.address, row.cogs_change) == (
        "vector_db_pods",
        "shared_cost.vector_db_pods",
        D(560),
    )
    assert row.causes == (change,)
    assert p.change.cogs == D(700)


def test_created_and_deleted_shared_costs(tmp_path: Path) -> None:
    created = plan(tmp_path, "", PODS.replace("AMOUNT", "700"))
    assert [(c.address, c.action) for c in created.changes] == [
        ("shared_cost.vector_db_pods", Action.CREATE)
    ]
    search = next(f for f in created.features if f.name == "search")
    assert search.change.cogs == D(140)
    deleted = plan(tmp_path, PODS.replace("AMOUNT", "700"), "")
    assert [(c.address, c.action) for c in deleted.changes] == [
        ("shared_cost.vector_db_pods", Action.DELETE)
    ]


def test_a_member_feature_change_moves_the_allocation(tmp_path: Path) -> None:
    # variable-COGS allocation: search's lookup price doubles (2 → 4 per 1000), so its
    # variable COGS goes 4 → 8 and chat's share of 700 falls from 700·80/84 to 700·80/88.
    shared = PODS.replace("AMOUNT", "700").replace(
        "features", 'allocate = "variable_cogs"\n  features'
    )
    head = STACK.replace("price = 2\n", "price = 4\n")
    p = plan(tmp_path, shared, shared, head)
    chat = next(f for f in p.features if f.name == "chat")
    (row,) = chat.attribution
    before, after = D("666.666666666666666666"), D("636.363636363636363636")
    assert row.cogs_change == after - before
    assert [(c.address, c.attribute) for c in row.causes] == [
        ("price_sheet.m.meter.lookup", "price")
    ]
