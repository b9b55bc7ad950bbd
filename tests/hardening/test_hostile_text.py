"""Text from a stack, a usage file or the command line never reaches an output raw.

An ESC (a colour sequence included), a C0/C1 control or a text-direction character is
shown as its escape in every text view and diagnostic, on a terminal or not and in a
file; the only colour on a terminal is the colour infercost writes itself. JSON-based
formats write those characters as ``\\uXXXX`` escapes: the same value, but no reader's
screen can be reordered or recoloured by them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import on_a_terminal, run_cli

WriteStack = Callable[..., Path]

RED = "\x1b[31m"
RLO = "\u202e"

VARIABLE = """
variable "share" {
  type    = number
  default = 1
}
"""


# -- diagnostics -------------------------------------------------------------------------
def test_an_escape_in_a_var_value_is_shown_escaped(write_stack: WriteStack) -> None:
    stack = write_stack({"vars.hcl": VARIABLE}, base=True)
    result = run_cli(["validate", str(stack), "--var", f"share={RED}red{RLO}\x07"])
    assert result.code == 1
    assert result.stderr == (
        'Error: Invalid value for variable\n\n"\\x1b[31mred\\u202e\\x07" is not a number.\n\n'
    )


def test_an_escape_in_a_var_value_is_shown_escaped_on_a_terminal(
    write_stack: WriteStack, colour_allowed: None
) -> None:
    stack = write_stack({"vars.hcl": VARIABLE}, base=True)
    code, out, err = on_a_terminal(["validate", str(stack), "--var", f"share={RED}red"])
    assert (code, out) == (1, "")
    # infercost's own colour stays; the value's ESC is shown, never obeyed.
    assert err == (
        "\x1b[31m\x1b[1mError: \x1b[0m\x1b[0m\x1b[1mInvalid value for variable\x1b[0m\n\n"
        '"\\x1b[31mred" is not a number.\n\n'
    )


def test_an_escape_in_a_var_name_is_shown_escaped_on_a_terminal(
    write_stack: WriteStack, colour_allowed: None
) -> None:
    stack = write_stack({}, base=True)
    code, _, err = on_a_terminal(["validate", str(stack), "--var", f"x{RED}=1"])
    assert code == 1
    assert err == (
        "\x1b[31m\x1b[1mError: \x1b[0m\x1b[0m\x1b[1mUndeclared input variable\x1b[0m\n\n"
        'A value was given for "x\\x1b[31m" (--var), but no variable "x\\x1b[31m" '
        "is declared.\n\n"
    )


@pytest.mark.parametrize(
    ("argv", "summary", "detail"),
    [
        (
            ["breakdown", "stack", "--usage", f"u{RED}.csv"],
            "Usage file not found",
            "u\\x1b[31m.csv does not exist.",
        ),
        (
            ["validate", "stack", "--var-file", f"v{RED}.hcl"],
            "Variable file not found",
            "v\\x1b[31m.hcl does not exist.",
        ),
        (
            ["validate", f"st{RED}ack{RLO}"],
            "Stack not found",
            "The directory st\\x1b[31mack\\u202e does not exist.",
        ),
    ],
)
def test_an_escape_in_a_path_is_shown_escaped(
    write_stack: WriteStack, argv: list[str], summary: str, detail: str
) -> None:
    write_stack({}, base=True)
    result = run_cli(argv)
    assert result.code == 1
    assert result.stderr == f"Error: {summary}\n\n{detail}\n\n"


def test_an_escape_in_a_usage_cell_is_shown_escaped_on_a_terminal(
    write_stack: WriteStack, colour_allowed: None
) -> None:
    stack = write_stack({"usage.csv": f"feature,units\nchat,5{RED}{RLO}\n"}, base=True)
    code, out, err = on_a_terminal(["breakdown", str(stack), "--usage", "stack/usage.csv"])
    assert (code, out) == (1, "")
    assert err == (
        "\x1b[31m\x1b[1mError: \x1b[0m\x1b[0m\x1b[1mInvalid usage row\x1b[0m\n\n"
        "  on stack/usage.csv line 2:\n"
        "  2: chat,5\\x1b[31m\\u202e\n\n"
        'row 1: units must be a number, not "5\\x1b[31m\\u202e".\n\n'
    )


def test_an_escape_in_a_git_ref_is_shown_escaped(write_stack: WriteStack, tmp_path: Path) -> None:
    stack = write_stack({"usage.csv": "feature,units\nchat,5\n"}, base=True)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
        cwd=tmp_path,
        check=True,
    )
    result = run_cli(["plan", str(stack), "--base", f"HEAD{RED}{RLO}"])
    assert result.code == 1
    assert result.stderr == (
        'Error: Unknown git ref\n\n"HEAD\\x1b[31m\\u202e" does not name a commit in '
        f"{tmp_path.resolve()}.\n\n"
    )


# -- text views ----------------------------------------------------------------------------
SUBSCRIPTION = """
subscription "pro" {
  price    = 10
  features = [feature.chat]
}
"""
HOSTILE_USAGE = (
    f'customer,subscription,feature,units\n"ac{RED}me{RLO}",pro,chat,100\nplain,pro,chat,5\n'
)
CUSTOMERS = (
    "Customers with the thinnest margins  (0 of 2 underwater)\n"
    "  customer            subscription  revenue  COGS   margin\n"
    "  plain               pro            $12.00  $0.14   98.8%\n"
    "  ac\\x1b[31mme\\u202e  pro            $50.00  $2.80   94.4%\n"
)


def test_a_customer_id_in_a_text_file_is_escaped_and_aligned_under_a_terminal(
    write_stack: WriteStack, colour_allowed: None, tmp_path: Path
) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    argv = ["breakdown", str(stack), "--usage", "stack/usage.csv", "-o", "text=view.txt"]
    assert on_a_terminal(argv) == (0, "", "")
    written = (tmp_path / "view.txt").read_text(encoding="utf-8")
    assert CUSTOMERS in written
    assert "\x1b" not in written and RLO not in written


def test_a_line_break_or_tab_in_a_customer_id_keeps_the_row_on_one_line(
    write_stack: WriteStack,
) -> None:
    usage = (
        'customer,subscription,feature,units\n"a\n::error::b\tc",pro,chat,100\nplain,pro,chat,5\n'
    )
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": usage}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv"])
    assert result.code == 0
    assert (
        "  customer          subscription  revenue  COGS   margin\n"
        "  plain             pro            $12.00  $0.14   98.8%\n"
        "  a\\n::error::b\\tc  pro            $50.00  $2.80   94.4%\n"
    ) in result.stdout


PERIODS = (
    "customer,subscription,feature,units,period\n"
    'a,pro,chat,100,"2026-11\n::error::x"\nb,pro,chat,5,2026-10\n'
)


def test_a_line_break_in_a_usage_period_is_escaped_wherever_it_is_shown(
    write_stack: WriteStack,
) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": PERIODS}, base=True)
    usage = ["--usage", "stack/usage.csv"]
    several = run_cli(["breakdown", str(stack), *usage])
    assert several.code == 1
    assert "the snapshot spans several periods (2026-10, 2026-11\\n::error::x); " in (
        several.stderr
    )
    period = ["--period", "2026-11\n::error::x"]
    header = run_cli(["breakdown", str(stack), *usage, *period])
    assert header.code == 0
    assert header.stdout.startswith(
        "infercost breakdown of stack  (USD per month, usage period 2026-11\\n::error::x)\n"
    )
    plan = run_cli(["plan", str(stack), *usage, *period])
    assert "usage: stack/usage.csv (2026-11\\n::error::x), USD per month\n" in plan.stdout
    check = run_cli(["check", str(stack), *usage, *period])
    assert ", usage period 2026-11\\n::error::x\n" in check.stdout
    unknown = run_cli(["breakdown", str(stack), *usage, "--period", "x\ny"])
    assert unknown.code == 1
    assert 'no row has period "x\\ny"; found: 2026-10, 2026-11\\n::error::x.' in unknown.stderr


def test_a_file_of_many_periods_lists_a_dozen(write_stack: WriteStack) -> None:
    rows = "".join(f"c{i},pro,chat,1,p{i:03d}\n" for i in range(100))
    usage = "customer,subscription,feature,units,period\n" + rows
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": usage}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv"])
    listed = ", ".join(f"p{i:03d}" for i in range(12))
    assert f"several periods ({listed} and 88 more); choose one" in result.stderr


def test_a_customer_id_on_a_terminal_is_escaped_and_only_infercost_colours(
    write_stack: WriteStack, colour_allowed: None
) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    code, out, err = on_a_terminal(["breakdown", str(stack), "--usage", "stack/usage.csv"])
    assert (code, err) == (0, "")
    assert "  ac\\x1b[31mme\\u202e  pro            $50.00  $2.80   94.4%\n" in out
    assert RED not in out and RLO not in out
    assert "\x1b[1m" in out  # the view's own styling is kept


def test_a_customer_id_piped_is_escaped(write_stack: WriteStack) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv"])
    assert result.code == 0
    assert CUSTOMERS in result.stdout


def test_markdown_to_a_file_never_holds_a_raw_escape(
    write_stack: WriteStack, colour_allowed: None, tmp_path: Path
) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    argv = ["check", str(stack), "--usage", "stack/usage.csv", "-o", "markdown=c.md"]
    assert on_a_terminal(argv)[0] == 0
    written = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert "\x1b" not in written and RLO not in written


def test_json_is_still_the_same_value(write_stack: WriteStack) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0
    ids = [c["id"] for c in json.loads(result.stdout)["customers"]]
    assert ids == [f"ac{RED}me{RLO}", "plain"]


# -- JSON, SARIF, JUnit, markdown, github ------------------------------------------------
CUSTOMER_GUARDRAIL = """
guardrail "thin" {
  scope     = "customer"
  condition = self.margin > 0.99
  message   = "thin \\u202e\\u2066\\u200e${self.id}"
}
"""


def _hostile_check(write_stack: WriteStack, fmt: str) -> str:
    files = {"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE, "g.hcl": CUSTOMER_GUARDRAIL}
    stack = write_stack(files, base=True)
    result = run_cli(["check", str(stack), "--usage", "stack/usage.csv", "-o", fmt])
    assert result.code == 2, result.stderr
    return result.stdout


INVISIBLE = [RLO, "\u2066", "\u200e", "\x1b", "\x85", "\u2028", "\ufeff"]


def test_breakdown_json_writes_text_direction_characters_as_escapes(
    write_stack: WriteStack,
) -> None:
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": HOSTILE_USAGE}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0
    assert '      "id": "ac\\u001b[31mme\\u202e",\n' in result.stdout
    assert not any(c in result.stdout for c in INVISIBLE)


def test_a_customer_id_is_the_same_value_written_escaped(write_stack: WriteStack) -> None:
    # (an id the customers array's fast writer leaves to the general one)
    usage = f"customer,subscription,feature,units\nx{RLO}\u2069\x85\u2028,pro,chat,1\n"
    stack = write_stack({"subs.hcl": SUBSCRIPTION, "usage.csv": usage}, base=True)
    result = run_cli(["breakdown", str(stack), "--usage", "stack/usage.csv", "-o", "json"])
    assert result.code == 0, result.stderr
    assert '"id": "x\\u202e\\u2069\\u0085\\u2028",' in result.stdout
    assert result.stdout.isascii()
    assert json.loads(result.stdout)["customers"][0]["id"] == f"x{RLO}\u2069\x85\u2028"


def test_check_json_writes_text_direction_characters_as_escapes(write_stack: WriteStack) -> None:
    out = _hostile_check(write_stack, "json")
    assert '"target": "customer[\\"ac\\u001b[31mme\\u202e\\"]",' in out
    assert '"message": "thin \\u202e\\u2066\\u200eac\\u001b[31mme\\u202e",' in out
    assert not any(c in out for c in INVISIBLE)
    messages = {r["message"] for r in json.loads(out)["results"]}
    assert f"thin {RLO}\u2066\u200eac{RED}me{RLO}" in messages


def test_sarif_writes_text_direction_characters_as_escapes(write_stack: WriteStack) -> None:
    out = _hostile_check(write_stack, "sarif")
    assert '"text": "thin \\u202e\\u2066\\u200eac\\u001b[31mme\\u202e' in out
    assert not any(c in out for c in INVISIBLE)
    json.loads(out)


def test_junit_shows_text_direction_characters_as_visible_escapes(
    write_stack: WriteStack,
) -> None:
    out = _hostile_check(write_stack, "junit")
    assert 'name="customer[&quot;ac\\x1b[31mme\\u202e&quot;]"' in out
    assert not any(c in out for c in INVISIBLE)


def test_github_annotations_show_the_same_escapes_as_text(write_stack: WriteStack) -> None:
    out = _hostile_check(write_stack, "github")
    assert (
        '::error file=stack/subs.hcl,line=1,col=1,title=thin%3A customer["ac\\x1b[31mme\\u202e"]'
        "::thin \\u202e\\u2066\\u200eac\\x1b[31mme\\u202e%0Avalues: margin 94.4%25\n"
    ) in out
    assert not any(c in out for c in INVISIBLE)


def test_markdown_shows_text_direction_characters_as_visible_escapes(
    write_stack: WriteStack,
) -> None:
    out = _hostile_check(write_stack, "markdown")
    assert '`customer["ac\\u001b[31mme\\u202e"]`' in out
    assert not any(c in out for c in INVISIBLE)
