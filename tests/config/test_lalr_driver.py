"""The HCL adapter's own LALR loop builds exactly lark's tree, token for token.

``infercost.config.hcl._Driver`` replaces lark's parse loop and python-hcl2's post-lexer
for speed; the tree must not differ in any node, token type, text or position, and
invalid input must still fail with lark's own error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.config import hcl
from infercost.errors import InfercostError

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*(REPO / "examples").rglob("*.hcl"), *(REPO / "infercost").rglob("*.hcl")])

TRICKY = [
    "",
    "\n\n# only a comment\n",
    "a = 1",
    "a = 1 +\n  2\n",
    "a = 1\n  + 2\n",  # a newline merged into the operator that follows it
    "a = x\n  ? 1\n  : 2\n",
    "a = 1 // comment\nb = -2\n",
    "a = 1 /* block\ncomment */ * 3\n",
    'a = "x ${var.y} z ${f(1, [2], {k = 3})}"\n',
    'a = "esc \\" \\n $${not} %%{no}"\n',
    'b "l1" "l2" {\n  c {\n    d = [1,\n      2,\n    ]\n  }\n}\n',
    "a = (1 + 2) * -3 % 4 >= 5 && !true || null == false\n",
    "a = x.y[0].z\nb = x[\"k\"]\n",
    "a = { \"k\" = 1, k2: 2 }\n",
    "a = <<EOT\nheredoc\nEOT\n",
    "a = [for x in y : x]\n",
    "a = y[*].z\n",
]


TOKEN_FIELDS = ("type", "value", "start_pos", "end_pos", "line", "column", "end_line", "end_column")


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a).__name__ == "Token":
        return all(getattr(a, f) == getattr(b, f) for f in TOKEN_FIELDS)
    if type(a).__name__ == "Tree":
        return (
            a.data == b.data
            and len(a.children) == len(b.children)
            and all(same(x, y) for x, y in zip(a.children, b.children, strict=True))
        )
    return bool(a == b)


def both(text: str) -> tuple[Any, Any]:
    driver = hcl._driver()
    assert driver is not None, "the fast loop is not in use with this lark"
    lark_tree = hcl._parser().parse(text)
    return driver.parse(text), lark_tree


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_file_parses_to_lark_s_tree(path: Path) -> None:
    ours, theirs = both(path.read_text(encoding="utf-8") + "\n")
    assert same(ours, theirs)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_parse_to_lark_s_tree(text: str) -> None:
    ours, theirs = both(text + "\n")
    assert same(ours, theirs)


PIECES = ["a", " ", "=", "1", "\n", "+", "-", "*", "?", ":", '"', "${", "}", "{", "[", "]",
          ",", "(", ")", "#c\n", "// c\n", "/*c*/", "b", ".", "==", "&&", "!",
          'x "y" ']  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25))
def test_any_text_gives_lark_s_tree_or_lark_s_error(pieces: list[str]) -> None:
    text = "".join(pieces) + "\n"
    try:
        theirs = hcl._parser().parse(text)
    except Exception as exc:  # lark's error: the adapter must raise the same diagnostic
        with pytest.raises(InfercostError) as caught:
            hcl._parse("".join(pieces), "f.hcl")
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.range is not None
        assert (diagnostic.range.start.line, diagnostic.range.start.column) == (
            getattr(exc, "line", 1) or 1,
            getattr(exc, "column", 1) or 1,
        )
        return
    driver = hcl._driver()
    assert driver is not None
    assert same(driver.parse(text), theirs)
