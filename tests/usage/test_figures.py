"""The engine's per-customer figures equal a plain Python Decimal aggregation.

The reference below adds exact products in a context wide enough never to round, then
rounds each figure once to the engine's 28 digits (SPEC §10): the meaning the engine's
SQL must have, whatever the sizes and scales of units and prices.
"""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.usage import figures
from infercost.usage.figures import price_customers
from infercost.usage.snapshot import read_snapshot

WIDE = decimal.Context(prec=500, traps=[decimal.Inexact])
ROUND = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
CUSTOMERS = {"acme": "pro", "beta": "team", "gamma": "pro", "delta": "free", "eps": "team"}
_counter = itertools.count()


def decimals(max_scale: int, max_exponent: int) -> st.SearchStrategy[Decimal]:
    return st.builds(
        lambda digits, scale: Decimal(digits).scaleb(-scale),
        st.integers(min_value=0, max_value=10**max_exponent),
        st.integers(min_value=0, max_value=max_scale),
    )


rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(CUSTOMERS)),
        st.sampled_from(["chat", "search", "legacy", ""]),
        decimals(max_scale=12, max_exponent=9),
    ),
    min_size=1,
    max_size=30,
)
money = decimals(max_scale=30, max_exponent=28)


def reference(data, cpu, rpu, prices):
    units: dict[tuple[str, str], Decimal] = {}
    for customer, feature, amount in data:
        if feature:
            key = (customer, feature)
            units[key] = WIDE.add(units.get(key, Decimal(0)), amount)
    out = {}
    for customer, sub in sorted(CUSTOMERS.items()):
        if sub not in prices or not any(c == customer for c, _, _ in data):
            continue
        cogs, revenue = Decimal(0), prices[sub]
        for (c, feature), amount in units.items():
            if c == customer and feature in cpu:
                cogs = WIDE.add(cogs, WIDE.multiply(amount, cpu[feature]))
                revenue = WIDE.add(revenue, WIDE.multiply(amount, rpu[feature]))
        out[customer] = (sub, ROUND.plus(cogs), ROUND.plus(revenue), cogs > revenue)
    return out


def write(tmp: Path, data) -> Path:
    path = tmp / f"u{next(_counter)}.csv"
    lines = ["customer,subscription,feature,units"]
    for customer, feature, amount in data:
        lines.append(f"{customer},{CUSTOMERS[customer]},{feature},{amount if feature else 0}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=rows,
    cpu=st.fixed_dictionaries({"chat": money, "search": money}),
    rpu=st.fixed_dictionaries({"chat": decimals(4, 3), "search": decimals(4, 3)}),
    prices=st.fixed_dictionaries({"pro": decimals(2, 4), "team": decimals(2, 4)}),
)
def test_engine_equals_the_decimal_reference(tmp_path_factory, data, cpu, rpu, prices) -> None:
    data = [(c, f, a if f else Decimal(0)) for c, f, a in data]
    snap = read_snapshot(write(tmp_path_factory.getbasetemp(), data))
    got = price_customers(snap, cpu, rpu, prices)
    expected = reference(data, cpu, rpu, prices)
    rows_ = got.customers
    assert rows_.ids == list(expected)
    assert {
        cid: (sub, cogs, revenue, under)
        for cid, sub, cogs, revenue, under in zip(
            rows_.ids, rows_.subscriptions, rows_.cogs, rows_.revenue, rows_.underwater,
            strict=True,
        )
    } == expected  # fmt: skip
    # units per subscription and feature add up the customers' units
    for sub in prices:
        for feature, total in got.units[sub].items():
            assert total == sum(
                (a for c, f, a in data if f == feature and CUSTOMERS[c] == sub), Decimal(0)
            )
    assert got.counts == {s: sum(1 for v in expected.values() if v[0] == s) for s in prices}


def test_the_exact_fallback_gives_the_engines_figures(tmp_path: Path) -> None:
    data = [("acme", "chat", Decimal("12.5")), ("acme", "search", Decimal("3")),
            ("beta", "chat", Decimal("0.125")), ("gamma", "", Decimal(0))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.0123456789012345678901234567"), "search": Decimal("2")}
    rpu = {"chat": Decimal("0.4"), "search": Decimal(0)}
    prices = {"pro": Decimal(29), "team": Decimal(99)}
    engine_rows = figures._in_engine(snap, cpu, rpu, prices)
    python_rows = figures._in_python(snap, cpu, rpu, prices)
    assert engine_rows == python_rows
    # acme: 12.5 * 0.0123456789012345678901234567 + 3 * 2, exact then 28 digits
    assert engine_rows.cogs[0] == Decimal("6.154320986265432098626543209")
    assert engine_rows.revenue[0] == Decimal(29) + Decimal("12.5") * Decimal("0.4")
    assert engine_rows.ids == ["acme", "beta", "gamma"]
    assert engine_rows.cogs[2] == 0 and engine_rows.revenue[2] == 29


def test_units_narrowed_to_64_bits_price_as_the_wide_ones(tmp_path: Path) -> None:
    # Read fast, the groups keep units at 9 places in a 128-bit DECIMAL; totals below
    # 10^9 fit 18 digits there, so pricing narrows them before rescaling to 1 place.
    data = [("acme", "chat", Decimal("12.5")), ("beta", "chat", Decimal("0.5")),
            ("beta", "search", Decimal("7")), ("gamma", "", Decimal(0))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.0123456789012345678901234567"), "search": Decimal("2")}
    rpu = {"chat": Decimal("0.4"), "search": Decimal("0.25")}
    prices = {"pro": Decimal(29), "team": Decimal("99.5")}
    totals = {"chat": Decimal("13"), "search": Decimal(7)}
    assert "DECIMAL(18,9)" in figures._units_column(snap, totals)
    narrowed = figures._in_engine(snap, cpu, rpu, prices, None, totals)
    assert narrowed == figures._in_engine(snap, cpu, rpu, prices)
    # beta: 0.5 * 0.0123456789012345678901234567 + 7 * 2 = 14.00617283945061728394506173
    # (rounded half-even at 28 digits); revenue 99.5 + 0.5 * 0.4 + 7 * 0.25 = 101.45
    assert narrowed.cogs[1] == Decimal("14.00617283945061728394506173")
    assert narrowed.revenue[1] == Decimal("101.45")
    # A total of 10^9 units no longer fits 18 digits at 9 places: rescaled in 128 bits.
    assert "TRY_CAST" not in figures._units_column(snap, {"chat": Decimal(10**9)})


def test_the_same_rows_fetched_with_or_without_numpy(tmp_path: Path, monkeypatch) -> None:
    import sys

    import numpy  # noqa: F401  (loaded: the rows come a column at a time)

    data = [("acme", "chat", Decimal("1.5")), ("gamma", "", Decimal(0))]
    snap = read_snapshot(write(tmp_path, data))
    cpu, rpu = {"chat": Decimal("0.3")}, {"chat": Decimal(0)}
    prices = {"pro": Decimal(29), "team": Decimal(99)}
    by_columns = figures._in_engine(snap, cpu, rpu, prices)
    monkeypatch.delitem(sys.modules, "numpy")
    by_rows = figures._in_engine(snap, cpu, rpu, prices)
    assert by_columns == by_rows
    assert by_rows.ids == ["acme", "gamma"] and by_rows.cogs == [Decimal("0.45"), 0]
    assert figures._in_engine(snap, cpu, rpu, {"free": Decimal(0)}).ids == []


def test_products_beyond_38_digits_fall_back_exactly(tmp_path: Path) -> None:
    # 0.000001 units (scale 6) times a cost with 35 digits after the point: 41 > 38.
    data = [("acme", "chat", Decimal("1000000.000001"))]
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.00000001234567890123456789012345678"), "search": Decimal(0)}
    got = price_customers(snap, cpu, {"chat": Decimal(0), "search": Decimal(0)},
                          {"pro": Decimal(1)})  # fmt: skip
    exact = WIDE.multiply(Decimal("1000000.000001"), cpu["chat"])
    assert got.customers.cogs == [ROUND.plus(exact)]
    assert got.customers.underwater == [False]


def test_figures_ignore_the_callers_decimal_context(tmp_path: Path) -> None:
    data = [("acme", "chat", Decimal("3")), ("beta", "chat", Decimal("1.5"))]
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.3333333333333333333333333333"), "search": Decimal(0)}
    rpu = {"chat": Decimal(0), "search": Decimal(0)}
    prices = {"pro": Decimal(1), "team": Decimal(1)}
    with decimal.localcontext() as ctx:
        ctx.prec = 2
        ctx.rounding = decimal.ROUND_UP
        got = price_customers(snap, cpu, rpu, prices)
    # 3 × 0.333… is exact; 1.5 × 0.333… = 0.49999999999999999999999999995 (29 digits),
    # rounded once, half-even, to 28: the kept 9 is odd, so it rounds up to 0.5.
    assert got.customers.cogs == [Decimal("0.9999999999999999999999999999"),
                                  Decimal("0.5000000000000000000000000000")]  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=rows,
    shares=st.fixed_dictionaries(
        {"chat": decimals(max_scale=18, max_exponent=24), "search": decimals(6, 9)}
    ),
)
def test_shared_costs_split_over_customers_as_the_rule_says(
    tmp_path: Path, data, shares: dict[str, Decimal]
) -> None:
    """In the engine's 128-bit quanta, in the Python fallback and by the reference rule
    (rounded down to 10^-18, the rest to the last id): the same parts, adding up exactly
    to each feature's part; a customer who used nothing carries nothing."""
    from infercost.cost.allocation import allocate_customers

    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.01"), "search": Decimal(2)}
    rpu = {"chat": Decimal(0), "search": Decimal("0.5")}
    prices = {"pro": Decimal(29), "team": Decimal(99)}
    groups = figures.group_customers(snap, prices)
    units = {f: Decimal(0) for f in cpu}
    for per_feature in groups.units.values():
        for f, u in per_feature.items():
            if f in units:
                units[f] += u
    got = price_customers(snap, cpu, rpu, prices, groups, shares)
    carriers = {f: a for f, a in shares.items() if a and units[f]}
    fallback = figures._in_python(snap, cpu, rpu, prices, carriers, units)
    if carriers:
        assert got.customers == fallback
    used: dict[str, dict[str, Decimal]] = {}
    for customer, feature, amount in data:
        if feature in cpu and CUSTOMERS[customer] in prices and amount:
            per = used.setdefault(customer, {})
            per[feature] = WIDE.add(per.get(feature, Decimal(0)), amount)
    expected, _ = allocate_customers(carriers, units, used.items())
    rows_ = got.customers
    parts = dict(zip(rows_.ids, rows_.allocated or [Decimal(0)] * len(rows_.ids), strict=True))
    assert {c: p for c, p in parts.items() if p} == {c: p for c, p in expected.items() if p}
    # Both sides summed exactly: the default context (28 digits) would round the amounts.
    total = Decimal(0)
    for amount in carriers.values():
        total = WIDE.add(total, amount)
    shared = Decimal(0)
    for part in parts.values():
        shared = WIDE.add(shared, part)
    assert shared == total
    for cid, part in parts.items():
        if part:
            assert any(used.get(cid, {}).values())
    if carriers:
        for i, cid in enumerate(rows_.ids):
            assert rows_.cogs[i] == ROUND.plus(WIDE.add(rows_.variable[i], parts[cid]))


def test_shared_parts_added_past_38_digits_are_added_exactly_in_python(tmp_path: Path) -> None:
    """A cost per unit with 30 digits after the point leaves the COGS 7 whole digits; a
    part of 10^9 does not fit beside them, so the sum is made from the exact texts."""
    data = [("acme", "chat", Decimal("3")), ("gamma", "chat", Decimal("1")),
            ("beta", "chat", Decimal("2"))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.123456789012345678901234567891"), "search": Decimal(0)}
    rpu = {"chat": Decimal(0), "search": Decimal(0)}
    prices = {"pro": Decimal(29)}  # beta (team) is not counted
    for share in (Decimal("4"), Decimal("1000000000")):  # fits beside the COGS; does not
        carriers, units = {"chat": share}, {"chat": Decimal(4)}
        rows_ = figures._in_engine(snap, cpu, rpu, prices, carriers, units)
        assert rows_ == figures._in_python(snap, cpu, rpu, prices, carriers, units)
        # acme (pro) carries 3/4 of the share; gamma, last in id order, the rest: 1/4.
        assert rows_.ids == ["acme", "gamma"]
        assert rows_.allocated == [share * 3 / 4, share / 4]
        exact = WIDE.add(WIDE.multiply(Decimal(3), cpu["chat"]), share * 3 / 4)
        assert rows_.cogs[0] == ROUND.plus(exact)
        assert rows_.underwater == [share * 3 / 4 > 29, share / 4 > 29]


def test_shares_of_large_and_small_totals_split_alike(tmp_path: Path) -> None:
    """Units adding up to 2^31 or more take the 128-bit division, fewer the 64-bit one:
    both give the rule's parts (rounded down to 10^-18, the rest to the last id)."""
    for total in (Decimal(2**31 - 1), Decimal(2**31), Decimal(2**40 + 7)):
        first = total // 3
        data = [("acme", "chat", first), ("gamma", "chat", total - first)]
        snap = read_snapshot(write(tmp_path, data))
        cpu = {"chat": Decimal("0.01"), "search": Decimal(0)}
        rpu = {"chat": Decimal(0), "search": Decimal(0)}
        share = Decimal("1000.000000000000000001")
        rows_ = figures._in_engine(
            snap, cpu, rpu, {"pro": Decimal(1)}, {"chat": share}, {"chat": total}
        )
        quanta = 1000_000000000000000001 * int(first) // int(total)  # floor, in 10^-18
        acme = Decimal(quanta).scaleb(-18)
        assert rows_.allocated == [acme, WIDE.subtract(share, acme)]


def test_names_with_braces_and_quotes_are_only_data(tmp_path: Path) -> None:
    name = "ch{total}at's"
    data = [("acme", name, Decimal("2")), ("gamma", name, Decimal("1"))]
    snap = read_snapshot(write(tmp_path, data))
    cpu, rpu = {name: Decimal("0.5")}, {name: Decimal(0)}
    rows_ = figures._in_engine(snap, cpu, rpu, {"pro": Decimal(1)}, {name: Decimal(3)},
                               {name: Decimal(3)})  # fmt: skip
    # acme: 2 · 0.5 + 3 · 2/3 = 3; gamma, the last id: 1 · 0.5 + the rest, 1 = 1.5
    assert (rows_.ids, rows_.cogs, rows_.allocated) == (
        ["acme", "gamma"], [Decimal(3), Decimal("1.5")], [Decimal(2), Decimal(1)])  # fmt: skip


def test_the_rest_goes_to_the_last_id_with_units_not_the_last_id(tmp_path: Path) -> None:
    # eps, last in id order, used no chat (a row of zero units): the rest of the chat
    # part goes to beta, the last id that used it; eps carries nothing.
    data = [("acme", "chat", Decimal(1)), ("beta", "chat", Decimal(2)),
            ("eps", "chat", Decimal(0)), ("eps", "search", Decimal(1))]  # fmt: skip
    snap = read_snapshot(write(tmp_path, data))
    cpu = {"chat": Decimal("0.01"), "search": Decimal(0)}
    rpu = {"chat": Decimal(0), "search": Decimal(0)}
    prices = {"pro": Decimal(29), "team": Decimal(99)}
    got = price_customers(snap, cpu, rpu, prices, None, {"chat": Decimal(1)}).customers
    third = Decimal("0.333333333333333333")  # 1/3 rounded down to 10^-18
    assert got.ids == ["acme", "beta", "eps"]
    assert list(got.allocated) == [third, Decimal("0.666666666666666667"), Decimal(0)]
    assert got.cogs == [Decimal("0.01") + third, Decimal("0.02") + 2 * third + Decimal("1E-18"), 0]
