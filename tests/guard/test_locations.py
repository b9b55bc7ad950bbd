"""Every check result is located in the stack (SPEC §14), policy-pack rules included:
at the block it judged, so SARIF results and ``::error`` annotations land on the diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.guard.support import GUARD_STACK, run_check
from tests.guard.test_scopes import line_of
from tests.helpers import run_cli

WriteStack = Callable[..., Path]
MAIN = GUARD_STACK["main.hcl"]

# One failing rule per scope, in a policy file outside the stack's own files.
RULES = """
guardrail "feature_rule" {
  scope     = "feature"
  condition = self.cogs < 0
}
guardrail "subscription_rule" {
  scope     = "subscription"
  condition = self.price > 100
}
guardrail "customer_rule" {
  scope     = "customer"
  condition = self.cogs < 0
}
guardrail "workflow_rule" {
  scope     = "workflow"
  condition = self.steps > 5
}
guardrail "step_rule" {
  scope     = "step"
  condition = self.calls_max > 100
}
guardrail "stack_rule" {
  scope     = "stack"
  condition = self.cogs < 0
}
guardrail "stack_change_rule" {
  scope     = "stack"
  condition = self.cogs_change_pct < -100
}
"""

# Where each result must point: (file, line) in the stack.
EXPECTED = {
    ("feature_rule", "feature.chat"): line_of(MAIN, 'feature "chat"'),
    ("feature_rule", "feature.faq"): line_of(MAIN, 'feature "faq"'),
    ("subscription_rule", "subscription.pro"): line_of(MAIN, 'subscription "pro"'),
    ("customer_rule", 'customer["acme corp"]'): line_of(MAIN, 'subscription "pro"'),
    ("customer_rule", 'customer["beta"]'): line_of(MAIN, 'subscription "pro"'),
    ("workflow_rule", "workflow.answer"): line_of(MAIN, 'workflow "answer"'),
    ("step_rule", "workflow.answer.step.draft"): line_of(MAIN, 'step "draft"'),
    ("step_rule", "workflow.free.step.noop"): line_of(MAIN, 'step "noop"'),
    ("stack_rule", "stack"): line_of(MAIN, "infercost {"),
}


def test_policy_results_point_at_the_block_they_judged(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    Path("rules.hcl").write_text(RULES, encoding="utf-8")
    check = run_check(stack, policies=["rules.hcl"])
    for (guardrail, target), line in EXPECTED.items():
        (found,) = [r for r in check.results if (r.guardrail, r.target) == (guardrail, target)]
        assert found.source == "rules.hcl"
        assert found.location is not None, (guardrail, target)
        where = (found.location.filename, found.location.start.line)
        assert where == ("stack/main.hcl", line), (guardrail, target)
    # No result of any rule, skipped ones included, points into the policy file.
    for r in check.results:
        assert r.location is not None and r.location.filename.startswith("stack/"), r


def test_a_stack_without_an_infercost_block_is_located_at_its_first_file(
    write_stack: WriteStack,
) -> None:
    main = MAIN.replace('infercost {\n          usage = "usage.csv"\n        }', "")
    assert "infercost {" not in main
    stack = write_stack({**GUARD_STACK, "main.hcl": main})
    Path("rules.hcl").write_text(RULES, encoding="utf-8")
    check = run_check(stack, policies=["rules.hcl"], usage=stack / "usage.csv")
    (whole,) = [r for r in check.results if r.guardrail == "stack_rule"]
    assert whole.location is not None
    assert (whole.location.filename, whole.location.start.line) == ("stack/main.hcl", 1)


def test_builtin_pack_results_annotate_the_stack_in_sarif_and_github(
    write_stack: WriteStack,
) -> None:
    stack = write_stack(GUARD_STACK)
    args = ["check", str(stack), "--policy", "builtin:margin-floors"]
    code, out, _ = run_cli([*args, "-o", "github"])
    assert code == 2
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert commands
    for command in commands:
        assert "file=stack/main.hcl," in command, command
    floor = [c for c in commands if "feature_margin_floor" in c]
    chat_line = EXPECTED[("feature_rule", "feature.chat")]
    assert floor and f"line={chat_line}," in floor[0]
    code, out, _ = run_cli([*args, "-o", "sarif"])
    sarif = json.loads(out)
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for location in result["locations"]
    }
    assert uris and all(uri.endswith("stack/main.hcl") for uri in uris), uris
