"""empirical([values], [weights]): exact moments, its checks, and its use in the cost
engine, the simulation and calibrate's what-if."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.evaluate.values import Distribution, falling_moment_of, mean_of
from infercost.insight.moments import call_moments, moments
from tests.helpers import hcl, run_cli, write_files


def emp(values: list[int | str], weights: list[int | str]) -> Distribution:
    return Distribution(
        "empirical",
        tuple(D(str(v)) for v in values),
        "e",
        weights=tuple(D(str(w)) for w in weights),
    )


def test_moments_by_hand() -> None:
    e = emp([1, 2, 4], [50, 30, 20])
    # E = (50 + 60 + 80) / 100; E[X²] = (50 + 120 + 320) / 100; E[X(X−1)] = 4.9 − 1.9
    assert (e.mean, e.second_moment, e.falling_moment) == (D("1.9"), D("4.9"), D(3))
    assert (e.lower, e.upper) == (1, 4)
    assert moments(e, 3) == (1, Fraction(19, 10), Fraction(49, 10), Fraction(50 + 240 + 1280, 100))
    assert call_moments(e, 2) == moments(e, 2)  # whole values are counts as they are
    # a fractional value is a count rounded at random: 2.5 is 2 or 3, E[C²] = 6.5
    assert call_moments(emp(["2.5"], [1]), 2) == (1, Fraction(5, 2), Fraction(13, 2))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 1000)), min_size=1, max_size=8).filter(
        lambda pairs: sum(w for _, w in pairs) > 0
    )
)
def test_histogram_moments_are_exact(pairs: list[tuple[int, int]]) -> None:
    """Written from a histogram of calls, E[C] and E[C(C−1)] are the histogram's own."""
    e = emp([v for v, _ in pairs], [w for _, w in pairs])
    total = sum(w for _, w in pairs)
    mean = Fraction(sum(v * w for v, w in pairs), total)
    falling = Fraction(sum(v * (v - 1) * w for v, w in pairs), total)
    assert abs(Fraction(mean_of(e)) - mean) < Fraction(1, 10**25)
    assert abs(Fraction(falling_moment_of(e)) - falling) < Fraction(1, 10**24)


STACK = hcl(
    """
    price_sheet "p" {
      model "m" {
        input_per_mtok  = 2
        output_per_mtok = 8
      }
    }
    unit "u" {}
    workflow "w" {
      step "a" {
        uses           = "p/m"
        calls          = CALLS
        input_tokens   = 1000
        context_growth = 100
      }
    }
    feature "f" {
      unit     = unit.u
      workflow = workflow.w
    }
    """
)


def test_cost_engine_reads_the_exact_moments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # calls 1 or 3, equally likely: E[C] = 2, E[C(C−1)] = (0 + 6) / 2 = 3
    # T_in = 2·1000 + 100·3/2 = 2150 tokens -> 2150 · 2 / 1e6 = 0.0043
    stack = write_files(
        tmp_path,
        {"main.hcl": STACK.replace("CALLS", "empirical([1, 3])"), "u.csv": "feature,units\nf,1\n"},
    )
    out = run_cli(["breakdown", str(stack), "--usage", str(stack / "u.csv"), "-o", "json"])
    assert out.code == 0, out.stderr
    assert '"cost_per_unit": 0.0043' in out.stdout


@pytest.mark.parametrize(
    ("calls", "detail"),
    [
        ("empirical([1, 2], [1])", "one weight per value: 2 values, 1 weights"),
        ("empirical([])", "at least one value"),
        ("empirical([1, 2], [1, -1])", "weights must be >= 0"),
        ("empirical([1, 2], [0, 0])", "positive total"),
        ("empirical(3)", "takes lists of numbers"),
        ('empirical([1, "a"])', "takes numbers"),
        ("empirical([1], [1], [1])", "takes 1 to 2 arguments"),
        ("empirical([-1, 2])", "calls"),
        ("empirical([1, 2]) + 1", "cannot be used"),
    ],
)
def test_bad_empirical_is_a_located_error(tmp_path, calls: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    stack = write_files(tmp_path, {"main.hcl": STACK.replace("CALLS", calls)})
    out = run_cli(["validate", str(stack)])
    assert out.code == 1
    assert detail in out.stderr
    assert "main.hcl" in out.stderr and "Traceback" not in out.stderr
