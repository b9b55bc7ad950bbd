"""``compare`` and ``--usage-scale`` (SPEC §17), against figures worked out by hand.

The stack: one step of 10 calls of a $0.01 meter per request (cost per unit $0.10), one
feature ``chat`` whose revenue is the ``pro`` subscription's ($10 per customer), and
three customers who made 50, 150 and 80 requests:

    COGS 280 x 0.10 = $28, revenue 3 x $10 = $30, margin (30 - 28) / 30 = 1/15;
    customer c2 costs $15 > $10: 1 of 3 customers is underwater.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import load, run_cli

D = Decimal

STACK = {
    "main.hcl": """
        infercost {
          currency = "USD"
          period   = "month"
          usage    = "usage.csv"
        }

        price_sheet "p" {
          meter "call" {
            price = 0.01
            per   = 1
          }
          meter "big" {
            price = 0.05
            per   = 1
          }
        }

        unit "req" {}

        workflow "w" {
          step "s" {
            uses     = "p/call"
            quantity = 10
          }
        }

        feature "chat" {
          unit     = unit.req
          workflow = workflow.w
        }

        subscription "pro" {
          price    = 10
          features = [feature.chat]
        }
        """,
    "usage.csv": "customer,subscription,feature,units\nc1,pro,chat,50\nc2,pro,chat,150\n"
    "c3,pro,chat,80\n",
}

WHAT_IFS = {
    # fewer calls: $0.05 per request
    "cheaper.hcl": 'workflow "w" {\n  step "s" {\n    quantity = 5\n  }\n}\n',
    # a meter five times the price: $0.50 per request
    "bigger.hcl": 'workflow "w" {\n  step "s" {\n    uses = "p/big"\n  }\n}\n',
    # $12 a customer
    "pricier.hcl": 'subscription "pro" {\n  price = 12\n}\n',
}


@pytest.fixture
def stack(write_stack) -> Path:
    folder: Path = write_stack(STACK)
    for name, text in WHAT_IFS.items():
        (folder.parent / name).write_text(text, encoding="utf-8")
    return folder


def document(argv: list[str]) -> dict:
    result = run_cli([*argv, "-o", "json"])
    assert result.code == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def test_each_what_if_applied_alone(stack: Path) -> None:
    what_ifs = [str(stack.parent / n) for n in WHAT_IFS]
    d = document(["compare", str(stack), *what_ifs])
    columns = d["columns"]
    assert [c["what_if"] for c in columns] == [None, *what_ifs]
    figures = [
        (
            c["features"][0]["cogs"],
            c["features"][0]["margin"],
            c["subscriptions"][0]["underwater_customers"],
            c["totals"]["cogs"],
            c["totals"]["revenue"],
        )
        for c in columns
    ]
    assert figures == [
        # stack: 280 x 0.10 = 28 against 30
        (D(28), D(1) / D(15), 1, D(28), D(30)),
        # cheaper: 280 x 0.05 = 14; (30 - 14) / 30 = 8/15; c2 costs 7.50 < 10
        (D(14), D(8) / D(15), 0, D(14), D(30)),
        # bigger: 280 x 0.50 = 140; (30 - 140) / 30 = -11/3; every customer costs > 10
        (D(140), D(-11) / D(3), 3, D(140), D(30)),
        # pricier alone (not on top of cheaper): COGS still 28, revenue 36, margin 8/36;
        # c2 costs 15 > 12
        (D(28), D(8) / D(36), 1, D(28), D(36)),
    ]


def test_text_and_markdown_have_one_column_each(stack: Path) -> None:
    what_ifs = [str(stack.parent / n) for n in WHAT_IFS]
    text = run_cli(["compare", str(stack), *what_ifs]).stdout
    assert "  Underwater customers" in text
    row = next(line for line in text.splitlines() if line.startswith("  COGS"))
    assert row.split() == ["COGS", "$28.00", "$14.00", "$140.00", "$28.00"]
    md = run_cli(["compare", str(stack), *what_ifs, "-o", "markdown"]).stdout
    assert md.startswith("<!-- infercost -->\n")
    assert "| Underwater customers | 1 of 3 (33.3%) | 0 of 3 (0.0%) | 3 of 3 (100.0%) |" in md


def test_compare_needs_a_what_if(stack: Path) -> None:
    result = run_cli(["compare", str(stack)])
    assert result.code == 1
    assert "Error: No what-if files" in result.stderr


def test_usage_scale_two_doubles_cogs_not_subscription_revenue(stack: Path) -> None:
    once = document(["breakdown", str(stack)])
    twice = document(["breakdown", str(stack), "--usage-scale", "2"])
    assert twice["totals"]["cogs"] == 2 * once["totals"]["cogs"] == D(56)
    # revenue is 3 customers x $10 either way: margin (30 - 56) / 30
    assert twice["totals"]["revenue"] == D(30)
    assert twice["totals"]["margin"] == D(30 - 56) / D(30)
    assert [c["cogs"] for c in twice["customers"]] == [D(10), D(30), D(16)]
    sub = twice["subscriptions"][0]
    assert (sub["customers"], sub["underwater_customers"]) == (D(3), 2)


def test_usage_scale_applies_to_both_sides(stack: Path) -> None:
    cheaper = str(stack.parent / "cheaper.hcl")
    d = document(["plan", str(stack), "--what-if", cheaper, "--usage-scale", "2"])
    assert (d["totals"]["before"]["cogs"], d["totals"]["after"]["cogs"]) == (D(56), D(28))
    d = document(["compare", str(stack), cheaper, "--usage-scale", "0.5"])
    assert [c["totals"]["cogs"] for c in d["columns"]] == [D(14), D(7)]
    assert d["usage_scale"] == D("0.5")


def test_usage_scale_never_scales_declared_customers(write_stack) -> None:
    files = dict(STACK)
    files["main.hcl"] = files["main.hcl"].replace(
        "features = [feature.chat]", "features = [feature.chat]\n  customers = 4"
    )
    files["usage.csv"] = "feature,units\nchat,100\n"
    folder = write_stack(files)
    d = document(["breakdown", str(folder), "--usage-scale", "3"])
    # 300 x 0.10 = 30 COGS; 4 declared customers x $10 = 40 revenue
    assert d["totals"]["cogs"] == D(30)
    assert d["subscriptions"][0]["customers"] == D(4)
    assert d["totals"]["revenue"] == D(40)


@settings(max_examples=60, deadline=None)
@given(
    factor=st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False),
    units=st.lists(st.integers(min_value=0, max_value=10**6), min_size=3, max_size=3),
)
def test_scaled_cogs_is_exactly_factor_times_cogs(factor: Decimal, units: list[int]) -> None:
    from infercost.cost.breakdown import compute
    from infercost.usage.scale import scale_snapshot
    from infercost.usage.snapshot import Customer, Snapshot

    stack = load({"main.hcl": STACK["main.hcl"]})
    snapshot = Snapshot(
        "usage.csv",
        has_customers=True,
        customers={f"c{i}": Customer(f"c{i}", "pro", {"chat": D(n)}) for i, n in enumerate(units)},
    )
    plain = compute(stack, snapshot)
    scaled = compute(stack, scale_snapshot(snapshot, factor))
    assert scaled.totals.cogs == factor * plain.totals.cogs
    assert scaled.totals.revenue == plain.totals.revenue
    assert scaled.subscriptions["pro"].customers == plain.subscriptions["pro"].customers
