"""Percentiles simulated beside pricing are the ones simulated after it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from infercost.cost.breakdown import compute
from infercost.insight.ahead import Spreads
from infercost.insight.report import attach
from infercost.insight.sampling import Settings
from infercost.workspace import Options, load_stack, load_usage
from tests.helpers import EXAMPLES

SETTINGS = Settings(seed=7, samples=500)


@pytest.fixture(scope="module")
def priced() -> tuple[Any, Any, Any]:
    options = Options(stack=Path(EXAMPLES / "support-assistant"))
    stack = load_stack(options)
    snapshot = load_usage([stack], options)
    assert snapshot is not None and snapshot.has_customers
    return stack, snapshot, compute(stack, snapshot)


def spreads(b: Any) -> dict[str, Any]:
    return {name: f.insight.percentiles for name, f in b.features.items()}


def test_the_same_percentiles_as_after_pricing(priced: tuple[Any, Any, Any]) -> None:
    stack, snapshot, b = priced
    ahead = Spreads(stack, snapshot.units, SETTINGS)
    ahead.wait()
    # Every feature was simulated beside pricing, for the units the breakdown found.
    for name, feature in b.features.items():
        known, _ = ahead.spread(name, feature.units)
        assert known, name
    expected = spreads(attach(stack, b, SETTINGS))
    assert any(p is not None for p in expected.values())
    assert spreads(attach(stack, b, SETTINGS, ahead)) == expected


def test_other_units_are_simulated_again(priced: tuple[Any, Any, Any]) -> None:
    stack, snapshot, b = priced
    name = next(iter(b.features))
    units = b.features[name].units
    ahead = Spreads(stack, {**snapshot.units, name: units + 1}, SETTINGS)
    assert ahead.spread(name, units) == (False, None)
    # The breakdown's own units decide: COGS percentiles scale with them.
    assert spreads(attach(stack, b, SETTINGS, ahead)) == spreads(attach(stack, b, SETTINGS))
    other = dataclasses.replace(b.features[name], units=units + 1)
    assert ahead.spread(name, other.units)[0]


def test_a_failed_simulation_is_run_again_where_it_reports(
    priced: tuple[Any, Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, snapshot, b = priced
    import infercost.insight.simulate as simulate

    real = simulate.percentiles
    monkeypatch.setattr(simulate, "percentiles", lambda *a: 1 / 0)
    ahead = Spreads(stack, snapshot.units, SETTINGS)
    ahead.wait()
    monkeypatch.setattr(simulate, "percentiles", real)
    assert ahead.spread(next(iter(b.features)), Decimal(0)) == (False, None)
    assert spreads(attach(stack, b, SETTINGS, ahead)) == spreads(attach(stack, b, SETTINGS))


def test_cancelled_stops_between_features(priced: tuple[Any, Any, Any]) -> None:
    stack, snapshot, b = priced
    ahead = Spreads(stack, snapshot.units, SETTINGS)
    ahead.cancel()  # whatever was simulated by then is still the same spread
    assert spreads(attach(stack, b, SETTINGS, ahead)) == spreads(attach(stack, b, SETTINGS))
