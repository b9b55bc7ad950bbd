"""A changed string is shown with the same escapes in every view: a description holding
a line break, "::error" or a terminal colour sequence stays on one line, inert, in the
plan's text and Markdown alike, and JSON keeps the exact value."""

from __future__ import annotations

from tests.plan.support import PLAN_STACK, plan, plan_json

# HCL escapes in the head's description: a line break before a runner command, and ESC.
DESCRIPTION = "One ticket\\n::error::forged\\nsolved\\u001b[31m red\\u202e"
SHOWN = '"One ticket\\n::error::forged\\nsolved\\u001b[31m red\\u202e"'


def _stacks(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    head = dict(PLAN_STACK)
    head["main.hcl"] = head["main.hcl"].replace(
        'unit "ticket" {}', f'unit "ticket" {{\n  description = "{DESCRIPTION}"\n}}'
    )
    assert head["main.hcl"] != PLAN_STACK["main.hcl"]
    write_stack(head, "stack")


def test_a_changed_description_is_one_escaped_line_in_text_and_markdown(write_stack) -> None:
    _stacks(write_stack)
    text = plan(["stack", "--base-dir", "base"])
    assert text.code == 0, text.stderr
    (line,) = [ln for ln in text.stdout.splitlines() if "unit.ticket" in ln and "description" in ln]
    assert line == f"        ~ unit.ticket: description = null → {SHOWN}", line
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout
    assert not any(ln.lstrip().startswith("::") for ln in text.stdout.splitlines())

    markdown = plan(["stack", "--base-dir", "base", "-o", "markdown"])
    assert markdown.code == 0, markdown.stderr
    (row,) = [ln for ln in markdown.stdout.splitlines() if "`unit.ticket`" in ln]
    assert row == f"| 🔄 | `unit.ticket` | `description` | — | `{SHOWN}` |", row


def test_json_keeps_the_exact_description(write_stack) -> None:
    _stacks(write_stack)
    doc = plan_json(["stack", "--base-dir", "base"])
    (change,) = [c for c in doc["changes"] if c["address"] == "unit.ticket"]
    assert change["after"] == "One ticket\n::error::forged\nsolved\x1b[31m red\u202e"


def test_expression_text_over_several_lines_is_shown_on_one(write_stack) -> None:
    guardrail = (
        'guardrail "cheap" {\n  condition = (self.cogs >= 0 &&\n'
        '    self.cogs < 1000000)\n  message = "too dear"\n}\n'
    )
    before = guardrail.replace(" &&\n    self.cogs < 1000000", "")
    write_stack({**PLAN_STACK, "g.hcl": before}, "base")
    write_stack({**PLAN_STACK, "g.hcl": guardrail}, "stack")
    text = plan(["stack", "--base-dir", "base"])
    assert text.code == 0, text.stderr
    assert (
        "~ guardrail.cheap: condition = (self.cogs >= 0) → (self.cogs >= 0 && self.cogs < 1000000)"
        in text.stdout
    ), text.stdout
