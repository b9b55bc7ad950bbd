"""Records of steps served on GPUs, and the sheet's factors, in the actual cost: figures
computed here by hand from the records and the price sheets (SPEC §12, §13, §18)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest

from infercost.app.calibrate import calibrate
from infercost.app.records import import_records
from infercost.errors import InfercostError
from infercost.workspace import Options, load_stack
from tests.helpers import EXAMPLES, hcl, run_cli, write_files

SELF_HOSTED = EXAMPLES / "support-assistant" / "self-hosted"
HEADER = (
    "time,unit_id,feature,customer,subscription,item,input_tokens,cached_input_tokens,"
    "output_tokens,quantity\n"
)
LLAMA = "cluster/llama-3.3-70b-h100"  # $3.60 / h; 20,000 in/s, 1,500 out/s; 60 % busy
BGE = "cluster/bge-m3-l4"  # $0.80 / h; 40,000 in/s; no decode; 25 % busy


def gpu_cost(hourly: str, tin: int, cached: int, tout: int, in_tps: int, out_tps: int | None,
             utilization: str) -> Fraction:  # fmt: skip
    seconds = Fraction(tin - cached, in_tps) + (Fraction(tout, out_tps) if out_tps else 0)
    return seconds / Fraction(D(utilization)) * Fraction(D(hourly)) / 3600


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "records.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def test_gpu_records_are_priced_through_the_items_throughput(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            f"2026-11-03T09:02:00Z,t1,support_assistant,c1,pro,{LLAMA},4050,1400,450,",
            f"2026-11-03T09:03:00Z,t1,support_assistant,c1,pro,{LLAMA},4650,1600,430,",
            f"2026-11-03T09:01:00Z,t1,support_assistant,c1,pro,{BGE},80,0,0,",
            f"2026-11-03T09:05:00Z,t2,support_assistant,c2,team,{BGE},75,0,0,",
        ],
    )
    stack = load_stack(Options(stack=SELF_HOSTED))
    result = import_records(stack, [path], "records")
    by_item = {c.item: c.actual for c in result.costs}
    # Draft: (8700 - 3000) / 20000 + 880 / 1500 = 0.285 + 0.58666... = 2615/3000 s busy,
    # / 0.6 busy share = 523/360 GPU-seconds at $3.60 an hour ($0.001 a second).
    draft = gpu_cost("3.60", 8700, 3000, 880, 20000, 1500, "0.60")
    assert draft == Fraction(523, 360_000)
    assert abs(Fraction(by_item[LLAMA]) - draft) < Fraction(1, 10**25)
    # Embeddings: 155 / 40000 s busy / 0.25 = 0.0155 s at $0.80 an hour.
    embed = gpu_cost("0.80", 155, 0, 0, 40000, None, "0.25")
    assert embed == Fraction(155, 40000) * 4 * Fraction(8, 36000)
    assert abs(Fraction(by_item[BGE]) - embed) < Fraction(1, 10**25)


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        (f"{BGE},75,0,3,", "cannot have output_tokens"),
        (f"{LLAMA},,,,2.5", "they take tokens, not a quantity"),
    ],
)
def test_what_a_gpu_cannot_time_is_an_error_naming_the_record(
    tmp_path: Path, row: str, detail: str
) -> None:
    path = write(
        tmp_path,
        [
            f"2026-11-03T09:02:00Z,t1,support_assistant,c1,pro,{LLAMA},4050,1400,450,",
            f"2026-11-03T09:05:00Z,t2,support_assistant,c2,team,{row}",
        ],
    )
    stack = load_stack(Options(stack=SELF_HOSTED))
    with pytest.raises(InfercostError) as error:
        import_records(stack, [path], "records")
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.detail.startswith("record 2: ") and detail in diagnostic.detail
    assert diagnostic.range is not None and diagnostic.range.start.line == 3


def test_calibrate_of_gpu_records_writes_a_what_if_that_prices_them(tmp_path: Path) -> None:
    records = (EXAMPLES / "support-assistant" / "records" / "records.csv").read_text()
    records = records.replace("openai/gpt-4o-mini", LLAMA).replace(
        "openai/text-embedding-3-small", BGE
    )
    path = tmp_path / "records.csv"
    path.write_text(records)
    what_if = tmp_path / "observed.hcl"
    out = run_cli(["calibrate", str(SELF_HOSTED), str(path), "--from", "records", "-o", "json",
                   "--write-what-if", str(what_if)])  # fmt: skip
    assert out.code == 0, out.stderr
    text = what_if.read_text()
    assert "quantity" not in text.split(f'uses           = "{LLAMA}"')[1].split("}")[0]
    plan = run_cli(["plan", str(SELF_HOSTED), "--what-if", str(what_if), "-o", "json"])
    assert plan.code == 0, plan.stderr
    doc = json.loads(out.stdout, parse_float=D)
    planned = {f["name"]: f["after"]["cost_per_unit"]
               for f in json.loads(plan.stdout, parse_float=D)["features"]}  # fmt: skip
    for feature in doc["features"]:
        # Equal to the engine's 28 digits (the last one rounded).
        observed = feature["cost_per_unit"]["observed"]
        assert abs(planned[feature["feature"]] - observed) <= D("1e-27")
    # support_assistant's draft: t-1001 (4050/1400/450, 4650/1600/430), t-1002 (4100/0/470)
    # over 2 tickets; escalate (gpt-4o, 10050 in, 1000 out) and moderation are API calls.
    support = next(f for f in doc["features"] if f["feature"] == "support_assistant")
    draft = gpu_cost("3.60", 12800, 3000, 1350, 20000, 1500, "0.60")
    assert draft == Fraction(1, 1000) * (Fraction(9800, 20000) + Fraction(1350, 1500)) / Fraction(
        6, 10
    )
    step = next(s for s in support["steps"] if s["step"] == "draft")
    # A GPU-served model is named as such, and its declared token attributes compare with
    # the observed ones (three first calls of 4050, 4650 and 4100 input tokens).
    assert step["kind"] == "gpu"
    attributes = {a["name"]: a for a in step["attributes"]}
    assert attributes["input_tokens"]["declared"] is not None
    assert attributes["quantity"]["declared"] is None
    for key in ("actual_cost_per_unit", "modelled_cost_per_unit"):
        assert abs(Fraction(step[key]) - draft / 2) < Fraction(1, 10**27)


DISCOUNTED = hcl(
    """
    infercost {
      currency       = "USD"
      usage          = "usage.csv"
      exchange_rates = { EUR = 1.08 }
    }
    price_sheet "eu" {
      currency  = "EUR"
      effective = "2026-11-01"
      discount  = 0.2
      model "m" {
        input_per_mtok       = 1.00
        cache_write_per_mtok = 3.75
        output_per_mtok      = 2.00
        per_call             = 0.001
      }
    }
    unit "ticket" {}
    workflow "answer" {
      step "draft" {
        uses              = "eu/m"
        input_tokens      = 1000
        output_tokens     = 100
        cache_write_share = 0.5
        cacheable         = false
      }
    }
    feature "support" {
      unit     = unit.ticket
      workflow = workflow.answer
    }
    """
)


def test_actual_cost_takes_the_sheets_discount_rate_fees_and_cache_write_price(
    tmp_path: Path,
) -> None:
    directory = write_files(
        tmp_path / "stack", {"main.hcl": DISCOUNTED, "usage.csv": "feature,units\nsupport,1\n"}
    )
    path = tmp_path / "records.csv"
    path.write_text(
        "time,unit_id,feature,item,input_tokens,cache_write_tokens,output_tokens\n"
        "2026-11-03T09:00:00Z,t1,support,eu/m,1000,500,100\n"
        "2026-11-03T09:01:00Z,t2,support,eu/m,1000,500,100\n"
    )
    stack = load_stack(Options(stack=directory))
    run = calibrate(stack, [path], "records")
    # Per record, in EUR: 500 uncached x 1.00 + 500 written x 3.75 + 100 out x 2.00 per
    # Mtok = 0.0005 + 0.001875 + 0.0002, plus the 0.001 call fee = 0.003575; 20 % off and
    # at 1.08 USD a euro: 0.003575 x 0.8 x 1.08 = 0.00308880 USD a record.
    assert run.result.actual == 2 * D("0.003575") * D("0.8") * D("1.08")
    (feature,) = run.features
    # The records are the declared shape: no drift, and the what-if prices them exactly.
    assert feature.declared_cost_per_unit == D("0.0030888")
    assert feature.drift_pct == 0
    assert feature.modelled_cost_per_unit == D("0.0030888")
