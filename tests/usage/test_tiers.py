"""Long-context tiers and batch prices in the actual cost of records (SPEC §12, §13):
every record priced here by hand, exactly, one by one, and compared with the import's
bucketed sums to the last digit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.app.calibrate import calibrate
from infercost.app.records import import_records
from infercost.arithmetic import from_fraction
from infercost.errors import InfercostError
from infercost.model import Stack
from infercost.render.calibrate import document
from infercost.usage.records.query import render
from infercost.workspace import Options, load_stack
from tests.helpers import write_files

# The "long" model: base prices, two tiers (the second with a fractional threshold: a
# call of 200,000 input tokens stays in the first tier, one of 200,001 crosses it), and
# a batch block with a tier of its own at 100,000. A tier price left out keeps the
# enclosing block's price. A $0.001 fee per call, a 4 % sheet discount and the EU
# region's 1.10 multiplier apply to every record.
PRICES = """
price_sheet "vendor" {
  discount = 0.04
  region "eu" { multiplier = 1.10 }

  model "long" {
    input_per_mtok        = 1.25
    cached_input_per_mtok = 0.3125
    cache_write_per_mtok  = 1.5625
    output_per_mtok       = 10
    per_call              = 0.001

    long_context {
      above_input_tokens = 128000
      input_per_mtok     = 2.50
      output_per_mtok    = 15
    }
    long_context {
      above_input_tokens    = 200000.5
      input_per_mtok        = 4
      cached_input_per_mtok = 1
      cache_write_per_mtok  = 5
      output_per_mtok       = 20
    }

    batch {
      input_per_mtok        = 0.625
      cached_input_per_mtok = 0.15
      output_per_mtok       = 5

      long_context {
        above_input_tokens = 100000
        input_per_mtok     = 1.25
        output_per_mtok    = 7.5
      }
    }
  }

  model "short" {
    input_per_mtok  = 1
    output_per_mtok = 2

    long_context {
      above_input_tokens = 1000
      input_per_mtok     = 2
    }

    batch {
      input_per_mtok  = 0.5
      output_per_mtok = 1
    }
  }
}
"""

STACK_FILES = {
    "infercost.hcl": 'infercost {\n  currency = "USD"\n  period   = "month"\n}\n',
    "prices.hcl": PRICES,
    "workflows.hcl": """
        unit "task" {}

        workflow "work" {
          step "chat" {
            uses          = "vendor/long"
            input_tokens  = 150000
            output_tokens = 500
          }
          step "bulk" {
            uses          = "vendor/long"
            processing    = "batch"
            input_tokens  = 150000
            output_tokens = 500
          }
          step "tag" {
            uses          = "vendor/short"
            processing    = "batch"
            input_tokens  = 800
            output_tokens = 5
          }
        }

        feature "assist" {
          unit     = unit.task
          workflow = workflow.work
          region   = "eu"
        }
    """,
    "subscriptions.hcl": """
        subscription "pro" {
          price    = 29
          features = [feature.assist]
        }
    """,
}


@dataclass(frozen=True)
class Tier:
    above: D | None
    input: D
    cached: D
    write: D
    output: D


# The prices of each processing mode, tiers in ascending order, as the HCL above says.
STANDARD = [
    Tier(None, D("1.25"), D("0.3125"), D("1.5625"), D(10)),
    Tier(D(128000), D("2.50"), D("0.3125"), D("1.5625"), D(15)),
    Tier(D("200000.5"), D(4), D(1), D(5), D(20)),
]
BATCH = [
    Tier(None, D("0.625"), D("0.15"), D("0.625"), D(5)),
    Tier(D(100000), D("1.25"), D("0.15"), D("0.625"), D("7.5")),
]
SHORT_BATCH = [Tier(None, D("0.5"), D("0.5"), D("0.5"), D(1))]
TIERS = {("chat", "vendor/long"): STANDARD, ("bulk", "vendor/long"): BATCH,
         ("tag", "vendor/short"): SHORT_BATCH}  # fmt: skip
FACTOR = Fraction(D("0.96")) * Fraction(D("1.10"))


@dataclass(frozen=True)
class Call:
    step: str
    item: str
    input: int
    cached: int = 0
    write: int = 0
    output: int = 0


def by_hand(call: Call) -> Fraction:
    """One record's cost: the whole call at the tier of the highest threshold its input
    tokens exceed, then the fee, the discount and the region multiplier."""
    tier = next(
        t
        for t in reversed(TIERS[(call.step, call.item)])
        if t.above is None or call.input > t.above
    )
    uncached = call.input - call.cached - call.write
    tokens = (
        uncached * Fraction(tier.input)
        + call.cached * Fraction(tier.cached)
        + call.write * Fraction(tier.write)
        + call.output * Fraction(tier.output)
    ) / 1_000_000
    fee = Fraction(1, 1000) if call.item == "vendor/long" else 0
    return (tokens + fee) * FACTOR


HEADER = (
    "time,unit_id,feature,customer,subscription,step,item,input_tokens,cached_input_tokens,"
    "cache_write_tokens,output_tokens\n"
)


def write_records(path: Path, calls: list[Call]) -> Path:
    rows = [
        f"2026-11-03T09:{i % 60:02d}:00Z,u{i % 7},assist,c1,pro,{c.step},{c.item},"
        f"{c.input},{c.cached},{c.write},{c.output}\n"
        for i, c in enumerate(calls)
    ]
    path.write_text(HEADER + "".join(rows))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    root = write_files(tmp_path_factory.mktemp("tiers"), STACK_FILES)
    return load_stack(Options(stack=root))


def actual_by_step(stack: Stack, path: Path) -> dict[str, D]:
    result = import_records(stack, [path], "records")
    return {c.step or "": c.actual for c in result.costs}


# Input sizes on both sides of every threshold, cached and cache-write tokens included.
STRADDLING = [
    Call("chat", "vendor/long", 127999, 20000, 1000, 800),
    Call("chat", "vendor/long", 128000, 0, 0, 100),  # not above 128,000: base prices
    Call("chat", "vendor/long", 128001, 64000, 0, 100),  # above: the whole call at tier 1
    Call("chat", "vendor/long", 200000, 0, 5000, 3),  # below 200,000.5: still tier 1
    Call("chat", "vendor/long", 200001, 100000, 1, 7),  # above it: tier 2
    Call("chat", "vendor/long", 1000000, 999999, 0, 0),
]


def test_records_straddling_thresholds_are_priced_call_by_call(stack, tmp_path: Path) -> None:
    path = write_records(tmp_path / "r.csv", STRADDLING)
    expected = sum((by_hand(c) for c in STRADDLING), Fraction(0))
    # The same records at base prices only would cost less: the tiers matter here.
    flat = sum(
        (
            by_hand(Call(c.step, c.item, min(c.input, 128000), c.cached, c.write, c.output))
            + Fraction(max(c.input - 128000, 0) * 125, 100_000_000) * FACTOR
            for c in STRADDLING
        ),
        Fraction(0),
    )
    assert flat < expected
    actual = actual_by_step(stack, path)
    assert actual == {"chat": from_fraction(expected)}
    assert Fraction(actual["chat"]) == expected  # exact: nothing was rounded


def test_a_batch_steps_records_pay_the_batch_prices_and_its_tiers(stack, tmp_path: Path) -> None:
    calls = [
        Call("bulk", "vendor/long", 90000, 10000, 0, 400),  # batch base
        Call("bulk", "vendor/long", 100000, 0, 0, 400),  # not above 100,000
        Call("bulk", "vendor/long", 100001, 50000, 0, 400),  # batch tier, below 128,000
        Call("bulk", "vendor/long", 150000, 0, 2000, 10),  # the batch block has one tier
        Call("bulk", "vendor/long", 250000, 0, 0, 10),
        # The same sizes on the standard step: standard prices and tiers.
        Call("chat", "vendor/long", 100001, 50000, 0, 400),
        Call("chat", "vendor/long", 250000, 0, 0, 10),
        Call("tag", "vendor/short", 900, 0, 0, 5),  # batch prices of an item without tiers
    ]
    path = write_records(tmp_path / "r.csv", calls)
    actual = actual_by_step(stack, path)
    for step in ("bulk", "chat", "tag"):
        expected = sum((by_hand(c) for c in calls if c.step == step), Fraction(0))
        assert Fraction(actual[step]) == expected, step
    # By hand for one: 150,000 batch tokens (2,000 written to the cache at the batch
    # input price) at the batch tier: 148,000 x 1.25 + 2,000 x 0.625 + 10 x 7.5 = 186,325
    # per million, plus $0.001, x 0.96 x 1.10.
    one = Call("bulk", "vendor/long", 150000, 0, 2000, 10)
    assert by_hand(one) == (Fraction(186325, 1_000_000) + Fraction(1, 1000)) * FACTOR


def test_batch_calls_above_a_threshold_the_batch_block_lacks_are_an_error(
    stack, tmp_path: Path
) -> None:
    calls = [
        Call("tag", "vendor/short", 900, 0, 0, 5),
        Call("tag", "vendor/short", 1001, 0, 0, 5),
    ]
    path = write_records(tmp_path / "r.csv", calls)
    with pytest.raises(InfercostError) as error:
        import_records(stack, [path], "records")
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.detail.startswith("record 2: ")
    assert "1000" in diagnostic.detail and '"vendor/short"' in diagnostic.detail
    assert diagnostic.range is not None and diagnostic.range.start.line == 3


def test_the_query_keys_tiers_by_literal_thresholds(stack) -> None:
    sql = render(stack, "duckdb", pretty=False)
    assert "input_tokens > 200000 THEN 200000" in sql
    assert "input_tokens > 128000 THEN 128000" in sql
    assert "input_tokens > 100000 THEN 100000" in sql


def test_calibrate_compares_with_the_tiered_actual_cost(stack, tmp_path: Path) -> None:
    path = write_records(tmp_path / "r.csv", STRADDLING)
    report = calibrate(stack, [path], "records")
    expected = sum((by_hand(c) for c in STRADDLING), Fraction(0))
    assert Fraction(report.result.actual) == expected
    # The what-if prices calls of one fitted size; the records lie on all three sides.
    (feature,) = report.features
    (chat,) = feature.steps
    assert chat.modelled_cost_per_unit != chat.actual_cost_per_unit
    assert chat.notes == [
        "the records straddle long-context thresholds of vendor/long (2 of 6 at most 128000, "
        "2 of 6 above 128000, 2 of 6 above 200000.5 input tokens): each record is billed at "
        "the tier of its own input, while the what-if prices calls of the fitted input size, "
        "so the two costs differ."
    ]
    doc = document(stack, report)
    (shown,) = doc["features"]
    assert chat.notes[0] in shown["what_if_residual"]["reasons"]


SIZES = st.one_of(
    st.integers(0, 400000),
    st.sampled_from([99999, 100000, 100001, 127999, 128000, 128001, 200000, 200001]),
)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    step = draw(st.sampled_from(["chat", "bulk"]))
    size = draw(SIZES)
    cached = draw(st.integers(0, size))
    write = draw(st.integers(0, size - cached)) if step == "chat" else 0
    return Call(step, "vendor/long", size, cached, write, draw(st.integers(0, 5000)))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(calls(), min_size=1, max_size=40))
def test_bucketed_actual_cost_equals_record_by_record(stack, tmp_path: Path, drawn) -> None:
    path = write_records(tmp_path / "r.csv", drawn)
    actual = actual_by_step(stack, path)
    for step in {c.step for c in drawn}:
        expected = sum((by_hand(c) for c in drawn if c.step == step), Fraction(0))
        assert Fraction(actual[step]) == expected


@pytest.mark.spark
@pytest.mark.usefixtures("spark_session")
def test_spark_buckets_tiers_as_duckdb_does(
    stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infercost.usage.records import spark as spark_engine

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Spark fell back to DuckDB")

    calls = [*STRADDLING, Call("bulk", "vendor/long", 150000, 0, 2000, 10)]
    path = write_records(tmp_path / "r.csv", calls)
    duck = import_records(stack, [path], "records", engine="duckdb")
    monkeypatch.setattr(spark_engine, "run_duckdb", refuse)
    spark = import_records(stack, [path], "records", engine="spark")
    assert spark.costs == duck.costs
    assert Fraction(spark.actual) == sum((by_hand(c) for c in calls), Fraction(0))


def test_the_sql_route_gives_the_same_tiered_cost(stack, tmp_path: Path) -> None:
    calls = [*STRADDLING, Call("bulk", "vendor/long", 150000, 0, 2000, 10)]
    path = write_records(tmp_path / "r.csv", calls)
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW records AS SELECT * REPLACE (CAST(time AS TIMESTAMP) AS time), "
        "NULL::DECIMAL(38, 18) AS quantity, NULL::INT AS attempt, NULL::BOOLEAN AS cache_hit, "
        f"NULL::DECIMAL(38, 18) AS reported_cost FROM read_csv('{path}')"
    )
    agg = tmp_path / "aggregated.csv"
    con.execute(f"COPY ({render(stack, 'duckdb')}) TO '{agg}' (HEADER)")
    direct = import_records(stack, [path], "records")
    back = import_records(stack, [agg], "aggregated")
    assert back.costs == direct.costs
    assert Fraction(back.actual) == sum((by_hand(c) for c in calls), Fraction(0))
    # A tier key that is not a whole number of tokens is refused, not priced.
    text = agg.read_text().splitlines()
    bad = [text[0], *(line + ".5" if line.startswith("usage") else line for line in text[1:])]
    agg.write_text("\n".join(bad) + "\n")
    with pytest.raises(InfercostError) as error:
        import_records(stack, [agg], "aggregated")
    assert "tier must be empty or a whole number" in error.value.diagnostics[0].detail
