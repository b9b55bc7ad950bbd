"""Every failure is a located error with exit 1, never "Unexpected internal error"
(issue: hostile inputs that crashed the CLI). ``run_cli`` itself asserts that no run
prints a traceback or the internal-error message."""

from __future__ import annotations

import io
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.cli.context import Console
from infercost.cli.main import main
from tests.helpers import BASE_STACK, run_cli, write_files

LOCAL = 'locals {{\n  x = {expr}\n}}\nfeature "other" {{\n  unit = unit.ticket\n  workflow = workflow.answer\n  revenue_per_unit = local.x\n}}\n'  # noqa: E501


def validate(write_stack, files: dict[str, str | bytes]) -> tuple[int, str]:
    code, _out, err = run_cli(["validate", str(write_stack(files, base=True))])
    return code, err


def located(err: str, filename: str, line: int) -> bool:
    return f"on stack/{filename} line {line}" in err


@pytest.mark.parametrize(
    ("expr", "summary", "words"),
    [
        ("1e999 * 1e999", "Arithmetic error", "too large"),
        ("1e-999 / 10", "Arithmetic error", "too small"),
        ("(1 + 1e-999) * (1 + 1e-999) * (1 + 1e-999)", "Arithmetic error", "2,000 significant"),
        ("1e1000", "Number out of range", "1e999"),
        ("0.1e-1000", "Number out of range", "1e-999"),
    ],
)
def test_decimal_failures_are_located(write_stack, expr: str, summary: str, words: str) -> None:
    code, err = validate(write_stack, {"x.hcl": LOCAL.format(expr=expr)})
    assert code == 1
    assert f"Error: {summary}" in err and words in err
    assert located(err, "x.hcl", 2)


def test_round_with_absurd_digits_is_a_value_not_a_crash() -> None:
    from infercost.evaluate.functions import FUNCTIONS

    # 1.5 has one decimal: rounding to 10^18 places changes nothing; to -10^18 places gives 0
    assert FUNCTIONS["round"]([Decimal("1.5"), Decimal("1e18")]) == Decimal("1.5")
    assert FUNCTIONS["round"]([Decimal("1.5"), Decimal("-1e18")]) == 0
    # 4 rounds to 0 at hundreds; 50 rounds half up to 100
    assert FUNCTIONS["round"]([Decimal(4), Decimal(-2)]) == 0
    assert FUNCTIONS["round"]([Decimal(50), Decimal(-2)]) == 100


@pytest.mark.parametrize(
    "calls", ["between(0, 1e30)", "between(0, 1e999)", "triangular(0, 1, 1e500)"]
)
def test_distributions_with_astronomical_bounds_are_bounded(write_stack, calls: str) -> None:
    main_hcl = BASE_STACK["main.hcl"].replace("between(2, 5)", calls)
    started = time.process_time()
    code, err = validate(write_stack, {"main.hcl": main_hcl})
    assert code == 1
    assert "bounds must lie within ±1e15" in err
    assert located(err, "main.hcl", 6)
    assert time.process_time() - started < 30  # a guard against hanging, not a benchmark


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 3000 + "1" + ")" * 3000,
        "[" * 3000 + "]" * 3000,
        "-(" * 1000 + "1" + ")" * 1000,
        "{ a = " * 1000 + "1" + " }" * 1000,
    ],
)
def test_deep_nesting_is_a_located_error(write_stack, expr: str) -> None:
    code, err = validate(write_stack, {"x.hcl": LOCAL.format(expr=expr)})
    assert code == 1
    assert "Error: Too deeply nested" in err
    assert located(err, "x.hcl", 2)


def test_a_long_chain_of_locals_is_a_located_error(write_stack) -> None:
    chain = "\n".join(f"  a{i} = local.a{i + 1} + 1" for i in range(3000))
    files = {"x.hcl": f"locals {{\n{chain}\n  a3000 = 0\n}}\n"}
    code, err = validate(write_stack, files)
    assert code == 1
    assert "Error: Expression too deeply nested" in err
    assert "on stack/x.hcl line" in err


@pytest.mark.parametrize(
    ("escape", "why"),
    [
        ("\\U00110000", "beyond U+10FFFF"),
        ("\\ud800", "surrogate"),
        ("\\U0000d800", "surrogate"),
        ("\\u12", "needs 4 hex digits"),
        ("\\u+123", "needs 4 hex digits"),
    ],
)
def test_bad_unicode_escapes_are_located(write_stack, escape: str, why: str) -> None:
    text = f'locals {{\n  s = "a{escape}b"\n}}\n'
    code, err = validate(write_stack, {"x.hcl": text})
    assert code == 1
    assert "Error: Invalid escape sequence" in err and why in err
    assert located(err, "x.hcl", 2)


def test_a_good_unicode_escape_still_works(write_stack) -> None:
    code, err = validate(write_stack, {"x.hcl": 'locals {\n  s = "\\U0001F600 \\u00e9"\n}\n'})
    assert (code, err) == (0, "")


def test_a_money_amount_beyond_the_views_is_located(write_stack) -> None:
    # Each figure within its own bound (a price below 1e18, a count below 1e15), their
    # product beyond what any view shows: $1e17 per million tokens x 1e12 tokens.
    prices = BASE_STACK["prices.hcl"].replace(
        "input_per_mtok        = 2.50", "input_per_mtok = 1e17"
    )
    main = BASE_STACK["main.hcl"].replace("input_tokens  = 1800", "input_tokens  = 1e12")
    files = {"prices.hcl": prices, "main.hcl": main, "usage.csv": "feature,units\nchat,10\n"}
    stack = write_stack(files, base=True)
    for fmt in ("text", "json"):
        code, out, err = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv", "-o", fmt])
        assert (code, out) == (1, "")
        assert "Error: Figure too large" in err
        assert located(err, "main.hcl", 4)  # the step "draft"
        assert 'in step "draft"' in err


def test_a_closed_stdout_is_an_error_not_a_bug() -> None:
    err = io.StringIO()
    code = main(["version"], Console(None, err, no_color=True))  # type: ignore[arg-type]
    assert code == 1
    assert err.getvalue().startswith("Error: Cannot write output\n")
    assert "standard output is closed" in err.getvalue()


# -- git ----------------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root / "stack", {**BASE_STACK, "usage.csv": "feature,units\nchat,10\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("ref", ["HEAD:../x", "@{-1}", "HEAD:stack", "HEAD^{tree}", "-x"])
def test_refs_that_name_no_commit(repo: Path, ref: str) -> None:
    code, out, err = run_cli(["plan", "stack", "--base", ref, "--usage", "stack/usage.csv"])
    assert (code, out) == (1, "")
    assert "Error: Unknown git ref" in err


def test_a_non_utf8_file_at_the_base_is_located(repo: Path) -> None:
    (repo / "stack" / "bad.hcl").write_bytes(b'locals {\n  s = "\xff"\n}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bad")
    (repo / "stack" / "bad.hcl").unlink()
    code, out, err = run_cli(["plan", "stack", "--base", "HEAD", "--usage", "stack/usage.csv"])
    assert (code, out) == (1, "")
    assert "Error: Unreadable file" in err
    assert "on stack/bad.hcl@HEAD line 2" in err
    assert "not UTF-8 text (byte 17, line 2)" in err


def test_a_gitlink_at_the_base_is_an_error(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "a.hcl").write_text('unit "u" {}\n')
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "sub")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=other, capture_output=True, text=True, check=True
    ).stdout.strip()
    # a gitlink named "policies" where a policy folder is expected, and one as a stack
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},policies")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},sub")
    git(repo, "commit", "-q", "-m", "links")
    (repo / "sub").mkdir()
    write_files(repo / "sub", {**BASE_STACK})
    code, out, err = run_cli(["plan", "sub", "--base", "HEAD", "--usage", "stack/usage.csv"])
    assert (code, out) == (1, "")
    assert "Error: Not a directory at the base" in err and "git submodule" in err
    from infercost.errors import InfercostError
    from infercost.vcs import read_hcl_at

    with pytest.raises(InfercostError) as caught:
        read_hcl_at(repo / "policies", "HEAD")
    assert caught.value.diagnostics[0].summary == "Not a file at the base"


GUARD = (
    "# The gate's own rule.\n"
    'guardrail "thin" {\n'
    '  scope     = "feature"\n'
    "  condition = self.margin >= 0.99\n"
    "}\n"
)
USAGE = "feature,units\nchat,10\n"
BARE_CR = (
    "A carriage return without a line feed ends this line (classic Mac line ends, or a "
    "stray one): editors show a line break, HCL reads none. Save the file with LF or CRLF "
    "line ends."
)


@pytest.mark.parametrize("command", ["validate", "check", "fmt"])
def test_carriage_return_line_ends_are_refused_not_read_as_one_comment(
    write_stack, command: str
) -> None:
    """With CR line ends, the first comment ran to the end of the file: the guardrail
    vanished and check passed, while an editor and a diff showed it in place."""
    stack = write_stack({"guard.hcl": GUARD.replace("\n", "\r"), "usage.csv": USAGE}, base=True)
    argv = [command, str(stack)] + (["--usage", "stack/usage.csv"] if command == "check" else [])
    code, _, err = run_cli(argv)
    assert code == 1
    assert err.startswith(
        "Error: Invalid line ending\n\n  on stack/guard.hcl line 1:\n  1: # The gate's own rule.\\r"
    ), err
    assert err.endswith(f"\n\n{BARE_CR}\n\n")


def test_crlf_line_ends_still_read_and_a_stray_cr_is_located(write_stack) -> None:
    stack = write_stack({"guard.hcl": GUARD.replace("\n", "\r\n"), "usage.csv": USAGE}, base=True)
    code, out, err = run_cli(["check", str(stack), "--usage", "stack/usage.csv"])
    assert (code, err) == (2, "") and "thin" in out  # the guardrail is read, and fails
    stray = GUARD.replace("  scope", "\r  scope")
    code, _, err = run_cli(["validate", str(write_stack({"guard.hcl": stray}, base=True))])
    assert code == 1
    assert "  on stack/guard.hcl line 3:\n" in err


@pytest.mark.parametrize(
    ("text", "line", "summary", "detail"),
    [
        (
            GUARD.replace('"feature"\n', '"feature" condition = true\n').replace(
                "  condition = self.margin >= 0.99\n", ""
            ),
            3,
            "Missing newline after argument",
            'The argument "condition" starts on the line where the argument "scope" ends',
        ),
        (
            GUARD.replace("}\n", '} guardrail "thick" {\n  condition = true\n}\n'),
            5,
            "Missing newline after block definition",
            'The block guardrail "thick" starts on the line where the block guardrail "thin" ends',
        ),
    ],
)
def test_two_definitions_on_one_line_are_refused(
    write_stack, text: str, line: int, summary: str, detail: str
) -> None:
    """The grammar alone read ``a = 1 b = 2`` as two arguments and ``} b {`` as two
    blocks; a reader and a diff see one line, and Terraform refuses both."""
    code, out, err = run_cli(["validate", str(write_stack({"guard.hcl": text}, base=True))])
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {summary}\n\n  on stack/guard.hcl line {line}:\n"), err
    assert f"\n\n{detail}; each argument and each block must end with a newline.\n" in err
    # One argument in a block on one line stays valid, as in Terraform.
    single = 'guardrail "thin" { condition = true }\n'
    assert run_cli(["validate", str(write_stack({"guard.hcl": single}, base=True))])[0] == 0


BOM = "\ufeff"


def test_a_byte_order_mark_at_the_start_of_a_file_is_skipped(write_stack) -> None:
    """Notepad and PowerShell save UTF-8 with a byte-order mark: Terraform skips it, and
    the file was "Invalid syntax" at line 1 here. The guardrail must be read."""
    stack = write_stack({"guard.hcl": BOM + GUARD, "usage.csv": USAGE}, base=True)
    code, out, err = run_cli(["check", str(stack), "--usage", "stack/usage.csv"])
    assert (code, err) == (2, "") and "thin" in out
    # fmt writes the canonical file, without the mark.
    code, _, _ = run_cli(["fmt", str(stack)])
    assert code == 0
    assert (stack / "guard.hcl").read_text(encoding="utf-8") == GUARD
    # A diagnostic on line 1 shows the line as an editor does, without the mark.
    bad = BOM + 'guardrail "thin" { condition = }\n'
    code, _, err = run_cli(["validate", str(write_stack({"guard.hcl": bad}, base=True))])
    assert code == 1
    assert '  on stack/guard.hcl line 1:\n  1: guardrail "thin" { condition = }\n' in err


def test_a_byte_order_mark_inside_a_file_is_located(write_stack) -> None:
    text = GUARD.replace("  scope", f"  {BOM}scope")
    code, _, err = run_cli(["validate", str(write_stack({"guard.hcl": text}, base=True))])
    assert code == 1
    assert err.startswith("Error: Invalid syntax\n\n  on stack/guard.hcl line 3:\n"), err
