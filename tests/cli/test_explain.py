"""``infercost explain`` and the percentile options, from the command line."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.helpers import REPO, run_cli

EXAMPLE = "examples/support-assistant"


@pytest.fixture(autouse=True)
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_explain_text_golden(assert_golden) -> None:
    result = run_cli(["explain", EXAMPLE, "support_assistant"])
    assert result.code == 0 and result.stderr == ""
    assert_golden("explain_support-assistant.txt", result.stdout)
    assert "Headroom and break-even at the 60.0% target margin" in result.stdout


def test_explain_json_is_the_text_s_figures() -> None:
    result = run_cli(["explain", EXAMPLE, "support_assistant", "-o", "json", "--swing", "10"])
    doc = json.loads(result.stdout, parse_float=Decimal)
    assert doc["swing_pct"] == 10
    top = doc["drivers"][0]
    assert top["low"]["factor"] == Decimal("0.9") and top["high"]["factor"] == Decimal("1.1")
    # the ranking is by the size of the elasticity
    sizes = [abs(d["elasticity"]) for d in doc["drivers"]]
    assert sizes == sorted(sizes, reverse=True)
    assert [h["input"] for h in doc["headroom"]] == [d["input"] for d in doc["drivers"]]
    # percentiles only when asked for
    assert doc["percentiles"] is None
    asked = run_cli(["explain", EXAMPLE, "support_assistant", "-o", "json", "--samples", "500"])
    spread = json.loads(asked.stdout)["percentiles"]
    assert spread["samples"] == 500 and spread["cost_per_unit"]["agrees"] is True


def test_unknown_feature_suggests_a_name() -> None:
    result = run_cli(["explain", EXAMPLE, "support_asistant"])
    assert result.code == 1 and result.stdout == ""
    assert "Unknown feature" in result.stderr
    assert 'Did you mean "support_assistant"?' in result.stderr


@pytest.mark.parametrize("swing", ["0", "100", "-5", "150", "abc", "nan", "inf"])
def test_swing_outside_0_100(swing: str) -> None:
    result = run_cli(["explain", EXAMPLE, "support_assistant", "--swing", swing])
    assert result.code == 1 and result.stdout == ""
    assert "Invalid --swing" in result.stderr and "between 0 and 100" in result.stderr


@pytest.mark.parametrize("samples", ["0", "-3", "1000001", "99999999999"])
@pytest.mark.parametrize("command", ["breakdown", "plan"])
def test_samples_bounded(command: str, samples: str) -> None:
    result = run_cli([command, EXAMPLE, "--samples", samples])
    assert result.code == 1 and result.stdout == ""
    assert "Invalid --samples" in result.stderr and "1 to 1,000,000" in result.stderr


def test_seed_and_samples_reproduce() -> None:
    argv = ["breakdown", EXAMPLE, "-o", "json", "--seed", "5", "--samples", "3000"]
    one, two = run_cli(argv).stdout, run_cli(argv).stdout
    assert one == two
    doc = json.loads(one)
    p = doc["features"][0]["percentiles"]
    assert p["seed"] == 5 and p["samples"] == 3000 and p["cost_per_unit"]["agrees"] is True
    other = run_cli([*argv[:-4], "--seed", "6", "--samples", "3000"]).stdout
    assert json.loads(other)["features"][0]["percentiles"] != p


def test_percentiles_never_make_a_plan_change() -> None:
    """The same stack on both sides: nothing changes, whatever the percentiles say."""
    result = run_cli(
        ["plan", EXAMPLE, "--base-dir", EXAMPLE, "--detailed-exitcode", "--samples", "500"]
    )
    assert result.code == 0 and "No changes." in result.stdout


def test_explain_without_a_target_says_break_even(write_stack) -> None:
    write_stack(
        {
            "main.hcl": """
                infercost { usage = "usage.csv" }
                price_sheet "p" { meter "call" { price = 1 } }
                unit "u" {}
                workflow "w" {
                  step "s" { uses = "p/call" }
                }
                feature "f" {
                  unit             = unit.u
                  workflow         = workflow.w
                  revenue_per_unit = 4
                }
                """,
            "usage.csv": "feature,units\nf,10\n",
        }
    )
    result = run_cli(["explain", "stack", "f"])
    assert result.code == 0, result.stderr
    assert 'feature "f" has no target_margin' in result.stdout
    assert "Break-even (margin 0" in result.stdout
    assert "revenue per unit needed: $1.00" in result.stdout


def test_explain_argument_count() -> None:
    result = run_cli(["explain", EXAMPLE, "support_assistant", "extra"])
    assert result.code == 1 and "[STACK] FEATURE" in result.stderr


def test_too_many_draws_skips_percentiles_and_says_so(write_stack) -> None:
    """Thousands of calls of random size per unit: no billion-number simulation."""
    write_stack(
        {
            "main.hcl": """
                infercost { usage = "usage.csv" }
                price_sheet "p" { model "m" { input_per_mtok = 2 } }
                unit "u" {}
                workflow "w" {
                  step "s" {
                    uses         = "p/m"
                    calls        = between(100000, 500000)
                    input_tokens = between(100, 200)
                  }
                }
                feature "f" {
                  unit     = unit.u
                  workflow = workflow.w
                }
                """,
            "usage.csv": "feature,units\nf,100\n",
        }
    )
    text = run_cli(["breakdown", "stack"])
    assert text.code == 0 and "percentiles not simulated" in text.stdout
    doc = json.loads(run_cli(["breakdown", "stack", "-o", "json"]).stdout)
    assert doc["features"][0]["percentiles"] is None
    # every input is linear here: ties at 100 %, ranked by name
    assert [d["input"] for d in doc["features"][0]["drivers"]] == [
        "p/m.input_per_mtok",
        "s.calls",
        "s.input_tokens",
    ]


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md")])
def test_explain_with_shared_costs_golden(assert_golden, fmt: str, suffix: str) -> None:
    """The self-hosted example allocates three shared costs: each is a driver of the
    COGS per unit, and break-even is judged on the gross margin."""
    result = run_cli(["explain", f"{EXAMPLE}/self-hosted", "support_assistant", "-o", fmt])
    assert result.code == 0 and result.stderr == ""
    assert_golden(f"explain_support-assistant-self-hosted.{suffix}", result.stdout)
    assert "Shared costs: drivers of the COGS per unit" in result.stdout
    # gpu_platform_oncall: 0.9 x $1,200 = $1,080 allocated here
    assert "$1,080.00 (weights)" in result.stdout


def test_explain_markdown_has_the_text_s_figures() -> None:
    text = run_cli(["explain", EXAMPLE, "support_assistant"]).stdout
    md = run_cli(["explain", EXAMPLE, "support_assistant", "-o", "markdown"]).stdout
    assert md.startswith("<!-- infercost -->\n### infercost explain: `support_assistant`")
    assert "| 1 | `escalate.calls` | `1` | +56.7% | $0.007006 | $0.008798 |" in md
    for figure in ("$0.007902", "291,387", "$2,302.53", "72.0%"):
        assert figure in text and figure in md
