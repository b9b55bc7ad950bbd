"""Properties of the money arithmetic (hypothesis), over generated workflows:
every cost >= 0, steps add up to the unit cost, costs are linear in the region
multiplier and in units, and an unchanged stack plans as a no-op with zero change."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.cost.breakdown import compute
from infercost.cost.unit_cost import workflow_costs
from infercost.usage.snapshot import Snapshot
from tests.helpers import load, run_cli, write_files

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[str]:
    scale = 10**places
    return st.integers(low * scale, high * scale).map(lambda n: str(D(n) / scale))


# A count: whole, an average (two-point), or a discrete between; continuous forms only
# where no context_growth applies (SPEC §15).
whole = st.integers(0, 12).map(str)
counts = st.one_of(
    whole,
    decimals(0, 8, 2),
    st.tuples(st.integers(0, 6), st.integers(0, 6)).map(lambda p: f"between({min(p)}, {max(p)})"),
)
continuous = st.one_of(
    st.tuples(decimals(0, 4, 1), decimals(0, 4, 1)).map(
        lambda p: f"between({min(p, key=D)}, {max(p, key=D)})"
    ),
    st.lists(decimals(0, 5, 1), min_size=3, max_size=3)
    .map(lambda xs: sorted(xs, key=D))
    .map(lambda xs: f"triangular({xs[0]}, {xs[1]}, {xs[2]})"),
)
sizes = st.one_of(st.integers(0, 20_000).map(str), decimals(0, 500, 1))


@st.composite
def model_step(draw: st.DrawFn, i: int) -> str:
    growth = draw(st.sampled_from(["0", "0", "250", "1000"]))
    calls = draw(counts if growth != "0" else st.one_of(counts, continuous))
    return f"""
      step "m{i}" {{
        uses           = "llm/big"
        calls          = {calls}
        input_tokens   = {draw(sizes)}
        output_tokens  = {draw(sizes)}
        cached_share   = {draw(decimals(0, 1, 2))}
        context_growth = {growth}
        retry_rate     = {draw(decimals(0, 3, 2))}
        share          = {draw(decimals(0, 1, 2))}
        cacheable      = {draw(st.sampled_from(["true", "false"]))}
      }}"""


@st.composite
def meter_step(draw: st.DrawFn, i: int) -> str:
    return f"""
      step "q{i}" {{
        uses     = "vec/read"
        calls    = {draw(st.one_of(counts, continuous))}
        quantity = {draw(st.one_of(sizes, continuous))}
      }}"""


@st.composite
def stacks(draw: st.DrawFn) -> dict[str, str]:
    n = draw(st.integers(1, 4))
    steps = [draw(st.one_of(model_step(i), meter_step(i))) for i in range(n)]
    multiplier = draw(decimals(0, 5, 2).filter(lambda m: D(m) > 0))
    return {
        "prices.hcl": f"""
            price_sheet "llm" {{
              region "eu" {{ multiplier = {multiplier} }}
              model "big" {{
                input_per_mtok        = {draw(decimals(0, 60, 3))}
                cached_input_per_mtok = {draw(decimals(0, 30, 3))}
                output_per_mtok       = {draw(decimals(0, 120, 3))}
              }}
            }}
            price_sheet "vec" {{
              region "eu" {{ multiplier = {multiplier} }}
              meter "read" {{
                price = {draw(decimals(0, 50, 2))}
                per   = {draw(st.sampled_from(["1", "1000", "1000000"]))}
              }}
            }}
            """,
        "main.hcl": f"""
            unit "u" {{}}
            workflow "w" {{
              cache_hit_rate = {draw(decimals(0, 1, 2))}
              {"".join(steps)}
            }}
            feature "f" {{
              unit             = unit.u
              workflow         = workflow.w
              revenue_per_unit = {draw(decimals(0, 5, 2))}
            }}
            feature "g" {{
              unit     = unit.u
              workflow = workflow.w
              region   = "eu"
            }}
            """,
    }


def snapshot(units: dict[str, D]) -> Snapshot:
    return Snapshot(path="usage.csv", units=units)


def close(a: D, b: D) -> bool:
    """Equal up to the last of 28 significant digits (non-terminating moments round)."""
    return abs(a - b) <= max(abs(a), abs(b), D(1)) * D("1e-24")


@PROPERTY
@given(stacks(), st.integers(0, 10**6).map(D))
def test_costs_are_never_negative_and_steps_add_up(files: dict[str, str], units: D) -> None:
    stack = load(files)
    figures = compute(stack, snapshot({"f": units, "g": units}))
    for feature in figures.features.values():
        assert feature.cost_per_unit >= 0
        assert feature.cogs >= 0 and feature.revenue >= 0
        assert all(s.cost_per_unit >= 0 for s in feature.steps)
        assert all(s.input_tokens >= 0 and s.output_tokens >= 0 for s in feature.steps)
        assert sum((s.cost_per_unit for s in feature.steps), D(0)) == feature.cost_per_unit
    assert figures.totals.cogs >= 0


@PROPERTY
@given(stacks())
def test_cost_is_linear_in_the_region_multiplier(files: dict[str, str]) -> None:
    stack = load(files)
    m = stack.price_sheets["llm"].multiplier("eu")
    plain = workflow_costs(stack, stack.workflows["w"], None)
    regional = workflow_costs(stack, stack.workflows["w"], "eu")
    for one, many in zip(plain, regional, strict=True):
        assert close(many.cost_per_unit, m * one.cost_per_unit)


@PROPERTY
@given(stacks(), st.integers(0, 10**5).map(D), st.integers(0, 1000).map(D))
def test_cogs_is_linear_in_units(files: dict[str, str], units: D, k: D) -> None:
    stack = load(files)
    once = compute(stack, snapshot({"f": units})).features["f"]
    scaled = compute(stack, snapshot({"f": units * k})).features["f"]
    assert close(scaled.cogs, k * once.cogs)
    assert close(scaled.revenue, k * once.revenue)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks(), st.integers(0, 10**5))
def test_an_unchanged_stack_plans_as_a_no_op(files: dict[str, str], units: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base, head = Path(tmp) / "base", Path(tmp) / "head"
        usage = {"usage.csv": f"feature,units\nf,{units}\ng,{units}\n"}
        write_files(base, {**files, **usage})
        write_files(head, {**files, **usage})
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            code, out, err = run_cli(
                ["plan", "head", "--base-dir", "base", "--usage", "head/usage.csv", "-o", "json",
                 "--detailed-exitcode"]
            )  # fmt: skip
        finally:
            os.chdir(cwd)
    assert (code, err) == (0, "")
    document = json.loads(out, parse_float=D, parse_int=D)
    assert document["changes"] == []
    for feature in document["features"]:
        assert feature["action"] == "no-op"
        assert feature["change"]["cogs"] == 0
