"""One diagnostics path: gathered in one list, printed once by one handler, written into
every JSON document, coloured only on a terminal's stdout, and one exit-code rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from infercost.cli import breakdown, check, explain, plan, validate
from infercost.cli.output import parse_outputs
from infercost.errors import InfercostError
from tests.cli.test_check import PASSING
from tests.helpers import BASE_STACK, on_a_terminal, run_cli

WriteStack = Callable[..., Path]

NO_MATCH = """
waiver "typo" {
  guardrail = "target_margn"
  target    = "feature.chat"
  reason    = "A name nobody checked"
  until     = "2999-12-31"
}
"""


# -- colour is decided once, where files are written ----------------------------------------
def test_validate_text_to_a_file_writes_no_ansi_codes_under_a_terminal(
    write_stack: WriteStack, colour_allowed: None, tmp_path: Path
) -> None:
    stack = write_stack(BASE_STACK)
    code, out, err = on_a_terminal(["validate", str(stack), "-o", "text=valid.txt"])
    assert (code, out, err) == (0, "", "")
    written = (tmp_path / "valid.txt").read_text(encoding="utf-8")
    assert written.startswith("Success! The configuration is valid")
    assert "\x1b[" not in written
    # The same view on the terminal's stdout is coloured: the file is plain on purpose.
    assert "\x1b[" in on_a_terminal(["validate", str(stack)])[1]


@pytest.mark.parametrize(
    "argv",
    [
        ["breakdown", "stack"],
        ["plan", "stack"],
        ["check", "stack"],
    ],
)
def test_text_to_a_file_writes_no_ansi_codes_under_a_terminal(
    write_stack: WriteStack, colour_allowed: None, tmp_path: Path, argv: list[str]
) -> None:
    write_stack(PASSING)
    code, out, _ = on_a_terminal([*argv, "-o", "text=view.txt", "-o", "json"])
    assert code == 0
    json.loads(out)
    assert "\x1b[" not in (tmp_path / "view.txt").read_text(encoding="utf-8")


# -- one table of views per command ---------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "formats"),
    [
        (validate, ("text", "json")),
        (breakdown, ("text", "json", "html")),
        (plan, ("text", "json", "markdown", "html")),
        (explain, ("text", "json", "markdown")),
        (check, ("text", "json", "markdown", "sarif", "junit", "github")),
    ],
)
def test_one_table_of_views_per_command(command: object, formats: tuple[str, ...]) -> None:
    assert tuple(command.VIEWS) == command.FORMATS == formats  # type: ignore[attr-defined]


def test_outputs_are_parsed_into_specs_before_work_starts() -> None:
    with pytest.raises(InfercostError, match="Invalid output format"):
        parse_outputs(["yaml"], None, check.FORMATS)
    # The stack does not exist: the bad format is still what is reported.
    code, out, err = run_cli(["check", "no-such-stack", "-o", "yaml"])
    assert (code, out) == (1, "")
    assert "Error: Invalid output format" in err and "Stack not found" not in err


# -- diagnostics in every JSON document, printed once ---------------------------------------
def test_check_json_includes_the_waiver_matches_nothing_warning(
    write_stack: WriteStack,
) -> None:
    stack = write_stack({**PASSING, "waivers.hcl": NO_MATCH})
    code, out, err = run_cli(["check", str(stack), "-o", "json"])
    assert code == 0
    [warning] = json.loads(out)["diagnostics"]
    assert (warning["severity"], warning["summary"]) == ("warning", "Waiver matches nothing")
    assert warning["range"]["filename"] == "stack/waivers.hcl"
    assert warning["range"]["start"] == {"line": 1, "column": 1}
    assert 'waiver "typo" names guardrail "target_margn"' in warning["detail"]
    # stderr shows the same warning, once
    assert err.count("Warning: Waiver matches nothing") == 1


def test_warnings_are_printed_once_after_the_views(write_stack: WriteStack) -> None:
    stack = write_stack({**PASSING, "waivers.hcl": NO_MATCH})
    code, out, err = run_cli(["check", str(stack), "-o", "text"])
    assert code == 0 and "Check passed" in out
    assert err.count("Warning: Waiver matches nothing") == 1
    assert '  on stack/waivers.hcl line 1:\n  1: waiver "typo" {\n' in err


def test_check_stdout_and_stderr_golden_with_a_waiver_warning(
    write_stack: WriteStack, assert_golden: Callable[[str, str], None]
) -> None:
    stack = write_stack({**PASSING, "waivers.hcl": NO_MATCH})
    code, out, err = run_cli(["check", str(stack)])
    assert code == 0
    assert_golden("check/waiver_warning.txt", f"--- stdout\n{out}--- stderr\n{err}")


# -- the comment poster prints through the same path -----------------------------------------
def test_comment_errors_go_through_the_one_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    body = tmp_path / "report.md"
    body.write_text("<!-- infercost -->\n# report\n", encoding="utf-8")
    argv = ["comment", "--body-file", str(body), "--repo", "acme/shop", "--pr", "7"]
    argv += ["--valid-at", "2026-11-29T10:00:00Z"]
    code, out, err = run_cli(argv)
    assert (code, out) == (1, "")
    assert err == "Error: no GitHub token: set GITHUB_TOKEN\n\n"


def test_a_failed_write_keeps_the_warnings_found_before_it(
    write_stack: WriteStack, tmp_path: Path
) -> None:
    stack = write_stack({**PASSING, "waivers.hcl": NO_MATCH})
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    code, out, err = run_cli(["check", str(stack), "-o", "json=taken/check.json"])
    assert (code, out) == (1, "")
    assert err.index("Warning: Waiver matches nothing") < err.index("Error: Cannot write output")
