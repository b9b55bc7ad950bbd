"""The observed shape has a fast way (the import's own queries reshaped, no further pass
over the records) and an exact general way (each unit-step group joined to its unit).
Both must give the same histogram, sums and units on every record set the fast way
accepts, with and without a call index, and the import's figures must not change when
calibrate reshapes its queries."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from infercost.app.records import import_records
from infercost.usage.records.observed import ShapeObserver
from infercost.workspace import Options, load_stack
from tests.calibrate.test_calibrate import COLUMNS, simulate, write


class ExactObserver(ShapeObserver):
    """The same observer, always the exact general way."""

    def _simple(self, con: Any) -> bool:
        return False


def _normal(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    def value(v: Any) -> Any:
        return Decimal(v) if isinstance(v, int | Decimal) and not isinstance(v, bool) else v

    return sorted(
        (tuple(value(v) for v in row.values()) for row in rows),
        key=lambda t: tuple(str(v) for v in t),
    )


def _observed(
    stack_dir: Path, path: Path, observer: ShapeObserver, period: str | None = None
) -> dict[str, Any]:
    stack = load_stack(Options(stack=stack_dir))
    result = import_records(stack, [path], "records", period, observer=observer)
    return {key: _normal(rows) for key, rows in result.observed.items()}


def _drop(path: Path, column: str) -> None:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = [c for c in reader.fieldnames or COLUMNS if c != column]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            row.pop(column)
            writer.writerow(row)


def _add_steps(path: Path) -> None:
    """A step column given on every other draft record (the rest find it by item): a
    unit's draft calls must still count as one group."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*COLUMNS, "step"])
        writer.writeheader()
        for i, row in enumerate(rows):
            draft = row["item"] == "openai/gpt-4o-mini" and i % 2 == 0
            writer.writerow(row | {"step": "draft" if draft else ""})


@pytest.mark.parametrize(
    ("call_index", "steps", "untimed"),
    [(True, False, False), (False, False, False), (True, True, False), (False, False, True)],
    ids=["call_index", "time_then_tokens", "some_steps_given", "no_time"],
)
def test_fast_and_exact_ways_agree(
    tmp_path: Path, call_index: bool, steps: bool, untimed: bool
) -> None:
    rows = simulate(seed=3, units=400, retry=0.2)
    if not call_index:
        # Same minute for a unit's calls now and then: ties on time fall to the tokens.
        for i, row in enumerate(rows):
            row["time"] = f"2026-11-03T09:{(i // 7) % 60:02d}:00Z"
    stack, path = write(tmp_path, rows)
    if not call_index:
        _drop(path, "call_index")
    if untimed:  # no time at all: the order is by tokens alone
        _drop(path, "time")
    if steps:
        _add_steps(path)
    fast = _observed(stack, path, ShapeObserver(load_stack(Options(stack=stack))))
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))))
    assert fast == exact
    assert fast["histogram"] and fast["sums"]
    draft = [r for r in fast["histogram"] if r[2] == "draft" and not r[4]]
    # simulate() draws 2 to 5 draft calls per unit that is not a cache hit
    assert sorted({r[5] for r in draft}) == [2, 3, 4, 5]


def test_a_unit_across_two_periods_takes_the_exact_way(tmp_path: Path) -> None:
    rows = simulate(seed=5, units=50)
    # u1's first call in October, the others in November: u1 belongs to October.
    first = next(r for r in rows if r["unit_id"] == "u1")
    first["time"] = "2026-10-31T23:59:00Z"
    stack, path = write(tmp_path, rows)
    observer = ShapeObserver(load_stack(Options(stack=stack)))
    fast = _observed(stack, path, observer, "2026-11")
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))), "2026-11")
    assert fast == exact
    assert [r for r in fast["units"] if r[0] == "2026-10"] == [("2026-10", "support", False, 1)]
    assert any(r[0] == "2026-10" for r in fast["histogram"])
    assert any(r[0] == "2026-10" for r in fast["sums"])


def test_calibrate_leaves_the_import_figures_as_they_are(tmp_path: Path) -> None:
    rows = simulate(seed=11, units=300)
    stack_dir, path = write(tmp_path, rows)
    stack = load_stack(Options(stack=stack_dir))
    plain = import_records(stack, [path], "records")
    shaped = import_records(stack, [path], "records", observer=ShapeObserver(stack))
    assert shaped.snapshot == plain.snapshot
    assert shaped.costs == plain.costs
    assert (shaped.records, shaped.units, shaped.cache_hit_units) == (
        plain.records,
        plain.units,
        plain.cache_hit_units,
    )


class KeySpy(ShapeObserver):
    """The same observer, recording whether it grouped by unit and step on the units'
    hashes (True) or their texts (False)."""

    asked: ClassVar[list[bool]] = []

    def unit_steps_sql(self, given: frozenset[str] | None, hashed: bool = False) -> str:
        KeySpy.asked.append(hashed)
        return super().unit_steps_sql(given, hashed)


class TextKeyObserver(KeySpy):
    """Grouping on the key's texts, as the observer does when two units share a hash."""

    @staticmethod
    def hashes_distinct(con: Any) -> bool:
        return False


@pytest.mark.parametrize("call_index", [True, False], ids=["call_index", "time_then_tokens"])
def test_hash_keyed_and_text_keyed_groups_agree(tmp_path: Path, call_index: bool) -> None:
    # The group by unit and step keyed by the unit's hash and feature is the group by
    # the unit's four texts whenever no two units share a hash: the same histogram, sums
    # and units. Units of one id under two customers, and of one customer and id in two
    # features, are distinct units either way.
    rows = simulate(seed=8, units=300, retry=0.2)
    customers = {"u5": "cus-other", "u6": "cus-a", "u7": "cus-b"}
    stack, path = write(tmp_path, rows)
    with (stack / "main.hcl").open("a") as handle:
        handle.write('subscription "pro" {\n  price    = 10\n  features = [feature.support]\n}\n')
    with path.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*COLUMNS, "customer", "subscription"])
        writer.writeheader()
        for row in written:
            customer = customers.get(row["unit_id"], "cus-" + row["unit_id"])
            if row["unit_id"] == "u7":
                row["unit_id"] = "u6"  # two units of one id, told apart by customer
            writer.writerow(row | {"customer": customer, "subscription": "pro"})
    if not call_index:
        _drop(path, "call_index")
    KeySpy.asked = []
    hashed = _observed(stack, path, KeySpy(load_stack(Options(stack=stack))))
    texts = _observed(stack, path, TextKeyObserver(load_stack(Options(stack=stack))))
    assert hashed == texts
    if not call_index:  # (with indices in order, neither groups by the sorted list)
        assert KeySpy.asked == [True, False]
    # u0..u299, u7 kept apart from u6 by its customer
    assert sum(r[3] for r in hashed["units"]) == 300


def test_units_sharing_a_hash_are_found() -> None:
    # A shared hash (two units of different keys, crafted or by chance) must send the
    # grouping to the texts: the check counts distinct hashes against units.
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE unit_spans AS SELECT * FROM (VALUES ('a', 1::UBIGINT), ('b', 2::UBIGINT)) "
        "t(unit_id, unit_hash)"
    )
    assert ShapeObserver.hashes_distinct(con) is True
    con.execute("INSERT INTO unit_spans VALUES ('c', 1::UBIGINT)")
    assert ShapeObserver.hashes_distinct(con) is False


class ListObserver(ShapeObserver):
    """The same observer, always ordering each group's calls by its sorted list."""

    def indexed_unit_steps_sql(
        self, given: frozenset[str] | None, hashed: bool = False
    ) -> str | None:
        return None


class SpyObserver(ShapeObserver):
    """Records whether the call indices were found in order (None: never asked)."""

    in_order: bool | None = None

    def in_index_order(self, con: Any) -> bool:  # type: ignore[override]
        SpyObserver.in_order = ShapeObserver.in_index_order(con)
        return SpyObserver.in_order


DRAFT = "openai/gpt-4o-mini"


def _both_ways(stack: Path, path: Path) -> dict[str, Any]:
    """The observed shape by the indices where they allow it (``SpyObserver`` records
    whether they did), asserted equal to the shape by the sorted list."""
    SpyObserver.in_order = None
    fast = _observed(stack, path, SpyObserver(load_stack(Options(stack=stack))))
    listed = _observed(stack, path, ListObserver(load_stack(Options(stack=stack))))
    assert fast == listed
    return fast


def _reindex(rows: list[dict[str, Any]], change) -> list[dict[str, Any]]:
    """``change(row)`` is the row's new index; ``row["n"]``: its unit's first draft calls."""
    drafts = Counter(
        r["unit_id"] for r in rows if r["item"] == DRAFT and int(str(r["attempt"])) == 1
    )
    return [row | {"call_index": change(row | {"n": drafts[row["unit_id"]]})} for row in rows]


@pytest.mark.parametrize(
    ("name", "change", "in_order"),
    [
        ("from 0", lambda r: r["call_index"], True),
        ("from 1", lambda r: int(r["call_index"]) + 1, True),
        ("from 100", lambda r: int(r["call_index"]) + 100, True),
        # u7's draft calls all at index 2: a tie, ordered by time then tokens.
        ("a tie", lambda r: 2 if r["unit_id"] == "u7" else r["call_index"], False),
        # u9's indices 0, 2, 4, ... (a gap), every other unit's all 0 (ties).
        ("a gap", lambda r: 2 * int(r["call_index"]) if r["unit_id"] == "u9" else 0, False),
        # Draft calls 0, 0, 2 (in units of three): as many indices as calls, spanning
        # n - 1, one of them twice; only the bits see it.
        (
            "a repeat",
            lambda r: (
                0 if (r["item"], r["call_index"], r["n"]) == (DRAFT, 1, 3) else r["call_index"]
            ),
            False,
        ),
        # u3 without indices: they sort last, by time and tokens.
        ("no index", lambda r: "" if r["unit_id"] == "u3" else r["call_index"], False),
    ],
)
def test_call_indices_in_order_need_no_list(tmp_path: Path, name: str, change, in_order) -> None:
    # Σ (k − 1)·input is summed from the indices when each group's are consecutive, and
    # from the sorted list otherwise: both ways must give the same histogram to the last
    # token, and the indices must be trusted only when they are consecutive.
    rows = _reindex(simulate(seed=3, units=300, retry=0.2), change)
    for i, row in enumerate(rows):  # ties on time now and then, as in production
        row["time"] = f"2026-11-03T09:{(i // 7) % 60:02d}:00Z"
    fast = _both_ways(*write(tmp_path, rows))
    assert SpyObserver.in_order is in_order
    assert any(r[7] for r in fast["histogram"])  # growth is measured at all


def test_more_than_64_calls_take_the_list(tmp_path: Path) -> None:
    rows = simulate(seed=4, units=20, retry=0)
    template = next(r for r in rows if r["item"] == "openai/gpt-4o-mini")
    rows += [template | {"unit_id": "long", "call_index": k, "input_tokens": 1000 + 7 * k,
                         "cached_input_tokens": 0} for k in range(70)]  # fmt: skip
    fast = _both_ways(*write(tmp_path, rows))
    assert SpyObserver.in_order is False
    # The 70-call unit: Σ (k − 1)·input over ranks 1..70 = Σ k·(1000 + 7k), k = 0..69.
    long_row = next(r for r in fast["histogram"] if r[5] == 70)
    assert long_row[7] == sum(k * (1000 + 7 * k) for k in range(70))


def test_indices_too_large_to_sum_take_the_list(tmp_path: Path) -> None:
    # Consecutive indices from 10^16 on large token counts (up to the 10^15 a record may
    # have): Σ k·input passes the 38 digits of the engine's sums, where the ranks 1..n
    # of the list do not. The index must not turn a record set the list measures into a
    # "Figure too large" error.
    rows = simulate(seed=5, units=30, retry=0)
    rows = _reindex(rows, lambda r: 10**16 + int(r["call_index"]))
    for row in rows:
        if row["item"] == DRAFT:
            row["input_tokens"] = 10**15 - 10**6 + int(row["input_tokens"])
            row["cached_input_tokens"] = 0
    fast = _both_ways(*write(tmp_path, rows))
    assert any(r[7] > 10**14 for r in fast["histogram"] if r[2] == "draft")


def test_a_name_the_enums_miss_sends_the_observer_the_exact_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fast way groups features and items as enums of the stack's names. A kept
    # record never names another (it would be a problem), but should one slip past, its
    # groups must not vanish into a null item: the table counts it as a stray and the
    # observer takes the exact way.
    import infercost.usage.records.observed as observed

    rows = simulate(seed=4, units=120)
    stack, path = write(tmp_path, rows)
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))))
    names = observed._item_names
    monkeypatch.setattr(observed, "_item_names", lambda s: [n for n in names(s) if n != DRAFT])
    missed = _observed(stack, path, ShapeObserver(load_stack(Options(stack=stack))))
    assert missed == exact
    assert any(r[3] == DRAFT for r in missed["histogram"])


def test_a_call_of_a_billion_tokens_is_measured_exactly(tmp_path: Path) -> None:
    # The ordered lists hold tokens as 64-bit decimals (below 10^9). A first call of
    # more must not be lost from them (nor stop the run): the observer measures the
    # records the exact way. Without a call index the order is by time, then tokens.
    rows = simulate(seed=6, units=40, retry=0)
    for i, row in enumerate(rows):
        row["time"] = f"2026-11-03T09:{(i // 3) % 60:02d}:00Z"
    drafts = Counter(r["unit_id"] for r in rows if r["item"] == DRAFT)
    unit = next(u for u, n in drafts.items() if n >= 2)
    # its last draft call: the latest, and on a tie of times the largest, so ranked >= 2
    big = [r for r in rows if r["item"] == DRAFT and r["unit_id"] == unit][-1]
    big["input_tokens"] = 3 * 10**9
    big["cached_input_tokens"] = 0
    stack, path = write(tmp_path, rows)
    _drop(path, "call_index")
    fast = _observed(stack, path, ShapeObserver(load_stack(Options(stack=stack))))
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))))
    assert fast == exact
    assert any(r[7] >= 3 * 10**9 for r in fast["histogram"] if r[2] == "draft")
