"""``infercost init`` (SPEC §14): a new stack that validates, prices and checks as written,
in the ``fmt`` layout, with its price sheet imported exactly as ``prices import`` does."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from infercost.app.fmt import formatted
from infercost.config.loader import display_path
from infercost.prices.genai import data_version
from tests.helpers import run_cli

AT = "2026-11-01"
FILES = ("infercost.hcl", "prices.hcl", "workflows.hcl", "usage.csv")


def _init(directory: Path, *models: str) -> tuple[int, str, str]:
    argv = ["init", str(directory), "--at", AT]
    for model in models:
        argv += ["--model", model]
    return run_cli(argv)


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    directory = tmp_path / "new-stack"
    code, _, _ = _init(directory, "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku")
    assert code == 0
    return directory


def test_files_golden(stack: Path, assert_golden) -> None:
    assert sorted(p.name for p in stack.iterdir()) == sorted(FILES)
    for name in FILES:
        text = (stack / name).read_text(encoding="utf-8")
        # The header names the installed data's version, which a fresh install may raise
        # (the prices "as of" a date stay those of the date): the golden holds neither.
        version = f"genai-prices {data_version()},"
        assert name != "prices.hcl" or version in text
        assert_golden(f"init/{name}.txt", text.replace(version, "genai-prices <version>,"))


def test_price_sheet_is_what_prices_import_writes(stack: Path) -> None:
    code, out, _ = run_cli(
        ["prices", "import", "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "--at", AT]
    )
    assert code == 0
    assert (stack / "prices.hcl").read_text(encoding="utf-8") == out
    assert out.startswith("# Imported with `infercost prices import` from genai-prices")
    assert f"prices as of {AT}" in out.splitlines()[0]


def test_text_names_the_files_and_next_commands(tmp_path: Path) -> None:
    code, out, err = _init(tmp_path / "s", "openai/gpt-4o-mini")
    assert code == 0
    # Messages show paths as the user would type them (relative when shorter).
    assert out.splitlines()[0] == f"Wrote a new stack in {display_path(tmp_path / 's')}:"
    for name in FILES:
        assert f"  {display_path(tmp_path / 's' / name)}\n" in out
    assert f"  infercost check {display_path(tmp_path / 's')}\n" in out
    assert "Warning: Prices not imported" in err  # the import's warnings, on stderr


def test_validate_breakdown_check_pass(stack: Path) -> None:
    code, out, err = run_cli(["validate", str(stack)])
    assert (code, err) == (0, ""), err
    assert out.startswith("Success!")
    code, out, err = run_cli(["check", str(stack)])
    assert code == 0, out + err


def test_breakdown_figures(stack: Path) -> None:
    # gpt-4o-mini: 1000 input tokens at 0.15/Mtok + 300 output tokens at 0.60/Mtok.
    cost = Decimal(1000) * Decimal("0.15") / 10**6 + Decimal(300) * Decimal("0.60") / 10**6
    assert cost == Decimal("0.00033")
    # Revenue leaves a 75% margin, rounded up to two significant digits: 0.00132 -> 0.0014.
    assert "revenue_per_unit = 0.0014\n" in (stack / "workflows.hcl").read_text()
    code, out, err = run_cli(["breakdown", str(stack)])
    assert code == 0, err
    cogs = cost * 10_000  # usage.csv: 10000 units of feature "main"
    assert f"{cogs:.2f}" in out  # 3.30
    assert "14.00" in out  # revenue: 10000 x 0.0014


def test_fmt_layout(stack: Path) -> None:
    for name in ("infercost.hcl", "prices.hcl", "workflows.hcl"):
        text = (stack / name).read_text(encoding="utf-8")
        assert formatted(text, name) == text
    code, out, _ = run_cli(["fmt", "--check", str(stack)])
    assert (code, out) == (0, "")


def test_unknown_model_writes_nothing(tmp_path: Path) -> None:
    code, out, err = _init(tmp_path / "s", "openai/gpt-4o-mini", "openai/gpt-4o-mnii")
    assert code == 1
    assert out == ""
    assert 'genai-prices has no model "gpt-4o-mnii" for provider "openai". ' in err
    assert 'Did you mean "gpt-4o-mini"?' in err
    assert not (tmp_path / "s").exists()


def test_no_model_is_an_error(tmp_path: Path) -> None:
    code, _, err = run_cli(["init", str(tmp_path / "s")])
    assert code == 1
    assert "Error: No models" in err
    assert not (tmp_path / "s").exists()


def test_refuses_an_existing_stack(stack: Path) -> None:
    before = {p.name: p.read_bytes() for p in stack.iterdir()}
    code, out, err = _init(stack, "openai/gpt-4o-mini")
    assert (code, out) == (1, "")
    assert "Error: Stack already exists" in err
    assert f"on {display_path(stack / 'infercost.hcl')} line 1:" in err
    assert "wrote nothing" in err
    assert {p.name: p.read_bytes() for p in stack.iterdir()} == before


def test_refuses_any_hcl_file(tmp_path: Path) -> None:
    (tmp_path / "other.hcl").write_text("# mine\n", encoding="utf-8")
    code, _, err = _init(tmp_path, "openai/gpt-4o-mini")
    assert code == 1
    assert f"on {display_path(tmp_path / 'other.hcl')} line 1:" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.hcl"]


def test_empty_directory_is_fine(tmp_path: Path) -> None:
    code, _, _ = _init(tmp_path, "openai/gpt-4o-mini")
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
