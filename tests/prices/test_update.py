"""``prices outdated`` and ``prices update``: differences found attribute by attribute,
and files rewritten in place so that only the changed numbers differ, byte for byte."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.prices import genai
from infercost.prices.update import literal
from tests.helpers import run_cli

MAIN = """\
unit "t" {}

workflow "w" {
  step "s" {
    uses         = "openai/gpt-4o"
    input_tokens = 1000
  }
}
"""

# Stale prices in an odd but valid layout: comments, blank lines, a one-line block, an
# expression, a meter, CRLF-free text with trailing spaces kept.
PRICES = """\
# Our negotiated prices — reviewed by finance.
price_sheet "openai" {
  effective = "2025-01-01"   # informational

  /* the flagship */
  model "gpt-4o" {
    source                = "genai-prices:openai/gpt-4o"
    input_per_mtok        = 5.00   # list price in 2024
    cached_input_per_mtok = 2.50
    output_per_mtok       = 15     # typed by hand

    batch {
      input_per_mtok  = 2.5
      output_per_mtok = 7.50
    }
  }

  model "gpt-4o-mini" {
    input_per_mtok  = 0.150
    output_per_mtok = local.mini_out // an expression: left alone
  }

  model "in-house" { input_per_mtok = 1 }
}

price_sheet "vectors" {
  meter "read" { price = 16 }
}

locals {
  mini_out = 0.70
}
"""


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "stack"
    root.mkdir()
    (root / "main.hcl").write_text(MAIN, encoding="utf-8")
    (root / "prices.hcl").write_text(PRICES, encoding="utf-8")
    return root


def test_the_fixture_holds_what_the_data_says() -> None:
    """The expectations below are the data's figures; check them against the data."""
    record = genai.find("openai", "gpt-4o")
    assert record.flat()["input_per_mtok"] == D("2.5")
    assert record.flat()["cached_input_per_mtok"] == D("1.25")
    assert record.flat()["output_per_mtok"] == D(10)
    assert record.flat()["batch.input_per_mtok"] == D("1.25")
    assert record.flat()["batch.output_per_mtok"] == D(5)
    mini = genai.find("openai", "gpt-4o-mini").flat()
    assert (mini["input_per_mtok"], mini["cached_input_per_mtok"]) == (D("0.15"), D("0.075"))
    assert mini["output_per_mtok"] == D("0.6")  # local.mini_out (0.70) differs


def test_outdated_lists_every_difference(stack: Path) -> None:
    result = run_cli(["prices", "outdated", "stack", "-o", "json", "--detailed-exitcode"])
    assert result.code == 2, result.stderr
    doc = json.loads(result.stdout, parse_float=D)
    rows = [(d["item"], d["attribute"], d["declared"], d["current"]) for d in doc["differences"]]
    assert rows == [
        ("openai/gpt-4o", "input_per_mtok", 5, D("2.5")),
        ("openai/gpt-4o", "cached_input_per_mtok", D("2.5"), D("1.25")),
        ("openai/gpt-4o", "output_per_mtok", 15, 10),
        ("openai/gpt-4o", "batch.input_per_mtok", D("2.5"), D("1.25")),
        # the batch block states no cached price: it defaults to the batch input (2.5)
        ("openai/gpt-4o", "batch.cached_input_per_mtok", D("2.5"), D("1.25")),
        ("openai/gpt-4o", "batch.output_per_mtok", D("7.5"), 5),
        ("openai/gpt-4o-mini", "cached_input_per_mtok", D("0.15"), D("0.075")),
        ("openai/gpt-4o-mini", "output_per_mtok", D("0.7"), D("0.6")),
        ("openai/gpt-4o-mini", "batch.input_per_mtok", None, D("0.075")),
        ("openai/gpt-4o-mini", "batch.cached_input_per_mtok", None, D("0.075")),
        ("openai/gpt-4o-mini", "batch.output_per_mtok", None, D("0.3")),
    ]
    assert doc["differences"][0]["change_pct"] == -50
    assert doc["unmatched"] == ["openai/in-house"]
    assert doc["checked"] == 2


def test_update_changes_only_the_numbers_byte_for_byte(stack: Path) -> None:
    result = run_cli(["prices", "update", "stack", "openai/gpt-4o"])
    assert result.code == 0, result.stderr
    after = (stack / "prices.hcl").read_text(encoding="utf-8")
    expected = PRICES
    for old, new in [
        ("input_per_mtok        = 5.00   # list", "input_per_mtok        = 2.50   # list"),
        ("cached_input_per_mtok = 2.50\n", "cached_input_per_mtok = 1.25\n"),
        ("output_per_mtok       = 15     # typed", "output_per_mtok       = 10     # typed"),
        (
            "      input_per_mtok  = 2.5\n      output_per_mtok = 7.50\n",
            "      input_per_mtok  = 1.25\n      output_per_mtok = 5.00\n"
            "      cached_input_per_mtok = 1.25\n",
        ),
    ]:
        assert old in expected
        expected = expected.replace(old, new, 1)
    assert after == expected
    assert (stack / "main.hcl").read_text(encoding="utf-8") == MAIN
    assert result.stdout == (
        "Updated stack/prices.hcl:\n"
        "  line 8: openai/gpt-4o input_per_mtok 5 → 2.5\n"
        "  line 9: openai/gpt-4o cached_input_per_mtok 2.5 → 1.25\n"
        "  line 10: openai/gpt-4o output_per_mtok 15 → 10\n"
        "  line 13: openai/gpt-4o batch.input_per_mtok 2.5 → 1.25\n"
        "  line 15: openai/gpt-4o batch.cached_input_per_mtok 2.5 → 1.25\n"
        "  line 14: openai/gpt-4o batch.output_per_mtok 7.5 → 5\n"
    )
    again = run_cli(["prices", "outdated", "stack", "openai/gpt-4o", "--detailed-exitcode"])
    assert again.code == 0, again.stdout


def test_update_leaves_expressions_alone_with_a_warning(stack: Path) -> None:
    result = run_cli(["prices", "update", "stack", "openai/gpt-4o-mini"])
    assert result.code == 0
    after = (stack / "prices.hcl").read_text(encoding="utf-8")
    batch = (
        "\n"
        "    batch {\n"
        "      input_per_mtok        = 0.075\n"
        "      cached_input_per_mtok = 0.075\n"
        "      output_per_mtok       = 0.30\n"
        "    }\n"
    )
    mini = "    output_per_mtok = local.mini_out // an expression: left alone\n"
    expected = PRICES.replace(mini, mini + "    cached_input_per_mtok = 0.075\n" + batch)
    assert after == expected
    assert "Warning: Price left alone" in result.stderr
    assert (
        "openai/gpt-4o-mini output_per_mtok is written as an expression (local.mini_out); "
        "the data says 0.60." in result.stderr
    )


def test_a_source_naming_an_unknown_model_is_a_located_error(stack: Path) -> None:
    prices = stack / "prices.hcl"
    prices.write_text(PRICES.replace('openai/gpt-4o"', 'openai/gpt-4oo"'), encoding="utf-8")
    result = run_cli(["prices", "outdated", "stack"])
    assert result.code == 1
    assert result.stderr == (
        "Error: Unknown model\n\n  on stack/prices.hcl line 7:\n"
        '  7:     source                = "genai-prices:openai/gpt-4oo"\n\n'
        'genai-prices has no model "gpt-4oo" for provider "openai". Did you mean "gpt-4o"?\n\n'
    )


@pytest.mark.parametrize(
    ("old", "value", "new"),
    [
        ("2.50", D(2), "2.00"),
        ("2.50", D("2.125"), "2.125"),
        ("10", D("7.5"), "7.5"),
        ("10", D(8), "8"),
        ("0.150", D("0.15"), "0.150"),
        ("1e-6", D("0.000002"), "0.000002"),
    ],
)
def test_literals_keep_their_decimal_places_when_they_can(old: str, value: D, new: str) -> None:
    assert literal(old, value) == new
