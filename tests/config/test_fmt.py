"""``infercost fmt``: the layout ``terraform fmt`` gives, with every comment kept."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.config.fmt import format_text
from infercost.config.lexer import Kind, tokenize
from infercost.errors import InfercostError, SourceRange
from infercost.evaluate.values import Distribution
from infercost.model import SourceText
from tests.helpers import REPO, load, run_cli

HERE = Path(__file__).resolve().parent / "fmt"


def _every_hcl_file() -> list[Path]:
    skip = {".git", ".venv", ".venv-ci", "build", "dist", "node_modules"}
    found = []
    for path in sorted(REPO.rglob("*.hcl")):
        if skip.isdisjoint(path.relative_to(REPO).parts):
            found.append(path)
    return found


@pytest.mark.parametrize("name", ["messy.hcl", "expressions.hcl"])
def test_golden_layout(assert_golden: Callable[[str, str], None], name: str) -> None:
    text = (HERE / name).read_text(encoding="utf-8")
    assert_golden(f"fmt/{name}", format_text(text))


def test_layout_by_hand() -> None:
    text = 'feature   "chat"{\nunit=unit.t # u\n  revenue_per_unit   =   0.4 # r\n\n\n\n}'
    assert format_text(text) == (
        'feature "chat" {\n  unit             = unit.t # u\n  revenue_per_unit = 0.4    # r\n\n}\n'
    )


def test_multi_line_value_breaks_the_alignment_run() -> None:
    text = "locals {\na = 1\nlonger_name = {\nb = 2\n}\nc = 3\n}\n"
    assert format_text(text) == (
        "locals {\n  a = 1\n  longer_name = {\n    b = 2\n  }\n  c = 3\n}\n"
    )


def test_comments_are_all_kept() -> None:
    text = (HERE / "messy.hcl").read_text(encoding="utf-8")
    before = [t.text.rstrip() for t in tokenize(text) if t.kind == Kind.COMMENT]
    after = [t.text for t in tokenize(format_text(text)) if t.kind == Kind.COMMENT]
    assert before == after and len(before) == 6


def test_strings_are_copied_unchanged() -> None:
    text = 'locals {\n  a = "  two  spaces ${ "x" }  "\n}\n'
    assert format_text(text) == text


def test_unclosed_string_is_a_located_error() -> None:
    with pytest.raises(InfercostError) as caught:
        format_text('locals {\n  a = "open\n}\n', "bad.hcl")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.range == SourceRange.point("bad.hcl", 2, 7)


@pytest.mark.parametrize("path", _every_hcl_file(), ids=lambda p: str(p.relative_to(REPO)))
def test_idempotent_on_every_file_of_the_repository(path: Path) -> None:
    try:
        once = format_text(path.read_text(encoding="utf-8"))
    except InfercostError:
        return  # a fixture that is not HCL on purpose: nothing to format
    assert format_text(once) == once


def test_the_repository_is_formatted() -> None:
    result = run_cli(["fmt", "--check", *map(str, _every_hcl_file())])
    differ = [line for line in result.stdout.splitlines() if "tests/config/fmt" not in line]
    assert differ == []


# --- the command ------------------------------------------------------------------------


def test_check_lists_files_and_exits_3_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("stack").mkdir()
    Path("stack/good.hcl").write_text('unit "a" {}\n', encoding="utf-8")
    Path("stack/bad.hcl").write_text('unit   "b" {}', encoding="utf-8")
    result = run_cli(["fmt", "stack", "--check"])
    assert (result.code, result.stdout, result.stderr) == (3, "stack/bad.hcl\n", "")
    assert Path("stack/bad.hcl").read_text(encoding="utf-8") == 'unit   "b" {}'

    result = run_cli(["fmt", "stack"])
    assert (result.code, result.stdout) == (0, "stack/bad.hcl\n")
    assert Path("stack/bad.hcl").read_text(encoding="utf-8") == 'unit "b" {}\n'
    assert run_cli(["fmt", "--check", "stack"]) == (0, "", "")


def test_invalid_file_is_an_error_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.hcl").write_text("unit  {{\n", encoding="utf-8")
    result = run_cli(["fmt", "x.hcl"])
    assert result.code == 1
    assert "Error: Invalid syntax" in result.stderr and "on x.hcl line 1" in result.stderr
    assert Path("x.hcl").read_text(encoding="utf-8") == "unit  {{\n"
    assert run_cli(["fmt", "missing"]).code == 1


# --- generated stacks -------------------------------------------------------------------

_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_NUMBERS = st.decimals(min_value=0, max_value=1000, places=2).map(str)
_GAPS = st.sampled_from(["", " ", "  ", "\t"])
_BREAKS = st.sampled_from(["\n", "\n\n", "\n\n\n", " # note\n", "  // c\n", "\n  \n"])


def _tight(draw: st.DrawFn, *parts: str) -> str:
    """Tokens joined with random gaps (a gap may be empty only where HCL allows)."""
    out = parts[0]
    for part in parts[1:]:
        gap = draw(_GAPS)
        if (
            not gap
            and (out[-1].isalnum() or out[-1] in '_"')
            and (part[0].isalnum() or part[0] in '_"')
        ):
            gap = " "
        out += gap + part
    return out


@st.composite
def _stacks(draw: st.DrawFn) -> str:
    """A valid stack: a price sheet, a unit, a workflow of steps and a feature, laid out
    at random (spacing, blank lines, comments), numbers and names drawn."""
    models = draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))
    out = _tight(draw, "price_sheet", '"p"', "{") + draw(_BREAKS)
    for model in models:
        out += _tight(draw, "model", f'"{model}"', "{") + draw(_BREAKS)
        for attr in ("input_per_mtok", "output_per_mtok"):
            out += _tight(draw, attr, "=", draw(_NUMBERS)) + draw(_BREAKS)
        out += "}" + draw(_BREAKS)
    out += "}" + draw(_BREAKS)
    out += _tight(draw, "unit", '"u"', "{", "}") + draw(_BREAKS)
    out += _tight(draw, "workflow", '"w"', "{") + draw(_BREAKS)
    for index, model in enumerate(draw(st.lists(st.sampled_from(models), min_size=1, max_size=3))):
        low = draw(st.integers(1, 4))
        calls = draw(
            st.sampled_from(
                [str(low), f"between({low},{low + 2})", f"between( {low} , {low + 1} )"]
            )
        )
        out += _tight(draw, "step", f'"s{index}"', "{") + draw(_BREAKS)
        out += _tight(draw, "uses", "=", f'"p/{model}"') + draw(_BREAKS)
        out += _tight(draw, "calls", "=", calls) + draw(_BREAKS)
        tokens = draw(st.integers(0, 5000))
        out += _tight(draw, "input_tokens", "=", f"{tokens}", "+", "-1", "*", "0") + draw(_BREAKS)
        if draw(st.booleans()):
            one_line = _tight(draw, "output_tokens", "=", "max(", "1", ",", str(tokens), ")")
            out += one_line + draw(_BREAKS)
        out += "}" + draw(_BREAKS)
    out += "}" + draw(_BREAKS)
    out += _tight(draw, "feature", '"f"', "{") + draw(_BREAKS)
    out += _tight(draw, "unit", "=", "unit.u") + draw(_BREAKS)
    out += _tight(draw, "workflow", "=", "workflow.w") + draw(_BREAKS)
    out += _tight(draw, "revenue_per_unit", "=", draw(_NUMBERS)) + draw(_BREAKS)
    out += _tight(
        draw,
        "target_margin",
        "=",
        draw(st.sampled_from(["0.5", "0.6 + -0.1", "!false ? 0.2 : 0.3"])),
    )
    out += draw(_BREAKS) + "}" + draw(_BREAKS)
    if draw(st.booleans()):
        # a list spread over lines, with comments between its items
        inside = draw(st.sampled_from(["", "\n", " # first\n", "\n  // c\n"]))
        tail = draw(st.sampled_from(["", ",", ",\n", ", # last\n"]))
        out += _tight(draw, "subscription", '"s"', "{") + draw(_BREAKS)
        out += _tight(draw, "price", "=", draw(_NUMBERS)) + draw(_BREAKS)
        out += _tight(draw, "features", "=", "[") + inside + "feature.f" + tail + "]"
        out += draw(_BREAKS) + "}"
    return out + draw(st.sampled_from(["", "\n", "\n\n"]))


def _projection(value: Any) -> Any:
    """An evaluated stack without source positions; expression texts without spaces
    (a distribution's text is how it was written, and fmt only re-spaces it)."""
    if isinstance(value, SourceRange):
        return None
    if isinstance(value, Distribution):
        return (value.kind, value.params, re.sub(r"\s+", "", value.text))
    if isinstance(value, SourceText):
        return re.sub(r"\s+", "", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _projection(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("ranges", "range")
        }
    if isinstance(value, dict):
        return {k: _projection(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_projection(v) for v in value]
    if isinstance(value, Decimal):
        return value
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stacks())
def test_generated_stacks_format_idempotently_and_evaluate_the_same(text: str) -> None:
    once = format_text(text)
    assert format_text(once) == once
    assert not once.startswith("\n") and once.endswith("\n") and not once.endswith("\n\n")
    assert "\n\n\n" not in once
    assert all(line == line.rstrip() for line in once.splitlines())
    assert _projection(load({"main.hcl": once})) == _projection(load({"main.hcl": text}))


def test_a_stack_laid_out_again_plans_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import write_files
    from tests.plan.support import PLAN_STACK

    monkeypatch.chdir(tmp_path)
    squeezed = {
        name: text.replace("between(2, 5)", "between(2,5)").replace(" = ", "=")
        for name, text in PLAN_STACK.items()
    }
    write_files(Path("base"), squeezed)
    write_files(Path("head"), squeezed)
    assert run_cli(["fmt", "head"]).code == 0
    assert "between(2, 5)" in Path("head/main.hcl").read_text(encoding="utf-8")
    result = run_cli(["plan", "head", "--base-dir", "base", "--detailed-exitcode"])
    assert (result.code, result.stderr) == (0, ""), result.stdout
    assert "No changes." in result.stdout


def test_standard_input_to_standard_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('unit   "a" {}'))
    assert run_cli(["fmt", "-"]) == (0, 'unit "a" {}\n', "")
    monkeypatch.setattr("sys.stdin", io.StringIO('unit   "a" {}'))
    assert run_cli(["fmt", "--check", "-"]) == (3, "", "")
    monkeypatch.setattr("sys.stdin", io.StringIO('unit "a" {}\n'))
    assert run_cli(["fmt", "--check", "-"]) == (0, "", "")
    monkeypatch.setattr("sys.stdin", io.StringIO("unit {{"))
    result = run_cli(["fmt", "-"])
    assert result.code == 1 and "on <stdin> line 1" in result.stderr


def test_standard_input_comes_back_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    text = 'locals {\n  a = "tab\there, del\x7f, nel\x85"\n}\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert run_cli(["fmt", "-"]) == (0, text, "")
