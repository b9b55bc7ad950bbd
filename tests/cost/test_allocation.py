"""Shared costs allocated to features and customers (SPEC §18), figures by hand."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from infercost.cost.allocation import split
from infercost.cost.breakdown import Breakdown, compute
from infercost.usage.snapshot import check_names, read_snapshot
from tests.helpers import CONTEXT, errors_of, load

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
      unit     = unit.u
      workflow = workflow.chat_wf
    }
    feature "search" {
      unit             = unit.u
      workflow         = workflow.search_wf
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
"""

FEATURES_CSV = "feature,units\nchat,8000\nsearch,2000\n"
# chat: acme 1000, bigco 4000, even 2900, exporter 100 (8000); search: acme 2000
CUSTOMERS_CSV = """customer,subscription,feature,units
acme,pro,chat,1000
acme,pro,search,2000
bigco,pro,chat,4000
even,pro,chat,2900
exporter,pro,chat,100
idle,pro,,0
"""


def run(tmp_path: Path, shared: str, csv: str = FEATURES_CSV) -> Breakdown:
    stack = load({"main.hcl": STACK + shared})
    path = tmp_path / "usage.csv"
    path.write_text(csv, encoding="utf-8")
    snapshot = read_snapshot(path)
    check_names(snapshot, set(stack.features), set(stack.subscriptions))
    return compute(stack, snapshot)


def parts(b: Breakdown, name: str) -> dict[str, D]:
    return b.allocation.shared[name].parts


def test_by_units(tmp_path: Path) -> None:
    b = run(tmp_path, 'shared_cost "pods" { amount = 700 }')  # every feature
    # 8000 and 2000 units of 10,000: 560 and 140; unused has no units and gets nothing
    assert parts(b, "pods") == {"chat": D(560), "search": D(140)}
    chat = b.features["chat"]
    assert (chat.variable_cogs, chat.allocated_cogs, chat.cogs) == (D(80), D(560), D(640))
    assert chat.cost_per_unit == D("0.01")  # variable
    assert chat.cogs_per_unit == D("0.08")  # 640 / 8000
    assert b.features["unused"].allocated_cogs == 0
    assert b.totals.cogs == D(84) + D(700)
    assert (b.totals.variable_cogs, b.totals.allocated_cogs) == (D(84), D(700))


def test_by_variable_cogs_rounds_down_and_gives_the_rest_to_the_last(tmp_path: Path) -> None:
    shared = """
        shared_cost "obs" {
          amount   = 700
          features = [feature.search, feature.chat]
          allocate = "variable_cogs"
        }
    """
    b = run(tmp_path, shared)
    # variable COGS 80 and 4 (of 84): 700·80/84 = 666.666…, rounded down at 10^-18;
    # search is last in name order and takes the remainder.
    assert parts(b, "obs") == {
        "chat": D("666.666666666666666666"),
        "search": D("33.333333333333333334"),
    }
    assert sum(parts(b, "obs").values()) == D(700)


def test_by_revenue_and_margins_two_ways(tmp_path: Path) -> None:
    shared = """
        shared_cost "platform" {
          amount   = 1000
          allocate = "revenue"
        }
    """
    b = run(tmp_path, shared)
    # revenue: chat 100·29·0.7 = 2030; search 100·29·0.3 + 2000·0.05 = 970; of 3000
    chat, search = b.features["chat"], b.features["search"]
    assert (chat.revenue, search.revenue) == (D(2030), D(970))
    assert parts(b, "platform") == {
        "chat": D("676.666666666666666666"),
        "search": D("323.333333333333333334"),
    }
    # contribution margin from variable COGS, gross margin from all COGS
    assert chat.contribution_margin == CONTEXT.divide(D(2030) - D(80), D(2030))
    assert chat.margin == CONTEXT.divide(D(2030) - D(80) - D("676.666666666666666666"), D(2030))
    assert b.totals.contribution_margin == CONTEXT.divide(D(3000) - D(84), D(3000))
    assert b.totals.margin == CONTEXT.divide(D(3000) - D(1084), D(3000))
    assert b.features["unused"].contribution_margin is None  # no revenue


def test_weights_and_customers(tmp_path: Path) -> None:
    shared = """
        shared_cost "pods" {
          amount   = 700
          features = [feature.chat, feature.unused]
          allocate = { chat = 0.6, unused = 0.4 }
        }
    """
    b = run(tmp_path, shared, CUSTOMERS_CSV)
    # a weighted feature keeps its weight with zero units
    assert parts(b, "pods") == {"chat": D(420), "unused": D(280)}
    # chat's 420 by units: acme 1000, bigco 4000, even 2900, exporter 100 of 8000
    c = b.customers
    assert c["acme"].allocated_cogs == D("52.5")
    assert c["bigco"].allocated_cogs == D(210)
    assert c["even"].allocated_cogs == D("152.25")
    assert c["exporter"].allocated_cogs == D("5.25")
    assert c["idle"].allocated_cogs == 0  # used nothing, carries nothing
    # nobody used "unused": no customer carries its 280
    assert b.features["unused"].uncarried_cogs == D(280)
    assert sum(x.allocated_cogs for x in c.values()) == D(420)
    acme = c["acme"]
    # acme: revenue 29 + 2000·0.05 = 129, variable COGS 1000·0.01 + 2000·0.002 = 14
    assert (acme.revenue, acme.variable_cogs, acme.cogs) == (D(129), D(14), D("66.5"))
    assert acme.contribution_margin == CONTEXT.divide(D(115), D(129))
    assert acme.margin == CONTEXT.divide(D(129) - D("66.5"), D(129))


def test_customer_parts_are_exact(tmp_path: Path) -> None:
    csv = "customer,subscription,feature,units\na,pro,chat,1\nb,pro,chat,1\nc,pro,chat,1\n"
    b = run(tmp_path, 'shared_cost "x" {\n  amount = 100\n  features = [feature.chat]\n}', csv)
    assert [b.customers[k].allocated_cogs for k in "abc"] == [
        D("33.333333333333333333"),
        D("33.333333333333333333"),
        D("33.333333333333333334"),
    ]


def test_all_zero_is_unallocated_with_a_located_warning(tmp_path: Path) -> None:
    shared = """
        shared_cost "idle_pods" {
          amount   = 50
          features = [feature.unused]
        }
    """
    b = run(tmp_path, shared)
    assert b.totals.unallocated_cogs == D(50)
    assert b.totals.allocated_cogs == 0
    assert b.totals.cogs == D(84) + D(50)  # totals are the whole bill
    (w,) = b.warnings
    assert w.detail == (
        'shared_cost "idle_pods": none of its features has any units, so its amount is not '
        "allocated; it stays in the totals as unallocated COGS."
    )
    assert w.range is not None and (w.range.filename, w.range.start.line) == ("main.hcl", 38)


@given(
    st.decimals(min_value=0, max_value=10**9, places=6),
    st.lists(st.decimals(min_value=0, max_value=10**6, places=3), min_size=1, max_size=30),
)
def test_parts_add_up_exactly(amount: D, bases: list[D]) -> None:
    named = [(f"f{i:02d}", base) for i, base in enumerate(bases)]
    got = split(amount, named)
    if all(base == 0 for base in bases):
        assert got is None  # reported unallocated
        return
    assert got is not None
    assert sum(got.values(), D(0)) == amount
    assert all(part >= 0 and part == part.quantize(D("1e-18")) for part in got.values())
    assert set(got) == {name for name, base in named if base}


def _detail(shared: str) -> tuple[str, int, int]:
    d = errors_of({"main.hcl": STACK + shared})[0]
    assert d.range is not None
    return d.detail, d.range.start.line, d.range.start.column


def test_an_amount_of_18_decimals_is_split_exactly() -> None:
    stack = load({"main.hcl": STACK + 'shared_cost "a" { amount = 1.000000000000000001000 }'})
    assert stack.shared_costs["a"].amount == D("1.000000000000000001")


def test_bad_shared_costs() -> None:
    assert _detail('shared_cost "a" { amount = -1 }') == (
        'The amount "amount" must be at least 0, but it is -1.',
        37,
        28,
    )
    # Parts are kept to 10^-18 and add up to the amount: a finer amount has no exact split.
    assert _detail('shared_cost "a" { amount = 1.0000000000000000001 }') == (
        'The amount "amount" must have at most 18 decimals (10^-18 is the smallest part '
        "infercost keeps), but it has 19.",
        37,
        28,
    )
    # An expression is computed exactly before it is judged: 28 digits would give 1200.
    assert _detail('shared_cost "a" { amount = 1200 + 1e-30 }') == (
        'The amount "amount" must have at most 18 decimals (10^-18 is the smallest part '
        "infercost keeps), but it has 30.",
        37,
        28,
    )
    weights = 'shared_cost "a" {\n  amount = 1\n  allocate = { chat = 0.5, search = 0.4 }\n}'
    assert _detail(weights)[0] == ("The weights add up to 0.9; they must add up to exactly 1.")
    outside = (
        'shared_cost "a" {\n  amount = 1\n  features = [feature.chat]\n'
        "  allocate = { chat = 0.5, serch = 0.5 }\n}"
    )
    assert _detail(outside) == (
        '"serch" is not one of this shared cost\'s features.',
        40,
        28,
    )
    unknown = 'shared_cost "a" {\n  amount = 1\n  features = [feature.serch]\n}'
    assert 'Did you mean "search"?' in _detail(unknown)[0]
    rule = 'shared_cost "a" {\n  amount = 1\n  allocate = "unit"\n}'
    assert _detail(rule)[0] == (
        '"unit" is not an allocation rule; use "units", "variable_cogs", "revenue" or '
        'weights like { chat = 0.7, search = 0.3 }. Did you mean "units"?'
    )


@given(
    st.decimals(min_value=0, max_value=10**6, places=4),
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c"]),
            st.decimals(min_value=0, max_value=1000, places=2),
            max_size=3,
        ),
        max_size=12,
    ),
)
def test_customer_parts_add_up_to_their_feature_exactly(
    amount: D, rows: list[dict[str, D]]
) -> None:
    from infercost.cost.allocation import allocate_customers

    customers = [(f"c{i:02d}", units) for i, units in enumerate(rows)]
    units = {f: sum((u.get(f, D(0)) for _, u in customers), D(0)) for f in "abc"}
    by_feature = {f: amount for f in "abc"}
    by_customer, uncarried = allocate_customers(by_feature, units, reversed(customers))
    total = sum(by_customer.values(), D(0))
    assert total + sum(uncarried.values(), D(0)) == 3 * amount
    for f in "abc":
        assert (f in uncarried) == (units[f] == 0 and amount != 0)
    # one feature alone: exactly split()'s parts (rounded down, the rest to the last id)
    only_a = [(cid, {"a": u["a"]}) for cid, u in customers if u.get("a")]
    alone, _ = allocate_customers({"a": amount}, {"a": units["a"]}, only_a)
    expected = split(amount, [(cid, u["a"]) for cid, u in only_a]) if amount else None
    assert alone == (expected or {})
    # a customer who used nothing carries nothing
    for cid, u in customers:
        if not any(u.values()):
            assert cid not in by_customer
