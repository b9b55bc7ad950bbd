"""What-if files merged onto the stack like Terraform override files (SPEC §11)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.config.loader import parse_files
from infercost.plan.overrides import apply_what_ifs
from tests.helpers import hcl
from tests.plan.support import COST_PER_UNIT, DRAFT, PLAN_STACK, changes, feature, plan, plan_json

D = Decimal


@pytest.fixture
def stack(write_stack):
    write_stack(PLAN_STACK)

    def what_if(**files: str) -> list[str]:
        """Write what-if files beside the stack; the --what-if arguments, in order."""
        write_stack({f"{name}.hcl": text for name, text in files.items()}, "what-if")
        argv = ["stack"]
        for name in files:
            argv += ["--what-if", f"what-if/{name}.hcl"]
        return argv

    return what_if


def test_attribute_replaced_the_rest_kept(stack) -> None:
    doc = plan_json(stack(w='workflow "answer" { step "draft" { output_tokens = 500 } }'))
    # Only the attribute given changes: the step's other attributes and the other step stay.
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "output_tokens", D(350), D(500)),
    ]
    steps = feature(doc, "chat")["after"]["steps"]
    assert [s["name"] for s in steps] == ["draft", "retrieve"]
    # draft: T_out = 3.5 · 500 = 1750; (6300·2.50 + 1750·10) / 1e6 = 0.03325; ·1.05
    assert steps[0]["cost_per_unit"] == D("0.03325") * D("1.05")


def test_nested_blocks_merge_by_type_and_label(stack) -> None:
    doc = plan_json(
        stack(
            w="""
            price_sheet "openai" {
              region "eu" { multiplier = 1.2 }
              model "gpt-4o" { output_per_mtok = 12 }
            }
            price_sheet "pinecone" {
              meter "read_unit" { price = 20 }
            }
            """
        )
    )
    assert changes(doc) == [
        ("price_sheet.openai.model.gpt-4o", "update", "output_per_mtok", D(10), D(12)),
        ("price_sheet.openai.region.eu", "update", "multiplier", D("1.1"), D("1.2")),
        ("price_sheet.pinecone.meter.read_unit", "update", "price", D(16), D(20)),
    ]
    # input and cached prices of gpt-4o are kept: draft = (6300·2.50 + 1225·12)/1e6 · 1.05
    draft = (D(6300) * D("2.50") + D(1225) * D(12)) / D(1_000_000) * D("1.05")
    retrieve = D(4) * D(5) * D(20) / D(1_000_000)
    assert feature(doc, "chat")["after"]["cost_per_unit"] == draft + retrieve


def test_nested_blocks_without_a_match_are_added(stack) -> None:
    doc = plan_json(
        stack(
            w="""
            price_sheet "openai" {
              model "gpt-4.1" { input_per_mtok = 2 }
            }
            workflow "answer" {
              step "rerank" {
                uses         = "openai/gpt-4.1"
                input_tokens = 500
              }
            }
            """
        )
    )
    assert changes(doc) == [
        (
            "price_sheet.openai.model.gpt-4.1",
            "create",
            None,
            None,
            # defaults filled: cached read and cache write default to the input price,
            # output and the per-call fee to 0
            {
                "input_per_mtok": D(2),
                "cached_input_per_mtok": D(2),
                "cache_write_per_mtok": D(2),
                "output_per_mtok": D(0),
                "per_call": D(0),
                "source": None,
                "description": None,
            },
        ),
        (
            "workflow.answer.step.rerank",
            "create",
            None,
            None,
            {
                "uses": "openai/gpt-4.1",
                "calls": D(1),
                "share": D(1),
                "retry_rate": D(0),
                "cacheable": True,
                "input_tokens": D(500),
                "output_tokens": D(0),
                "cached_share": D(0),
                "cache_write_share": D(0),
                "context_growth": D(0),
                "processing": "standard",
                "description": None,
            },
        ),
    ]
    after = feature(doc, "chat")["after"]
    assert [s["name"] for s in after["steps"]] == ["draft", "retrieve", "rerank"]
    # rerank: 500 · 2 / 1e6 = 0.001
    assert after["cost_per_unit"] == COST_PER_UNIT + D("0.001")


def test_a_new_complete_block_is_added(stack) -> None:
    doc = plan_json(
        stack(
            w="""
            feature "chat_eu" {
              unit             = unit.ticket
              workflow         = workflow.answer
              region           = "eu"
              revenue_per_unit = 0.5
            }
            """
        )
    )
    assert [(f["name"], f["action"]) for f in doc["features"]] == [
        ("chat", "no-op"),
        ("chat_eu", "create"),
    ]
    assert changes(doc)[0][:3] == ("feature.chat_eu", "create", None)
    # no usage rows for it: 0 units, but its cost per unit is priced with the eu multiplier
    # on openai only: 0.0294 · 1.10 + 0.00032
    created = feature(doc, "chat_eu")["after"]
    assert created["units"] == 0
    assert created["cost_per_unit"] == DRAFT * D("1.10") + D("0.00032")


@pytest.mark.parametrize(
    ("text", "suggestion", "line"),
    [
        ('feature "caht" {\n  revenue_per_unit = 1\n}\n', '"chat"', 1),
        ('workflow "answer" {\n  step "drafft" { retry_rate = 0 }\n}\n', '"draft"', 2),
        ('price_sheet "openai" {\n  model "gpt-4" { output_per_mtok = 1 }\n}\n', '"gpt-4o"', 2),
        # a new workflow that brings an incomplete step is just as incomplete
        ('workflow "answr" {\n  step "draft" { retry_rate = 0 }\n}\n', '"answer"', 1),
    ],
)
def test_an_incomplete_block_that_matches_nothing_is_an_error(
    stack, text: str, suggestion: str, line: int
) -> None:
    code, out, err = plan(stack(w=text))
    assert (code, out) == (1, "")
    assert "Error: What-if block matches nothing" in err
    assert f"Did you mean {suggestion}?" in err
    assert f"on what-if/w.hcl line {line}" in err


def test_locals_merge_name_by_name(stack) -> None:
    doc = plan_json(
        stack(
            w="""
            locals {
              draft_input = 2000
              extra_calls = 2
            }
            workflow "answer" {
              step "retrieve" { calls = local.extra_calls }
            }
            """
        )
    )
    # draft_calls is untouched (still the distribution); the new local is usable.
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "input_tokens", D(1800), D(2000)),
        ("workflow.answer.step.retrieve", "update", "calls", D(4), D(2)),
    ]
    steps = feature(doc, "chat")["after"]["steps"]
    # draft: (3.5·2000·2.50 + 1225·10) / 1e6 · 1.05 = (17500 + 12250) / 1e6 · 1.05
    assert steps[0]["cost_per_unit"] == D("0.02975") * D("1.05")
    assert steps[1]["cost_per_unit"] == D(2) * D(5) * D(16) / D(1_000_000)


def test_infercost_settings_merge_attribute_by_attribute(stack) -> None:
    doc = plan_json(stack(w='infercost { period = "week" }'))
    # usage = "usage.csv" is kept (the plan found the snapshot); only the period changed
    assert changes(doc) == [("infercost", "update", "period", "month", "week")]
    assert doc["period"] == "week"


@pytest.mark.parametrize(
    ("text", "address", "attribute", "before", "after"),
    [
        (
            'workflow "answer" { step "draft" { retry_rate = null } }',
            "workflow.answer.step.draft",
            "retry_rate",
            D("0.05"),
            D(0),
        ),
        (
            'feature "chat" { target_margin = null }',
            "feature.chat",
            "target_margin",
            D("0.5"),
            None,
        ),
        (
            'price_sheet "openai" { model "gpt-4o" { cached_input_per_mtok = null } }',
            "price_sheet.openai.model.gpt-4o",
            "cached_input_per_mtok",
            D("1.25"),
            D("2.5"),  # the default of a cached price is the input price
        ),
    ],
)
def test_null_resets_an_attribute_to_its_default(
    stack, text: str, address: str, attribute: str, before: object, after: object
) -> None:
    doc = plan_json(stack(w=text))
    assert changes(doc) == [(address, "update", attribute, before, after)]


def test_retry_rate_reset_changes_the_cost(stack) -> None:
    doc = plan_json(stack(w='workflow "answer" { step "draft" { retry_rate = null } }'))
    chat = feature(doc, "chat")
    assert chat["before"]["cost_per_unit"] == COST_PER_UNIT
    assert chat["after"]["cost_per_unit"] == D("0.028") + D("0.00032")  # no retries


def test_null_on_a_required_attribute_is_an_error(stack) -> None:
    code, _, err = plan(stack(w='feature "chat" { unit = null }'))
    assert code == 1
    assert "on what-if/w.hcl line 1" in err


@pytest.mark.parametrize(
    ("order", "expected"),
    [(("a", "b"), D("0.3")), (("b", "a"), D("0.2"))],
)
def test_what_ifs_apply_in_command_line_order(write_stack, order, expected) -> None:
    write_stack(PLAN_STACK)
    texts = {
        "a": 'workflow "answer" { step "draft" { retry_rate = 0.2 } }',
        "b": 'workflow "answer" { step "draft" { retry_rate = 0.3 } }',
    }
    write_stack({f"{n}.hcl": t for n, t in texts.items()}, "what-if")
    argv = ["stack"]
    for name in order:
        argv += ["--what-if", f"what-if/{name}.hcl"]
    doc = plan_json(argv)
    assert changes(doc) == [
        ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), expected)
    ]


def test_a_later_what_if_can_edit_a_block_an_earlier_one_added(stack) -> None:
    doc = plan_json(
        stack(
            a="""
            feature "chat_eu" {
              unit     = unit.ticket
              workflow = workflow.answer
            }
            locals { eu_price = 0.5 }
            """,
            b='feature "chat_eu" { revenue_per_unit = local.eu_price }',
        )
    )
    (created,) = [c for c in changes(doc) if c[0] == "feature.chat_eu"]
    assert created[4]["revenue_per_unit"] == D("0.5")


def test_a_what_if_cannot_delete(stack) -> None:
    # An empty override of a block, or of a nested block, removes nothing.
    argv = stack(w='workflow "answer" {}\nprice_sheet "pinecone" { meter "read_unit" {} }\n')
    doc = plan_json(argv)
    assert doc["changes"] == []
    assert feature(doc, "chat")["action"] == "no-op"
    assert plan([*argv, "--detailed-exitcode"]).code == 0


def test_merging_leaves_the_inputs_untouched() -> None:
    base = parse_files({"main.hcl": hcl(PLAN_STACK["main.hcl"])})
    what_if = parse_files(
        {"w.hcl": 'workflow "answer" { step "x" { uses = "openai/gpt-4o" } }\nlocals { n = 1 }\n'},
        root=None,
    )
    merged = apply_what_ifs(base, what_if)
    (workflow,) = base[0].body.blocks_of("workflow")
    assert [b.name for b in workflow.body.blocks] == ["draft", "retrieve"]
    (merged_workflow,) = [b for f in merged for b in f.body.blocks_of("workflow")]
    assert [b.name for b in merged_workflow.body.blocks] == ["draft", "retrieve", "x"]
    # the new local is added in a block of its own, the stack's locals block is unchanged
    assert set(base[0].body.blocks_of("locals")[0].body.attributes) == {
        "draft_calls",
        "draft_input",
    }


def test_top_level_attributes_in_a_what_if_are_errors(stack) -> None:
    code, _, err = plan(stack(w="retry_rate = 0\n"))
    assert code == 1
    assert "Error: Unsupported argument" in err
    assert "on what-if/w.hcl line 1" in err


def test_unknown_attribute_in_a_what_if_is_located_there(stack) -> None:
    code, _, err = plan(stack(w='workflow "answer" {\n  step "draft" { retry_rte = 0 }\n}\n'))
    assert code == 1
    assert "on what-if/w.hcl line 2" in err
    assert 'Did you mean "retry_rate"?' in err


def test_missing_what_if_file(stack) -> None:
    code, _, err = plan(["stack", "--what-if", "what-if/none.hcl"])
    assert code == 1
    assert "What-if file not found" in err
