"""A shared cost's amount as a driver of the COGS per unit, and break-even judged on the
gross margin (SPEC §18), with every figure worked out by hand.

Two features, one meter step at $0.01 per call:
  a: 2 calls, 1000 units -> variable $20; revenue 1000 x $0.10 = $100
  b: 1 call,   500 units -> variable  $5; revenue  500 x $0.10 =  $50
  pods   $30 by units:             a 30 x 1000/1500 = $20, b $10
  oncall $10 by weights 0.9 / 0.1: a $9,                   b $1
so a carries $29 of shared costs: COGS $49, COGS per unit $0.049.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from infercost.cost.breakdown import compute
from infercost.insight.explain import explain
from infercost.workspace import Options, load_stack, load_usage
from tests.helpers import REPO, run_cli

STACK = """\
price_sheet "p" {
  meter "call" {
    price = 0.01
    per   = 1
  }
}

unit "req" {}

workflow "two" {
  step "s" {
    uses     = "p/call"
    quantity = 2
  }
}

workflow "one" {
  step "s" {
    uses     = "p/call"
    quantity = 1
  }
}

feature "a" {
  unit             = unit.req
  workflow         = workflow.two
  revenue_per_unit = 0.1
  target_margin    = TARGET
}

feature "b" {
  unit             = unit.req
  workflow         = workflow.one
  revenue_per_unit = 0.1
}

shared_cost "pods" {
  amount   = 30
  allocate = "units"
}

shared_cost "oncall" {
  amount   = 10
  allocate = { a = 0.9, b = 0.1 }
}
"""


def explained(tmp_path: Path, target: str):  # type: ignore[no-untyped-def]
    folder = tmp_path / target
    folder.mkdir()
    (folder / "main.hcl").write_text(STACK.replace("TARGET", target), encoding="utf-8")
    (folder / "usage.csv").write_text("feature,units\na,1000\nb,500\n", encoding="utf-8")
    options = Options(stack=folder, usage=folder / "usage.csv")
    stack = load_stack(options)
    snapshot = load_usage([stack], options)
    assert snapshot is not None
    b = compute(stack, snapshot)
    return explain(stack, b, "a", Decimal(20), None), folder


def test_elasticity_and_tornado_of_each_amount(tmp_path: Path) -> None:
    x, _ = explained(tmp_path, "0.5")
    assert x.feature.cogs == Decimal(49) and x.feature.allocated_cogs == Decimal(29)
    by = {d.name: d for d in x.shared}
    assert [d.name for d in x.shared] == ["pods", "oncall"]  # largest part first
    pods, oncall = by["pods"], by["oncall"]
    assert (pods.part, oncall.part) == (Decimal(20), Decimal(9))
    # elasticity of the COGS per unit 0.049 = 0.02 + 0.029 to each amount: part / COGS
    assert pods.elasticity == Decimal(20) / Decimal(49)
    assert oncall.elasticity == Decimal(9) / Decimal(49)
    # ±20 %: 0.049 ± 0.2 x 20/1000 and 0.049 ± 0.2 x 9/1000
    assert (pods.low, pods.high) == (Decimal("0.045"), Decimal("0.053"))
    assert (oncall.low, oncall.high) == (Decimal("0.0472"), Decimal("0.0508"))
    # the variable drivers are unchanged: the one step carries the whole cost per unit
    assert x.drivers[0].elasticity == 1


def test_headroom_of_an_amount_meets_the_gross_margin_exactly(tmp_path: Path) -> None:
    x, _ = explained(tmp_path, "0.5")
    # a target of 50 % leaves R x 0.5 - U x c = 50 - 20 = $30 for shared costs; a has $29
    pods = {d.name: d for d in x.shared}["pods"].headroom
    oncall = {d.name: d for d in x.shared}["oncall"].headroom
    # pods' part may grow from 20 to 30 - 9 = 21: factor 21/20, amount 31.5
    assert (pods.status, pods.factor, pods.value, pods.change_pct) == (
        "headroom",
        Decimal("1.05"),
        Decimal("31.5"),
        Decimal("5.00"),
    )
    # oncall's part may grow from 9 to 30 - 20 = 10: factor 10/9
    assert oncall.status == "headroom"
    assert oncall.factor == Decimal(10) / Decimal(9)
    # substituted back: amount 31.5 by units gives a 31.5 x 2/3 = 21; COGS 20 + 21 + 9 = 50
    assert (Decimal(100) - (20 + pods.value * 1000 / 1500 + 9)) / 100 == Decimal("0.5")


def test_break_even_is_judged_on_the_gross_margin(tmp_path: Path) -> None:
    x, _ = explained(tmp_path, "0.5")
    be = x.break_even
    # the variable cost per unit allowed: (R x 0.5 - A) / U = (50 - 29) / 1000
    assert be.allowed_cost_per_unit == Decimal("0.021") and be.meets_target
    assert be.shared_cost_per_unit == Decimal("0.029")
    # revenue per unit needed: (0.02 + 0.029) / 0.5 = 0.098; margin (98 - 49) / 98 = 0.5
    assert be.revenue_per_unit_needed == Decimal("0.098")
    assert not be.notes  # units and weights: the parts do not move with the answers


def test_below_target_an_amount_must_fall_or_can_never_help(tmp_path: Path) -> None:
    x, _ = explained(tmp_path, "0.55")
    # 55 %: room = 45 - 20 = 25 < 29; pods' part must fall to 25 - 9 = 16: amount 24
    by = {d.name: d.headroom for d in x.shared}
    assert (by["pods"].status, by["pods"].value, by["pods"].change_pct) == (
        "needed",
        Decimal(24),
        Decimal(-20),
    )
    assert by["oncall"].factor == Decimal(5) / Decimal(9)  # 25 - 20 = 5 of its 9
    assert not x.break_even.meets_target
    y, _ = explained(tmp_path, "0.9")
    # 90 %: room = 10 - 20 < 0: no shared cost, even at zero, meets it
    assert {d.headroom.status for d in y.shared} == {"never"}
    assert y.shared[0].headroom.reason == "even without this shared cost the target is not met"


def test_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, folder = explained(tmp_path, "0.5")
    monkeypatch.chdir(folder)
    result = run_cli(["explain", ".", "a", "--usage", "usage.csv", "-o", "json"])
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout, parse_float=Decimal)
    schema = json.loads((REPO / "infercost/schemas/explain.schema.json").read_text())
    jsonschema.validate(json.loads(result.stdout), schema)
    assert doc["feature"]["cogs_per_unit"] == Decimal("0.049")
    assert doc["feature"]["allocated_cogs"] == 29 and doc["feature"]["variable_cogs"] == 20
    pods = doc["shared_costs"][0]
    assert pods["input"] == "shared_cost.pods.amount" and pods["allocate"] == "units"
    assert pods["allocated"] == 20 and pods["headroom"]["value"] == Decimal("31.5")
    assert pods["high"] == {"factor": Decimal("1.2"), "cogs_per_unit": Decimal("0.053")}
    assert doc["break_even"]["shared_cost_per_unit"] == Decimal("0.029")
    text = run_cli(["explain", ".", "a", "--usage", "usage.csv"]).stdout
    assert "COGS per unit $0.049 = $0.02 variable + $0.029 shared" in text
    assert "Shared costs: drivers of the COGS per unit" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("pods"))
    assert row.split() == [
        "pods", "$30.00", "$20.00", "(units)", "+40.8%", "$0.045", "$0.053", "$31.50", "+5.0%"
    ]  # fmt: skip
