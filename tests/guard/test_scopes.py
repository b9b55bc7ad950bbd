"""What ``self`` is in each guardrail scope, and how a condition is judged (SPEC §6, §11).

The expected figures are worked out by hand from GUARD_STACK (tests/guard/support.py):

draft (gpt-4o, between(2, 5), I = 1000, O = 200, g = 400, s = 0.5, retries 0.1):
  E[C] = 3.5, E[C·(C−1)] = (2 + 6 + 12 + 20) / 4 = 10
  T_in  = 3.5·1000 + 400·10/2 = 5500            T_out = 3.5·200 = 700
  cost  = (0.5·5500·2.50 + 0.5·5500·1.25 + 700·10) / 1e6 = 17312.5 / 1e6 = 0.0173125
  per unit at multiplier 1 = 0.0173125 · 1.1 (retries) · 0.8 (cache) = 0.015235
retrieve (meter, between(3, 7), quantity 5, not cacheable):
  per unit = 5·5·16 / 1e6 = 0.0004
workflow "answer" per unit at multiplier 1 = 0.015235 + 0.0004 = 0.015635
feature "chat" (eu: openai ·1.10, pinecone has no eu region: ·1)
  cost per unit = 0.015235·1.1 + 0.0004 = 0.0171585
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.calibrate.drift import FEATURE_KEYS, STEP_KEYS
from infercost.errors import InfercostError
from tests.guard.support import (
    GUARD_STACK,
    PLAIN_USAGE,
    pairs,
    result,
    run_check,
    scope_targets,
)
from tests.helpers import CONTEXT, hcl, run_cli

D = Decimal
WriteStack = Callable[..., Path]


def div(a: Decimal | int | str, b: Decimal | int | str) -> Decimal:
    """A division as the engine rounds it: 28 significant digits, half-even."""
    return CONTEXT.divide(D(a), D(b))


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of a (dedented) HCL text that contains needle."""
    for number, line in enumerate(hcl(text).splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def column_of(text: str, needle: str) -> int:
    line = hcl(text).splitlines()[line_of(text, needle) - 1]
    return line.index(needle) + 1


def with_guardrails(text: str, **extra: str) -> dict[str, str]:
    return {**GUARD_STACK, "guardrails.hcl": text, **extra}


# -- targets of every scope ------------------------------------------------------------------
CHAT_COGS = D(3100) * D("0.0171585")  # 53.19135
CHAT_REVENUE = D(3100) * D("0.005") + 3 * D(29)  # usage 15.5 + three "pro" customers 87


def test_feature_targets(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    found = scope_targets("feature", stack)
    assert list(found) == ["feature.chat", "feature.faq"]
    assert (D("53.19135"), D("102.5")) == (CHAT_COGS, CHAT_REVENUE)
    # Without request records, every observed attribute is there and null.
    assert found["feature.chat"].attributes == {
        **dict.fromkeys(FEATURE_KEYS),
        "name": "chat",
        "unit": "ticket",  # the unit's name, not a reference
        "workflow": "answer",
        "region": "eu",
        "units": D(3100),  # acme corp 3000 + beta 100 + gamma 0
        "cost_per_unit": D("0.0171585"),  # at the eu multiplier
        "cogs": CHAT_COGS,
        "revenue": CHAT_REVENUE,
        "margin": div(CHAT_REVENUE - CHAT_COGS, CHAT_REVENUE),  # 49.30865 / 102.5 = 0.48106
        "target_margin": D("0.5"),
        # No shared costs: all COGS is variable, both margins agree.
        "variable_cogs": CHAT_COGS,
        "allocated_cogs": D(0),
        "contribution_margin": div(CHAT_REVENUE - CHAT_COGS, CHAT_REVENUE),
        "cogs_per_unit": div(CHAT_COGS, D(3100)),
        "gpu_seconds_per_unit": None,  # no GPU step
        "revenue_per_unit": D("0.005"),
        # No base: the change attributes are null.
        "cogs_change": None,
        "cogs_change_pct": None,
        "margin_change": None,
        "cost_per_unit_change_pct": None,
    }
    assert found["feature.chat"].attributes["margin"] == D("0.48106")
    faq = found["feature.faq"].attributes
    # No usage: 0 units; "free" costs nothing; revenue 0 makes the margin undefined.
    assert (faq["units"], faq["cost_per_unit"], faq["cogs"], faq["revenue"]) == (0, 0, 0, 0)
    assert faq["margin"] is None and faq["target_margin"] is None
    assert faq["region"] is None
    location = found["feature.chat"].location
    assert location is not None
    assert (location.filename, location.start.line) == (
        "stack/main.hcl",
        line_of(GUARD_STACK["main.hcl"], 'feature "chat"'),
    )


def test_feature_change_attributes_with_a_base(write_stack: WriteStack) -> None:
    # The base drafts without retries: draft 0.0173125 · 0.8 · 1.1 (eu) = 0.015235,
    # so its cost per unit is 0.015235 + 0.0004 = 0.015635 and its COGS 3100 · that.
    base_main = GUARD_STACK["main.hcl"].replace("retry_rate     = 0.1", "retry_rate     = 0")
    base = write_stack({**GUARD_STACK, "main.hcl": base_main}, "base")
    stack = write_stack(GUARD_STACK)
    attrs = scope_targets("feature", stack, base)["feature.chat"].attributes
    base_cogs = D(3100) * D("0.015635")  # 48.4685
    assert attrs["cogs_change"] == CHAT_COGS - base_cogs == D("4.72285")
    # (after − before) / before · 100, rounded once at 28 digits like the engine.
    assert attrs["cogs_change_pct"] == div(D("4.72285") * 100, base_cogs)
    assert attrs["cost_per_unit_change_pct"] == div(
        (D("0.0171585") - D("0.015635")) * 100, D("0.015635")
    )
    base_margin = div(CHAT_REVENUE - base_cogs, CHAT_REVENUE)  # 54.0315 / 102.5
    assert attrs["margin_change"] == D("0.48106") - base_margin
    # faq: both sides cost 0, so the percentages are null (no base value to divide by).
    faq = scope_targets("feature", stack, base)["feature.faq"].attributes
    assert faq["cogs_change"] == 0
    assert faq["cogs_change_pct"] is None and faq["cost_per_unit_change_pct"] is None
    assert faq["margin_change"] is None  # margin undefined on both sides


def test_change_attributes_are_null_for_a_feature_absent_on_the_base(
    write_stack: WriteStack,
) -> None:
    faq_block = 'feature "faq" {\n  unit     = unit.ticket\n  workflow = workflow.free\n}\n'
    base_main = hcl(GUARD_STACK["main.hcl"]).replace(faq_block, "")
    assert "faq" not in base_main
    base = write_stack({**GUARD_STACK, "main.hcl": base_main}, "base")
    stack = write_stack(GUARD_STACK)
    faq = scope_targets("feature", stack, base)["feature.faq"].attributes
    assert [
        faq[k]
        for k in ("cogs_change", "cogs_change_pct", "margin_change", "cost_per_unit_change_pct")
    ] == [None] * 4


def test_customer_targets_are_addressed_by_id_and_located_at_their_usage_row(
    write_stack: WriteStack,
) -> None:
    stack = write_stack(GUARD_STACK)
    found = scope_targets("customer", stack)
    assert sorted(found) == ['customer["acme corp"]', 'customer["beta"]', 'customer["gamma"]']
    acme = found['customer["acme corp"]']
    # COGS 3000 · 0.0171585 = 51.4755; revenue 29 + 3000 · 0.005 = 44: underwater.
    assert acme.attributes == {
        "id": "acme corp",
        "subscription": "pro",
        "revenue": D(44),
        "cogs": D("51.4755"),
        "margin": div(D(44) - D("51.4755"), 44),  # −7.4755 / 44
        "variable_cogs": D("51.4755"),
        "allocated_cogs": D(0),
        "contribution_margin": div(D(44) - D("51.4755"), 44),
        "underwater": True,
    }
    beta = found['customer["beta"]'].attributes
    # COGS 100 · 0.0171585 = 1.71585; revenue 29 + 0.5 = 29.5.
    assert (beta["cogs"], beta["revenue"]) == (D("1.71585"), D("29.5"))
    assert beta["margin"] == div(D("29.5") - D("1.71585"), D("29.5"))
    assert beta["underwater"] is False
    gamma = found['customer["gamma"]'].attributes
    assert (gamma["cogs"], gamma["revenue"], gamma["margin"]) == (0, 29, 1)
    # A customer is judged where the change can act on it: its subscription block.
    pro_line = line_of(GUARD_STACK["main.hcl"], 'subscription "pro"')
    for address in ('customer["acme corp"]', 'customer["beta"]'):
        location = found[address].location
        assert location is not None
        assert (location.filename, location.start.line) == ("stack/main.hcl", pro_line)


def test_subscription_targets_with_customer_rows(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    pro = scope_targets("subscription", stack)["subscription.pro"]
    assert pro.attributes == {
        "name": "pro",
        "price": D(29),
        "customers": D(3),
        "revenue": D("102.5"),  # 44 + 29.5 + 29
        "cogs": D("53.19135"),  # 51.4755 + 1.71585 + 0
        "margin": div(D("102.5") - D("53.19135"), D("102.5")),
        "underwater_customers": D(1),  # acme corp
        "underwater_share": div(1, 3),
        "cogs_change": None,
        "cogs_change_pct": None,
    }
    location = pro.location
    assert location is not None
    assert location.start.line == line_of(GUARD_STACK["main.hcl"], 'subscription "pro"')


def test_subscription_underwater_figures_are_null_without_customer_rows(
    write_stack: WriteStack,
) -> None:
    stack = write_stack({**GUARD_STACK, "usage.csv": PLAIN_USAGE})
    pro = scope_targets("subscription", stack)["subscription.pro"].attributes
    # No customer rows: the declared customers (none declared here: 0), revenue counted
    # from them, and COGS, margin and underwater figures unknown.
    assert pro["cogs"] is None and pro["margin"] is None
    assert pro["underwater_customers"] is None and pro["underwater_share"] is None


def test_workflow_targets_use_multiplier_one_even_when_the_feature_has_a_region(
    write_stack: WriteStack,
) -> None:
    stack = write_stack(GUARD_STACK)
    found = scope_targets("workflow", stack)
    assert {a: t.attributes for a, t in found.items()} == {
        "workflow.answer": {
            "name": "answer",
            "cost_per_unit": D("0.015635"),  # 0.015235 + 0.0004, not chat's 0.0171585
            "cache_hit_rate": D("0.2"),
            "steps": D(2),
        },
        "workflow.free": {
            "name": "free",
            "cost_per_unit": D(0),
            "cache_hit_rate": D(0),
            "steps": D(1),
        },
    }


def test_step_targets(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    found = scope_targets("step", stack)
    # Declaration order inside a workflow; workflows by name.
    assert list(found) == [
        "workflow.answer.step.retrieve",
        "workflow.answer.step.draft",
        "workflow.free.step.noop",
    ]
    assert found["workflow.answer.step.draft"].attributes == {
        **dict.fromkeys(STEP_KEYS),
        "address": "workflow.answer.step.draft",
        "name": "draft",
        "workflow": "answer",
        "uses": "openai/gpt-4o",
        "kind": "model",
        "calls_mean": D("3.5"),  # (2 + 3 + 4 + 5) / 4
        "calls_max": D(5),  # the upper bound
        "share": D(1),
        "input_tokens_per_call": div(5500, D("3.5")),  # T_in / E[C], growth included
        "max_input_tokens_per_call": D(2600),  # 1000 + 400 · (5 − 1)
        "output_tokens_per_call": D(200),
        "quantity_per_call": None,
        "retry_rate": D("0.1"),
        "cached_share": D("0.5"),
        "cache_write_share": D(0),
        "processing": "standard",
        "long_context_share": None,  # gpt-4o has no long-context tier here
        "cacheable": True,
        "cost_per_unit": D("0.015235"),  # at multiplier 1
        "gpu_seconds_per_unit": None,  # a model step, not a GPU
        "cost_share": div(D("0.015235"), D("0.015635")),
    }
    retrieve = found["workflow.answer.step.retrieve"].attributes
    assert retrieve["kind"] == "meter"
    assert (retrieve["calls_mean"], retrieve["calls_max"]) == (D(5), D(7))
    # Token attributes of a meter step are null; its quantity is known.
    assert retrieve["input_tokens_per_call"] is None
    assert retrieve["max_input_tokens_per_call"] is None
    assert retrieve["output_tokens_per_call"] is None
    assert retrieve["cached_share"] is None
    assert retrieve["cache_write_share"] is None
    assert retrieve["processing"] is None
    assert retrieve["long_context_share"] is None
    assert retrieve["quantity_per_call"] == D(5)
    assert retrieve["cacheable"] is False
    assert retrieve["cost_per_unit"] == D("0.0004")
    assert retrieve["cost_share"] == div(D("0.0004"), D("0.015635"))
    noop = found["workflow.free.step.noop"].attributes
    assert (noop["calls_mean"], noop["calls_max"]) == (1, 1)
    assert noop["input_tokens_per_call"] == noop["max_input_tokens_per_call"] == 10
    assert noop["output_tokens_per_call"] == 0
    assert noop["cost_per_unit"] == 0
    assert noop["cost_share"] is None  # the workflow costs 0
    location = found["workflow.answer.step.draft"].location
    assert location is not None
    assert location.start.line == line_of(GUARD_STACK["main.hcl"], 'step "draft"')


def test_step_with_fractional_calls_and_growth_distribution(write_stack: WriteStack) -> None:
    # A continuous calls cannot carry context_growth (SPEC §15); an average like 2.5 can:
    # it is the two-point count on 2 and 3 with mean 2.5.
    main = (
        GUARD_STACK["main.hcl"]
        .replace("calls          = between(2, 5)", "calls          = 2.5")
        .replace("context_growth = 400", "context_growth = between(100, 300)")
    )
    stack = write_stack({**GUARD_STACK, "main.hcl": main})
    draft = scope_targets("step", stack)["workflow.answer.step.draft"].attributes
    # E[C] = 2.5, E[C·(C−1)] = (2·1 + 3·2)/2 = 4; E[g] = 200 (whole bounds: discrete).
    # T_in = 2.5·1000 + 200·4/2 = 2900; per call: 2900/2.5 = 1160.
    assert draft["calls_mean"] == D("2.5")
    assert draft["calls_max"] == 3  # the larger of the two counts
    assert draft["input_tokens_per_call"] == 1160
    # The largest call: upper bounds, 1000 + 300 · (3 − 1) = 1600.
    assert draft["max_input_tokens_per_call"] == 1600


def test_stack_target(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    (target,) = scope_targets("stack", stack).values()
    assert target.address == "stack"
    assert target.attributes == {
        "cogs": D("53.19135"),  # chat 53.19135 + faq 0
        "revenue": D("102.5"),
        "margin": D("0.48106"),
        "variable_cogs": D("53.19135"),
        "allocated_cogs": D(0),
        "unallocated_cogs": D(0),
        "contribution_margin": D("0.48106"),
        "gpu_hours": D(0),  # 0 for the stack, not null
        "gpu_hours_by_item": {},
        "reserved_gpu_hours": None,
        "cogs_change": None,
        "cogs_change_pct": None,
    }


# -- conditions read self in every scope -----------------------------------------------------
SCOPE_RULES = """
    guardrail "feature_rule" {
      condition = self.unit == "ticket" && self.units == 3100 && self.cost_per_unit == 0.0171585
    }
    guardrail "subscription_rule" {
      scope     = "subscription"
      condition = self.underwater_customers == 1 && self.customers == 3 && self.price == 29
    }
    guardrail "customer_rule" {
      scope     = "customer"
      condition = !self.underwater
    }
    guardrail "workflow_rule" {
      scope     = "workflow"
      condition = self.steps <= 1 || self.cost_per_unit == 0.015635
    }
    guardrail "step_rule" {
      scope     = "step"
      condition = self.calls_max <= 7 && self.retry_rate < 0.5
    }
    guardrail "stack_rule" {
      scope     = "stack"
      condition = self.cogs == 53.19135 && self.revenue == 102.5
    }
    """


def test_every_scope_judges_its_targets_and_lists_every_result_sorted(
    write_stack: WriteStack,
) -> None:
    stack = write_stack(with_guardrails(SCOPE_RULES))
    check = run_check(stack)
    assert pairs(check) == [
        ("customer_rule", 'customer["acme corp"]', "fail"),
        ("customer_rule", 'customer["beta"]', "pass"),
        ("customer_rule", 'customer["gamma"]', "pass"),
        ("feature_rule", "feature.chat", "pass"),
        ("feature_rule", "feature.faq", "fail"),
        ("stack_rule", "stack", "pass"),
        ("step_rule", "workflow.answer.step.draft", "pass"),
        ("step_rule", "workflow.answer.step.retrieve", "pass"),
        ("step_rule", "workflow.free.step.noop", "pass"),
        ("subscription_rule", "subscription.pro", "pass"),
        ("target_margin", "feature.chat", "fail"),  # 0.48106 < 0.5
        ("workflow_rule", "workflow.answer", "pass"),
        ("workflow_rule", "workflow.free", "pass"),
    ]
    acme = result(check, "customer_rule", 'customer["acme corp"]')
    assert acme.values == {"underwater": True}
    assert acme.location is not None
    pro_line = line_of(GUARD_STACK["main.hcl"], 'subscription "pro"')
    assert (acme.location.filename, acme.location.start.line) == ("stack/main.hcl", pro_line)
    assert acme.blocking
    assert check.passed is False
    assert check.summary["total"] == 13
    assert check.summary["pass"] == 10 and check.summary["fail"] == 3


def test_customer_target_address_in_json(write_stack: WriteStack) -> None:
    stack = write_stack(with_guardrails(SCOPE_RULES))
    code, out, _ = run_cli(["check", str(stack), "-o", "json"])
    assert code == 2
    doc = json.loads(out)
    acme = [r for r in doc["results"] if r["target"] == 'customer["acme corp"]']
    assert len(acme) == 1
    pro_line = line_of(GUARD_STACK["main.hcl"], 'subscription "pro"')
    assert acme[0]["location"] == {"file": "stack/main.hcl", "line": pro_line, "column": 1}


# -- condition semantics ---------------------------------------------------------------------
def test_reading_a_null_attribute_skips_and_names_it(write_stack: WriteStack) -> None:
    rules = """
        guardrail "small_prompts" {
          scope     = "step"
          condition = self.input_tokens_per_call <= 5000
        }
        """
    check = run_check(write_stack(with_guardrails(rules)))
    retrieve = result(check, "small_prompts", "workflow.answer.step.retrieve")
    assert retrieve.status == "skipped"
    assert not retrieve.blocking
    assert "self.input_tokens_per_call is null" in retrieve.message
    assert retrieve.values == {"input_tokens_per_call": None}
    assert result(check, "small_prompts", "workflow.answer.step.draft").status == "pass"
    # A feature with no revenue: self.margin is null, so the rule does not apply.
    rules = 'guardrail "floor" {\n  condition = self.margin >= 0.4\n}\n'
    check = run_check(write_stack(with_guardrails(rules)))
    faq = result(check, "floor", "feature.faq")
    assert faq.status == "skipped"
    assert "self.margin is null" in faq.message


def test_comparing_with_null_is_allowed(write_stack: WriteStack) -> None:
    rules = """
        guardrail "meters_only" {
          scope     = "step"
          condition = self.output_tokens_per_call == null
        }
        """
    check = run_check(write_stack(with_guardrails(rules)))
    statuses = {r.target: r.status for r in check.results if r.guardrail == "meters_only"}
    assert statuses == {
        "workflow.answer.step.retrieve": "pass",
        "workflow.answer.step.draft": "fail",
        "workflow.free.step.noop": "fail",
    }


def test_a_condition_that_is_not_a_bool_is_an_error_at_the_condition(
    write_stack: WriteStack,
) -> None:
    rules = """
        guardrail "sloppy" {
          scope     = "workflow"
          condition = self.cost_per_unit * 2
        }
        """
    stack = write_stack(with_guardrails(rules))
    with pytest.raises(InfercostError) as caught:
        run_check(stack)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.range is not None
    assert (diagnostic.range.filename, diagnostic.range.start.line) == (
        "stack/guardrails.hcl",
        line_of(rules, "condition"),
    )
    assert diagnostic.range.start.column == column_of(rules, "self.cost_per_unit")
    code, out, err = run_cli(["check", str(stack)])
    assert (code, out) == (1, "")
    assert "Error: Guardrail condition is not a bool" in err
    assert f"on stack/guardrails.hcl line {line_of(rules, 'condition')}" in err


def test_a_scope_with_no_objects_gives_one_skipped_result(write_stack: WriteStack) -> None:
    rules = """
        guardrail "no_underwater" {
          scope     = "customer"
          condition = !self.underwater
        }
        """
    stack = write_stack(with_guardrails(rules, **{"usage.csv": PLAIN_USAGE}))
    check = run_check(stack)
    found = [r for r in check.results if r.guardrail == "no_underwater"]
    assert len(found) == 1
    (only,) = found
    assert only.status == "skipped" and not only.blocking
    assert "no customer rows" in only.message
    # Nothing to point at in the scope: the result lands on the stack's infercost block.
    assert only.location is not None
    assert only.location.filename == "stack/main.hcl"
    assert only.location.start.line == line_of(GUARD_STACK["main.hcl"], "infercost {")


def test_a_guardrail_needing_a_base_is_skipped_without_one(write_stack: WriteStack) -> None:
    rules = """
        guardrail "cost_growth" {
          scope     = "stack"
          condition = self.cogs_change_pct <= 10
        }
        """
    check = run_check(write_stack(with_guardrails(rules)))
    growth = result(check, "cost_growth", "stack")
    assert growth.status == "skipped"
    assert "self.cogs_change_pct is null" in growth.message
    assert "needs a base" in growth.message


def test_default_message_states_guardrail_condition_target_and_values(
    write_stack: WriteStack,
) -> None:
    rules = """
        guardrail "lean_steps" {
          scope     = "step"
          condition = self.calls_max <= 6 && self.cost_per_unit < 0.01
        }
        """
    check = run_check(write_stack(with_guardrails(rules)))
    retrieve = result(check, "lean_steps", "workflow.answer.step.retrieve")
    assert retrieve.status == "fail"
    assert retrieve.values == {"calls_max": D(7)}  # && stopped at the first false
    assert retrieve.message == (
        "lean_steps: self.calls_max <= 6 && self.cost_per_unit < 0.01 does not hold for "
        "workflow.answer.step.retrieve (calls_max = 7)"
    )
    draft = result(check, "lean_steps", "workflow.answer.step.draft")
    assert draft.status == "fail"
    assert draft.message == (
        "lean_steps: self.calls_max <= 6 && self.cost_per_unit < 0.01 does not hold for "
        "workflow.answer.step.draft (calls_max = 5, cost_per_unit = $0.01524)"
    )
    assert draft.values == {"calls_max": D(5), "cost_per_unit": D("0.015235")}
    assert draft.condition == "self.calls_max <= 6 && self.cost_per_unit < 0.01"


def test_message_interpolates_self(write_stack: WriteStack) -> None:
    rules = """
        guardrail "floor" {
          description = "Margin of at least 60%"
          condition   = self.margin >= 0.6
          message     = "${self.name} keeps ${self.margin} of revenue per ${self.unit}"
        }
        """
    check = run_check(write_stack(with_guardrails(rules)))
    chat = result(check, "floor", "feature.chat")
    assert chat.status == "fail"
    assert chat.message == "chat keeps 0.4811 of revenue per ticket"
    assert chat.description == "Margin of at least 60%"


def test_a_warning_guardrail_reports_without_blocking(write_stack: WriteStack) -> None:
    rules = """
        guardrail "floor" {
          severity  = "warning"
          condition = self.margin >= 0.6
        }
        """
    main = GUARD_STACK["main.hcl"].replace("target_margin    = 0.5", "target_margin    = 0.4")
    check = run_check(write_stack(with_guardrails(rules, **{"main.hcl": main})))
    chat = result(check, "floor", "feature.chat")
    assert (chat.status, chat.severity, chat.blocking) == ("fail", "warning", False)
    assert check.passed is True


# -- declaration errors ----------------------------------------------------------------------
def test_duplicate_guardrail_name_between_stack_and_policy(write_stack: WriteStack) -> None:
    rules = 'guardrail "floor" {\n  condition = self.margin >= 0.6\n}\n'
    stack = write_stack(with_guardrails(rules))
    policy = Path("policy.hcl")
    policy.write_text('guardrail "floor" {\n  condition = self.margin >= 0.2\n}\n')
    with pytest.raises(InfercostError) as caught:
        run_check(stack, policies=[str(policy)])
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.summary == "Duplicate guardrail"
    assert "stack/guardrails.hcl line 1" in diagnostic.detail
    assert diagnostic.range is not None and diagnostic.range.filename == "policy.hcl"
    code, out, err = run_cli(["check", str(stack), "--policy", "policy.hcl"])
    assert (code, out) == (1, "")
    assert "Duplicate guardrail" in err


@pytest.mark.parametrize("where", ["stack", "policy"])
def test_target_margin_is_a_reserved_name(write_stack: WriteStack, where: str) -> None:
    rules = 'guardrail "target_margin" {\n  condition = true\n}\n'
    if where == "stack":
        stack = write_stack(with_guardrails(rules))
        argv = ["check", str(stack)]
    else:
        stack = write_stack(GUARD_STACK)
        Path("policy.hcl").write_text(rules)
        argv = ["check", str(stack), "--policy", "policy.hcl"]
    code, out, err = run_cli(argv)
    assert (code, out) == (1, "")
    assert "Error: Reserved name" in err
    assert 'in guardrail "target_margin"' in err


@pytest.mark.parametrize("usage", ["customers", "plain"])
def test_a_policy_referring_to_a_variable_is_an_error(write_stack: WriteStack, usage: str) -> None:
    # Even when the stack declares the variable, and even when the scope has no targets
    # (customer scope without customer rows), a policy may read only self.
    extra = {"vars.hcl": 'variable "x" {\n  default = 0.5\n}\n'}
    if usage == "plain":
        extra["usage.csv"] = PLAIN_USAGE
    stack = write_stack({**GUARD_STACK, **extra})
    Path("policy.hcl").write_text(
        'guardrail "shared" {\n  scope     = "customer"\n  condition = self.margin >= var.x\n}\n'
    )
    code, out, err = run_cli(["check", str(stack), "--policy", "policy.hcl"])
    assert (code, out) == (1, "")
    assert "on policy.hcl line 3" in err
    assert "var.x" in err


# -- the implicit target_margin guardrail ----------------------------------------------------
def main_with(*replacements: tuple[str, str]) -> str:
    text = GUARD_STACK["main.hcl"]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_target_margin_fails_below_the_target_at_the_attribute(write_stack: WriteStack) -> None:
    check = run_check(write_stack(GUARD_STACK))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.severity, chat.blocking) == ("fail", "error", True)
    # margin 0.48106 against 0.5: short by 1.894 points, shown half away from zero.
    assert chat.message == "chat: margin 48.1% is below target 50.0% (short by 1.9 pts)"
    assert chat.values == {
        "margin": D("0.48106"),
        "target_margin": D("0.5"),
        "cogs": D("53.19135"),
        "revenue": D("102.5"),
    }
    assert chat.condition == "self.margin >= 0.5"
    location = chat.location
    assert location is not None
    assert (location.filename, location.start.line, location.start.column) == (
        "stack/main.hcl",
        line_of(GUARD_STACK["main.hcl"], "target_margin    = 0.5"),
        column_of(GUARD_STACK["main.hcl"], "target_margin    = 0.5"),
    )
    assert check.passed is False
    # faq declares no target_margin: no implicit result for it.
    assert [r.target for r in check.results if r.guardrail == "target_margin"] == ["feature.chat"]


def test_target_margin_passes_at_or_above_the_target(write_stack: WriteStack) -> None:
    main = main_with(("target_margin    = 0.5", "target_margin    = 0.48106"))
    check = run_check(write_stack({**GUARD_STACK, "main.hcl": main}))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("pass", False)  # exactly on the target holds
    assert chat.message == "chat: margin 48.1% meets target 48.1%"
    assert check.passed is True


def test_target_margin_with_no_revenue_but_cogs_fails(write_stack: WriteStack) -> None:
    main = main_with(("revenue_per_unit = 0.005", "revenue_per_unit = 0"))
    stack = write_stack({**GUARD_STACK, "main.hcl": main, "usage.csv": PLAIN_USAGE})
    chat = result(run_check(stack), "target_margin", "feature.chat")
    # No customer rows and no declared customers: revenue 0; COGS 3100 · 0.0171585.
    assert chat.values["revenue"] == 0 and chat.values["cogs"] == D("53.19135")
    assert chat.values["margin"] is None
    assert (chat.status, chat.blocking) == ("fail", True)
    assert chat.message == "chat: no revenue against COGS of $53.19; target margin 50.0%"


def test_target_margin_with_no_revenue_and_no_cogs_is_skipped(write_stack: WriteStack) -> None:
    main = main_with(
        ("workflow = workflow.free\n", "workflow = workflow.free\n          target_margin = 0.9\n")
    )
    check = run_check(write_stack({**GUARD_STACK, "main.hcl": main}))
    faq = result(check, "target_margin", "feature.faq")
    assert (faq.status, faq.blocking) == ("skipped", False)
    assert faq.message == "faq: no revenue and no COGS; margin is undefined"


# -- where guardrails come from ----------------------------------------------------------------
def test_a_builtin_pack_judges_like_a_stack_guardrail(write_stack: WriteStack) -> None:
    main = main_with(("retry_rate     = 0.1", "retry_rate     = 0.3"))
    stack = write_stack({**GUARD_STACK, "main.hcl": main})
    check = run_check(stack, policies=["builtin:retry-storms"])
    storm = result(check, "retry_storm", "workflow.answer.step.draft")
    assert (storm.status, storm.severity, storm.blocking) == ("fail", "error", True)
    assert storm.source == "builtin:retry-storms"
    assert storm.values == {"retry_rate": D("0.3")}
    # Located at the step in the stack, not in the pack.
    assert storm.location is not None and storm.location.filename == "stack/main.hcl"
    elevated = result(check, "retry_rate_elevated", "workflow.answer.step.draft")
    assert (elevated.status, elevated.blocking) == ("fail", False)  # a warning
    assert result(check, "retry_storm", "workflow.answer.step.retrieve").status == "pass"


def test_policies_named_in_the_settings_are_loaded_relative_to_the_stack(
    write_stack: WriteStack,
) -> None:
    main = main_with(('usage = "usage.csv"', 'usage    = "usage.csv"\n  policies = ["rules"]'))
    stack = write_stack({**GUARD_STACK, "main.hcl": main})
    (stack / "rules").mkdir()
    (stack / "rules/a.hcl").write_text(
        'guardrail "cheap_steps" {\n'
        '  scope     = "step"\n'
        "  condition = self.cost_per_unit < 0.01\n"
        "}\n"
    )
    check = run_check(stack)
    cheap = result(check, "cheap_steps", "workflow.answer.step.draft")
    assert cheap.status == "fail"
    assert cheap.source == "stack/rules/a.hcl"


def test_a_stack_guardrail_may_not_reuse_a_pack_name(write_stack: WriteStack) -> None:
    rules = 'guardrail "retry_storm" {\n  scope = "step"\n  condition = true\n}\n'
    stack = write_stack(with_guardrails(rules))
    code, out, err = run_cli(["check", str(stack), "--policy", "builtin:retry-storms"])
    assert (code, out) == (1, "")
    assert "Duplicate guardrail" in err and "builtin:retry-storms" in err


def test_stack_guardrail_reading_an_undeclared_variable_fails_validation(write_stack) -> None:
    # The customer scope is empty here (no customer rows), so no target would ever
    # evaluate the condition: the reference is checked when the stack loads.
    from tests.helpers import hcl, run_cli

    stack = write_stack(
        {
            "guard.hcl": hcl("""
                guardrail "typo" {
                  scope     = "customer"
                  condition = self.margin >= var.floor_margn
                }
                variable "floor_margin" { default = 0.5 }
                """)
        },
        base=True,
    )
    result = run_cli(["validate", str(stack)])
    assert result.code == 1
    assert "Error: Reference to undeclared variable" in result.stderr
    assert 'on stack/guard.hcl line 3, in guardrail "typo":' in result.stderr
    assert 'Did you mean "floor_margin"?' in result.stderr
