"""A price change is a first-class plan change: "gpt-4o input 2.50 → 2.00", with its own
effect on COGS, in the attribution and in the plan's list of price changes."""

from __future__ import annotations

import json
from decimal import Decimal as D

from tests.helpers import assert_plain_numbers, run_cli

PRICES = """
price_sheet "openai" {
  model "gpt-4o" {
    input_per_mtok  = 2.50
    output_per_mtok = 10.00

    batch {
      input_per_mtok  = 1.25
      output_per_mtok = 5.00
    }
  }
}
"""

MAIN = """
infercost {
  usage = "usage.csv"
}

unit "ticket" {}

workflow "answer" {
  step "draft" {
    uses          = "openai/gpt-4o"
    input_tokens  = 1000
    output_tokens = 100
  }
  step "review" {
    uses         = "openai/gpt-4o"
    processing   = "batch"
    input_tokens = 2000
  }
}

feature "chat" {
  unit             = unit.ticket
  workflow         = workflow.answer
  revenue_per_unit = 0.01
}
"""

HEAD_PRICES = (
    PRICES.replace("= 2.50", "= 2.00").replace("= 10.00", "= 8.00").replace("= 1.25", "= 1.00")
)


def test_each_price_change_carries_its_cogs_effect(write_stack, assert_golden) -> None:
    files = {"main.hcl": MAIN, "usage.csv": "feature,units\nchat,1000\n"}
    write_stack({**files, "prices.hcl": PRICES}, "base")
    write_stack({**files, "prices.hcl": HEAD_PRICES})
    outputs = {}
    for ext, flags in {
        "txt": ["--no-color"],
        "json": ["-o", "json"],
        "md": ["-o", "markdown"],
    }.items():
        result = run_cli(["plan", "stack", "--base-dir", "base", *flags])
        assert (result.code, result.stderr) == (0, "")
        assert_golden(f"plan/price-change.{ext}", result.stdout)
        outputs[ext] = result.stdout
    assert_plain_numbers(outputs["json"])
    doc = json.loads(outputs["json"], parse_float=D)
    # 1,000 units. draft: 1,000 input tokens at 2.50 → 2.00 and 100 output at 10 → 8;
    # review (batch): 2,000 input tokens at 1.25 → 1.00.
    input_effect = 1000 * 1000 * (D("2.00") - D("2.50")) / 1_000_000  # -0.50
    output_effect = 1000 * 100 * (D("8.00") - D("10.00")) / 1_000_000  # -0.20
    batch_effect = 1000 * 2000 * (D("1.00") - D("1.25")) / 1_000_000  # -0.50
    rows = [(p["label"], p["before"], p["after"], p["cogs_change"]) for p in doc["price_changes"]]
    # Prices that follow a changed one by default (the cache-write price follows the
    # input price) are listed too, with no effect of their own here.
    assert {r[0] for r in rows if not r[3]} == {
        "gpt-4o cache write",
        "gpt-4o cached input",
        "gpt-4o batch cache write",
        "gpt-4o batch cached input",
    }
    assert [r for r in rows if r[3]] == [
        ("gpt-4o batch input", D("1.25"), 1, batch_effect),
        ("gpt-4o input", D("2.5"), 2, input_effect),
        ("gpt-4o output", 10, 8, output_effect),
    ]
    (chat,) = doc["features"]
    draft = next(a for a in chat["attribution"] if a["step"] == "draft")
    assert [p["attribute"] for p in draft["price_changes"] if p["cogs_change"]] == [
        "input_per_mtok",
        "output_per_mtok",
    ]
    assert draft["cogs_change"] == input_effect + output_effect
    assert chat["change"]["cogs"] == input_effect + output_effect + batch_effect
    assert "gpt-4o input 2.50 → 2.00  -$0.50/month COGS" in outputs["txt"]
    assert "| gpt-4o input 2.50 → 2.00 | -$0.50 |" in outputs["md"]
