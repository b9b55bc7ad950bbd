"""One rule for parts of a whole by feature: a subscription's ``revenue_share`` and a
shared cost's weights are read by the same AttributeReader.fractions, each with its own
words, so both refuse the same mistakes at the same place."""

from __future__ import annotations

from decimal import Context
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.config.attributes import decimals
from tests.cost.test_allocation import STACK
from tests.helpers import errors_of, hcl, load

SUBSCRIPTION = """
subscription "pro" {
  price         = 10
  features      = [feature.chat, feature.search]
  revenue_share = %s
}
"""
SHARED = """
shared_cost "pods" {
  amount   = 100
  features = [feature.chat, feature.search]
  allocate = %s
}
"""
UNLISTED = """
shared_cost "pods" {
  amount   = 100
  allocate = %s
}
"""


def _error(block: str, value: str) -> tuple[str, str, int, int]:
    text = hcl(STACK).replace('subscription "pro"', 'subscription "old"')
    lines = len(text.splitlines())
    (d, *_) = errors_of({"main.hcl": text + block % value})
    assert d.range is not None
    return d.summary, d.detail, d.range.start.line - lines, d.range.start.column


@pytest.mark.parametrize(
    ("value", "revenue", "weights", "column"),
    [
        ("{ chat = 0.5, serch = 0.5 }",
         ("Invalid revenue share",
          '"serch" is not one of this subscription\'s features. Did you mean "search"?'),
         ("Invalid allocation",
          '"serch" is not one of this shared cost\'s features. Did you mean "search"?'),
         28),
        ("{ chat = 1.5, search = -0.5 }",
         ("Value out of range",
          "The revenue share of chat must be a number between 0 and 1, but it is 1.5."),
         ("Value out of range",
          "The weight of chat must be a number between 0 and 1, but it is 1.5."),
         16),
        ('{ chat = "all", search = 0 }',
         ("Value out of range",
          'The revenue share of chat must be a number between 0 and 1, but it is "all".'),
         ("Value out of range",
          'The weight of chat must be a number between 0 and 1, but it is "all".'),
         16),
        ("{ chat = 1 }",
         ("Invalid revenue share",
          "revenue_share must name every feature of the subscription; missing: search."),
         ("Invalid allocation",
          "The weights must name exactly the features of this shared cost; missing: search."),
         14),
        ("{ chat = 0.5, search = 0.4 }",
         ("Invalid revenue share",
          "The revenue shares add up to 0.9; they must add up to exactly 1."),
         ("Invalid allocation", "The weights add up to 0.9; they must add up to exactly 1."),
         14),
        # Summed exactly: the usual 28 digits would round both of these to 1.
        ("{ chat = 0.999999999999999999999999999999, search = 0 }",
         ("Invalid revenue share",
          "The revenue shares add up to 0.999999999999999999999999999999; they must add up "
          "to exactly 1."),
         ("Invalid allocation",
          "The weights add up to 0.999999999999999999999999999999; they must add up to "
          "exactly 1."),
         14),
        ("{ chat = 0.5000000000000000000000000000001, search = 0.5 }",
         ("Invalid revenue share",
          "The revenue shares add up to 1.0000000000000000000000000000001; they must add up "
          "to exactly 1."),
         ("Invalid allocation",
          "The weights add up to 1.0000000000000000000000000000001; they must add up to "
          "exactly 1."),
         14),
        ("{ chat = 0.5, search = 0.4999999999999999999999999999999999999 }",
         ("Value out of range",
          "The revenue share of search must have at most 36 decimals, but it has 37."),
         ("Value out of range",
          "The weight of search must have at most 36 decimals, but it has 37."),
         28),
    ],
)  # fmt: skip
def test_both_readers_refuse_the_same_mistakes(
    value: str, revenue: tuple[str, str], weights: tuple[str, str], column: int
) -> None:
    revenue_column = column + 5  # "revenue_share = " is five characters longer
    assert _error(SUBSCRIPTION, value) == (*revenue, 5, revenue_column)
    assert _error(SHARED, value) == (*weights, 5, column)


def test_unlisted_weights_name_a_subset_of_the_declared_features() -> None:
    assert _error(UNLISTED, "{ chatt = 1 }") == (
        "Invalid allocation",
        '"chatt" is not a declared feature. Did you mean "chat"?',
        4,
        16,
    )
    assert _error(UNLISTED, "{}")[1].endswith("but it is an object.")
    # A part of 401 digits is not printed whole, as for every other bound.
    assert _error(UNLISTED, "{ chat = 1e400 }")[1] == (
        "The weight of chat must be a number between 0 and 1, but it is far beyond that."
    )
    # A key is quoted as HCL spells it: a newline in it cannot start a line of its own.
    assert _error(UNLISTED, '{ "chat\\n::error::x" = 1 }')[1] == (
        '"chat\\n::error::x" is not a declared feature.'
    )
    assert _error(UNLISTED, '"units\\n::error::x"')[1].startswith(
        '"units\\n::error::x" is not an allocation rule;'
    )
    with pytest.raises(AssertionError, match="compiled"):
        _error(UNLISTED, "{ chat = 1 }")  # the keys define the set: no missing feature


@pytest.mark.parametrize("value", ["{ chat = 1 / 7, search = 6 / 7 }",
                                   "{ chat = 1 / 3 + 1 / 6, search = 0.5 }"])  # fmt: skip
def test_a_part_from_a_division_that_does_not_terminate_is_refused(value: str) -> None:
    """Rounded at 28 digits, 1/7 and 6/7 add up to exactly 1 and 1/3 + 1/6 is exactly
    0.5: their sum says nothing, so a rounded part is refused where it stands."""
    assert _error(SHARED, value) == (
        "Invalid allocation",
        "The weight of chat is not exact: it comes from a division that does not terminate "
        "(rounded at 28 significant digits), and each weight must be exact so that the "
        "weights add up to exactly 1.",
        5,
        16,
    )
    assert _error(SUBSCRIPTION, value)[:2] == (
        "Invalid revenue share",
        "The revenue share of chat is not exact: it comes from a division that does not "
        "terminate (rounded at 28 significant digits), and each revenue share must be "
        "exact so that the revenue shares add up to exactly 1.",
    )


def test_parts_computed_exactly_add_up_to_1() -> None:
    """``1 - 1e-36`` is 0.999…9 with 36 nines, not 1 rounded at 28 digits."""
    for value in ("{ chat = 1 - 1e-36, search = 1e-36 }", "{ chat = 1 / 8, search = 7 / 8 }"):
        stack = load({"main.hcl": hcl(STACK) + SHARED % value})
        assert sum(stack.shared_costs["pods"].weights.values()) == 1


def test_parts_of_36_decimals_are_kept_exactly() -> None:
    """The finest parts allowed add up to exactly 1 and reach the split unrounded; trailing
    zeros are not decimals."""
    chat = "0.500000000000000000000000000000000001"
    search = "0.499999999999999999999999999999999999"
    shared = SHARED % f"{{ chat = {chat}, search = {search}0000 }}"
    stack = load({"main.hcl": hcl(STACK) + shared})
    assert stack.shared_costs["pods"].weights == {"chat": D(chat), "search": D(search)}


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_decimals_is_the_fewest_that_keep_the_value(value: D) -> None:
    n = decimals(value)
    wide = Context(prec=10_000)
    assert value.quantize(D(1).scaleb(-n), context=wide) == value
    if n:
        assert value.quantize(D(1).scaleb(1 - n), context=wide) != value
