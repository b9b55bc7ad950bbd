"""The tables' parser builds exactly lark's tree, token for token, or lark's own error.

``infercost.config.lalr.Parser`` runs the parse table, per-state tokenizers and
tree-shaping rules that ``infercost.config.hcl`` reads out of lark's parser, in place of
lark's lexer, python-hcl2's post-lexer and lark's parse loop. The tree must not differ
in any node, token type, text or position from lark's, on every HCL file in the
repository, on files the benchmark generator writes and on generated text; and text it
rejects must fail with lark's own error.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.config import hcl
from infercost.config.lalr import Node, Reject, Tok
from infercost.errors import InfercostError

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in REPO.rglob("*.hcl") if ".git" not in p.relative_to(REPO).parts)

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
    'a = x.y[0].z\nb = x["k"]\n',
    'a = { "k" = 1, k2: 2 }\n',
    "a = <<EOT\nheredoc\nEOT\n",
    "a = <<-EOT\n  heredoc\n  EOT\n",
    "a = [for x in y : x]\n",
    "a = {for k, v in y : k => v if v}\n",
    "a = y[*].z\nb = y.*.z\n",
    "a = x - 1\nb = x -1\nc = x-1\n",  # MINUS, not a negative literal, after a value
    "in = 1\nfor = 2\nif { x = 1 }\nfor_each = [in]\n",  # keywords as names
    "a = { in = 1, for = 2 }\nb = {\n  in = 1\n  if = 2\n}\n",
    "a = 1.5e3\nb = -0.25\nc = 1E-2\nd = 07\n",
    'a = "%{ if x }y%{ else }z%{ endif }"\n',
    'a = "${x}${y}"\nb = ""\n',
    "a = f(1, 2...)\nb = provider::p::f(1)\n",
    "a = 1\r\nb {\r\n  c = 2\r\n}\r\n",
    "a = x.0\nb = x.1.y\n",
]


TOKEN_FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")


def same(ours: Any, theirs: Any) -> bool:
    """A Node/Tok tree equals lark's Tree/Token tree, field by field."""
    if isinstance(ours, Tok):
        return type(theirs).__name__ == "Token" and all(
            getattr(ours, f) == getattr(theirs, f) for f in TOKEN_FIELDS
        )
    if isinstance(ours, Node):
        return (
            type(theirs).__name__ == "Tree"
            and ours.data == theirs.data
            and len(ours.children) == len(theirs.children)
            and all(same(x, y) for x, y in zip(ours.children, theirs.children, strict=True))
        )
    return False


def fast_parse(text: str) -> Node:
    fast = hcl._fast()
    assert fast is not None, "the tables are not in use with this lark"
    return fast.parse(text)


def check_same_outcome(text: str) -> None:
    """lark's tree and ours are the same, or lark's error is the adapter's diagnostic."""
    try:
        theirs = hcl._parser().parse(text + "\n")
    except Exception as exc:
        with pytest.raises(Reject):
            fast_parse(text + "\n")
        with pytest.raises(InfercostError) as caught:
            hcl._parse(text, "f.hcl")
        assert list(caught.value.diagnostics) == [hcl._syntax_diagnostic(exc, "f.hcl")]  # type: ignore[arg-type]
        return
    assert same(fast_parse(text + "\n"), theirs)


def generated_stack_files() -> list[str]:
    """A few files as the benchmark generator writes them (prices, features, a stack)."""
    spec = importlib.util.spec_from_file_location("_bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen  # dataclasses look their module up while being made
    try:
        spec.loader.exec_module(gen)
        rng = random.Random("lalr-tables")
        sheets = gen.build_sheets()
        features = gen.build_features(rng, sheets, 12, 48)
        subscriptions = gen.build_subscriptions(rng, features, 3)
        return [
            gen.render_prices(sheets),
            *(gen.render_feature_file(f) for f in features),
            gen.render_stack_file(subscriptions, "usage.csv"),
        ]
    finally:
        del sys.modules[spec.name]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_hcl_file_in_the_repository_parses_to_lark_s_tree(path: Path) -> None:
    check_same_outcome(path.read_text(encoding="utf-8"))


def test_the_benchmark_s_generated_files_parse_to_lark_s_trees() -> None:
    texts = generated_stack_files()
    assert len(texts) == 14
    for text in texts:
        assert same(fast_parse(text + "\n"), hcl._parser().parse(text + "\n"))


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_parse_to_lark_s_tree_or_error(text: str) -> None:
    check_same_outcome(text)


PIECES = ["a", " ", "=", "1", "\n", "+", "-", "*", "?", ":", '"', "${", "}", "{", "[", "]",
          ",", "(", ")", "#c\n", "// c\n", "/*c*/", "b", ".", "==", "&&", "!",
          'x "y" ', "in", "for", "if", "=>", "...", "2.5", "-3", "%{", "<<E\nx\nE\n",
          "\\", "$", "%", "\t", "\r\n", "true", "null", "<=", "/", "~"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_text_gives_lark_s_tree_or_lark_s_error(pieces: list[str]) -> None:
    check_same_outcome("".join(pieces))


# -- valid HCL, generated: every construct the grammar has, spaced and broken at random --
NAMES = st.sampled_from(["a", "b_2", "x-y", "_z", "in", "for", "if", "true", "null", "endif"])
GAP = st.sampled_from(["", " ", "  ", "\n", " # c\n", " /* c */ "])
NUMBERS = st.sampled_from(["0", "1", "42", "-7", "3.25", "1e3", "-0.5E-2", "12.0"])
STRING_BODIES = st.lists(
    st.sampled_from(["txt", " ", "\\n", '\\"', "$${x}", "%%{y}", "$", "%", "ü", "a-b"]),
    max_size=4,
)
OPS = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"])


def _exprs(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["", "\n"]), OPS, GAP, inner).map(
            lambda t: f"{t[0]} {t[1]}{t[2]}{t[3]} {t[4]}" if t[1] else f"{t[0]} {t[2]}{t[3]} {t[4]}"
        ),
        st.tuples(st.sampled_from(["-", "!"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        inner.map(lambda e: f"({e})"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(NAMES, st.sampled_from([" = ", ": "]), inner), max_size=3).map(
            lambda kvs: "{" + "\n".join(f"{k}{sep}{v}" for k, sep, v in kvs) + "}"
        ),
        st.tuples(NAMES, st.lists(inner, max_size=3)).map(
            lambda t: f"f_{t[0]}(" + ", ".join(t[1]) + ")"
        ),
        st.tuples(inner, NAMES).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(STRING_BODIES, inner).map(lambda t: '"' + "".join(t[0]) + "${" + t[1] + '}"'),
    )


EXPRS = st.recursive(
    st.one_of(
        NUMBERS, NAMES.map(lambda n: "v_" + n), STRING_BODIES.map(lambda p: f'"{"".join(p)}"')
    ),
    _exprs,
    max_leaves=8,
)


def _bodies(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    block = st.tuples(NAMES, st.lists(st.sampled_from(['"l"', "m", '"x y"']), max_size=2), inner)
    return st.lists(
        st.one_of(
            st.tuples(NAMES, EXPRS).map(lambda t: f"{t[0]} = {t[1]}"),
            block.map(lambda t: f"{t[0]} {' '.join(t[1])} {{\n{t[2]}\n}}"),
        ),
        max_size=4,
    ).map(lambda items: "\n".join(items))


BODIES = st.recursive(
    st.tuples(NAMES, EXPRS).map(lambda t: f"{t[0]} = {t[1]}"), _bodies, max_leaves=6
)


@settings(max_examples=300, deadline=None)
@given(BODIES, GAP)
def test_generated_hcl_parses_to_lark_s_tree(body: str, gap: str) -> None:
    check_same_outcome(gap + body)


def test_text_the_tables_reject_but_lark_accepts_still_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A safety net: if the tables ever disagreed, lark's tree is used, converted."""
    text = 'a = 1 + f(x.y, [2])\nb "l" {\n  c = "s${d}"\n}\n'
    expected = fast_parse(text + "\n")

    def reject(self: Any, text: str) -> Node:
        raise Reject(0)

    monkeypatch.setattr(type(hcl._fast()), "parse", reject)
    assert hcl._lalr_parse(text + "\n", "f.hcl") == expected
    assert hcl._parse(text, "f.hcl").body.attributes["a"].expr.text == "1 + f(x.y, [2])"


def test_valid_text_does_not_load_lark_and_invalid_text_does() -> None:
    code = (
        "import sys\n"
        "from infercost.config.hcl import parse_text\n"
        "from infercost.errors import InfercostError\n"
        "parse_text('a = 1\\nb \"l\" {\\n  c = [2]\\n}\\n', 'ok.hcl')\n"
        "print('lark' in sys.modules)\n"
        "try:\n"
        "    parse_text('a = = 1\\n', 'bad.hcl')\n"
        "except InfercostError as exc:\n"
        "    print(exc.diagnostics[0].range.start.column)\n"
        "print('lark' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "5", "True"]
