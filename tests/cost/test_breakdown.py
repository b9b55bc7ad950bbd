"""COGS, revenue and margin per feature, subscription and customer (SPEC §4, §10).

Unit costs are kept round (a meter step: $10 per 1000 calls = $0.01 a unit) so that
every figure below is checked against arithmetic written out by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.cost.breakdown import Breakdown, compute, margin
from infercost.model import Stack
from infercost.render.documents import breakdown_document
from infercost.render.json_encoding import dumps
from infercost.usage.snapshot import check_names, read_snapshot
from tests.helpers import CONTEXT, assert_plain_numbers, load

STACK = """
    price_sheet "m" {
      meter "call" {
        price = 10
        per   = 1000
      }
      meter "lookup" {
        price = 2
        per   = 1000
      }
    }

    unit "u" {}
    workflow "chat_wf" {
      step "s" { uses = "m/call" }
    }
    workflow "search_wf" {
      step "s" { uses = "m/lookup" }
    }

    feature "chat" {
      unit          = unit.u
      workflow      = workflow.chat_wf
      target_margin = 0.5
    }
    feature "search" {
      unit             = unit.u
      workflow         = workflow.search_wf
      revenue_per_unit = 0.001
    }
    feature "export" {
      unit             = unit.u
      workflow         = workflow.chat_wf
      revenue_per_unit = 0.05
    }
    feature "unused" {
      unit     = unit.u
      workflow = workflow.search_wf
    }

    subscription "pro" {
      price         = 29
      features      = [feature.chat, feature.search]
      revenue_share = { chat = 0.7, search = 0.3 }
      customers     = 100
    }
    subscription "team" {
      price    = 99
      features = [feature.chat, feature.search]
    }
    """

CHAT, SEARCH, EXPORT = D("0.01"), D("0.002"), D("0.01")  # cost per unit: price / per

CUSTOMERS_CSV = """customer,subscription,feature,units
acme,pro,chat,1000
acme,pro,search,2000
bigco,pro,chat,4000
even,pro,chat,2900
idle,team,,0
exporter,team,chat,100
exporter,team,export,200
"""

FEATURES_CSV = """feature,units
chat,8000
search,2000
"""


@pytest.fixture(scope="module")
def stack() -> Stack:
    return load({"main.hcl": STACK})


def breakdown(stack: Stack, tmp_path: Path, csv: str) -> Breakdown:
    path = tmp_path / "usage.csv"
    path.write_text(csv, encoding="utf-8")
    snapshot = read_snapshot(path)
    check_names(snapshot, set(stack.features), set(stack.subscriptions))
    return compute(stack, snapshot)


def test_unit_costs(stack: Stack, tmp_path: Path) -> None:
    b = breakdown(stack, tmp_path, FEATURES_CSV)
    assert b.features["chat"].cost_per_unit == CHAT == D(10) / D(1000)
    assert b.features["search"].cost_per_unit == SEARCH == D(2) / D(1000)
    for f in b.features.values():
        assert sum((s.cost_per_unit for s in f.steps), D(0)) == f.cost_per_unit


# -- with customer rows ---------------------------------------------------------------------


def test_customers(stack: Stack, tmp_path: Path) -> None:
    b = breakdown(stack, tmp_path, CUSTOMERS_CSV)
    assert b.has_customers
    c = b.customers
    assert list(c) == ["acme", "bigco", "even", "exporter", "idle"]  # sorted by id
    # acme (pro): COGS 1000·0.01 + 2000·0.002 = 14; revenue 29 + 2000·0.001 = 31
    assert (c["acme"].cogs, c["acme"].revenue) == (D(1000) * CHAT + D(2000) * SEARCH,
                                                   D(29) + D(2000) * D("0.001"))  # fmt: skip
    assert (c["acme"].cogs, c["acme"].revenue) == (14, 31)
    assert c["acme"].margin == CONTEXT.divide(D(31 - 14), D(31))
    # bigco (pro): COGS 4000·0.01 = 40 > revenue 29: underwater
    assert (c["bigco"].cogs, c["bigco"].revenue) == (40, 29)
    assert c["bigco"].underwater
    assert c["bigco"].margin == CONTEXT.divide(D(29 - 40), D(29))
    # even (pro): COGS 2900·0.01 = 29 = revenue: not underwater (strictly greater only)
    assert (c["even"].cogs, c["even"].revenue, c["even"].margin) == (29, 29, 0)
    assert not c["even"].underwater
    # idle (team): paid, used nothing
    assert (c["idle"].cogs, c["idle"].revenue, c["idle"].margin) == (0, 99, 1)
    # exporter (team): uses "export", which team does not include: only its usage price
    #   revenue 99 + 200·0.05 = 109; COGS 100·0.01 + 200·0.01 = 3
    assert (c["exporter"].cogs, c["exporter"].revenue) == (3, 109)
    assert c["exporter"].subscription == "team"


def test_features_with_customers(stack: Stack, tmp_path: Path) -> None:
    b = breakdown(stack, tmp_path, CUSTOMERS_CSV)
    f = b.features
    # chat: units 1000 + 4000 + 2900 + 100 = 8000; COGS 80;
    #   revenue 0 (no usage price) + pro 3 customers·29·0.7 + team 2 customers·99·0.5
    chat_revenue = 3 * D(29) * D("0.7") + 2 * D(99) * D("0.5")
    assert chat_revenue == D("159.9")
    assert (f["chat"].units, f["chat"].cogs, f["chat"].revenue) == (8000, 80, chat_revenue)
    assert f["chat"].margin == CONTEXT.divide(chat_revenue - 80, chat_revenue)
    assert f["chat"].below_target  # 79.9 / 159.9 = 0.4997 < 0.5
    # search: 2000 units; COGS 4; revenue 2000·0.001 + 3·29·0.3 + 2·99·0.5 = 2 + 26.1 + 99
    assert (f["search"].units, f["search"].cogs) == (2000, 4)
    assert f["search"].revenue == D(2000) * D("0.001") + 3 * D(29) * D("0.3") + 2 * D(99) * D("0.5")
    # export: in no subscription: revenue is its usage price only, 200·0.05 = 10
    assert (f["export"].units, f["export"].cogs, f["export"].revenue) == (200, 2, 10)
    assert f["export"].margin == D("0.8")
    # unused: nothing at all; the margin is undefined
    assert (f["unused"].units, f["unused"].cogs, f["unused"].revenue) == (0, 0, 0)
    assert f["unused"].margin is None
    assert not f["unused"].below_target
    # The totals are the customers' sums: revenue 31 + 29 + 29 + 99 + 109 = 297, COGS 86
    assert (b.totals.cogs, b.totals.revenue) == (86, 297)
    assert b.totals.cogs == sum(cr.cogs for cr in b.customers.values())
    assert b.totals.revenue == sum(cr.revenue for cr in b.customers.values())
    assert b.totals.margin == CONTEXT.divide(D(297 - 86), D(297))


def test_subscriptions_with_customers(stack: Stack, tmp_path: Path) -> None:
    b = breakdown(stack, tmp_path, CUSTOMERS_CSV)
    pro, team = b.subscriptions["pro"], b.subscriptions["team"]
    # pro: acme, bigco, even — revenue 31 + 29 + 29, COGS 14 + 40 + 29; one underwater
    assert (pro.customers, pro.revenue, pro.cogs) == (3, 89, 83)
    assert pro.margin == CONTEXT.divide(D(89 - 83), D(89))
    assert (pro.underwater_customers, pro.underwater_share) == (1, CONTEXT.divide(D(1), D(3)))
    # team: idle, exporter — revenue 99 + 109, COGS 0 + 3; none underwater
    assert (team.customers, team.revenue, team.cogs) == (2, 208, 3)
    assert (team.underwater_customers, team.underwater_share) == (0, 0)


# -- without customer rows ------------------------------------------------------------------


def test_without_customers(stack: Stack, tmp_path: Path) -> None:
    b = breakdown(stack, tmp_path, FEATURES_CSV)
    assert not b.has_customers and b.customers == {}
    f = b.features
    # chat: pro declares 100 customers; team declares none (0):
    #   revenue 100·29·0.7 = 2030; COGS 8000·0.01 = 80
    assert (f["chat"].units, f["chat"].cogs, f["chat"].revenue) == (8000, 80, 2030)
    assert f["chat"].margin == CONTEXT.divide(D(2030 - 80), D(2030))
    # search: 2000·0.001 + 100·29·0.3 = 2 + 870
    assert (f["search"].cogs, f["search"].revenue) == (4, 872)
    assert (f["export"].units, f["export"].revenue, f["export"].margin) == (0, 0, None)
    pro, team = b.subscriptions["pro"], b.subscriptions["team"]
    assert (pro.customers, pro.revenue) == (100, 2900)
    assert (pro.cogs, pro.margin, pro.underwater_customers, pro.underwater_share) == (
        None, None, None, None)  # fmt: skip
    assert (team.customers, team.revenue, team.cogs) == (0, 0, None)
    assert (b.totals.cogs, b.totals.revenue) == (84, 2902)


def test_json_document_without_customers(stack: Stack, tmp_path: Path) -> None:
    text = dumps(breakdown_document(breakdown(stack, tmp_path, FEATURES_CSV)))
    assert_plain_numbers(text)
    doc = json.loads(text)
    assert (doc["format_version"], doc["currency"], doc["period"]) == ("1", "USD", "month")
    assert doc["usage_period"] is None
    assert doc["customers"] == []
    assert [f["name"] for f in doc["features"]] == ["chat", "export", "search", "unused"]
    pro = next(s for s in doc["subscriptions"] if s["name"] == "pro")
    assert pro == {"name": "pro", "price": 29, "customers": 100, "revenue": 2900, "cogs": None,
                   "margin": None, "underwater_customers": None,
                   "underwater_share": None}  # fmt: skip
    unused = next(f for f in doc["features"] if f["name"] == "unused")
    assert unused["margin"] is None and unused["target_margin"] is None
    assert unused["steps"] == [{"name": "s", "address": "workflow.search_wf.step.s",
                                "uses": "m/lookup", "kind": "meter",
                                "cost_per_unit": 0.002,
                                "gpu_seconds_per_unit": None}]  # fmt: skip


def test_json_document_with_customers(stack: Stack, tmp_path: Path) -> None:
    text = dumps(breakdown_document(breakdown(stack, tmp_path, CUSTOMERS_CSV)))
    assert_plain_numbers(text)
    assert '"underwater_share": 0.3333333333333333333333333333' in text
    doc = json.loads(text)
    assert [c["id"] for c in doc["customers"]] == ["acme", "bigco", "even", "exporter", "idle"]
    bigco = doc["customers"][1]
    assert (bigco["subscription"], bigco["cogs"], bigco["revenue"]) == ("pro", 40, 29)
    assert doc["totals"]["cogs"] == 86 and doc["totals"]["revenue"] == 297


def test_margin_is_undefined_without_revenue() -> None:
    assert margin(D(0), D(5)) is None
    assert margin(D(0), D(0)) is None
    assert margin(D(4), D(1)) == D("0.75")
    assert margin(D(4), D(6)) == D("-0.5")


def test_thinnest_customers_rank_as_sorting_every_result_would() -> None:
    """Read from the columns: least revenue − COGS first, a tie broken by id, and the
    underwater count; the same as ranking every customer's result."""
    from infercost.cost.breakdown import CustomerTable
    from infercost.usage.figures import CustomerRows

    d = D
    rows = CustomerRows(
        ["a", "b", "c", "d", "e"],
        ["pro"] * 5,
        [d("5"), d("12"), d("3"), d("9.5"), d("2")],  # COGS
        [d("10"), d("10"), d("8"), d("10"), d("0")],  # revenue
        [False, True, False, False, True],
    )
    table = CustomerTable(rows)
    # gaps: a 5, b -2, c 5, d 0.5, e -2
    assert [c.id for c in table.thinnest(4)] == ["b", "e", "d", "a"]
    ranked = sorted(table.values(), key=lambda c: (c.revenue - c.cogs, c.id))
    assert table.thinnest(10) == ranked
    assert table.thinnest(1)[0].margin == d("-0.2")  # b: (10 - 12) / 10
    assert table.underwater_count() == 2
    assert CustomerTable(None).thinnest(3) == [] and CustomerTable(None).underwater_count() == 0


def test_customers_in_range_are_checked_without_computing_their_margins() -> None:
    """The range check bounds every margin by 1 + max |COGS| / min revenue: here at most
    1 + 12 / 8, so no margin is computed (the text view computes the ten it shows); with
    revenue 0 for one customer the bound says nothing, and each margin is computed."""
    from infercost.cost.breakdown import CustomerTable
    from infercost.cost.limits import _customers_within
    from infercost.usage.figures import CustomerRows

    def table(revenue: list[str]) -> CustomerTable:
        return CustomerTable(CustomerRows(["a", "b", "c"], ["pro"] * 3,
                             [D("5"), D("12"), D("3")], [D(r) for r in revenue],
                             [False, True, False]))  # fmt: skip

    bounded = table(["10", "10", "8"])
    assert _customers_within(bounded) and bounded._margins is None
    unbounded = table(["10", "0", "8"])
    assert _customers_within(unbounded)
    assert unbounded._margins == [D("0.5"), None, D("0.625")]
