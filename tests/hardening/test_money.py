"""Money is never wrong (SPEC §15): no negative figure, typed equality, exact literals,
and a margin with COGS but no revenue fails every margin condition.

Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.values import falling_moment_of
from tests.helpers import REPO, errors_of, load, run_cli

PRICES = """
    price_sheet "llm" {
      model "big" {
        input_per_mtok  = 2.50
        output_per_mtok = 10
      }
    }
    unit "u" {}
"""


def evaluate(text: str) -> object:
    parsed = parse_text(f"x = {text}\n", "t.hcl")
    expr: s.Expr = parsed.body.attributes["x"].expr
    return Evaluator(Scope()).evaluate(expr)


def step_stack(calls: str, growth: str) -> dict[str, str]:
    return {
        "prices.hcl": PRICES,
        "main.hcl": f"""
            workflow "w" {{
              step "s" {{
                uses           = "llm/big"
                calls          = {calls}
                input_tokens   = 0
                context_growth = {growth}
              }}
            }}
            feature "f" {{
              unit     = unit.u
              workflow = workflow.w
            }}
            """,
    }


def unit_cost(files: dict[str, str]) -> D:
    from infercost.cost.unit_cost import workflow_costs

    stack = load(files)
    return sum((c.cost_per_unit for c in workflow_costs(stack, stack.workflows["w"], None)), D(0))


# -- a fractional constant calls is a two-point count ----------------------------------------
def test_fractional_calls_with_context_growth_is_never_negative() -> None:
    # calls = 0.5: C is 0 or 1 with p = 1/2, so E[C(C-1)] = 0 and T_in = 0 (not -0.25 * 4000/2).
    assert unit_cost(step_stack("0.5", "4000")) == 0


def test_fractional_calls_is_the_two_point_distribution_on_floor_and_ceil() -> None:
    # calls = 2.5: C is 2 or 3 with p = 1/2: E[C(C-1)] = (2*1 + 3*2) / 2 = 4
    # T_in = 4000 * 4 / 2 = 8000 tokens; cost = 8000 * 2.50 / 1e6 = 0.02
    assert falling_moment_of(D("2.5")) == 4
    assert unit_cost(step_stack("2.5", "4000")) == D("0.02")
    # calls = 1.25: C is 1 or 2 with p = 1/4: E[C(C-1)] = 3/4 * 0 + 1/4 * 2 = 0.5
    assert falling_moment_of(D("1.25")) == D("0.5")
    # a whole constant keeps c(c-1)
    assert falling_moment_of(D(3)) == 6
    assert falling_moment_of(D(0)) == 0


@pytest.mark.parametrize("calls", ["between(0, 0.5)", "triangular(0, 0.2, 1)"])
def test_continuous_calls_with_context_growth_is_a_located_error(calls: str) -> None:
    (d,) = errors_of(step_stack(calls, "4000"))
    assert d.summary == "Invalid use of a distribution"
    assert "context_growth" in d.detail
    assert d.range is not None and (d.range.filename, d.range.start.line) == ("main.hcl", 4)


def test_continuous_calls_without_context_growth_is_fine() -> None:
    # between(0, 0.5) has mean 0.25; no growth: cost 0 either way (input_tokens = 0)
    assert unit_cost(step_stack("between(0, 0.5)", "0")) == 0


# -- equality and literals -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 == true", False),
        ("0 == false", False),
        ('1 == "1"', False),
        ("1 != true", True),
        ("[1] == [true]", False),
        ("{ a = 1 } == { a = true }", False),
        ("1.0 == 1", True),
        ("[1, 2] == [1, 2.00]", True),
        ("null == null", True),
    ],
)
def test_values_of_different_types_are_never_equal(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


def test_number_literals_keep_every_digit() -> None:
    thirty = "123456789012345678901234567890"
    assert evaluate(thirty) == D(thirty)
    assert evaluate(f"-{thirty}.5") == D(f"-{thirty}.5")
    assert evaluate(f"({thirty})") == D(thirty)


def test_a_thirty_digit_literal_is_shown_unrounded() -> None:
    # plain() used to normalize at 28 digits: ...678901234567891 became ...6789012345679
    price = "0.123456789012345678901234567891"
    assert evaluate(f'"${{{price}}}"') == price
    assert evaluate(f'"${{-{price}}}"') == "-" + price


# -- zero revenue with COGS fails every margin condition -------------------------------------
FREE_PLAN = {
    "prices.hcl": """
        price_sheet "llm" {
          model "big" { input_per_mtok = 1000000 }
        }
        unit "u" {}
        workflow "w" {
          step "s" {
            uses         = "llm/big"
            input_tokens = 1
          }
        }
        """,
    # 5,000 units at $1 each: $5,000 of COGS, and the plan is free.
    "main.hcl": """
        feature "f" {
          unit     = unit.u
          workflow = workflow.w
        }
        subscription "free" {
          price    = 0
          features = [feature.f]
        }
        """,
    "usage.csv": "customer,subscription,feature,units\nc1,free,f,5000\n",
}


def check_json(stack: Path, *extra: str) -> tuple[int, dict]:
    code, out, err = run_cli(
        ["check", str(stack), "--usage", f"{stack}/usage.csv", "-o", "json", *extra]
    )
    assert err == "", err
    return code, json.loads(out)


def results_of(document: dict, guardrail: str) -> dict[str, dict]:
    return {r["target"]: r for r in document["results"] if r["guardrail"] == guardrail}


def test_margin_floor_pack_fails_a_free_plan_with_cogs(write_stack) -> None:
    code, document = check_json(write_stack(FREE_PLAN), "--policy", "builtin:margin-floors")
    feature = results_of(document, "feature_margin_floor")["feature.f"]
    plan = results_of(document, "subscription_margin_floor")["subscription.free"]
    assert feature["status"] == "fail"
    assert plan["status"] == "fail"
    assert "no revenue against COGS of $5,000.00" in plan["message"]
    assert feature["values"]["margin"] is None  # undefined in JSON, failed in the gate
    assert code == 2  # feature_margin_floor is an error


@pytest.mark.parametrize(
    "condition",
    ["self.margin >= 0.5", "self.margin < 2", "!(self.margin < 0)", "self.margin == null"],
)
def test_every_condition_reading_a_margin_without_revenue_fails(
    write_stack, condition: str
) -> None:
    files = {
        **FREE_PLAN,
        "rules.hcl": f'guardrail "g" {{\n  scope = "customer"\n  condition = {condition}\n}}\n',
    }
    _code, document = check_json(write_stack(files))
    assert results_of(document, "g")['customer["c1"]']["status"] == "fail"


def test_a_margin_without_revenue_and_without_cogs_is_still_skipped(write_stack) -> None:
    files = {**FREE_PLAN, "usage.csv": "customer,subscription,feature,units\nc1,free,f,0\n"}
    files["rules.hcl"] = 'guardrail "g" {\n  scope = "customer"\n  condition = self.margin > 0\n}\n'
    _code, document = check_json(write_stack(files))
    assert results_of(document, "g")['customer["c1"]']["status"] == "skipped"


# -- the engine's own decimal context ----------------------------------------------------------
@pytest.mark.parametrize("command", ["breakdown", "plan", "check"])
def test_sums_run_in_the_engines_context_whatever_the_callers(command: str) -> None:
    import decimal

    argv = [command, "examples/support-assistant", "-o", "json"]
    if command != "breakdown":
        argv += ["--what-if", "examples/support-assistant/what-if/gpt-4o-draft.hcl"]
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        normal = run_cli(argv)
        hostile = decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, Emax=99, traps=[])
        with decimal.localcontext(hostile):
            skewed = run_cli(argv)
    finally:
        os.chdir(cwd)
    assert normal.code in (0, 2) and normal.stderr == ""
    assert skewed == normal
