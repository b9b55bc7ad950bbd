"""calibrate: records simulated here from a declared workflow with known distributions
(seeded); observed attributes checked against figures computed here from the same
records; the what-if priced by ``plan`` equals the records' actual cost per unit."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal as D
from fractions import Fraction
from html import escape
from pathlib import Path

import numpy as np
import pytest

from infercost.config.loader import display_path
from tests.helpers import EXAMPLES, hcl, html_outside_code, rendered, run_cli, write_files

STACK = hcl(
    """
    infercost {
      currency = "USD"
      period   = "month"
      usage    = "usage.csv"
    }
    price_sheet "openai" {
      currency  = "USD"
      effective = "2026-11-01"
      model "gpt-4o-mini" {
        input_per_mtok        = 0.15
        cached_input_per_mtok = 0.075
        output_per_mtok       = 0.60
      }
      model "gpt-4o" {
        input_per_mtok        = 2.50
        cached_input_per_mtok = 1.25
        output_per_mtok       = 10.00
      }
      model "emb" { input_per_mtok = 0.02 }
      model "spare" {
        input_per_mtok  = 1
        output_per_mtok = 4
      }
    }
    price_sheet "pinecone" {
      currency  = "USD"
      effective = "2026-11-01"
      meter "read_unit" {
        price = 16.00
        per   = 1000000
      }
    }
    unit "ticket" {}
    workflow "answer" {
      cache_hit_rate = 0.10
      step "embed" {
        uses         = "openai/emb"
        input_tokens = 80
        cacheable    = false
      }
      step "retrieve" {
        uses     = "pinecone/read_unit"
        calls    = between(1, 3)
        quantity = 10
      }
      step "draft" {
        uses           = "openai/gpt-4o-mini"
        calls          = between(2, 5)
        input_tokens   = 2000
        output_tokens  = 400
        cached_share   = 0.2
        context_growth = 300
        retry_rate     = 0.02
      }
      step "escalate" {
        uses          = "openai/gpt-4o"
        share         = 0.1
        input_tokens  = 8000
        output_tokens = 900
      }
    }
    feature "support" {
      unit             = unit.ticket
      workflow         = workflow.answer
      revenue_per_unit = 0.50
    }
    """
)
USAGE = "feature,units\nsupport,1000\n"
PRICE = {
    "openai/spare": (D(1), D(1), D(4)),
    "openai/gpt-4o-mini": (D("0.15"), D("0.075"), D("0.60")),
    "openai/gpt-4o": (D("2.50"), D("1.25"), D("10.00")),
    "openai/emb": (D("0.02"), D("0.02"), D(0)),
}
COLUMNS = [
    "time", "unit_id", "feature", "item", "input_tokens", "cached_input_tokens",
    "output_tokens", "quantity", "attempt", "call_index", "cache_hit",
]  # fmt: skip


def cost(r: dict[str, object]) -> Fraction:
    if r["item"] == "pinecone/read_unit":
        return Fraction(int(r["quantity"])) * 16 / 1_000_000  # type: ignore[call-overload]
    p_in, p_cached, p_out = (Fraction(p) for p in PRICE[str(r["item"])])
    tin, cached, tout = (
        int(r[k]) for k in ("input_tokens", "cached_input_tokens", "output_tokens")
    )  # type: ignore[call-overload]
    return ((tin - cached) * p_in + cached * p_cached + tout * p_out) / 1_000_000


def simulate(
    seed: int,
    units: int = 3000,
    hit_rate: float = 0.15,
    calls: str = "discrete",
    retry: float = 0.05,
    escalate: float = 0.3,
    growth: int = 500,
) -> list[dict[str, object]]:
    """Units of the workflow above, drawn with the model's own assumptions: independent
    calls, linear context growth, retries that repeat a call, cache hits that skip
    cacheable steps."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []

    def add(unit: str, item: str, k: int = 0, attempt: int = 1, **kw: object) -> None:
        row = {c: "" for c in COLUMNS} | {
            "time": f"2026-11-03T09:{len(rows) % 60:02d}:00Z",
            "unit_id": unit,
            "feature": "support",
            "item": item,
            "attempt": attempt,
            "call_index": k,
        }
        for key in ("input_tokens", "cached_input_tokens", "output_tokens"):
            row[key] = kw.get(key, 0) if item != "pinecone/read_unit" else ""
        row["quantity"] = kw.get("quantity", "") if item == "pinecone/read_unit" else ""
        rows.append(row)

    for u in range(units):
        unit = f"u{u}"
        hit = rng.random() < hit_rate
        add(unit, "openai/emb", input_tokens=int(rng.integers(60, 101)))
        if hit:
            rows[-1]["cache_hit"] = "true"
            continue
        for k in range(int(rng.integers(1, 4))):
            add(unit, "pinecone/read_unit", k, quantity=10)
        if calls == "discrete":
            n = int(rng.integers(2, 6))
        else:  # a continuous count rounded at random, as the model reads it
            x = rng.triangular(1, 2.5, 6)
            n = int(np.floor(x) + (rng.random() < x - np.floor(x)))
        for k in range(n):
            tin = int(rng.integers(1500, 2501)) + growth * k
            call = {
                "input_tokens": tin,
                "cached_input_tokens": int(tin * 0.3),
                "output_tokens": int(rng.integers(200, 601)),
            }
            add(unit, "openai/gpt-4o-mini", k, **call)
            if rng.random() < retry:
                add(unit, "openai/gpt-4o-mini", k, attempt=2, **call)
        if rng.random() < escalate:
            add(unit, "openai/gpt-4o", 0, input_tokens=8000, output_tokens=900)
    return rows


def write_rows(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    """``rows`` as a records CSV file, with ``columns`` (the first row's keys if none)."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns if columns is not None else list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(tmp: Path, rows: list[dict[str, object]]) -> tuple[Path, Path]:
    stack = write_files(tmp / "stack", {"main.hcl": STACK, "usage.csv": USAGE})
    path = tmp / "records.csv"
    write_rows(path, rows, COLUMNS)
    return stack, path


def calibrate(tmp: Path, rows: list[dict[str, object]]) -> tuple[dict, Path]:
    stack, path = write(tmp, rows)
    what_if = tmp / "observed.hcl"
    result = run_cli(
        ["calibrate", str(stack), str(path), "--from", "records", "-o", "json",
         "--write-what-if", str(what_if)]
    )  # fmt: skip
    assert result.code == 0, result.stderr
    return json.loads(result.stdout), what_if


def planned_cost_per_unit(stack: Path, what_if: Path) -> D:
    result = run_cli(["plan", str(stack), "--what-if", str(what_if), "-o", "json"])
    assert result.code == 0, result.stderr
    feature = json.loads(result.stdout)["features"][0]
    return D(str(feature["after"]["cost_per_unit"]))


def test_observed_attributes_equal_figures_computed_from_the_records(tmp_path: Path) -> None:
    rows = simulate(seed=7)
    doc, _ = calibrate(tmp_path, rows)
    feature = doc["features"][0]
    units = {r["unit_id"] for r in rows}
    hits = {r["unit_id"] for r in rows if r["cache_hit"] == "true"}
    assert feature["units"] == len(units)
    assert D(str(feature["cache_hit_rate"]["observed"])) == D(len(hits)) / D(len(units))
    draft = next(s for s in feature["steps"] if s["step"] == "draft")
    attrs = {a["name"]: a["observed"] for a in draft["attributes"]}
    firsts = [r for r in rows if r["item"] == "openai/gpt-4o-mini" and r["attempt"] == 1]
    retries = [r for r in rows if r["item"] == "openai/gpt-4o-mini" and r["attempt"] == 2]
    per_unit: dict[str, int] = {}
    for r in firsts:
        per_unit[str(r["unit_id"])] = per_unit.get(str(r["unit_id"]), 0) + 1
    mean = Fraction(sum(per_unit.values()), len(per_unit))
    assert Fraction(D(str(attrs["calls_mean"]))) == pytest.approx(mean, abs=1e-12)
    assert D(str(attrs["retry_rate"])) == pytest.approx(
        D(len(retries)) / D(len(firsts)), rel=D("1e-12")
    )
    # Growth and first-call input: least squares of input on the call index, by hand.
    x = np.array([int(r["call_index"]) for r in firsts], dtype=float)
    y = np.array([int(r["input_tokens"]) for r in firsts], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    assert float(attrs["context_growth"]) == pytest.approx(slope, rel=1e-9)
    assert float(attrs["input_tokens"]) == pytest.approx(intercept, rel=1e-9)
    assert 480 < slope < 520  # the simulated growth, 500 per call
    every = [r for r in rows if r["item"] == "openai/gpt-4o-mini"]
    cached = sum(int(r["cached_input_tokens"]) for r in every)
    total_in = sum(int(r["input_tokens"]) for r in every)
    assert D(str(attrs["cached_share"])) == pytest.approx(D(cached) / D(total_in), rel=D("1e-12"))
    escalate = next(s for s in feature["steps"] if s["step"] == "escalate")
    share = {a["name"]: a["observed"] for a in escalate["attributes"]}["share"]
    ran = {r["unit_id"] for r in rows if r["item"] == "openai/gpt-4o"}
    assert D(str(share)) == pytest.approx(D(len(ran)) / D(len(units - hits)), rel=D("1e-12"))
    # Actual cost: every record priced by hand.
    actual = sum((cost(r) for r in rows), Fraction(0))
    assert Fraction(D(str(feature["costs"]["actual"]))) == actual


@pytest.mark.parametrize(
    "shape",
    [
        {"seed": 1},
        {"seed": 2, "calls": "continuous"},
        {"seed": 3, "hit_rate": 0.0, "retry": 0.0, "growth": 0},
        {"seed": 4, "hit_rate": 0.4, "escalate": 0.05, "retry": 0.2},
    ],
)
def test_what_if_prices_the_stack_as_the_records_cost(tmp_path: Path, shape: dict) -> None:
    rows = simulate(**shape)
    doc, what_if = calibrate(tmp_path, rows)
    actual = sum((cost(r) for r in rows), Fraction(0)) / len({r["unit_id"] for r in rows})
    planned = planned_cost_per_unit(tmp_path / "stack", what_if)
    assert abs(Fraction(planned) / actual - 1) < Fraction(1, 1000)
    feature = doc["features"][0]
    assert D(str(feature["cost_per_unit"]["what_if"])) == pytest.approx(planned, rel=D("1e-20"))
    assert "empirical([" in what_if.read_text()


def test_reported_cost_that_disagrees_is_shown_beside_actual(tmp_path: Path) -> None:
    rows = simulate(seed=5, units=50)
    for r in rows:
        r["reported_cost"] = "0.001"
    stack, path = write(tmp_path, [])
    write_rows(path, rows, [*COLUMNS, "reported_cost"])
    result = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "json"])
    assert result.code == 0, result.stderr
    costs = json.loads(result.stdout)["costs"]
    assert D(str(costs["reported"])) == D("0.001") * len(rows)
    assert Fraction(D(str(costs["actual"]))) == sum((cost(r) for r in rows), Fraction(0))
    assert D(str(costs["modelled"])) != D(str(costs["actual"]))
    text = run_cli(["calibrate", str(stack), str(path), "--from", "records"]).stdout
    assert "modelled" in text and "reported" in text


def test_step_no_record_matches_is_not_observed(tmp_path: Path) -> None:
    rows = simulate(seed=6, units=40, escalate=0.0)
    doc, what_if = calibrate(tmp_path, rows)
    feature = doc["features"][0]
    escalate = next(s for s in feature["steps"] if s["step"] == "escalate")
    assert escalate["status"] == "not observed"
    assert escalate["actual_cost_per_unit"] is None
    assert "not observed" in what_if.read_text()
    # The what-if writes the observed cache hit rate, not the declared 0.10, and keeps
    # escalate's declared values: plan prices that step at the observed rate, and so
    # does the what-if figure calibrate reports.
    assert feature["cache_hit_rate"]["observed"] != 0.1
    planned = planned_cost_per_unit(tmp_path / "stack", what_if)
    assert D(str(feature["cost_per_unit"]["what_if"])) == pytest.approx(planned, rel=D("1e-20"))


def test_bad_inputs_are_located_errors(tmp_path: Path) -> None:
    stack, path = write(tmp_path, simulate(seed=8, units=5))
    bad = run_cli(["calibrate", str(stack), str(path), "--from", "focus"])
    assert bad.code == 1 and "calibrate needs records" in bad.stderr
    wrong = run_cli(["calibrate", str(stack), str(path), "--from", "records",
                     "--write-what-if", str(tmp_path / "x.txt")])  # fmt: skip
    assert wrong.code == 1 and ".hcl" in wrong.stderr
    text = path.read_text().replace("openai/emb,", "openai/gpt-5,", 1)
    path.write_text(text)
    unknown = run_cli(["calibrate", str(stack), str(path), "--from", "records"])
    assert unknown.code == 1 and "gpt-5" in unknown.stderr


DRIFT = hcl(
    """
    guardrail "drift" {
      scope     = "feature"
      condition = self.drift_pct <= 20 && self.drift_pct >= -20
      message   = "${self.name}: drift ${self.drift_pct}%"
    }
    guardrail "draft_calls" {
      scope     = "step"
      condition = self.observed_calls_mean <= self.calls_mean * 1.25
    }
    """
)


def test_drift_guardrail_fails_on_the_declared_shape_and_passes_on_the_observed(
    tmp_path: Path,
) -> None:
    rows = simulate(seed=11, units=400, escalate=0.6)
    doc, what_if = calibrate(tmp_path, rows)
    stack = tmp_path / "stack"
    (stack / "guardrails.hcl").write_text(DRIFT)
    records = str(tmp_path / "records.csv")
    actual = Fraction(D(str(doc["features"][0]["cost_per_unit"]["observed"])))
    declared = Fraction(D(str(doc["features"][0]["cost_per_unit"]["declared"])))
    drift = (actual / declared - 1) * 100
    assert drift > 20  # escalation runs on 60% of tickets, not 10%
    failing = run_cli(["check", str(stack), "--records", records, "--from", "records",
                       "-o", "json"])  # fmt: skip
    assert failing.code == 2, failing.stderr
    results = json.loads(failing.stdout)["results"]
    (chat,) = [r for r in results if r["guardrail"] == "drift"]
    assert chat["status"] == "fail"
    # Without records the observed attributes are null: the guardrail is skipped.
    skipped = run_cli(["check", str(stack), "-o", "json"])
    assert skipped.code == 0, skipped.stderr
    (chat,) = [r for r in json.loads(skipped.stdout)["results"] if r["guardrail"] == "drift"]
    assert chat["status"] == "skipped"
    assert chat["message"].endswith(
        "(not observed: give request records with --records FILES --from FORMAT,"
        " or a records setting in the infercost block)"
    ), chat["message"]
    # The stack with the observed shape (the what-if) no longer drifts; both sides of
    # the comparison read the same records.
    passing = run_cli(["check", str(stack), "--what-if", str(what_if), "--records", records,
                       "--from", "records", "-o", "json"])  # fmt: skip
    assert passing.code == 0, passing.stdout + passing.stderr
    (chat,) = [r for r in json.loads(passing.stdout)["results"] if r["guardrail"] == "drift"]
    assert chat["status"] == "pass"


def odd_records(tmp_path: Path) -> tuple[Path, Path]:
    """Records that break the model's assumptions: an item the workflow does not use, a
    cacheable step in a cache-hit unit, a feature and an item the stack does not know
    (skipped by the mapping), reported costs."""
    rows = simulate(seed=21, units=60, escalate=0.0)
    extra = [
        {**rows[0], "item": "openai/spare", "input_tokens": 700, "cached_input_tokens": 0,
         "output_tokens": 70, "call_index": 0},
        {**rows[0], "item": "openai/gpt-4o-mini", "unit_id": "hit-1", "cache_hit": "true",
         "input_tokens": 900, "cached_input_tokens": 0, "output_tokens": 90},
        {**rows[0], "feature": "ghost", "unit_id": "g-1"},
        {**rows[0], "feature": "ghost", "unit_id": "g-2"},
        {**rows[0], "item": "openai/gpt-9", "unit_id": "x-1"},
    ]  # fmt: skip
    rows += extra
    for r in rows:
        r["reported_cost"] = "0.0001"
    stack, path = write(tmp_path, [])
    (stack / "records.hcl").write_text(
        'records "records" {\n  skip = ["unknown_feature", "unknown_item"]\n}\n'
    )
    write_rows(path, rows, [*COLUMNS, "reported_cost"])
    return stack, path


def test_gaps_undeclared_steps_and_contradictions_are_reported(tmp_path: Path) -> None:
    stack, path = odd_records(tmp_path)
    what_if = tmp_path / "w.hcl"
    out = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "json",
                   "--write-what-if", str(what_if)])  # fmt: skip
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["unknown_features"] == [{"feature": "ghost", "records": 2}]
    gaps = {g["reason"]: g for g in doc["gaps"]}
    assert gaps["unknown_item"]["records"] == 1
    assert D(str(gaps["unknown_item"]["reported_cost"])) == D("0.0001")
    steps = {s["step"]: s for s in doc["features"][0]["steps"]}
    spare = steps["spare"]
    assert spare["status"] == "undeclared" and spare["records"] == 1
    # 700 input at $1 and 70 output at $4 per million tokens
    assert D(str(spare["actual_cost"])) == D("0.00098")
    assert steps["draft"]["cache_hit_units"] == 1
    assert any("response cache" in n for n in steps["draft"]["notes"])
    assert steps["escalate"]["status"] == "not observed"
    residual = doc["features"][0]["what_if_residual"]
    assert residual["reasons"] and residual["cost_per_unit"] != 0
    text = what_if.read_text()
    assert 'step "spare"' in text and re.search(r'uses += "openai/spare"', text)
    # The what-if with its undeclared step plans.
    plan = run_cli(["plan", str(stack), "--what-if", str(what_if)])
    assert plan.code == 0, plan.stderr


def test_calibrate_documents_follow_the_published_schema(tmp_path: Path) -> None:
    import importlib.resources

    import jsonschema

    from tests.plan.test_output_schemas import schema_paths, walk

    text = importlib.resources.files("infercost").joinpath("schemas", "calibrate.schema.json")
    schema = json.loads(text.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    stack, path = odd_records(tmp_path / "odd")
    documents = [
        json.loads(run_cli(["calibrate", str(stack), str(path), "--from", "records",
                            "-o", "json"]).stdout),
        calibrate(tmp_path / "plain", simulate(seed=3, units=30))[0],
        only_support(tmp_path / "only")[0],
    ]  # fmt: skip
    produced: set[str] = set()
    for document in documents:
        jsonschema.validate(document, schema)
        walk(schema, schema, document, "$", produced)
    assert schema_paths(schema, schema, "$") == produced


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("json", "json"), ("markdown", "md")])
def test_views_golden(monkeypatch, assert_golden, tmp_path: Path, fmt: str, suffix: str) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import REPO

    monkeypatch.chdir(REPO)
    what_if = tmp_path / "observed.hcl"
    out = run_cli(["calibrate", "examples/support-assistant",
                   "examples/support-assistant/records/records.csv", "--from", "records",
                   "-o", fmt, "--write-what-if", str(what_if)])  # fmt: skip
    assert (out.code, out.stderr) == (0, "")
    assert_golden(f"calibrate/support-assistant.{suffix}", out.stdout)
    assert_golden("calibrate/support-assistant-what-if.hcl", what_if.read_text())


SHARED = STACK.replace(
    'feature "support" {',
    'feature "other" {\n  unit     = unit.ticket\n  workflow = workflow.answer\n}\n'
    'feature "support" {',
)


def write_shared(tmp: Path, rows: list[dict[str, object]]) -> tuple[Path, Path]:
    """The stack of two features sharing a workflow (``SHARED``), and the records."""
    stack, path = write(tmp, rows)
    (stack / "main.hcl").write_text(SHARED)
    (stack / "usage.csv").write_text("feature,units\nsupport,100\nother,100\n")
    return stack, path


def calibrate_to(stack: Path, path: Path, what_if: Path) -> dict:
    """calibrate's JSON document, the what-if written to ``what_if``."""
    out = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "json",
                   "--write-what-if", str(what_if)])  # fmt: skip
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def as_other(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    for r in rows:
        r["feature"], r["unit_id"] = "other", f"o-{r['unit_id']}"
    return rows


def test_features_sharing_a_workflow_get_their_own_copy(tmp_path: Path) -> None:
    support = simulate(seed=31, units=80, escalate=0.9)
    other = as_other(simulate(seed=32, units=80, escalate=0.2, hit_rate=0.0))
    stack, path = write_shared(tmp_path, support + other)
    what_if = tmp_path / "w.hcl"
    doc = calibrate_to(stack, path, what_if)
    text = what_if.read_text()
    assert 'workflow "answer_support" {' in text and 'workflow "answer_other" {' in text
    assert "workflow = workflow.answer_support" in text
    plan = run_cli(["plan", str(stack), "--what-if", str(what_if), "-o", "json"])
    assert plan.code == 0, plan.stderr
    planned = {f["name"]: f["after"]["cost_per_unit"] for f in json.loads(plan.stdout)["features"]}
    for feature in doc["features"]:
        rows = [r for r in support + other if r["feature"] == feature["feature"]]
        actual = sum((cost(r) for r in rows), Fraction(0)) / len({r["unit_id"] for r in rows})
        assert abs(Fraction(D(str(planned[feature["feature"]]))) / actual - 1) < Fraction(1, 1000)


def only_support(tmp: Path) -> tuple[dict, Path, Path, list[dict[str, object]]]:
    """The stack of two features sharing a workflow, with records of "support" only."""
    rows = simulate(seed=33, units=60)
    stack, path = write_shared(tmp, rows)
    what_if = tmp / "w.hcl"
    return calibrate_to(stack, path, what_if), stack, what_if, rows


def test_a_declared_feature_without_records_is_reported_not_observed(tmp_path: Path) -> None:
    doc, stack, what_if, rows = only_support(tmp_path)
    assert [f["feature"] for f in doc["features"]] == ["other", "support"]
    other, support = doc["features"]
    assert other["status"] == "not observed" and support["status"] == "observed"
    assert other["units"] == 0 and other["cache_hit_units"] == 0
    assert other["cache_hit_rate"] == {"declared": 0.1, "observed": None}
    cpu = other["cost_per_unit"]
    # Its declared cost per unit is the support feature's (the same workflow), and the
    # what-if leaves it as declared.
    assert cpu["declared"] == support["cost_per_unit"]["declared"]
    assert cpu["what_if"] == cpu["declared"]
    assert cpu["observed"] is None and cpu["drift_pct"] is None
    assert other["costs"] == {"modelled": 0, "actual": 0, "reported": None}
    assert other["what_if_residual"] == {"cost_per_unit": None, "pct": None, "reasons": []}
    assert {s["status"] for s in other["steps"]} == {"not observed"}
    assert [s["step"] for s in other["steps"]] == ["embed", "retrieve", "draft", "escalate"]
    # The totals are the observed feature's: nothing of "other" was modelled or priced.
    assert doc["costs"]["modelled"] == support["costs"]["modelled"]
    assert Fraction(D(str(doc["costs"]["actual"]))) == sum((cost(r) for r in rows), Fraction(0))
    # The what-if writes nothing for it: "support" gets its own copy of the shared
    # workflow, and "other" keeps the declared one.
    text = what_if.read_text()
    assert 'feature "support"' in text and 'feature "other"' not in text
    assert 'workflow "answer" {' not in text
    plan = run_cli(["plan", str(stack), "--what-if", str(what_if), "-o", "json"])
    assert plan.code == 0, plan.stderr
    after = {f["name"]: f["after"]["cost_per_unit"] for f in json.loads(plan.stdout)["features"]}
    assert D(str(after["other"])) == D(str(cpu["declared"]))
    shown = run_cli(["calibrate", str(stack), str(tmp_path / "records.csv"), "--from", "records"])
    assert shown.code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    at = lines.index("other (workflow answer): not observed, no record of it in the period")
    assert lines[at + 1].startswith("Cost per unit: declared $")
    assert lines[at + 1].endswith("; the what-if keeps the declared shape")
    md = run_cli(["calibrate", str(stack), str(tmp_path / "records.csv"), "--from", "records",
                  "-o", "markdown"]).stdout  # fmt: skip
    assert "### `other` (workflow `answer`): not observed, no record of it in the period" in md


def test_drift_of_a_feature_without_records_is_skipped_not_zero(tmp_path: Path) -> None:
    _, stack, _, _ = only_support(tmp_path)
    (stack / "guardrails.hcl").write_text(
        'guardrail "seen" {\n  scope     = "feature"\n  condition = self.observed_units >= 1\n}\n'
    )
    out = run_cli(["check", str(stack), "--records", str(tmp_path / "records.csv"),
                   "--from", "records", "-o", "json"])  # fmt: skip
    assert out.code == 0, out.stdout + out.stderr
    results = {r["target"]: r for r in json.loads(out.stdout)["results"]}
    # "other" has no records: its observed attributes are null (skipped), never 0 units,
    # and the reason is that, not a request for records that were given.
    assert {t: r["status"] for t, r in results.items()} == {
        "feature.other": "skipped",
        "feature.support": "pass",
    }
    assert results["feature.other"]["message"] == (
        "seen: skipped for feature.other: self.observed_units is null "
        "(not observed: no record of this feature in period 2026-11)"
    )


STEP_SEEN = (
    'guardrail "step_seen" {\n  scope     = "step"\n  condition = self.observed_share > 0\n}\n'
)


def test_a_step_without_its_own_observed_shape_says_why(tmp_path: Path) -> None:
    # One feature runs the workflow, and its records never reach "escalate".
    rows = simulate(seed=34, units=40, escalate=0.0)
    stack, path = write(tmp_path / "one", rows)
    (stack / "guardrails.hcl").write_text(STEP_SEEN)
    out = run_cli(["check", str(stack), "--records", str(path), "--from", "records",
                   "-o", "json"])  # fmt: skip
    results = {r["target"]: r for r in json.loads(out.stdout)["results"]}
    assert results["workflow.answer.step.draft"]["status"] == "pass"
    assert results["workflow.answer.step.escalate"]["message"].endswith(
        "self.observed_share is null (not observed: no record of this step in period 2026-11)"
    )
    # Two observed features run one workflow: its steps have no single observed shape.
    support = simulate(seed=35, units=30)
    other = as_other(simulate(seed=36, units=30))
    stack, path = write_shared(tmp_path / "two", support + other)
    (stack / "guardrails.hcl").write_text(STEP_SEEN)
    out = run_cli(["check", str(stack), "--records", str(path), "--from", "records",
                   "-o", "json"])  # fmt: skip
    messages = {r["message"] for r in json.loads(out.stdout)["results"]}
    assert (
        "step_seen: skipped for workflow.answer.step.draft: self.observed_share is null "
        "(not observed: workflow answer is run by 2 observed features, so its steps have "
        "no single observed shape: read the features' attributes)"
    ) in messages


HOSTILE_FEATURE = "[docs](https://evil.example) @octocat <img src=x> | ::error::x"


def test_an_undeclared_feature_from_the_records_is_code_in_markdown(tmp_path: Path) -> None:
    # A feature name is whatever the records say: in a pull-request comment it must not
    # become a link, a mention, an image or a table cell of its own.
    stack, path = odd_records(tmp_path)
    rows = read_rows(path)
    next(row for row in rows if row["feature"] == "ghost")["feature"] = HOSTILE_FEATURE
    write_rows(path, rows)
    md = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "markdown"])
    assert md.code == 0, md.stderr
    line = next(x for x in md.stdout.splitlines() if "does not declare" in x)
    said = "Records of a feature the stack does not declare"
    assert line == f"- {said}: `{HOSTILE_FEATURE}`, 1 record"  # and one of "ghost"
    shown = display_path(path)
    assert md.stdout.startswith(f"## Calibrated against {len(rows)} records (records: `{shown}`)")
    text = run_cli(["calibrate", str(stack), str(path), "--from", "records"])
    assert f'{said}: "{HOSTILE_FEATURE}", 1 record\n' in text.stdout
    assert "Gap: 2 records skipped (unknown_feature)" in text.stdout


HOSTILE_MODEL = "[m](https:evil.example) @octo <img src=y> | cell"  # no "/" in a model name


def test_no_name_from_the_records_or_a_price_sheet_escapes_its_code_span(
    tmp_path: Path,
) -> None:
    # Features and steps of a stack are identifiers, but the records name features as
    # they like and a model's name only has to be free of "/" and control characters;
    # both arrive with the pull request. Rendered by a real CommonMark parser with GFM
    # tables, each such name sits inside <code>, every table row keeps its four cells,
    # and the lines after a table are not rows of it (a gap line right below the costs
    # table used to be read as one, its "|" splitting cells and its link live).
    stack, path = odd_records(tmp_path)
    main = (stack / "main.hcl").read_text().replace('model "spare"', f'model "{HOSTILE_MODEL}"')
    (stack / "main.hcl").write_text(main)
    rows = [{**row, "step": ""} for row in read_rows(path)]
    next(row for row in rows if row["feature"] == "ghost")["feature"] = HOSTILE_FEATURE
    spare = next(row for row in rows if row["item"] == "openai/spare")
    spare["item"] = f"openai/{HOSTILE_MODEL}"
    rows.append({**spare, "unit_id": "u-named", "step": "escalate"})
    write_rows(path, rows)
    md = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "markdown"])
    assert md.code == 0, md.stderr
    html = rendered(md.stdout)
    outside = html_outside_code(html)
    for piece in ("evil", "<a ", "<img", "@octo", "::error::"):
        assert piece not in outside, piece
    codes = re.findall(r"<code>(.*?)</code>", html, flags=re.S)
    assert escape(HOSTILE_FEATURE) in codes
    note = f"records name step &quot;escalate&quot; but use openai/{escape(HOSTILE_MODEL)}"
    assert any(c.startswith(note) for c in codes), codes
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        assert len(re.findall(r"<t[dh]>", row)) == 4, row
    tables = re.findall(r"<table>.*?</table>", html, flags=re.S)
    assert not any("Gap:" in t or "does not declare" in t for t in tables)
    # Each gap, unknown feature, contribution and reason is a list item of its own:
    # consecutive lines would be joined into one run-on paragraph.
    assert "<li>Gap: 1 record skipped (unknown_item)" in html
    assert "<li><code>draft</code>: " in html
    assert f"<li><code>{note}" in html


def test_a_residual_within_the_last_digits_of_the_arithmetic_is_zero(tmp_path: Path) -> None:
    # Three units: the actual and the what-if cost per unit are each a quotient rounded
    # to 28 digits by its own path, and differed by 1e-29 (shown as a residual of
    # -$0.00000000000000000000000001 per unit, -7.9e-26 %). The what-if reproduces
    # the records exactly, so the residual is 0.
    records = EXAMPLES / "support-assistant" / "records" / "records.csv"
    path = tmp_path / "records.csv"
    third = "2026-11-03T09:20:00Z,u-3,support_assistant,cus-9,pro,openai/gpt-4o-mini,100,0,10,"
    path.write_text(records.read_text() + third + "\n")
    out = run_cli(["calibrate", str(EXAMPLES / "support-assistant"), str(path),
                   "--from", "records", "-o", "json"])  # fmt: skip
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout, parse_float=D)
    support = next(f for f in doc["features"] if f["feature"] == "support_assistant")
    assert support["units"] == 3
    assert support["what_if_residual"] == {"cost_per_unit": 0, "pct": 0, "reasons": []}
    cpu = support["cost_per_unit"]
    assert cpu["observed"] - cpu["what_if"] == D("1e-29")  # the last of 28 digits


def test_markdown_stays_under_github_s_comment_limit(tmp_path: Path) -> None:
    # Records can name any number of undeclared features, each a line of the Markdown:
    # two hundred of 950 characters made a 208,000-character body, past what a comment
    # holds. The middle is cut, as in every other Markdown view.
    from infercost.render.markdown import GITHUB_COMMENT_LIMIT

    stack, path = odd_records(tmp_path)
    rows = read_rows(path)
    ghost = next(row for row in rows if row["feature"] == "ghost")
    rows += [{**ghost, "feature": f"f{i:03}" + "x" * 950, "unit_id": f"g{i}"} for i in range(200)]
    write_rows(path, rows)
    md = run_cli(["calibrate", str(stack), str(path), "--from", "records", "-o", "markdown"])
    assert md.code == 0, md.stderr
    assert len(md.stdout) <= GITHUB_COMMENT_LIMIT
    assert re.search(r"\n… \d+ characters truncated …\n", md.stdout)
    assert md.stdout.startswith("## Calibrated against") and "| costs |" in md.stdout
    text = run_cli(["calibrate", str(stack), str(path), "--from", "records"])
    assert text.stdout.count("does not declare") == 201  # a terminal gets every line


def test_drift_from_records_of_another_period_than_the_snapshot_is_a_warning(
    tmp_path: Path,
) -> None:
    example = EXAMPLES / "support-assistant"
    records = example / "records" / "records.csv"
    october = tmp_path / "october.csv"
    october.write_text(records.read_text().replace("2026-11-", "2026-10-"))
    args = ["check", str(example), "--from", "records"]
    out = run_cli([*args, "--records", str(october), "-o", "json"])
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["usage_period"], doc["records_period"]) == ("2026-11", "2026-10")
    warnings = [d for d in doc["diagnostics"] if d["summary"] == "Records of another period"]
    assert [(d["severity"], d["detail"]) for d in warnings] == [
        (
            "warning",
            "The observed and drift attributes come from the records of 2026-10; the usage "
            "snapshot is for 2026-11. Pass --period 2026-11 to read that period's records "
            "instead.",
        )
    ]
    assert "Warning: Records of another period" in out.stderr
    # The advice holds: that period has no record in this file, and says so.
    again = run_cli([*args, "--records", str(october), "--period", "2026-11"])
    assert again.code == 1 and 'No record falls in period "2026-11"' in again.stderr
    # Every view names the records' period beside the snapshot's.
    text = run_cli([*args, "--records", str(october)]).stdout
    assert "USD per month, usage period 2026-11, records period 2026-10\n" in text
    md = run_cli([*args, "--records", str(october), "-o", "markdown"]).stdout
    assert " · usage period 2026-11 · records period 2026-10\n" in md
    # The pull request sees the warning too: a note in the comment, an annotation.
    assert "> - Records of another period: The observed and drift attributes come from " in md
    github = run_cli([*args, "--records", str(october), "-o", "github"]).stdout
    assert github.startswith(
        "::warning title=Records of another period::Records of another period%0AThe observed"
    )
    # Records of the snapshot's own period: no warning.
    same = run_cli([*args, "--records", str(records), "-o", "json"])
    assert same.code == 0, same.stderr
    assert "another period" not in same.stderr + same.stdout
    assert json.loads(same.stdout)["records_period"] == "2026-11"
