"""Project totals are exact sums of the stacks' totals, and their margin is recomputed
from the sums (never averaged), for any figures."""

from __future__ import annotations

import decimal
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from infercost.app.project import _sum
from infercost.cost.breakdown import Totals, margin
from tests.helpers import CONTEXT

money = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(money, money), min_size=1, max_size=20))
def test_totals_sum_exactly_and_margin_comes_from_the_sums(
    figures: list[tuple[Decimal, Decimal]],
) -> None:
    stacks = [Totals(cogs, revenue, margin(revenue, cogs)) for cogs, revenue in figures]
    total = _sum(stacks)
    # The expected figures in the engine's context, stated here: the thread's context is
    # whatever earlier tests or libraries left in it.
    with decimal.localcontext(CONTEXT):
        cogs = sum((c for c, _ in figures), Decimal(0))
        revenue = sum((r for _, r in figures), Decimal(0))
        expected = None if revenue == 0 else (revenue - cogs) / revenue
    assert (total.cogs, total.revenue, total.margin) == (cogs, revenue, expected)


def test_one_worked_example() -> None:
    # 20 + 5 + 6 = 31 COGS against 100 + 50 + 20 = 170: margin 139/170
    stacks = [
        Totals(Decimal(c), Decimal(r), None, variable_cogs=Decimal(c))
        for c, r in ((20, 100), (5, 50), (6, 20))
    ]
    gross = Decimal(139) / Decimal(170)
    # no shared costs: all COGS is variable, so both margins are (170 − 31) / 170
    assert _sum(stacks) == Totals(
        Decimal(31), Decimal(170), gross, variable_cogs=Decimal(31), contribution_margin=gross
    )
