"""The observed shape has a fast way (the import's own queries reshaped, no further pass
over the records) and an exact general way (each unit-step group joined to its unit).
Both must give the same histogram, sums and units on every record set the fast way
accepts, with and without a call index, and the import's figures must not change when
calibrate reshapes its queries."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

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
