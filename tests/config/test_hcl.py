"""The python-hcl2 adapter: neutral tree, source ranges, and what python-hcl2 lets through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.errors import InfercostError
from tests.helpers import hcl, loc, only_error, validate_json, where


def parse_error(text: str, filename: str = "f.hcl") -> tuple[str, str, tuple[str, int, int]]:
    with pytest.raises(InfercostError) as caught:
        parse_text(hcl(text), filename)
    (d,) = caught.value.diagnostics
    return d.summary, d.detail, where(d)


# -- the neutral tree -----------------------------------------------------------------------


def test_blocks_attributes_and_ranges() -> None:
    f = parse_text(hcl('''
        unit "x" {
          description = "a ${var.b} c"
        }
        '''), "f.hcl")  # fmt: skip
    (block,) = f.body.blocks
    assert (block.type, block.labels, block.header) == ("unit", ("x",), 'unit "x"')
    assert (block.type_range.start.line, block.type_range.start.column) == (1, 1)
    assert (block.label_ranges[0].start.line, block.label_ranges[0].start.column) == (1, 6)
    assert (block.range.end.line, block.range.end.column) == (3, 2)
    attr = block.body.attributes["description"]
    assert (attr.name_range.start.line, attr.name_range.start.column) == (2, 3)
    assert attr.expr.text == '"a ${var.b} c"'
    assert isinstance(attr.expr, s.Template)
    first, middle, last = attr.expr.parts
    assert (first, last) == ("a ", " c")
    assert isinstance(middle, s.GetAttr) and middle.text == "var.b" and middle.name == "b"


def test_number_literals_keep_their_source_text() -> None:
    # python-hcl2's loads() would give binary floats; the adapter keeps the literal text.
    f = parse_text("a = 2.50\nb = 0.1\nc = 1e3\nd = 1000000\n", "f.hcl")
    texts = {name: attr.expr.text for name, attr in f.body.attributes.items()}
    assert texts == {"a": "2.50", "b": "0.1", "c": "1e3", "d": "1000000"}
    assert all(isinstance(a.expr, s.Number) for a in f.body.attributes.values())


def test_expression_text_and_parentheses() -> None:
    f = parse_text("a = (1 + 2) * 3\nb = between(2, 5)\nc = x > 1 ? 1 : 2\n", "f.hcl")
    a = f.body.attributes["a"].expr
    assert isinstance(a, s.Binary) and a.op == "*" and a.text == "(1 + 2) * 3"
    assert isinstance(a.left, s.Binary) and a.left.op == "+" and a.left.text == "(1 + 2)"
    b = f.body.attributes["b"].expr
    assert isinstance(b, s.Call) and b.name == "between" and b.text == "between(2, 5)"
    assert [arg.text for arg in b.args] == ["2", "5"]
    assert isinstance(f.body.attributes["c"].expr, s.Conditional)


def test_objects_lists_and_string_keys() -> None:
    f = parse_text('a = { k = 1, "q" = 2 }\nb = [1, 2, 3]\n', "f.hcl")
    obj = f.body.attributes["a"].expr
    assert isinstance(obj, s.ObjectExpr)
    assert [item.key for item in obj.items] == ["k", "q"]
    lst = f.body.attributes["b"].expr
    assert isinstance(lst, s.TupleExpr) and [i.text for i in lst.items] == ["1", "2", "3"]


def test_labels_may_hold_dots_and_dashes() -> None:
    f = parse_text('model "claude-3.5-sonnet" {}\n', "f.hcl")
    assert f.body.blocks[0].labels == ("claude-3.5-sonnet",)


def test_comments_are_ignored() -> None:
    f = parse_text(hcl('''
        # a comment
        a = 1 // another
        /* block */ b = 2
        '''), "f.hcl")  # fmt: skip
    assert set(f.body.attributes) == {"a", "b"}


def test_string_escapes() -> None:
    f = parse_text('a = "tab\\there \\"q\\" \\u00e9"\n', "f.hcl")
    expr = f.body.attributes["a"].expr
    assert isinstance(expr, s.Template)
    assert expr.parts == ('tab\there "q" é',)


# -- what python-hcl2 silently accepts ------------------------------------------------------


def test_syntax_error_is_located() -> None:
    summary, detail, at = parse_error('''
        unit "x" {
          description =
        }
        ''')  # fmt: skip
    assert summary == "Invalid syntax"
    assert detail.startswith("Unexpected new line.")
    assert "Expected" in detail
    assert at == ("f.hcl", 2, 16)


def test_syntax_error_at_end_of_file() -> None:
    summary, detail, at = parse_error('unit "x" {\n  a = 1\n')
    assert summary == "Invalid syntax"
    assert detail == "The file ended before a block or expression was closed." or detail.startswith(
        "Unexpected end of file."
    )
    assert at[0] == "f.hcl" and at[1] == 3


def test_syntax_error_names_the_character() -> None:
    summary, detail, at = parse_error("a = @\n")
    assert summary == "Invalid syntax"
    assert detail.startswith("Unexpected '@'.")
    assert at == ("f.hcl", 1, 5)


def test_duplicate_attribute() -> None:
    summary, detail, at = parse_error('''
        unit "x" {
          description = "one"
          description = "two"
        }
        ''')  # fmt: skip
    assert summary == "Duplicate argument"
    assert 'The argument "description" was already set at line 2' in detail
    assert at == ("f.hcl", 3, 3)


def test_duplicate_block_in_one_file() -> None:
    summary, detail, at = parse_error('unit "x" {}\n\nunit "x" {}\n')
    assert summary == "Duplicate block"
    assert detail == 'unit "x" was already declared at line 1.'
    assert at == ("f.hcl", 3, 6)


def test_duplicate_nested_block() -> None:
    summary, detail, at = parse_error('''
        price_sheet "p" {
          model "m" { input_per_mtok = 1 }
          model "m" { input_per_mtok = 2 }
        }
        ''')  # fmt: skip
    assert summary == "Duplicate block"
    assert 'model "m" was already declared at line 2' in detail
    assert at == ("f.hcl", 3, 9)


def test_attribute_shadowing_a_block() -> None:
    summary, detail, at = parse_error('''
        workflow "w" {
          step "a" { uses = "p/m" }
          step = 1
        }
        ''')  # fmt: skip
    assert summary == "Attribute shadows a block"
    assert '"step" is set as an argument and also declared as a block at line 2' in detail
    assert at == ("f.hcl", 3, 3)


def test_duplicate_object_key() -> None:
    summary, detail, at = parse_error("a = { k = 1, k = 2 }\n")
    assert summary == "Duplicate object key"
    assert 'The key "k" was already set at line 1' in detail
    assert at == ("f.hcl", 1, 14)


@pytest.mark.parametrize(
    ("source", "line", "said"),
    [
        ("a = [for x in [1] : x]\n", 1, "A for expression is not supported"),
        ('a = { for k in ["x"] : k => 1 }\n', 1, "A for expression is not supported"),
        ("b = 1\na = <<EOT\nx\nEOT\n", 2, "A heredoc string is not supported"),
        ("a = <<-EOT\n  x\n  EOT\n", 1, "A heredoc string is not supported"),
        ("a = [{ b = 1 }][*].b\n", 1, "A splat expression is not supported"),
        ("a = [1].*\n", 1, "A splat expression is not supported"),
        ('a = "%{ if true }x%{ endif }"\n', 1, "Template directives (%{ ... }) are not"),
    ],
)
def test_unsupported_expressions_are_errors(source: str, line: int, said: str) -> None:
    # docs/language.md lists these as the HCL that infercost files do not take.
    summary, detail, at = parse_error(source)
    assert summary == "Unsupported expression"
    assert said in detail
    assert at[:2] == ("f.hcl", line)


def test_invalid_escape() -> None:
    summary, detail, _ = parse_error('a = "x\\qy"\n')
    assert summary == "Invalid escape sequence"
    assert "\\q" in detail


# -- through the CLI ------------------------------------------------------------------------


def test_syntax_error_through_validate(write_stack) -> None:
    stack = write_stack({"extra.hcl": 'unit "x" {\n  description =\n}\n'}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Invalid syntax"
    assert d["detail"].startswith("Unexpected new line.")
    assert loc(d) == ("stack/extra.hcl", 2, 16)


def test_duplicate_attribute_through_validate(write_stack) -> None:
    main = """
        unit "ticket" {}
        workflow "answer" {
          step "draft" {
            uses = "openai/gpt-4o"
          }
        }
        feature "chat" {
          unit             = unit.ticket
          workflow         = workflow.answer
          revenue_per_unit = 0.4
          revenue_per_unit = 0.5
        }
        """
    stack = write_stack({"main.hcl": main}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Duplicate argument"
    assert 'The argument "revenue_per_unit" was already set at line 10' in d["detail"]
    assert loc(d) == ("stack/main.hcl", 11, 3)


def test_duplicate_block_in_one_file_through_validate(write_stack) -> None:
    stack = write_stack({"extra.hcl": 'unit "u" {}\nunit "u" {}\n'}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Duplicate block"
    assert d["detail"] == 'unit "u" was already declared at line 1.'
    assert loc(d) == ("stack/extra.hcl", 2, 6)


# -- the grammar cache ----------------------------------------------------------------------


def test_grammar_cache_goes_to_the_chosen_directory(tmp_path: Path) -> None:
    import hcl2

    cache_dir = tmp_path / "cache"
    env = {**os.environ, "INFERCOST_CACHE_DIR": str(cache_dir)}
    code = (
        "from infercost.config.hcl import parse_text, _cache_file\n"
        "parse_text('a = 1', 'x.hcl')\n"
        "print(_cache_file())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    cache_file = Path(done.stdout.strip())
    assert cache_file.parent == cache_dir
    assert cache_file.is_file() and cache_file.stat().st_size > 0
    assert [p.name for p in cache_dir.iterdir()] == [cache_file.name]
    assert cache_file.name.endswith(".parser")
    site = Path(hcl2.__file__).resolve().parent
    assert site not in cache_file.resolve().parents


def test_cache_file_follows_the_environment(tmp_path: Path, monkeypatch) -> None:
    from infercost.config.hcl import _cache_file

    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(tmp_path / "here"))
    assert Path(_cache_file()).parent == tmp_path / "here"


def test_a_cache_others_could_write_is_never_loaded(tmp_path: Path, monkeypatch) -> None:
    """lark's cache is a pickle: loading one another user wrote would run their code."""
    from infercost.config.hcl import _cache_file

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    own = tmp_path / "own"
    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(own))
    assert Path(_cache_file()).parent == own / "infercost"  # the shared one is skipped
    assert (own / "infercost").stat().st_mode & 0o777 == 0o700

    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(mine))
    planted = Path(_cache_file())
    planted.symlink_to(tmp_path / "elsewhere")  # a link planted where the cache goes
    assert Path(_cache_file()).parent == own / "infercost"
    planted.unlink()
    planted.write_bytes(b"x")
    planted.chmod(0o666)
    assert Path(_cache_file()).parent == own / "infercost"


@pytest.mark.parametrize(("char", "shown"), [("\f", "'\\x0c'"), ("\v", "'\\x0b'")])
def test_a_form_feed_or_vertical_tab_is_named_not_called_a_new_line(char: str, shown: str) -> None:
    # Both are blank to Python's str.strip, so the error said "Unexpected new line".
    summary, detail, at = parse_error(f"locals {{\n  a = 1{char}\n}}\n")
    assert summary == "Invalid syntax"
    assert detail.startswith(f"Unexpected {shown}.")
    assert at[:2] == ("f.hcl", 2)
