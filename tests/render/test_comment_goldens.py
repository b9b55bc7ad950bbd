"""Golden pull-request comments (``check -o markdown``) for the changes reviewers see
most: a model swap, a usage refresh, a price change, a waived violation that grows past
its line, and a loosened guardrail. Each compares a base directory with the head, on
GUARD_STACK (tests/guard/support.py: customers, a subscription, two workflows).

Update with ``pytest --update-goldens`` and read the diff: these files are the product.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.guard.support import GUARD_STACK
from tests.helpers import code_spans, outside_code, run_cli

WriteStack = Callable[..., Path]
GoldenCheck = Callable[[str, str], None]

MINI = """
          model "gpt-4o-mini" {
            input_per_mtok        = 0.15
            cached_input_per_mtok = 0.075
            output_per_mtok       = 0.60
          }
"""
FLOOR = """
guardrail "margin_floor" {
  scope       = "feature"
  description = "No feature below a FLOOR gross margin"
  condition   = self.margin >= VALUE
}
"""
WAIVER = """
waiver "launch" {
  guardrail     = "target_margin"
  target        = "feature.chat"
  reason        = "Launch pricing agreed with finance"
  until         = "2999-12-31"
  max_shortfall = 0.05
}
"""


def with_mini(files: dict[str, str]) -> dict[str, str]:
    prices = files["prices.hcl"].replace('model "free"', MINI.strip() + '\n          model "free"')
    return {**files, "prices.hcl": prices}


def edit(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name], (name, old)
    return {**files, name: files[name].replace(old, new)}


def scenario(name: str) -> tuple[dict[str, str], dict[str, str]]:
    """(base files, head files) of each change."""
    stack = with_mini(GUARD_STACK)
    if name == "model-swap":
        base = edit(
            stack,
            "main.hcl",
            'uses           = "openai/gpt-4o"',
            'uses           = "openai/gpt-4o-mini"',
        )
        return base, stack
    if name == "usage-refresh":
        usage = (
            "customer,subscription,feature,units\n"
            "acme corp,pro,chat,4500\nbeta,pro,chat,100\ngamma,pro,,0\ndelta,pro,chat,800\n"
        )
        return stack, {**stack, "usage.csv": usage}
    if name == "price-change":
        head = edit(
            stack, "prices.hcl", "output_per_mtok       = 10.00", "output_per_mtok       = 15.00"
        )
        return stack, head
    if name == "worsening-waiver":
        target = ("target_margin    = 0.5", "target_margin    = 0.55")
        base = edit(
            edit(stack, "main.hcl", *target),
            "main.hcl",
            "retry_rate     = 0.1",
            "retry_rate     = 0",
        )
        head = edit(stack, "main.hcl", *target)
        return {**base, "waivers.hcl": WAIVER}, {**head, "waivers.hcl": WAIVER}
    if name == "loosened-guardrail":
        base = {**stack, "guardrails.hcl": FLOOR.replace("FLOOR", "50%").replace("VALUE", "0.50")}
        head = {**stack, "guardrails.hcl": FLOOR.replace("FLOOR", "30%").replace("VALUE", "0.30")}
        return base, head
    raise AssertionError(name)


def without_insight(markdown: str) -> str:
    """The comment without the drivers table, its notes and the Mermaid charts."""
    markdown = re.sub(r"^```mermaid\n.*?^```\n", "", markdown, flags=re.M | re.S)
    markdown = re.sub(r"^\| Feature \| Top drivers.*?\n\n", "", markdown, flags=re.M | re.S)
    return re.sub(r"^<sub>.*</sub>\n\n?", "", markdown, flags=re.M)


SCENARIOS = [
    "model-swap",
    "usage-refresh",
    "price-change",
    "worsening-waiver",
    "loosened-guardrail",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_comment_golden(name: str, write_stack: WriteStack, assert_golden: GoldenCheck) -> None:
    base, head = scenario(name)
    write_stack(base, "base")
    stack = write_stack(head)
    code, md, err = run_cli(["check", str(stack), "--base-dir", "base", "-o", "markdown"])
    assert code in (0, 2), err
    assert_golden(f"comment/{name}.md", md)
    # What every comment carries, in this order: verdict, figures, guardrails.
    assert md.startswith("<!-- infercost -->\n### ")
    assert md.index("#### Features") < md.index("#### Guardrails")
    assert "&#95;" not in md and "`" not in outside_code(md)
    plan_code, plan_md, _ = run_cli(["plan", str(stack), "--base-dir", "base", "-o", "markdown"])
    assert plan_code == 0
    # The plan comment shows the same figures as the check comment (the plan adds
    # simulated percentiles to the drivers table, so drivers and charts are set aside).
    figures = without_insight(md[md.index("**COGS") : md.index("#### Guardrails")])
    assert figures.strip() in without_insight(plan_md)


def test_what_each_golden_shows(write_stack: WriteStack) -> None:
    """The points of each scenario, so a golden update cannot lose them silently."""
    shown = {}
    for name in SCENARIOS:
        base, head = scenario(name)
        write_stack(base, f"base-{name}")
        stack = write_stack(head, f"head-{name}")
        shown[name] = run_cli(
            ["check", str(stack), "--base-dir", f"base-{name}", "-o", "markdown"]
        ).stdout
    swap = shown["model-swap"]
    assert '`uses`: `"openai/gpt-4o-mini"` → `"openai/gpt-4o"`' in swap
    assert "#### Subscriptions" in swap and "#### What moved the cost" in swap
    refresh = shown["usage-refresh"]
    assert "> [!NOTE]\n> The usage snapshot changed too" in refresh
    assert "Usage effect | Configuration effect" in refresh
    assert "Configuration changes" not in refresh  # nothing in the configuration moved
    assert "### ✅" in refresh  # a usage refresh does not block
    price = shown["price-change"]
    assert "`price_sheet.openai.model.gpt-4o`" in price and "`output_per_mtok`" in price
    waiver = shown["worsening-waiver"]
    assert "> [!CAUTION]\n> - Waiver `launch` no longer excuses" in waiver
    assert "**It blocks again.**" in waiver and "### ❌" in waiver
    loosened = shown["loosened-guardrail"]
    assert "> [!WARNING]" in loosened
    assert "`self.margin >= 0.50` → `self.margin >= 0.30`" in loosened
    assert "self.margin >= 0.30" in code_spans(loosened)
