"""Names from a configuration as code spans (render/code_span.py), and long result lists
folded and capped so the one result that blocks is never buried."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from infercost.render.code_span import MAX_LENGTH, code
from infercost.render.markdown import CAPS
from tests.guard.support import GUARD_STACK
from tests.helpers import code_spans, run_cli


@pytest.mark.parametrize(
    ("name", "span"),
    [
        ("support_assistant", "`support_assistant`"),
        ("a`b", "``a`b``"),  # the fence is longer than any backtick run inside
        ("`x", "`` `x ``"),  # padded: a span may not start with its fence character
        ("a``b`", "``` a``b` ```"),
        ("a|b", "`a\\|b`"),  # GFM splits table cells at an unescaped |
        ("a\\|b", "`a\\u005c\\|b`"),  # a backslash before | would escape the escape
        ("line\nbreak", "`line break`"),
        ("\u202eevil", "`\\u202eevil`"),  # bidirectional controls are shown, not obeyed
        ("", '`""`'),
    ],
)
def test_code_spans_cannot_break_out(name: str, span: str) -> None:
    assert code(name) == span


def test_outside_tables_a_pipe_needs_no_escape() -> None:
    assert code("a|b", table=False) == "`a|b`"


def test_a_long_name_is_cut_in_the_middle() -> None:
    span = code("x" * 5000)
    assert len(span) <= MAX_LENGTH + 2 and "…" in span


def test_the_span_round_trips_through_the_commonmark_rule() -> None:
    for name in ("a`b", "`x", "a``b`", "plain", "x ` y"):
        assert code_spans(code(name, table=False)) == [name]


UNDERWATER = """
guardrail "no_underwater" {
  scope     = "customer"
  condition = !self.underwater
}
"""


def test_fifty_passing_customers_do_not_bury_the_one_failing(
    write_stack: Callable[..., Path],
) -> None:
    rows = ["customer,subscription,feature,units", "whale,pro,chat,5000"]
    rows += [f"c{i:02},pro,chat,10" for i in range(60)]
    stack = write_stack(
        {**GUARD_STACK, "usage.csv": "\n".join(rows) + "\n", "guardrails.hcl": UNDERWATER}
    )
    code_, md, _ = run_cli(["check", str(stack), "-o", "markdown"])
    assert code_ == 2
    blocking = md.index("##### ❌ Blocking")
    # 61 passes: the 60 small customers and chat's own target margin.
    passed = md.index("<details><summary>✅ Passed (61)</summary>")
    assert blocking < passed
    assert '| `customer["whale"]` | `no_underwater` |' in md[blocking:passed]
    shown = re.findall(r"^\| `(?:customer|feature)", md[passed:], flags=re.M)
    assert len(shown) == CAPS["pass"] == 25
    assert f"… and {61 - 25} more, not shown here" in md[passed:]
    assert md[passed:].index("</details>") > md[passed:].index("more, not shown here")
