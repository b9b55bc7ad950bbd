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
from typing import Any

import pytest

from infercost.app.records import import_records
from infercost.usage.records.observed import ShapeObserver
from infercost.workspace import Options, load_stack
from tests.calibrate.test_calibrate import COLUMNS, simulate, write
from tests.helpers import EXAMPLES


@pytest.fixture(autouse=True, params=["short units", "long units"])
def unit_length(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case twice: with every unit measured the way of short units (the runs found
    by the positions of their codes), and the way of long units (by the boundaries
    between runs). Each must agree with the exact way on its own."""
    import infercost.usage.records.observed as observed

    monkeypatch.setattr(observed, "SHORT_UNIT", 10**9 if request.param == "short units" else 0)


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
    ("call_index", "steps", "untimed", "attempts"),
    [
        (True, False, False, True),
        (False, False, False, True),
        (True, True, False, True),
        (False, False, True, True),
        (False, False, False, False),
        (True, True, False, False),
    ],
    ids=[
        "call_index",
        "time_then_tokens",
        "some_steps_given",
        "no_time",
        "no_attempt",
        "steps_without_attempt",
    ],
)
def test_fast_and_exact_ways_agree(
    tmp_path: Path, call_index: bool, steps: bool, untimed: bool, attempts: bool
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
    if not attempts:  # every record a first attempt
        _drop(path, "attempt")
    fast = _observed(stack, path, ShapeObserver(load_stack(Options(stack=stack))))
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))))
    assert fast == exact
    assert fast["histogram"] and fast["sums"]
    draft = [r for r in fast["histogram"] if r[2] == "draft" and not r[4]]
    # simulate() draws 2 to 5 draft calls per unit that is not a cache hit; without
    # attempts its retries count as calls too
    found = sorted({r[5] for r in draft})
    assert found == [2, 3, 4, 5] if attempts else found[0] == 2 and found[-1] > 5


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


def _both_ways(stack: Path, path: Path) -> dict[str, Any]:
    """The observed shape the fast way, asserted equal to the exact way's."""
    fast = _observed(stack, path, ShapeObserver(load_stack(Options(stack=stack))))
    exact = _observed(stack, path, ExactObserver(load_stack(Options(stack=stack))))
    assert fast == exact
    return fast


def test_units_of_one_id_are_told_apart_by_customer(tmp_path: Path) -> None:
    # A unit is its feature, id, customer and subscription: two units of one id under
    # two customers are two units, each with its own calls, in both ways.
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
    fast = _both_ways(stack, path)
    # u0..u299, u7 kept apart from u6 by its customer
    assert sum(r[3] for r in fast["units"]) == 300
    embed = [r for r in fast["histogram"] if r[2] == "embed"]
    assert sum(r[6] for r in embed) == 300  # every unit embeds once


DRAFT = "openai/gpt-4o-mini"


def _reindex(rows: list[dict[str, Any]], change) -> list[dict[str, Any]]:
    """``change(row)`` is the row's new index; ``row["n"]``: its unit's first draft calls."""
    drafts = Counter(
        r["unit_id"] for r in rows if r["item"] == DRAFT and int(str(r["attempt"])) == 1
    )
    return [row | {"call_index": change(row | {"n": drafts[row["unit_id"]]})} for row in rows]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("from 0", lambda r: r["call_index"]),
        ("from 1", lambda r: int(r["call_index"]) + 1),
        ("from 100", lambda r: int(r["call_index"]) + 100),
        # u7's draft calls all at index 2: a tie, ordered by time then tokens.
        ("a tie", lambda r: 2 if r["unit_id"] == "u7" else r["call_index"]),
        # u9's indices 0, 2, 4, ... (a gap), every other unit's all 0 (ties).
        ("a gap", lambda r: 2 * int(r["call_index"]) if r["unit_id"] == "u9" else 0),
        # Draft calls 0, 0, 2 (in units of three): one index twice.
        (
            "a repeat",
            lambda r: (
                0 if (r["item"], r["call_index"], r["n"]) == (DRAFT, 1, 3) else r["call_index"]
            ),
        ),
        # u3 without indices: they sort last, by time and tokens.
        ("no index", lambda r: "" if r["unit_id"] == "u3" else r["call_index"]),
    ],
)
def test_calls_are_ranked_by_index_then_time_then_tokens(tmp_path: Path, name: str, change) -> None:
    # Σ (k − 1)·input ranks a unit's first attempts of a step by call index, then time,
    # then input tokens: the unit's sorted list and the exact way's sorted group must
    # rank them alike, to the last token, on indices in order, tied, gapped or missing.
    rows = _reindex(simulate(seed=3, units=300, retry=0.2), change)
    for i, row in enumerate(rows):  # ties on time now and then, as in production
        row["time"] = f"2026-11-03T09:{(i // 7) % 60:02d}:00Z"
    fast = _both_ways(*write(tmp_path, rows))
    assert any(r[7] for r in fast["histogram"])  # growth is measured at all


def test_a_unit_of_seventy_calls(tmp_path: Path) -> None:
    rows = simulate(seed=4, units=20, retry=0)
    template = next(r for r in rows if r["item"] == DRAFT)
    rows += [template | {"unit_id": "long", "call_index": k, "input_tokens": 1000 + 7 * k,
                         "cached_input_tokens": 0} for k in range(70)]  # fmt: skip
    fast = _both_ways(*write(tmp_path, rows))
    # The 70-call unit: Σ (k − 1)·input over ranks 1..70 = Σ k·(1000 + 7k), k = 0..69.
    long_row = next(r for r in fast["histogram"] if r[5] == 70)
    assert long_row[7] == sum(k * (1000 + 7 * k) for k in range(70))


def test_large_indices_on_large_token_counts(tmp_path: Path) -> None:
    # Consecutive indices from 10^16 on token counts near the 10^15 a record may have:
    # the indices only order the calls (ranks 1..n weigh the tokens), so no sum comes
    # near the engine's 38 digits and the run is no "Figure too large" error.
    rows = simulate(seed=5, units=30, retry=0)
    rows = _reindex(rows, lambda r: 10**16 + int(r["call_index"]))
    for row in rows:
        if row["item"] == DRAFT:
            row["input_tokens"] = 10**15 - 10**6 + int(row["input_tokens"])
            row["cached_input_tokens"] = 0
    fast = _both_ways(*write(tmp_path, rows))
    assert any(r[7] > 10**14 for r in fast["histogram"] if r[2] == "draft")


def test_a_step_run_only_by_retries_has_no_calls(tmp_path: Path) -> None:
    # A unit whose records of a step are all retries (attempt 2) ran the step with no
    # first attempt: it is a unit of 0 calls, in both ways, and its retries rank nowhere.
    rows = simulate(seed=9, units=60, retry=0)
    unit = next(r["unit_id"] for r in rows if r["item"] == DRAFT)
    for row in rows:
        if row["unit_id"] == unit and row["item"] == DRAFT:
            row["attempt"] = 2
    fast = _both_ways(*write(tmp_path, rows))
    zero = [r for r in fast["histogram"] if r[2] == "draft" and r[5] == 0]
    assert [(r[6], r[7]) for r in zero] == [(1, 0)]


def test_two_steps_of_one_item_are_told_apart_by_their_step(tmp_path: Path) -> None:
    # Two steps that use one model: the records name the step, and each step's calls
    # are a run of their own in the unit's list (ranked apart), as in the exact way.
    rows = simulate(seed=10, units=200, retry=0.1)
    stack, path = write(tmp_path, rows)
    main = stack / "main.hcl"
    text = main.read_text()
    review = (
        '  step "review" {\n    uses          = "openai/gpt-4o-mini"\n'
        "    input_tokens  = 500\n    output_tokens = 50\n  }\n"
    )
    main.write_text(text.replace('  step "escalate" {', review + '  step "escalate" {', 1))
    with path.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*COLUMNS, "step"])
        writer.writeheader()
        for row in written:
            step = ""
            if row["item"] == DRAFT:
                step = "review" if int(row["call_index"]) % 2 else "draft"
            writer.writerow(row | {"step": step})
    fast = _both_ways(stack, path)
    steps = {r[2] for r in fast["histogram"]}
    assert {"draft", "review", "embed", "retrieve"} <= steps
    assert any(r[7] for r in fast["histogram"] if r[2] == "review")


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


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("records.csv", "records"),
        ("records.jsonl", "records"),
        ("records.parquet", "records"),
        ("otel.jsonl", "otel"),
        ("litellm.jsonl", "litellm"),
    ],
)
def test_the_example_records_in_every_format(name: str, source: str) -> None:
    # Each reader hands the observer its own typed columns (a Parquet timestamp, JSON
    # numbers, OTel attributes): the units' lists must measure them as the exact way.
    example = EXAMPLES / "support-assistant"
    path = example / "records" / name

    def observed(observer_type: type[ShapeObserver]) -> dict[str, Any]:
        stack = load_stack(Options(stack=example))
        result = import_records(stack, [path], source, None, observer=observer_type(stack))
        return {key: _normal(rows) for key, rows in result.observed.items()}

    fast = observed(ShapeObserver)
    assert fast == observed(ExactObserver)
    assert any(r[5] > 1 for r in fast["histogram"])  # some unit calls a step more than once
