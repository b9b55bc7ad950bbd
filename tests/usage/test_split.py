"""Shared parts split over customers in the engine's pricing pass (infercost.usage.split).

The reference here is the rule of SPEC §18 written the plainest way: each customer's part
of a feature is share · units / feature units rounded down to 10^-18, the last customer
in id order takes what is left, and a customer's COGS is their exact variable COGS plus
their parts, rounded once to 28 digits.
"""

from __future__ import annotations

import decimal
import functools
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from infercost.usage import figures
from infercost.usage.figures import group_customers, price_customers
from infercost.usage.snapshot import read_snapshot
from infercost.usage.split import LazyColumn

WIDE = decimal.Context(prec=500, traps=[decimal.Inexact])
FLOOR = decimal.Context(prec=500, rounding=decimal.ROUND_FLOOR)  # rounds down, quietly
ROUND = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
QUANTUM = Decimal("1e-18")
CUSTOMERS = {"acme": "pro", "beta": "team", "gamma": "pro", "delta": "free", "eps": "team"}
PRICES = {"pro": Decimal(29), "team": Decimal(99)}  # delta (free) is not counted
CPU = {"chat": Decimal("0.0123"), "search": Decimal("0.000002")}
RPU = {"chat": Decimal("0.5"), "search": Decimal(0)}
_counter = itertools.count()


def write(tmp: Path, data: list[tuple[str, str, Decimal]]) -> Path:
    path = tmp / f"s{next(_counter)}.csv"
    lines = ["customer,subscription,feature,units"]
    lines += [f"{c},{CUSTOMERS[c]},{f},{u}" for c, f, u in data]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reference(data: list[tuple[str, str, Decimal]], shares: dict[str, Decimal]):
    """(allocated by customer, exact variable COGS by customer, carried by subscription)."""
    used: dict[str, dict[str, Decimal]] = {}
    for c, f, u in data:
        if CUSTOMERS[c] in PRICES:
            per = used.setdefault(c, {})
            per[f] = WIDE.add(per.get(f, Decimal(0)), u)
    allocated = {c: Decimal(0) for c in used}
    for feature, share in shares.items():
        users = sorted(c for c in used if used[c].get(feature))
        total = sum((used[c][feature] for c in users), Decimal(0))
        if not share or not total:
            continue
        given = Decimal(0)
        for c in users[:-1]:
            part = FLOOR.divide(WIDE.multiply(share, used[c][feature]), total)
            part = part.quantize(QUANTUM, context=FLOOR)
            allocated[c] = WIDE.add(allocated[c], part)
            given = WIDE.add(given, part)
        allocated[users[-1]] = WIDE.add(allocated[users[-1]], WIDE.subtract(share, given))
    variable = {
        c: sum((WIDE.multiply(u, CPU[f]) for f, u in per.items()), Decimal(0))
        for c, per in used.items()
    }
    carried = {s: Decimal(0) for s in PRICES}
    for c, part in allocated.items():
        carried[CUSTOMERS[c]] = WIDE.add(carried[CUSTOMERS[c]], part)
    return allocated, variable, carried


def check(tmp: Path, data: list[tuple[str, str, Decimal]], shares: dict[str, Decimal]) -> bool:
    """Whether the figures (all checked against the reference) came from the split in the
    pricing pass; a COGS past the engine's 38 digits takes the exact fallback instead."""
    snap = read_snapshot(write(tmp, data))
    groups = group_customers(snap, PRICES)
    units: dict[str, Decimal] = {}
    for per_feature in groups.units.values():
        for f, u in per_feature.items():
            units[f] = units.get(f, Decimal(0)) + u
    got = price_customers(snap, CPU, RPU, PRICES, groups, shares)
    allocated, variable, carried = reference(data, shares)
    rows = got.customers
    assert rows.ids == sorted(allocated)
    carriers = {f: a for f, a in shares.items() if a and units.get(f)}
    if carriers:
        assert list(rows.allocated) == [allocated[c] for c in rows.ids]
        assert list(rows.variable) == [ROUND.plus(variable[c]) for c in rows.ids]
        exact = [WIDE.add(variable[c], allocated[c]) for c in rows.ids]
        assert rows.cogs == [ROUND.plus(e) for e in exact]
        revenue = [WIDE.add(PRICES[CUSTOMERS[c]], WIDE.multiply(
            sum((u for cc, f, u in data if cc == c and f == "chat"), Decimal(0)), RPU["chat"]))
            for c in rows.ids]  # fmt: skip
        assert rows.underwater == [e > r for e, r in zip(exact, revenue, strict=True)]
        assert got.allocated == carried
        # and the same figures as the fallback's split in Python
        assert rows == figures._in_python(snap, CPU, RPU, PRICES, carriers, units)
        # parts add up exactly to the features' parts
        # (summed in the wide context: the default one rounds at 28 digits)
        total = functools.reduce(WIDE.add, allocated.values(), Decimal(0))
        assert total == functools.reduce(WIDE.add, carriers.values(), Decimal(0))
    return isinstance(rows.allocated, LazyColumn)


units_st = st.one_of(
    st.integers(min_value=0, max_value=50).map(Decimal),
    st.builds(lambda d, s: Decimal(d).scaleb(-s), st.integers(0, 10**6), st.integers(0, 4)),
    # beyond 64-bit n = units · 10^scale or a feature total past 2^31: the 128-bit terms
    st.integers(min_value=2**31, max_value=2**40).map(Decimal),
)
shares_st = st.builds(
    lambda d, s: Decimal(d).scaleb(-s), st.integers(0, 10**24), st.integers(0, 18)
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(sorted(CUSTOMERS)), st.sampled_from(["chat", "search"]), units_st
        ),
        min_size=1,
        max_size=14,
        unique_by=lambda row: (row[0], row[1]),
    ),
    shares=st.fixed_dictionaries({"chat": shares_st, "search": shares_st}),
)
@example(  # parts whose sum has more than 28 digits
    data=[
        ("eps", "chat", Decimal("17752890501")),
        ("acme", "chat", Decimal(1)),
        ("beta", "chat", Decimal(1)),
    ],
    shares={"chat": Decimal("187159540789"), "search": Decimal(0)},
)
def test_the_split_in_the_pricing_pass_equals_the_decimal_reference(
    tmp_path: Path, data: list[tuple[str, str, Decimal]], shares: dict[str, Decimal]
) -> None:
    check(tmp_path, data, shares)


def test_parts_by_hand(tmp_path: Path) -> None:
    """10 over chat used 1, 2 and 3 times by acme, beta and gamma: acme 10/6 and beta
    10/3 rounded down to 10^-18, gamma (last id) the rest; delta is not counted."""
    data = [("acme", "chat", Decimal(1)), ("beta", "chat", Decimal(2)),
            ("gamma", "chat", Decimal(3)), ("delta", "chat", Decimal(7))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    groups = group_customers(snap, PRICES)
    got = price_customers(snap, CPU, RPU, PRICES, groups, {"chat": Decimal(10)})
    acme, beta = Decimal("1.666666666666666666"), Decimal("3.333333333333333333")
    gamma = Decimal("5.000000000000000001")
    assert got.customers.ids == ["acme", "beta", "gamma"]
    assert list(got.customers.allocated) == [acme, beta, gamma]
    # acme: 1 · 0.0123 + 1.666666666666666666
    assert got.customers.cogs[0] == Decimal("1.678966666666666666")
    assert list(got.customers.variable) == [Decimal("0.0123"), Decimal("0.0246"),
                                            Decimal("0.0369")]  # fmt: skip
    assert isinstance(got.customers.allocated, LazyColumn)
    assert got.allocated == {"pro": acme + gamma, "team": beta}
    assert check(tmp_path, data, {"chat": Decimal(10)})


def test_large_units_take_the_128_bit_terms(tmp_path: Path) -> None:
    """Units of 2^33 (past the 64-bit product) and a total past 2^31 split alike."""
    data = [("acme", "chat", Decimal(2**33)), ("gamma", "chat", Decimal(1)),
            ("beta", "search", Decimal("0.5")), ("eps", "search", Decimal(2**31))]  # fmt: skip
    assert check(tmp_path, data, {"chat": Decimal("1000.000000000000000001"),
                                  "search": Decimal(7)})  # fmt: skip


def test_one_customer_read_alone_equals_the_column(tmp_path: Path) -> None:
    """gamma's part and variable COGS read by index (a view of the worst customers)
    before any view reads the columns whole: the same figures, the columns still unmade."""
    data = [("acme", "chat", Decimal(1)), ("beta", "chat", Decimal(2)),
            ("gamma", "chat", Decimal(3)), ("gamma", "search", Decimal(5))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    got = price_customers(snap, CPU, RPU, PRICES, group_customers(snap, PRICES),
                          {"chat": Decimal(10)})  # fmt: skip
    rows = got.customers
    assert isinstance(rows.allocated, LazyColumn) and isinstance(rows.variable, LazyColumn)
    # gamma, last of chat: 10 - 1.666666666666666666 - 3.333333333333333333
    assert rows.allocated[2] == rows.allocated[-1] == Decimal("5.000000000000000001")
    assert rows.variable[2] == Decimal("0.036910")  # 3 · 0.0123 + 5 · 0.000002
    assert rows.allocated[0] == Decimal("1.666666666666666666")
    assert rows.allocated._values is None and rows.variable._values is None
    with pytest.raises(IndexError):
        rows.allocated[3]
    assert list(rows.allocated) == [rows.allocated[i] for i in range(3)]
    assert list(rows.variable) == [Decimal("0.0123"), Decimal("0.0246"), Decimal("0.036910")]


def test_the_thinnest_customers_read_their_splits_in_one_go(tmp_path: Path) -> None:
    """The text view's ten thinnest customers: their allocated and variable COGS not
    made at all until read, then for them alone (one grouping for all of them), the
    whole columns left unmade; the same figures the columns give once made."""
    from infercost.cost.breakdown import CustomerTable

    data = [("acme", "chat", Decimal(1)), ("beta", "chat", Decimal(2)),
            ("gamma", "chat", Decimal(3)), ("gamma", "search", Decimal(5)),
            ("eps", "search", Decimal(1))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    got = price_customers(snap, CPU, RPU, PRICES, group_customers(snap, PRICES),
                          {"chat": Decimal(10), "search": Decimal("0.5")})  # fmt: skip
    rows = got.customers
    assert isinstance(rows.allocated, LazyColumn) and isinstance(rows.variable, LazyColumn)
    asked: list[list[int]] = []
    some = rows.allocated._some
    assert some is not None
    rows.allocated._some = lambda indices: asked.append(indices) or some(indices)
    worst = CustomerTable(rows).thinnest(2)
    # revenue − COGS: gamma 30.5 − 5.453576…, acme 29.5 − 1.678966…; beta and eps pay 99
    assert [c.id for c in worst] == ["gamma", "acme"]
    assert [c.cogs for c in worst] == [Decimal("5.453576666666666668"),
                                       Decimal("1.678966666666666666")]  # fmt: skip
    assert asked == []  # the text view shows neither customer's split
    assert worst[1].allocated_cogs == Decimal("1.666666666666666666")
    assert asked == [[0, 3]]  # one grouping for both, in index order
    assert rows.allocated._values is None and rows.variable._values is None
    # gamma is last of chat (10 − 10/6 − 20/6 rounded down) and of search (eps, before
    # it in id order, takes 0.5/6 rounded down); acme takes 10/6 rounded down
    gamma = Decimal("5.000000000000000001") + Decimal("0.416666666666666667")
    acme = Decimal("1.666666666666666666")
    assert [c.allocated_cogs for c in worst] == [gamma, acme]
    assert [c.variable_cogs for c in worst] == [Decimal("0.036910"), Decimal("0.0123")]
    assert asked == [[0, 3]]
    assert list(rows.allocated)[0:4:3] == [acme, gamma]


def test_a_customer_read_alone_may_have_any_id(tmp_path: Path) -> None:
    """Ids with a quote, a backslash, a comma and a line separator: the split of one
    customer read alone is found by its id as a value, never as SQL text."""
    ids = ["o'brien", "a\\\\b", "x\u2028y", "z, 'w'"]
    path = tmp_path / "odd.csv"
    lines = ["customer,subscription,feature,units"]
    lines += ['"' + c.replace('"', '""') + f'",pro,chat,{n}' for n, c in enumerate(ids, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    snap = read_snapshot(path)
    got = price_customers(snap, CPU, RPU, PRICES, group_customers(snap, PRICES),
                          {"chat": Decimal(10)})  # fmt: skip
    rows = got.customers
    assert sorted(rows.ids) == sorted(ids)
    one = [rows.allocated[i] for i in range(len(ids))]  # each read alone, by index
    assert rows.allocated._values is None
    assert one == list(rows.allocated)
    assert sum(one, Decimal(0)) == Decimal(10)


def test_parts_past_125_bits_of_quanta_take_the_exact_fallback(tmp_path: Path) -> None:
    """10^20 to split: 10^38 quanta, past what a customer's 128-bit sum may reach in the
    engine; the split is then made the older way, with the same exact figures."""
    data = [("acme", "chat", Decimal(1)), ("beta", "chat", Decimal(2)),
            ("gamma", "chat", Decimal(3))]  # fmt: skip
    assert not check(tmp_path, data, {"chat": Decimal(10**20)})
    assert check(tmp_path, data, {"chat": Decimal(10**19)})  # 10^37 quanta < 2^125


def test_a_result_with_splits_unmade_pickles_with_them_made() -> None:
    """A project's stacks priced in a forked process come back pickled: the columns
    made on first read are made then, in the process whose engine reads them, and
    arrive as the same figures (before, the result did not pickle and the parent
    priced the stack again)."""
    import pickle

    from infercost.app.arguments import BreakdownArgs
    from infercost.app.breakdown import breakdown
    from infercost.workspace import Options

    example = Path(__file__).resolve().parents[2] / "examples/support-assistant/self-hosted"
    run = breakdown(BreakdownArgs(options=Options(stack=example)))
    rows = run.breakdown.customers._rows
    assert rows is not None and isinstance(rows.allocated, LazyColumn)
    back = pickle.loads(pickle.dumps(run)).breakdown.customers._rows
    assert back.allocated == list(rows.allocated) and back.variable == list(rows.variable)
    assert back.cogs == rows.cogs and back.ids == rows.ids
    assert sum(back.allocated, Decimal(0)) > 0
