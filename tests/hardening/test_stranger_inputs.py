"""Hostile inputs found by driving the commands of SPEC §15-§17 as a stranger's pull
request would: each is a located error with exit 1, never a traceback, never a read of
a file infercost must not read, never a runner command or markup from configuration."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.test_compare import STACK
from tests.helpers import run_cli


@pytest.fixture
def stack(write_stack) -> Path:
    folder: Path = write_stack(STACK)
    return folder


def test_compare_what_if_not_utf8_is_located(stack: Path) -> None:
    Path("bad.hcl").write_bytes(b"\xff\xfe workflow")
    result = run_cli(["compare", str(stack), "bad.hcl"])
    assert result.code == 1
    assert "Unexpected internal error" not in result.stderr
    assert "bad.hcl is not UTF-8 text (byte 1, line 1)" in result.stderr


def test_compare_never_reads_proc(stack: Path) -> None:
    result = run_cli(["compare", str(stack), "/proc/self/environ"])
    assert result.code == 1
    assert "system pseudo-file" in result.stderr
    assert "PATH=" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_compare_refuses_a_pipe_and_names_a_directory(stack: Path) -> None:
    os.mkfifo("pipe.hcl")
    result = run_cli(["compare", str(stack), "pipe.hcl"])
    assert result.code == 1
    assert "pipe.hcl is a named pipe" in result.stderr
    Path("folder").mkdir()
    result = run_cli(["compare", str(stack), "folder"])
    assert result.code == 1
    assert "folder is a directory" in result.stderr


# --- the project file (SPEC §17): it comes with the pull request, like a stack ---------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (a .git directory is enough to find its top) with one stack."""
    from tests.cli.test_projects import write_stack as write_project_stack

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_project_stack(repo / "stacks" / "alpha", "2", 1000)
    monkeypatch.chdir(repo)
    return repo


def write_project(repo: Path, text: str) -> None:
    (repo / "infercost.project.hcl").write_text(text, encoding="utf-8")


def test_project_usage_outside_the_repository_is_refused(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("token-abc123,x\n", encoding="utf-8")
    write_project(project, f'stack "alpha" {{\n  path = "stacks/alpha"\n  usage = "{secret}"\n}}\n')
    result = run_cli(["breakdown"])
    assert result.code == 1
    assert "Error: Path outside the repository" in result.stderr
    assert "infercost.project.hcl line 3" in result.stderr
    assert "token-abc123" not in result.stderr + result.stdout
    write_project(
        project, 'stack "alpha" {\n  path = "stacks/alpha"\n  usage = "../secret.csv"\n}\n'
    )
    result = run_cli(["breakdown"])
    assert result.code == 1
    assert "Error: Path outside the repository" in result.stderr


def test_project_policies_outside_the_repository_are_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.hcl"
    outside.write_text("root:x:0:0:secret\n", encoding="utf-8")
    write_project(project, f'stack "alpha" {{ path = "stacks/alpha" }}\npolicies = ["{outside}"]\n')
    result = run_cli(["check"])
    assert result.code == 1
    assert "Error: Path outside the repository" in result.stderr
    assert "infercost.project.hcl line 2" in result.stderr
    assert "root:x" not in result.stderr + result.stdout


def test_project_file_symlinked_outside_is_never_read(project: Path) -> None:
    (project / "infercost.project.hcl").symlink_to("/proc/self/environ")
    result = run_cli(["breakdown"])
    assert result.code == 1
    assert "Error: Path outside the repository" in result.stderr
    assert "PATH=" not in result.stderr


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("stacks/al\\u0000pha", "holds a control or text-direction character"),
        ("x" * 5000, "the system cannot use this path (File name too long)"),
        ("stacks/a\\n::error::x", "holds a control or text-direction character"),
        ("stacks/a\\u202e", "holds a control or text-direction character"),
    ],
    ids=["nul", "too-long", "newline", "bidi"],
)
def test_project_path_the_system_cannot_use_is_located(
    project: Path, path: str, reason: str
) -> None:
    write_project(project, f'stack "alpha" {{ path = "{path}" }}\n')
    result = run_cli(["breakdown"])
    assert result.code == 1
    assert "Unexpected internal error" not in result.stderr
    assert "Cannot write output" not in result.stderr
    assert "Error: Invalid path" in result.stderr
    assert "infercost.project.hcl line 1" in result.stderr
    assert 'stack "alpha": "path"' in result.stderr
    assert reason in result.stderr
    assert not any(line.startswith("::") for line in result.stderr.splitlines())


def test_project_usage_path_with_nul_is_located(project: Path) -> None:
    write_project(
        project, 'stack "alpha" {\n  path = "stacks/alpha"\n  usage = "u\\u0000.csv"\n}\n'
    )
    result = run_cli(["breakdown"])
    assert result.code == 1
    assert 'stack "alpha": "usage" holds a control or text-direction character' in result.stderr
    assert "infercost.project.hcl line 3" in result.stderr


def test_var_in_a_project_never_reads_a_device_named_hcl(project: Path) -> None:
    """--var looks for the stacks declaring it; a *.hcl symlink to /dev/zero (or a pipe)
    in a stack must not make that look-up read forever: the stack's run refuses it."""
    (project / "stacks" / "alpha" / "vars.hcl").write_text(
        'variable "rate" {\n  default = 1\n}\n', encoding="utf-8"
    )
    (project / "stacks" / "alpha" / "zero.hcl").symlink_to("/dev/zero")
    if hasattr(os, "mkfifo"):
        os.mkfifo(project / "stacks" / "alpha" / "pipe.hcl")
    write_project(project, 'stack "alpha" { path = "stacks/alpha" }\n')
    result = run_cli(["breakdown", "--var", "rate=1"])
    assert result.code == 1
    assert "Error: Not a regular file" in result.stderr


# --- names: a label with a line break or a text-direction control is not a name ---------


@pytest.mark.parametrize(
    ("block", "label"),
    [
        # "$" of a schema pattern also matches before a final newline
        ("feature", "chat\\n"),
        ("model", "gpt\\n::error::x"),
        ("model", "gpt-4o\\n"),
        ("meter", "read\\u202eunit"),
        ("meter", "read\\tunit"),
    ],
)
def test_names_with_control_characters_are_invalid(write_stack, block: str, label: str) -> None:
    if block == "feature":
        files = {"main.hcl": f'unit "u" {{}}\nfeature "{label}" {{\n  unit = unit.u\n}}\n'}
    else:
        files = {"prices.hcl": f'price_sheet "p" {{\n  {block} "{label}" {{\n  }}\n}}\n'}
    folder = write_stack(files)
    result = run_cli(["validate", str(folder)])
    assert result.code == 1
    assert "Error: Invalid name" in result.stderr
    # the label is quoted escaped: its message is one line, with no direction control
    detail = result.stderr.split("Error: Invalid name", 1)[1].split("\n\n")[2]
    assert "\n" not in detail
    assert "\u202e" not in detail
    assert "is not a valid" in detail


def test_a_model_name_may_hold_spaces_and_markup(write_stack) -> None:
    """Model names are vendors' strings: only "/", control and direction characters are out."""
    folder = write_stack(
        {
            "prices.hcl": 'price_sheet "p" {\n  model "GPT <4o> [eu] é" {\n'
            "    input_per_mtok = 1\n  }\n}\n"
        }
    )
    result = run_cli(["validate", str(folder)])
    assert result.code == 0, result.stderr


# --- --usage-scale: plain decimals in a range the engine sums exactly -------------------


@pytest.mark.parametrize("text", ["1_0", "\u0663", "0x10", "nan", "-inf", "1e", "", "2%"])
def test_usage_scale_not_a_plain_decimal_is_refused(text: str) -> None:
    from infercost.errors import InfercostError
    from infercost.usage.scale import parse_scale

    with pytest.raises(InfercostError, match="is not a number"):
        parse_scale(text)


@pytest.mark.parametrize(
    "text", ["1e999999999", "1e-999999999", "1e13", "1e-13", "1.00000000000000000000000000000001"]
)
def test_usage_scale_out_of_range_is_refused_at_once(stack: Path, text: str) -> None:
    """1e999999999 was written out digit by digit into the engine's SQL: a run that
    never ended. The bounds are said, and the usage file is not blamed."""
    result = run_cli(["breakdown", str(stack), "--usage-scale", text])
    assert result.code == 1
    assert "Error: Invalid usage scale" in result.stderr
    assert "is out of range: a usage scale is at most 10^12" in result.stderr


@pytest.mark.parametrize(
    ("text", "factor"),
    [("1e12", Decimal(10) ** 12), ("1e-12", Decimal("1e-12")), (".5", Decimal("0.5")),
     ("+2", Decimal(2)), ("-0", Decimal(0)), ("0e999999999", Decimal(0))],
)  # fmt: skip
def test_usage_scale_at_the_bounds(stack: Path, text: str, factor: Decimal) -> None:
    from infercost.usage.scale import parse_scale

    parsed = parse_scale(text)
    assert parsed == factor
    assert str(parsed) != "-0"
    result = run_cli(["breakdown", str(stack), "--usage-scale", text, "-o", "json"])
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout, parse_float=Decimal)
    # 280 requests at $0.10 each (tests/cli/test_compare.py), times the factor
    assert document["totals"]["cogs"] == Decimal(28) * factor
