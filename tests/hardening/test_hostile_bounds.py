"""Bounds a stranger's stack cannot step over: every command refuses the value the same
way, at the attribute that holds it, with exit 1 and never a traceback."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.helpers import BASE_STACK, run_cli

# A step whose cost is 0 whatever its calls: only the bound can refuse calls = 1e30 before
# the percentile simulation draws them (it crashed drawing a count beyond any integer).
FREE_STEP = """
    unit "ticket" {}
    price_sheet "p" {
      meter "m" {
        price = 1
      }
    }
    workflow "w" {
      step "s" {
        uses     = "p/m"
        calls    = 1e30
        quantity = 0
      }
    }
    feature "chat" {
      unit     = unit.ticket
      workflow = workflow.w
    }
    """

CALLS_OUT_OF_RANGE = (
    "Error: Value out of range\n\n"
    '  on stack/main.hcl line 10, in step "s":\n'
    "  10:     calls    = 1e30\n\n"
    '"calls" must lie within ±1e15 (a quadrillion), like the bounds of a distribution, '
    "but it is 1000000000000000000000000000000.\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "stack"],
        ["breakdown", "stack", "--samples", "100"],
        ["explain", "stack", "chat", "--samples", "100"],
        ["check", "stack"],
    ],
)
def test_a_constant_count_beyond_a_quadrillion_is_refused_by_every_command(
    write_stack, argv: list[str]
) -> None:
    write_stack({"main.hcl": FREE_STEP, "usage.csv": "feature,units\nchat,10\n"})
    result = run_cli([*argv, "--usage", "stack/usage.csv"] if argv[0] != "validate" else argv)
    assert result.code == 1
    assert result.stderr.startswith(CALLS_OUT_OF_RANGE), result.stderr


@pytest.mark.parametrize(
    ("old", "new", "line", "detail"),
    [
        ("input_tokens  = 1800", "input_tokens = 1e16", 7,
         '"input_tokens" must lie within ±1e15 (a quadrillion), like the bounds of a '
         "distribution, but it is 10000000000000000."),
        ("output_tokens = 350", "output_tokens = -1", 8,
         '"output_tokens" must be at least 0, but it is -1.'),  # the range rule comes first
        ("output_tokens = 350", "output_tokens = 350\n    context_growth = 1e999", 9,
         '"context_growth" must lie within ±1e15 (a quadrillion), like the bounds of a '
         "distribution, but it is far beyond that."),
    ],
)  # fmt: skip
def test_token_constants_obey_the_bound_of_distributions(
    write_stack, old: str, new: str, line: int, detail: str
) -> None:
    write_stack({"main.hcl": BASE_STACK["main.hcl"].replace(old, new)}, base=True)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert f'on stack/main.hcl line {line}, in step "draft"' in result.stderr
    assert detail in result.stderr


def test_a_quadrillion_calls_is_still_a_count(write_stack) -> None:
    main = BASE_STACK["main.hcl"].replace("between(2, 5)", "1e15")
    write_stack({"main.hcl": main}, base=True)
    assert run_cli(["validate", "stack"]).code == 0


def test_revenue_per_unit_beyond_any_amount_is_refused_at_the_feature(write_stack) -> None:
    """It was summed first and blamed on the usage file ("Usage too large")."""
    main = BASE_STACK["main.hcl"].replace("revenue_per_unit = 0.4", "revenue_per_unit = 1e400")
    write_stack({"main.hcl": main, "usage.csv": "feature,units\nchat,10\n"}, base=True)
    expected = (
        "Error: Value out of range\n\n"
        '  on stack/main.hcl line 15, in feature "chat":\n'
        "  15:   revenue_per_unit = 1e400\n\n"
        '"revenue_per_unit" must stay below 1e18 in size, like every amount infercost '
        "shows, but it is far beyond that.\n"
    )
    for argv in (["validate", "stack"], ["breakdown", "stack", "--usage", "stack/usage.csv"]):
        result = run_cli(argv)
        assert (result.code, result.stdout) == (1, "")
        assert result.stderr.startswith(expected), result.stderr


@pytest.mark.parametrize(
    ("old", "new", "file", "line", "noun"),
    [
        ("price = 16", "price = 1e18", "prices.hcl", 13, 'The price "price"'),
        ("output_per_mtok       = 10.00", "output_per_mtok = 2e18", "prices.hcl", 7,
         '"output_per_mtok"'),
    ],
)  # fmt: skip
def test_every_price_obeys_the_bound_of_amounts(
    write_stack, old: str, new: str, file: str, line: int, noun: str
) -> None:
    prices = BASE_STACK["prices.hcl"].replace(old, new)
    assert prices != BASE_STACK["prices.hcl"]
    write_stack({"prices.hcl": prices}, base=True)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert f"on stack/{file} line {line}" in result.stderr
    assert f"{noun} must stay below 1e18 in size" in result.stderr


def test_a_subscription_price_beyond_any_amount_is_refused_at_its_attribute(
    write_stack,
) -> None:
    subs = 'subscription "pro" {\n  price    = -1e400\n  features = [feature.chat]\n}\n'
    write_stack({"subs.hcl": subs, "usage.csv": "feature,units\nchat,10\n"}, base=True)
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv"])
    assert result.code == 1
    assert "on stack/subs.hcl line 2" in result.stderr
    assert 'The price "price" must' in result.stderr


@pytest.mark.parametrize("command", ["validate", "breakdown", "check", "plan"])
def test_revenue_below_the_smallest_amount_is_refused_at_its_attribute_by_every_command(
    write_stack, command: str
) -> None:
    """validate passed it and breakdown failed with "Figure too large" at the feature: a
    margin over 1e-30 of revenue, 1 − COGS / 1e-30, is beyond any figure."""
    main = BASE_STACK["main.hcl"].replace("revenue_per_unit = 0.4", "revenue_per_unit = 1e-30")
    write_stack({"main.hcl": main, "usage.csv": "feature,units\nchat,10\n"}, base=True)
    argv = [command, "stack"] + ([] if command == "validate" else ["--usage", "stack/usage.csv"])
    result = run_cli(argv)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: Value out of range\n\n"
        '  on stack/main.hcl line 15, in feature "chat":\n'
        "  15:   revenue_per_unit = 1e-30\n\n"
        '"revenue_per_unit" must be 0 or at least 1e-18, the smallest amount infercost keeps, '
        "but it is 0.000000000000000000000000000001.\n\n"
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "noun", "shown"),
    [
        ("prices.hcl", "input_per_mtok        = 2.50", "input_per_mtok = 1e-19", 5,
         'The price "input_per_mtok"', "0.0000000000000000001"),
        ("prices.hcl", "price = 16", "price = 1e-400", 13, 'The price "price"',
         "far below that"),
        ("subs.hcl", "price    = 10", "price    = 5e-20", 2, 'The price "price"',
         "0.00000000000000000005"),
    ],
)  # fmt: skip
def test_every_amount_below_the_smallest_is_refused(
    write_stack, file: str, old: str, new: str, line: int, noun: str, shown: str
) -> None:
    subs = 'subscription "pro" {\n  price    = 10\n  features = [feature.chat]\n}\n'
    files = {**BASE_STACK, "subs.hcl": subs}
    files[file] = files[file].replace(old, new)
    assert files[file] != {**BASE_STACK, "subs.hcl": subs}[file]
    write_stack(files)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert f"on stack/{file} line {line}" in result.stderr
    assert (
        f"{noun} must be 0 or at least 1e-18, the smallest amount infercost keeps, "
        f"but it is {shown}.\n"
    ) in result.stderr


@pytest.mark.parametrize(("price", "places"), [("1 + 1e-40", 40), ("1.0000000000000000001", 19)])
def test_a_subscription_price_finer_than_the_smallest_amount_is_refused(
    write_stack, price: str, places: int
) -> None:
    # Every customer's revenue starts from the price, in the engine: 40 decimals made
    # breakdown fail inside it ("DECIMAL(38,1998)"), an internal error, after validate
    # had passed.
    subs = f'subscription "pro" {{\n  price    = {price}\n  features = [feature.chat]\n}}\n'
    write_stack({**BASE_STACK, "subs.hcl": subs})
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert 'on stack/subs.hcl line 2, in subscription "pro"' in result.stderr
    assert (
        'The price "price" must have at most 18 decimals (10^-18 is the smallest amount '
        f"infercost keeps), but it has {places}.\n"
    ) in result.stderr


def test_the_smallest_amount_itself_is_priced_exactly(write_stack) -> None:
    # 10 tickets at 1e-18 each against COGS of 10 × 0.028 (the BASE_STACK's figures):
    # margin = (1e-17 − 0.28) / 1e-17 = 1 − 2.8e16, exactly.
    main = BASE_STACK["main.hcl"].replace("revenue_per_unit = 0.4", "revenue_per_unit = 1e-18")
    write_stack({"main.hcl": main, "usage.csv": "feature,units\nchat,10\n"}, base=True)
    assert run_cli(["validate", "stack"]).code == 0
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0, result.stderr
    (chat,) = json.loads(result.stdout, parse_float=Decimal)["features"]
    assert (chat["revenue"], chat["cogs"]) == (Decimal("1e-17"), Decimal("0.28"))
    assert chat["margin"] == Decimal("-27999999999999999")


# -- chains of operators are not nesting -----------------------------------------------


def _local(n_terms: int, around: str = "{}") -> dict[str, str]:
    chain = " + ".join(["1"] * n_terms)
    return {
        "x.hcl": f"locals {{\n  x = {around.format(chain)}\n}}\n",
        "main.hcl": BASE_STACK["main.hcl"].replace(
            "revenue_per_unit = 0.4", "revenue_per_unit = local.x"
        ),
    }


@pytest.mark.parametrize("n_terms", [63, 64, 200, 257])
def test_a_flat_sum_is_one_level_of_nesting(write_stack, n_terms: int) -> None:
    """A sum of 63 terms was refused as "nest at most 64 levels": a left-leaning chain is
    not nesting. Its value is the count of its terms."""
    write_stack({**_local(n_terms), "usage.csv": "feature,units\nchat,10\n"}, base=True)
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout, parse_float=Decimal)
    (chat,) = doc["features"]
    assert Decimal(chat["revenue"]) == 10 * n_terms


@pytest.mark.parametrize("n_terms", [258, 100_000])
def test_a_chain_beyond_the_bound_is_refused_with_the_bound(write_stack, n_terms: int) -> None:
    write_stack(_local(n_terms), base=True)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert result.stderr.startswith("Error: Expression too long\n\n  on stack/x.hcl line 2:\n"), (
        result.stderr
    )
    assert (
        "An expression may chain at most 256 operators (a + b + c chains two), counting "
        "those of the expressions around it; add up parts in locals." in result.stderr
    )


def test_chains_count_with_the_chains_around_them(write_stack) -> None:
    # 200 operators inside parentheses, inside a chain of 100 more: 300 in all.
    around = "(" + "{}" + ")" + " + 1" * 100
    write_stack(_local(201, around), base=True)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert "Error: Expression too long" in result.stderr


def test_nesting_is_still_bounded_with_chains_inside(write_stack) -> None:
    around = "(" * 70 + "{}" + ")" * 70
    write_stack(_local(3, around), base=True)
    result = run_cli(["validate", "stack"])
    assert result.code == 1
    assert result.stderr.startswith("Error: Too deeply nested\n\n  on stack/x.hcl line 2")
    assert "Blocks and expressions may nest at most 64 levels deep." in result.stderr


def test_the_longest_chain_at_the_deepest_nesting_runs_every_walker(write_stack) -> None:
    """The bounds together stay below Python's recursion limit in every walker of
    expressions: conversion, evaluation, guardrail compilation and their references."""
    chain = " + ".join(["self.cogs"] * 255)
    condition = "max(" * 28 + chain + ")" * 28 + " >= 0"
    guardrail = f'guardrail "g" {{\n  condition = {condition}\n  message = "m"\n}}\n'
    files = {"g.hcl": guardrail, "usage.csv": "feature,units\nchat,10\n"}
    write_stack(files, base=True)
    result = run_cli(["check", "stack", "--usage", "stack/usage.csv"])
    assert result.code == 0, result.stderr
    deeper = guardrail.replace("max(", "max(max(", 1).replace(")", "))", 1)
    write_stack({**files, "g.hcl": deeper}, base=True)
    result = run_cli(["check", "stack", "--usage", "stack/usage.csv"])
    assert result.code == 1
    assert "Error: Too deeply nested" in result.stderr


def _doubling(kind: str, levels: int) -> str:
    """Locals that each repeat the one before twice: 2**levels elements in a few lines."""
    first, step = {
        "list": ("[1, 2]", "[local.v{0}, local.v{0}]"),
        "text": ('"ab"', '"${{local.v{0}}}${{local.v{0}}}"'),
    }[kind]
    body = [f"  v0 = {first}"] + [f"  v{i} = {step.format(i - 1)}" for i in range(1, levels)]
    return "locals {\n" + "\n".join(body) + "\n}\n"


# w(k) = 2**(k + 2) - 1 for the list (1 for itself, 2 per member): v18 is the first above
# a million. A text of 2 * 2**k characters: v19 is the first above a million.
@pytest.mark.parametrize(("kind", "line", "source"), [
    ("list", 20, "v18 = [local.v17, local.v17]"),
    ("text", 21, 'v19 = "${local.v18}${local.v18}"'),
])  # fmt: skip
@pytest.mark.parametrize("command", ["validate", "check", "breakdown", "plan"])
def test_locals_that_double_per_line_are_refused_where_they_pass_the_bound(
    write_stack, kind: str, line: int, source: str, command: str
) -> None:
    guard = """
        guardrail "same" {
          scope     = "stack"
          condition = local.v59 == local.v59
        }
        """
    write_stack({"locals.hcl": _doubling(kind, 60), "guard.hcl": guard}, base=True)
    result = run_cli([command, "stack"])
    assert result.code == 1
    assert result.stderr.startswith(
        "Error: Value too large\n\n"
        f"  on stack/locals.hcl line {line}:\n"
        f"  {line}:   {source}\n\n"
        "This value would hold more than 1,000,000 elements and characters (locals that "
        "repeat one another multiply). infercost refuses to build it.\n"
    ), result.stderr
    assert "Traceback" not in result.stderr


def test_a_value_just_under_the_bound_is_built_and_compared(write_stack) -> None:
    guard = """
        guardrail "same" {
          scope     = "stack"
          condition = local.v17 == local.v17 && [local.v17] != [local.v16]
        }
        """
    usage = "feature,units\nchat,10\n"
    write_stack(
        {"locals.hcl": _doubling("list", 18), "guard.hcl": guard, "usage.csv": usage}, base=True
    )
    result = run_cli(["check", "stack", "--usage", "stack/usage.csv"])
    assert result.code == 0, result.stderr
    assert "same" in result.stdout


def test_a_customer_margin_out_of_range_is_found_when_no_feature_or_plan_is(
    write_stack,
) -> None:
    """ "tiny" pays 1e-18 and runs 5 batches at $1 each: a gross margin of
    (1e-18 − 5) / 1e-18 = −5e18, beyond any figure, while their subscription (with
    "big", who pays 400,000 in chat revenue) and both features (batch has no revenue:
    its price share is 0) stay in range. The customers' margins are bounded before any
    is computed; this one is not within the bound, so each is computed and the first
    out of range named at the first usage row that names the customer (before, it was
    named with no location)."""
    main = BASE_STACK["main.hcl"] + (
        'price_sheet "ops" {\n  meter "job" {\n    price = 1\n  }\n}\n'
        'workflow "batch" {\n  step "run" {\n    uses     = "ops/job"\n'
        "    quantity = 1\n  }\n}\n"
        'feature "batch" {\n  unit     = unit.ticket\n  workflow = workflow.batch\n}\n'
        'subscription "micro" {\n  price    = 1e-18\n'
        "  features = [feature.chat, feature.batch]\n"
        "  revenue_share = { chat = 1, batch = 0 }\n}\n"
    )
    usage = "customer,subscription,feature,units\nbig,micro,chat,1000000\ntiny,micro,batch,5\n"
    write_stack({"main.hcl": main, "usage.csv": usage}, base=True)
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: Figure too large\n\n"
        "  on stack/usage.csv line 3:\n"
        "  3: tiny,micro,batch,5\n\n"
        "The gross margin of customer tiny comes to about -5.000e+18, beyond what infercost "
        "shows (amounts and margins must stay below 1e18 in size). Check the prices, counts "
        "and usage that lead to it.\n\n"
    )


@pytest.mark.parametrize("command", ["validate", "breakdown"])
@pytest.mark.parametrize("customers", [False, True])
def test_units_summing_beyond_any_figure_are_named_at_the_largest_row(
    write_stack, command: str, customers: bool
) -> None:
    """Each row fits, their sum does not: the error names the usage row with the most
    units of the feature (units come from the usage file, not the feature block), and
    validate refuses the file as breakdown does (it passed each row alone)."""
    rows = ["chat,400000000000000000", "chat,700000000000000000", "chat,5"]
    if customers:
        rows = [f"c{i},pro,{row}" for i, row in enumerate(rows)]
    header = "customer,subscription,feature,units" if customers else "feature,units"
    subs = 'subscription "pro" {\n  price    = 10\n  features = [feature.chat]\n}\n'
    write_stack({"usage.csv": "\n".join([header, *rows]) + "\n", "subs.hcl": subs}, base=True)
    result = run_cli([command, "stack", "--usage", "stack/usage.csv"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: Figure too large\n\n"
        "  on stack/usage.csv line 3:\n"
        f"  3: {rows[1]}\n\n"
        "The units of feature chat come to about 1.100e+18, beyond what infercost shows "
        "(amounts and margins must stay below 1e18 in size). Check the prices, counts and "
        "usage that lead to it.\n\n"
    )


@pytest.mark.parametrize("units", ["0.5e-400", "1e-30", "0.99999999999999999999999999999999999999"])
def test_units_finer_than_18_decimals_are_refused_alike_by_validate_and_breakdown(
    write_stack, units: str
) -> None:
    """0.5e-400 passed validate and failed breakdown with an unlocated "Figure too large";
    38 digits were added up to 1; 1e-30 made a cost per unit of 10^30 and more."""
    write_stack({"usage.csv": f"feature,units\nchat,3\nchat,{units}\n"}, base=True)
    expected = (
        "Error: Invalid usage row\n\n"
        "  on stack/usage.csv line 3:\n"
        f"  3: chat,{units}\n\n"
        f"row 2: units {units} has more than 18 decimals: units may be fractional, to at "
        "most 18 digits after the point.\n\n"
    )
    for command in ("validate", "breakdown"):
        result = run_cli([command, "stack", "--usage", "stack/usage.csv"])
        assert (result.code, result.stdout, result.stderr) == (1, "", expected)


def test_units_of_18_decimals_are_added_exactly_with_customer_rows(write_stack) -> None:
    """A customer's units reach the feature's total unrounded (the engine's 28-digit
    context added them to 1 before)."""
    usage = (
        "customer,subscription,feature,units\n"
        "a,pro,chat,0.999999999999999999\nb,pro,chat,123456789012.123456789012345678\n"
    )
    subs = 'subscription "pro" {\n  price    = 10\n  features = [feature.chat]\n}\n'
    write_stack({"usage.csv": usage, "subs.hcl": subs}, base=True)
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0, result.stderr
    (chat,) = json.loads(result.stdout, parse_float=Decimal)["features"]
    assert chat["units"] == Decimal("123456789013.123456789012345677")


def test_a_cogs_per_unit_beyond_any_figure_is_refused_at_the_feature(write_stack) -> None:
    """A shared cost of a million over a thousand-trillionth of a unit: the units and the
    COGS fit, their quotient (printed as $1,000,000,000,000,000,000,000.03) does not."""
    main = BASE_STACK["main.hcl"].replace("revenue_per_unit = 0.4", "revenue_per_unit = 0")
    shared = 'shared_cost "pods" {\n  amount = 1000000\n}\n'
    usage = "feature,units\nchat,0.000000000000001\n"
    write_stack({"main.hcl": main, "shared.hcl": shared, "usage.csv": usage}, base=True)
    result = run_cli(["breakdown", "stack", "--usage", "stack/usage.csv"])
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: Figure too large\n\n"
        '  on stack/main.hcl line 12, in feature "chat":\n'
        '  12: feature "chat" {\n\n'
        "The COGS per unit of feature chat comes to about 1.000e+21, beyond what infercost "
        "shows (amounts and margins must stay below 1e18 in size). Check the prices, counts "
        "and usage that lead to it.\n\n"
    )
