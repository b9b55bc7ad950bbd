"""The one displayed-number formatter (SPEC §15): half away from zero, money to the cent
or to four significant digits below a cent-ish amount, percents with one decimal, margin
moves in points. The same figure reads the same in every output of one run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.numbers import count, miss, money, named, number, pct, percent, points
from tests.helpers import run_cli
from tests.plan.support import PLAN_STACK

D = Decimal


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2.345", "$2.35"),  # half away from zero, never half-even ($2.34)
        ("2.335", "$2.34"),
        ("-2.345", "-$2.35"),
        ("0.125", "$0.125"),  # below a dollar: four significant digits, no zeros trailing
        ("0.000004", "$0.000004"),
        ("0.00012345", "$0.0001235"),  # the fifth digit rounds half away from zero
        ("0.995", "$1.00"),
        ("0", "$0.00"),
        ("-0.001", "-$0.001"),
        ("1234567.891", "$1,234,567.89"),
        ("1E+30", "$1,000,000,000,000,000,000,000,000,000,000.00"),
    ],
)
def test_money(value: str, shown: str) -> None:
    assert money(D(value)) == shown


def test_money_signs_and_currencies() -> None:
    assert money(D("0.125"), signed=True) == "+$0.125"
    assert money(D("0"), signed=True) == "$0.00"  # zero has no sign
    assert money(D("-0.004"), "EUR") == "-€0.004"
    assert money(D("12.3"), "CHF") == "12.30 CHF"
    assert money(None) == "n/a"


def test_percent_points_and_counts() -> None:
    assert percent(D("0.5")) == "50.0%"  # always one decimal: never "50%"
    assert percent(D("0.41125")) == "41.1%"
    assert percent(D("0.41125"), signed=True) == "+41.1%"
    assert pct(D("41.25")) == "41.3%"  # half away from zero
    assert pct(D("-41.25")) == "-41.3%"
    assert pct(D("-0.04")) == "0.0%"  # never "-0.0%"
    assert pct(D("1120.8"), signed=True) == "+1,120.8%"
    assert points(D("-0.046")) == "-4.6 pts"
    assert points(D("0.0125")) == "+1.3 pts"
    assert points(D("-0.0004")) == "0.0 pts"
    assert count(D(1500)) == "1,500" and count(D("1500.5")) == "1,500.50"
    # Nonzero units never read as zero: two significant digits below what rounds to 0.01.
    assert [count(D(v)) for v in ("0.0004", "0.001234", "-0.00456", "0.005", "0.0049")] == [
        "0.0004",
        "0.0012",
        "-0.0046",
        "0.01",
        "0.0049",
    ]
    assert number(D("1.23456")) == "1.2346" and number(D("2.50")) == "2.5"


def test_values_by_name_and_misses() -> None:
    assert named("margin", D("0.48106"), "USD") == "48.1%"
    assert named("cogs", D("53.19135"), "USD") == "$53.19"
    assert named("cogs_change", D("4.72285"), "USD") == "+$4.72"
    assert named("cogs_change_pct", D("9.74"), "USD") == "+9.7%"
    assert named("margin_change", D("-0.046"), "USD") == "-4.6 pts"
    assert named("units", D(3100), "USD") == "3,100"
    assert miss(D("0.06894"), "margin", "USD") == "6.9 pts"
    assert miss(D("25"), "cogs_change_pct", "USD") == "25.0 pts"
    assert miss(D("12.5"), "cogs", "USD") == "$12.50"
    assert miss(D("3"), "", "USD") == "3"


AMOUNTS = st.decimals(min_value=D("-1e12"), max_value=D("1e12"), places=8, allow_nan=False)


@given(AMOUNTS)
def test_money_is_symmetric_and_within_half_a_unit(value: Decimal) -> None:
    shown = money(value)
    if value < 0 and shown != money(-value):
        assert shown == "-" + money(-value)
    digits = D(shown.replace("-", "").replace("$", "").replace(",", ""))
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)
    assert abs(abs(value) - digits) <= D(1).scaleb(exponent) / 2


@given(st.decimals(min_value=D(-10), max_value=D(10), places=6, allow_nan=False))
def test_percent_has_one_decimal_within_half_a_tenth(ratio: Decimal) -> None:
    shown = percent(ratio)
    assert shown.endswith("%") and len(shown.rstrip("%").partition(".")[2]) == 1
    assert abs(D(shown.rstrip("%").replace(",", "")) - ratio * 100) <= D("0.05")


def test_plan_and_check_show_one_figure_the_same_way(write_stack) -> None:
    """A step that moves COGS by $0.125 reads +$0.125 in the plan and in check's message
    (the pinecone price 16 → 22.25 adds 4 · 5 · 6.25 / 1e6 = 0.000125 per unit, on 1000)."""
    main = PLAN_STACK["main.hcl"].replace("target_margin    = 0.5", "target_margin    = 0.95")
    write_stack({**PLAN_STACK, "main.hcl": main}, "base")
    prices = PLAN_STACK["prices.hcl"].replace("price = 16", "price = 22.25")
    stack = write_stack({**PLAN_STACK, "main.hcl": main, "prices.hcl": prices})
    assert prices != PLAN_STACK["prices.hcl"]
    _, plan_text, _ = run_cli(["plan", str(stack), "--base-dir", "base"])
    assert "retrieve: +$0.125/month" in plan_text
    code, check_text, _ = run_cli(["check", str(stack), "--base-dir", "base"])
    assert code == 2  # the margin fell further below 95 %: worse, so it blocks
    assert "(+$0.125 COGS per period)" in check_text
    assert "target 95.0%" in check_text


def test_significant_digits_of_an_input_value() -> None:
    from infercost.numbers import significant

    cases = {
        "0.378": "0.378",  # no trailing zeros
        "10050": "10,050",  # thousands separated, whole numbers kept whole
        "0.05674": "0.05674",
        "-3.14159": "-3.142",  # half away from zero
        "0.000012345": "0.00001235",
        "123456.7": "123,457",
        "999.96": "1,000",  # rounding up to a new digit: still four digits, no "1,000.0"
        "999.94": "999.9",
        "1E+30": "1,000,000,000,000,000,000,000,000,000,000",  # beyond 28 digits: no error
    }
    assert {k: significant(Decimal(k)) for k in cases} == cases
    assert significant(None) == "n/a" and significant(Decimal(0)) == "0"
