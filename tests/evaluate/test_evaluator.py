"""The exact expression evaluator: operators, functions, references, errors."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.arithmetic import Rounded
from infercost.config.hcl import parse_text
from infercost.errors import InfercostError
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.values import BlockRef, Distribution
from tests.helpers import CONTEXT, where

FAST = settings(max_examples=150, deadline=None)


def ev(text: str, scope: Scope | None = None):
    expr = parse_text(f"x = {text}\n", "e.hcl").body.attributes["x"].expr
    return Evaluator(scope or Scope()).evaluate(expr)


def ev_error(text: str, scope: Scope | None = None):
    with pytest.raises(InfercostError) as caught:
        ev(text, scope)
    (d,) = caught.value.diagnostics
    return d


# -- exactness ------------------------------------------------------------------------------


def test_decimal_not_binary() -> None:
    assert ev("0.1 + 0.2 == 0.3") is True
    assert ev("0.1 + 0.2") == Decimal("0.3")
    assert ev("1.10 * 3") == Decimal("3.3")
    assert ev("2.4e-6 * 1") == Decimal("0.0000024")


def test_non_terminating_division_rounds_at_28_digits() -> None:
    assert ev("1 / 3") == Decimal("0.3333333333333333333333333333")
    assert ev("2 / 3") == Decimal("0.6666666666666666666666666667")
    assert ev("10 / 4") == Decimal("2.5")


decimals = st.decimals(min_value=-10**6, max_value=10**6, places=6, allow_nan=False,
                       allow_infinity=False)  # fmt: skip


@FAST
@given(st.lists(decimals, min_size=1, max_size=12))
def test_sums_of_literals_are_exact(values: list[Decimal]) -> None:
    text = " + ".join(f"({v})" if v < 0 else str(v) for v in values)
    expected = sum(values, Decimal(0))  # at most 13 + 6 digits: exact
    assert ev(text) == expected


@FAST
@given(decimals, decimals)
def test_products_and_differences_are_exact(a: Decimal, b: Decimal) -> None:
    assert ev(f"({a}) * ({b})") == Fraction(a) * Fraction(b)
    assert ev(f"({a}) - ({b})") == Fraction(a) - Fraction(b)


@FAST
@given(decimals, decimals.filter(lambda d: d != 0))
def test_division_is_exact_when_it_terminates_else_rounded(a: Decimal, b: Decimal) -> None:
    result = ev(f"({a}) / ({b})")
    exact = Fraction(a) / Fraction(b)
    if result == exact:
        assert type(result) is Decimal
    else:
        assert type(result) is Rounded and result == CONTEXT.divide(a, b)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # The default context's 28 digits would round each of these.
        ("1200 + 1e-30", "1200.000000000000000000000000000001"),
        ("1 - 1e-36", "0.999999999999999999999999999999999999"),
        ("(1 - 1e-36) + 1e-36 == 1", True),
        ("1234567890123456789012345678.9 * 10", "12345678901234567890123456789"),
        ("-1234567890123456789012345678.91", "-1234567890123456789012345678.91"),
        ("abs(-1234567890123456789012345678.91)", "1234567890123456789012345678.91"),
        ("1e999 - 1e-999 + 1e-999 == 1e999", True),
        ("1e30 % 7", "1"),  # the remainder of a 31-digit quotient, exactly
        # A quotient that terminates is exact, however many digits it has.
        ("12345678901234567890123456789012 / 2", "6172839450617283945061728394506"),
        ("round(1234567890123456789012345678.99, 1)", "1234567890123456789012345679.0"),
    ],
)
def test_sums_differences_products_are_exact_beyond_28_digits(text: str, value: str | bool) -> None:
    result = ev(text)
    assert result == (value if isinstance(value, bool) else Decimal(value))
    assert type(result) is not Rounded


@pytest.mark.parametrize(
    "text", ["1 / 7", "-(1 / 7)", "1 / 3 + 1 / 6", "abs(-1 / 7)", "max(1 / 3, 0)", "(1 / 7) * 0"]
)
def test_a_non_terminating_quotient_and_what_is_computed_from_it_are_rounded(text: str) -> None:
    assert type(ev(text)) is Rounded
    assert type(ev(f"round({text}, 2)")) is Decimal  # rounding on purpose is exact


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("(1 + 1e-999) * (1 + 1e-999) * (1 + 1e-999)",
         "The exact result would need more than 2,000 significant digits."),
        ("1e-999 / 10", "The result is too small (below 1e-999 in size, and not 0)."),
        ("1e-999 * 1e-999", "The result is too small (below 1e-999 in size, and not 0)."),
        ("1e-999 / 3", "The result is too small (below 1e-999 in size, and not 0)."),
        ("1e999 * 10", "The result is too large (beyond 1e999)."),
    ],
)  # fmt: skip
def test_results_beyond_the_bounds_are_errors(text: str, detail: str) -> None:
    d = ev_error(text)
    assert (d.summary, d.detail) == ("Arithmetic error", detail)


# -- % and round -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("7 % 3", "1"), ("-7 % 3", "-1"), ("7 % -3", "1"), ("-7 % -3", "-1"), ("-7.5 % 2", "-1.5"),
     ("6 % 3", "0")],
)  # fmt: skip
def test_modulo_truncates_toward_zero(text: str, value: str) -> None:
    assert ev(text) == Decimal(value)


@FAST
@given(decimals, decimals.filter(lambda d: d != 0))
def test_modulo_property(a: Decimal, b: Decimal) -> None:
    quotient = Fraction(a) / Fraction(b)
    truncated = math.trunc(quotient)  # toward zero, as in Terraform
    assert ev(f"({a}) % ({b})") == Fraction(a) - Fraction(b) * truncated
    result = ev(f"({a}) % ({b})")
    assert result == 0 or (result > 0) == (a > 0)


@pytest.mark.parametrize(
    ("text", "value"),
    [("round(2.5)", "3"), ("round(-2.5)", "-3"), ("round(0.5)", "1"), ("round(-0.5)", "-1"),
     ("round(1.25, 1)", "1.3"), ("round(-1.25, 1)", "-1.3"), ("round(1.005, 2)", "1.01"),
     ("round(2.4)", "2"), ("round(1250, -2)", "1300"), ("round(7, 2)", "7"),
     ("round(12345678901234567890123456789, 2)", "12345678901234567890123456789")],
)  # fmt: skip
def test_round_half_away_from_zero(text: str, value: str) -> None:
    assert ev(text) == Decimal(value)


def half_away(x: Fraction, digits: int) -> Fraction:
    scale = Fraction(10) ** digits
    magnitude = math.floor(abs(x) * scale + Fraction(1, 2))
    return (magnitude if x >= 0 else -magnitude) / scale


@FAST
@given(decimals, st.integers(min_value=-3, max_value=5))
def test_round_property(x: Decimal, digits: int) -> None:
    assert ev(f"round(({x}), {digits})") == half_away(Fraction(x), digits)


def test_round_needs_whole_digits() -> None:
    d = ev_error("round(1.5, 0.5)")
    assert d.summary == "Invalid function argument"
    assert "whole number of digits" in d.detail


def test_round_keeps_every_digit_of_a_long_number() -> None:
    assert ev("round(1234567890123456789012345678.99, 1)") == Decimal(
        "1234567890123456789012345679.0"
    )


# -- the rest of the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("min(3, 1, 2)", Decimal(1)), ("max([3, 1, 2])", Decimal(3)), ("abs(-2.5)", Decimal("2.5")),
        ("ceil(-1.5)", Decimal(-1)), ("floor(-1.5)", Decimal(-2)), ("ceil(1.2)", Decimal(2)),
        ("1 < 2 && 2 <= 2", True), ("1 > 2 || !false", True), ("2 >= 3", False),
        ("1 != 1", False), ('"a" == "a"', True), ("null == null", True),
        ("true ? 1 : 2", Decimal(1)), ("false ? 1 : 2", Decimal(2)),
        ('"v${1.50}-${true}"', "v1.5-true"), ("[1, 2][1]", Decimal(2)),
        ("{ a = 1 }.a", Decimal(1)), ('{ a = 1 }["a"]', Decimal(1)), ("-(2 - 5)", Decimal(3)),
        ("[1, 2] == [1, 2]", True), ("(2.50)", Decimal("2.5")), ("((1)) + (2)", Decimal(3)),
    ],
)  # fmt: skip
def test_expressions(text: str, value: object) -> None:
    assert ev(text) == value


def test_short_circuit() -> None:
    # The right side is not evaluated, so its error does not surface.
    assert ev("false && (1 + true)") is False
    assert ev("true || (1 + true)") is True


def test_references() -> None:
    scope = Scope(
        variables={"rate": Decimal("0.2"), "x-1": Decimal(3)},
        locals={"double": parse_text("double = var.rate * 2\n", "l.hcl").body.attributes["double"]},
        blocks={"unit": {"ticket"}},
    )
    assert ev("local.double", scope) == Decimal("0.4")
    assert ev("var.x-1", scope) == Decimal(3)  # "-" belongs to identifiers, as in HCL
    assert ev("unit.ticket", scope) == BlockRef("unit", "ticket")


@pytest.mark.parametrize(
    ("text", "summary", "detail"),
    [
        ("var.rat", "Reference to undeclared input variable",
         'No variable "rat" is declared. Did you mean "rate"?'),
        ("local.dubble", "Reference to undeclared local value", 'Did you mean "double"?'),
        ("unit.tikcet", "Reference to undeclared resource", 'Did you mean "ticket"?'),
        ("foo(1)", "Call to unknown function", 'There is no function named "foo".'),
        ("flor(1.5)", "Call to unknown function", 'Did you mean "floor"?'),
        ('1 + "a"', "Invalid operand", "+ needs a number"),
        ("!1", "Invalid operand", "! needs a bool"),
        ("1 / 0", "Division by zero", "The right side of / is zero."),
        ("5 % 0", "Division by zero", "The right side of % is zero."),
        ("min()", "Invalid function argument", "needs at least one number"),
        ('abs("x")', "Invalid function argument", "abs() takes numbers"),
        ("between(1, 2) + 1", "Invalid use of a distribution", "between(1, 2) cannot be used"),
        ("max(between(1, 2), 3)", "Invalid use of a distribution", "cannot be used with max()"),
        ("between(1)", "Invalid function argument", "between() takes 2 arguments, got 1."),
        ("self.margin", "Invalid reference", "self is only available inside guardrails."),
        ("[1][3]", "Invalid index", "out of range"),
        ("ticket", "Invalid reference", "is not a value on its own"),
        ('"${[1]}"', "Invalid template interpolation value", "Cannot include a list"),
    ],
)  # fmt: skip
def test_errors(text: str, summary: str, detail: str) -> None:
    scope = Scope(
        variables={"rate": Decimal("0.2")},
        locals={"double": parse_text("double = 2\n", "l.hcl").body.attributes["double"]},
        blocks={"unit": {"ticket"}},
    )
    d = ev_error(text, scope)
    assert d.summary == summary
    assert detail in d.detail
    filename, line, _ = where(d)
    assert (filename, line) == ("e.hcl", 1)


def test_error_column_points_at_the_operand() -> None:
    d = ev_error('1 + "a"')
    assert where(d) == ("e.hcl", 1, 9)


def test_distributions_are_values() -> None:
    d = ev("between(2, 5)")
    assert isinstance(d, Distribution) and d.discrete and d.text == "between(2, 5)"
    t = ev("triangular(1, 2, 6)")
    assert isinstance(t, Distribution) and not t.discrete and t.params == (1, 2, 6)
    assert not ev("between(1, 2.5)").discrete


def test_local_cycle_names_the_loop() -> None:
    attrs = parse_text("a = local.b\nb = local.a\n", "l.hcl").body.attributes
    d = ev_error("local.a", Scope(locals=attrs))
    assert d.summary == "Cycle in local values"
    assert d.detail == "These locals refer to each other in a loop: local.a -> local.b -> local.a."
    assert where(d) == ("l.hcl", 1, 1)


def test_equality_of_repeated_members_compares_each_distinct_pair_once(monkeypatch) -> None:
    """Two equal values, built apart, each holding one list 2**200 times over: compared
    member by member they would never finish; the work grows with distinct members."""
    from infercost.evaluate import evaluator

    calls = 0
    real = evaluator.type_name

    def counted(value):
        nonlocal calls
        calls += 1
        return real(value)

    monkeypatch.setattr(evaluator, "type_name", counted)
    a: list = [Decimal(1)]
    b: list = [Decimal(1)]
    for _ in range(200):
        a, b = [a, a], [b, b]
    assert evaluator.equal_values(a, b) is True
    assert calls <= 2 * 4 * 201
    c: list = [Decimal(2)]
    for _ in range(200):
        c = [c, c]
    assert evaluator.equal_values(a, c) is False


def test_values_built_by_the_evaluator_carry_their_weight() -> None:
    from infercost.evaluate.values import weight

    assert weight(ev('[1, "abc", { k = [2] }]')) == 1 + 1 + 3 + (1 + 1 + (1 + 1))
    assert weight(ev('"${"ab"}cd"')) == 4
    assert ev("[1, [2]] == [1, [2]]") is True
    assert ev("{ a = [1] } != { a = [1, 2] }") is True


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3-12", "-9"),
        ("5-1.5", "3.5"),
        ("0.5-0.25", "0.25"),
        ("(5)-1.5", "3.5"),
        ("1 -1e3", "-999"),
        ("1-1e-36", "0.999999999999999999999999999999999999"),
        ("2*-3", "-6"),
        ("-12", "-12"),
        ("-1.5e3", "-1500"),
        ("- 4", "-4"),
    ],
)
def test_a_minus_before_digits_subtracts_as_terraform_reads_it(text: str, value: str) -> None:
    # python-hcl2's literals took a leading "-" with two digits or more: "3-12" was the
    # literals 3 and -12, a syntax error, while "1-2" was a subtraction.
    assert ev(text) == Decimal(value)
    assert ev(f"[{text}]") == [Decimal(value)]
