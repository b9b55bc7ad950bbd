"""Helpers shared by the plan tests: a small stack with a usage snapshot, and runners."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.helpers import CliResult, run_cli

# A stack with two price sheets, a local distribution, two steps and one feature.
# Usage: 1000 units of "chat".
PLAN_STACK: dict[str, str] = {
    "infercost.hcl": """
        infercost {
          usage  = "usage.csv"
          period = "month"
        }
        """,
    "prices.hcl": """
        price_sheet "openai" {
          region "eu" { multiplier = 1.10 }

          model "gpt-4o" {
            input_per_mtok        = 2.50
            cached_input_per_mtok = 1.25
            output_per_mtok       = 10.00
          }
          model "gpt-4o-mini" {
            input_per_mtok  = 0.15
            output_per_mtok = 0.60
          }
        }

        price_sheet "pinecone" {
          meter "read_unit" {
            price = 16
            per   = 1000000
          }
        }
        """,
    "main.hcl": """
        locals {
          draft_calls = between(2, 5)
          draft_input = 1800
        }

        unit "ticket" {}

        workflow "answer" {
          step "draft" {
            uses          = "openai/gpt-4o"
            calls         = local.draft_calls
            input_tokens  = local.draft_input
            output_tokens = 350
            retry_rate    = 0.05
          }
          step "retrieve" {
            uses     = "pinecone/read_unit"
            calls    = 4
            quantity = 5
          }
        }

        feature "chat" {
          unit             = unit.ticket
          workflow         = workflow.answer
          revenue_per_unit = 0.4
          target_margin    = 0.5
        }
        """,
    "usage.csv": "feature,units\nchat,1000\n",
}

# Hand-computed figures of PLAN_STACK (SPEC §3), exact decimals:
#   draft: E[C] = (2+5)/2 = 3.5; T_in = 3.5·1800 = 6300; T_out = 3.5·350 = 1225
#          (6300·2.50 + 1225·10.00) / 1e6 = (15750 + 12250) / 1e6 = 0.028; ·(1 + 0.05)
DRAFT = Decimal("0.028") * Decimal("1.05")  # 0.0294
#   retrieve: 4 calls · 5 read units · 16 / 1,000,000
RETRIEVE = Decimal(4) * Decimal(5) * Decimal(16) / Decimal(1_000_000)  # 0.00032
COST_PER_UNIT = DRAFT + RETRIEVE  # 0.02972
UNITS = Decimal(1000)
REVENUE = UNITS * Decimal("0.4")  # 400


def plan(argv: list[str]) -> CliResult:
    return run_cli(["plan", *argv])


def plan_json(argv: list[str], expect: int = 0) -> dict[str, Any]:
    """``infercost plan -o json``: the parsed document; nothing on stderr."""
    result = plan([*argv, "-o", "json"])
    assert result.code == expect, result.stderr
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout, parse_float=Decimal, parse_int=Decimal)


def changes(document: dict[str, Any]) -> list[tuple[str, str, str | None, Any, Any]]:
    return [
        (c["address"], c["action"], c["attribute"], c["before"], c["after"])
        for c in document["changes"]
    ]


def feature(document: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [f for f in document["features"] if f["name"] == name]
    return found
