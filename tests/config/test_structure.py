"""The structural check against the language's JSON Schema, mapped back to source."""

from __future__ import annotations

import pytest

from infercost.config.hcl import parse_text
from infercost.config.structure import check_structure, language_schema
from infercost.errors import Diagnostic, InfercostError
from tests.helpers import hcl, loc, only_error, validate_json, where


def problems(text: str, root: str = "stack") -> list[Diagnostic]:
    with pytest.raises(InfercostError) as caught:
        check_structure(parse_text(hcl(text), "f.hcl").body, root)
    return caught.value.diagnostics


def one(text: str) -> Diagnostic:
    (d,) = problems(text)
    return d


def test_the_examples_and_a_full_stack_pass() -> None:
    check_structure(parse_text(hcl('''
        infercost {
          currency = "USD"
          period   = "month"
          usage    = "usage.csv"
          policies = ["builtin:margins"]
        }
        variable "x" {
          type        = number
          default     = 1
          description = "d"
        }
        locals { a = 1 }
        locals { b = 2 }
        price_sheet "p" {
          currency  = "USD"
          effective = "2026-11-01"
          region "eu" { multiplier = 1.1 }
          model "claude-3.5-sonnet" {
            input_per_mtok        = 1
            cached_input_per_mtok = 0.1
            output_per_mtok       = 5
          }
          meter "read" {
            price = 1
            per   = 10
            unit  = "read"
          }
        }
        unit "u-1" { description = "d" }
        workflow "w" {
          cache_hit_rate = 0.1
          step "s" {
            uses           = "p/claude-3.5-sonnet"
            calls          = 2
            share          = 1
            retry_rate     = 0
            cacheable      = true
            input_tokens   = 1
            output_tokens  = 1
            cached_share   = 0
            context_growth = 0
            description    = "d"
          }
        }
        feature "f" {
          unit             = unit.u-1
          workflow         = workflow.w
          region           = "eu"
          revenue_per_unit = 1
          target_margin    = 0.5
        }
        subscription "s" {
          price         = 1
          features      = [feature.f]
          revenue_share = { f = 1 }
          customers     = 3
        }
        guardrail "g" {
          scope     = "feature"
          severity  = "warning"
          condition = true
          message   = "m"
        }
        '''), "f.hcl").body)  # fmt: skip


def test_schema_is_draft_2020_12() -> None:
    schema = language_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"stack", "settings", "variable", "price_sheet"} <= set(schema["$defs"])


def test_unknown_block_type() -> None:
    d = one('widget "x" {}\n')
    assert d.summary == "Unsupported block type"
    assert d.detail == 'Blocks of type "widget" are not expected at the top level.'
    assert where(d) == ("f.hcl", 1, 1)


def test_misspelt_block_type_suggests() -> None:
    d = one('workflw "x" {}\n')
    assert d.summary == "Unsupported block type"
    assert d.detail.endswith('Did you mean "workflow"?')


def test_misspelt_attribute_suggests() -> None:
    d = one('''
        workflow "w" {
          step "s" {
            uses = "p/m"
            cals = 2
          }
        }
        ''')  # fmt: skip
    assert d.summary == "Unsupported argument"
    assert d.detail == 'An argument named "cals" is not expected in step "s". Did you mean "calls"?'
    assert where(d) == ("f.hcl", 4, 5)
    assert d.context == 'step "s"'


def test_unknown_attribute_without_close_name() -> None:
    d = one('unit "x" {\n  colour = "red"\n}\n')
    assert d.summary == "Unsupported argument"
    assert d.detail == 'An argument named "colour" is not expected in unit "x".'
    assert "Did you mean" not in d.detail


def test_missing_required_argument() -> None:
    d = one('feature "f" {\n  unit = unit.u\n}\n')
    assert d.summary == "Missing required argument"
    assert '"workflow" is required in feature "f"' in d.detail
    assert where(d) == ("f.hcl", 1, 1)


@pytest.mark.parametrize(
    ("text", "summary", "column"),
    [
        ('unit "1bad" {}\n', "Invalid name", 6),
        ('unit "a" "b" {}\n', "Extraneous label for block", 10),
        ("unit {}\n", "Missing name for block", 1),
    ],
)
def test_block_labels(text: str, summary: str, column: int) -> None:
    d = one(text)
    assert d.summary == summary
    assert where(d) == ("f.hcl", 1, column)


def test_item_labels_may_not_hold_a_slash() -> None:
    d = one('price_sheet "p" {\n  model "a/b" { input_per_mtok = 1 }\n}\n')
    assert d.summary == "Invalid name"
    assert 'no "/"' in d.detail
    assert where(d) == ("f.hcl", 2, 9)


def test_at_most_one_infercost_block() -> None:
    d = one("infercost {}\ninfercost {}\n")
    assert d.summary == "Duplicate block"
    assert where(d) == ("f.hcl", 2, 1)


def test_block_written_as_argument_and_reverse() -> None:
    d = one('price_sheet "p" {\n  model = 1\n}\n')
    assert d.summary == "Unsupported argument"
    assert 'write model "NAME" { ... }' in d.detail
    d = one('workflow "w" {\n  cache_hit_rate "x" {}\n}\n')
    assert d.summary == "Unsupported block type"
    assert "cache_hit_rate = ..." in d.detail


def test_all_problems_reported_in_source_order() -> None:
    found = problems('unit "x" {\n  a = 1\n  b = 2\n}\nwidget "y" {}\n')
    assert [(d.summary, where(d)[1]) for d in found] == [
        ("Unsupported argument", 2),
        ("Unsupported argument", 3),
        ("Unsupported block type", 5),
    ]


def test_var_file_root_accepts_only_attributes() -> None:
    check_structure(parse_text('a = 1\nb = "x"\n', "v.hcl").body, "var_file")
    assert problems('unit "u" {}\n', "var_file")


# -- through the CLI ------------------------------------------------------------------------


def test_unknown_block_through_validate(write_stack) -> None:
    stack = write_stack({"extra.hcl": '# extra\nwidget "x" {}\n'}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Unsupported block type"
    assert 'Blocks of type "widget" are not expected' in d["detail"]
    assert loc(d) == ("stack/extra.hcl", 2, 1)


def test_misspelt_attribute_through_validate(write_stack) -> None:
    main = """
        unit "ticket" {}
        workflow "answer" {
          step "draft" {
            uses         = "openai/gpt-4o"
            input_tokens = 10
            output_tokns = 350
          }
        }
        feature "chat" {
          unit     = unit.ticket
          workflow = workflow.answer
        }
        """
    stack = write_stack({"main.hcl": main}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Unsupported argument"
    assert d["detail"].endswith('Did you mean "output_tokens"?')
    assert loc(d) == ("stack/main.hcl", 6, 5)
    assert d["range"]["end"] == {"line": 6, "column": 17}
