"""No text from a stack, a usage file or a message can start a CI runner command.

A GitHub Actions runner reads a log line that starts (after blanks) with ``::`` as a
workflow command and one with ``##[`` as a legacy one; a CR alone also ends a line for
it. Each case puts such text where an attacker could, runs every output format to
standard output and to a file, and reads every line of stdout, stderr and the files.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from infercost.render.formatting import Style
from infercost.render.inert import InertStream, for_format, inert, redact
from tests.guard.support import GUARD_STACK
from tests.helpers import run_cli

WriteStack = Callable[..., Path]

HOSTILE = (
    r"bad\n::stop-commands::x\n##[warning]forged\r::error::cr\u2028::add-mask::y"
    r"\u0085::nel\u007f\u202e"
)
# a line a runner would act on: blanks (as .NET trims them), then a command; or a
# legacy command anywhere in it
COMMAND = re.compile(r"^[\s\u200b\ufeff]*::|##\[|##vso\[", re.IGNORECASE)
OUR_COMMANDS = re.compile(r"^::(error|warning|notice) [^\n]*::")
FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")


def _lines(text: str) -> list[str]:
    """Lines as a runner splits them: LF, CR and CRLF all end one."""
    return re.split(r"\r\n|\r|\n", text)


def _assert_inert(text: str, commands_allowed: bool = False) -> None:
    for line in _lines(text):
        if commands_allowed and OUR_COMMANDS.match(line):
            assert "::stop-commands" not in line.split("::", 2)[1]
            continue
        assert not COMMAND.search(line), line


@pytest.fixture
def hostile(write_stack: WriteStack) -> Path:
    files = dict(GUARD_STACK)
    files["guardrails.hcl"] = f'''
        guardrail "forged" {{
          scope       = "feature"
          description = "{HOSTILE}"
          condition   = self.margin >= 0.99
          message     = "{HOSTILE} ${{self.name}}"
        }}
        guardrail "per_customer" {{
          scope     = "customer"
          condition = self.margin >= 0.99
        }}
        '''
    files["usage.csv"] = (
        "customer,subscription,feature,units\n"
        '"acme\n::stop-commands::x",pro,chat,3000\n'
        '"beta\r##[error]b",pro,chat,100\n'
    )
    return write_stack(files)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_on_stdout_or_stderr_starts_a_runner_command(hostile: Path, fmt: str) -> None:
    result = run_cli(["check", str(hostile), "-o", fmt])
    assert result.code == 2, result.stderr
    assert "stop-commands" in result.stdout  # the text is there, shown, but inert
    _assert_inert(result.stdout, commands_allowed=fmt == "github")
    _assert_inert(result.stderr)
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)  # still JSON: its own escapes are kept
    if fmt == "junit":
        ET.fromstring(result.stdout.encode())  # still XML: no raw control characters


def test_no_file_output_starts_a_runner_command(hostile: Path, tmp_path: Path) -> None:
    argv = ["check", str(hostile)]
    for fmt in FORMATS:
        argv += ["-o", f"{fmt}={tmp_path / ('out.' + fmt)}"]
    result = run_cli(argv)
    assert result.code == 2, result.stderr
    for fmt in FORMATS:
        text = (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")
        assert "stop-commands" in text, fmt
        _assert_inert(text, commands_allowed=fmt == "github")
        if fmt in ("json", "sarif"):
            json.loads(text)


def test_plan_and_breakdown_are_inert(hostile: Path) -> None:
    for argv in (["plan", str(hostile)], ["breakdown", str(hostile)]):
        for fmt in ("text", "markdown", "json", "html"):
            result = run_cli([*argv, "-o", fmt])
            _assert_inert(result.stdout)
            _assert_inert(result.stderr)


def test_a_usage_feature_name_with_a_newline_is_an_inert_error(write_stack: WriteStack) -> None:
    files = dict(GUARD_STACK)
    files["usage.csv"] = 'feature,units\n"chat\n::stop-commands::x\n##[error]y",5\n'
    result = run_cli(["validate", str(write_stack(files))])
    assert result.code == 1
    assert "stop-commands" in result.stderr
    _assert_inert(result.stdout)
    _assert_inert(result.stderr)


def test_a_message_in_a_diagnostic_is_inert(write_stack: WriteStack) -> None:
    stack = write_stack(
        {**GUARD_STACK, "bad.hcl": f'locals {{\n  x = "{HOSTILE}"\n  y = local.x + 1\n}}\n'}
    )
    for command in ("validate", "check", "plan"):
        result = run_cli([command, str(stack)])
        assert result.code == 1
        _assert_inert(result.stderr)


def test_a_hostile_file_name_is_inert_in_fmt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "x\n::stop-commands::y.hcl"
    Path(name).write_text('unit   "a" {}\n', encoding="utf-8")
    result = run_cli(["fmt", "--check", "."])
    assert result.code == 3
    _assert_inert(result.stdout)


# -- the primitives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("ok\n::stop-commands::x", "ok\n\\::stop-commands::x"),
        ("  ::error::x", "  \\::error::x"),
        ("##[warning]x", "##\\[warning]x"),
        ("##VSO[task.setvariable]x", "##VSO\\[task.setvariable]x"),
        # the runner finds a legacy command anywhere in a line
        ("ok ##[error]x", "ok ##\\[error]x"),
        ("a\r::error::x", "a\\x0d::error::x"),
        ("a\u2028::x", "a\\u2028::x"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("\x1b]8;;http://x\x1b\\", "\\x1b]8;;http://x\\x1b\\"),
        ("::: not at start :: fine", "\\::: not at start :: fine"),
        ("a :: b", "a :: b"),
    ],
)
def test_inert(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_colour_is_kept_only_when_asked_and_only_infercost_s_own() -> None:
    ours = Style(True).red("red")
    assert inert(ours, keep_colour=True) == "\x1b[31mred\x1b[0m"
    assert inert(ours) == "red"
    # The same bytes from a stack, a usage file or an argument are shown as escapes.
    assert inert("\x1b[31mred\x1b[0m", keep_colour=True) == "\\x1b[31mred\\x1b[0m"
    assert inert(f"\x1b[1m{ours}", keep_colour=True) == "\\x1b[1m\x1b[31mred\x1b[0m"


def test_tokens_and_credentials_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "s3cret-value-42")
    text = (
        "token ghs_"
        + "a" * 36
        + " pat github_pat_"
        + "B" * 40
        + " classic ghp_"
        + "c" * 36
        + " url https://x-access-token:abc@github.com/o/r.git"
        + " header Authorization: Bearer xyz"
        + " env s3cret-value-42"
    )
    assert redact(text) == (
        "token *** pat *** classic *** url https://***@github.com/o/r.git"
        " header Authorization: Bearer *** env ***"
    )
    for fmt in FORMATS:
        assert "s3cret" not in for_format(fmt, text) and "ghs_" not in for_format(fmt, text)


def test_stream_joins_partial_writes_before_judging_a_line() -> None:
    raw = io.StringIO()
    stream = InertStream(raw)
    stream.write("first\n:")
    stream.write(":stop-commands::x\n  #")
    stream.write("#[error]y")
    stream.flush()
    assert raw.getvalue() == "first\n\\::stop-commands::x\n  ##\\[error]y"


def test_the_debug_traceback_is_inert_and_redacted(
    monkeypatch: pytest.MonkeyPatch, write_stack: WriteStack
) -> None:
    import infercost.cli.validate as validate

    token = "ghp_" + "z" * 36

    def boom(*args: object) -> int:
        raise RuntimeError(f"failed\n::stop-commands::x {token} https://u:p@host/")

    monkeypatch.setattr(validate, "run", boom)
    monkeypatch.setenv("INFERCOST_DEBUG", "1")
    out, err = io.StringIO(), io.StringIO()
    from infercost.cli.context import Console
    from infercost.cli.main import main

    assert main(["validate", "."], Console(out, err, no_color=True)) == 1
    assert "Traceback" in err.getvalue() and "RuntimeError" in err.getvalue()
    assert token not in err.getvalue() and "u:p@" not in err.getvalue()
    _assert_inert(err.getvalue())


def test_redaction_keeps_a_json_document_json() -> None:
    document = json.dumps(
        {"h": "Authorization: Bearer abc", "u": "https://u:p@host/x", "a": "x://y", "b": "c@d"},
        separators=(",", ":"),
    )
    cleaned = json.loads(for_format("json", document))
    assert cleaned == {
        "h": "Authorization: Bearer ***", "u": "https://***@host/x", "a": "x://y", "b": "c@d"
    }  # fmt: skip


def test_html_is_made_inert_with_character_references() -> None:
    page = "<p>\n::stop-commands::x ##[error]y</p>\n"
    assert for_format("html", page) == "<p>\n&#58;:stop-commands::x ##&#91;error]y</p>\n"


def test_the_pages_infercost_writes_need_no_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The inert pass must only ever touch text from the stack: a page of ours that it
    # changed (a CSS rule starting a line with "::before") would be broken by it.
    from tests.helpers import REPO

    monkeypatch.chdir(REPO)
    for command in ("breakdown", "plan"):
        page = run_cli([command, "examples/support-assistant", "-o", "html"]).stdout
        assert "&#58;:" not in page and "&#91;" not in page and "\\x" not in page


def test_github_annotations_escape_escape_and_text_direction_characters() -> None:
    """A guardrail message holding ESC or U+202E keeps its annotation, escaped."""
    document = "::warning file=a.hcl,line=3::pro\x1b[31m: 26 underwater \u202e\n"
    assert for_format("github", document) == (
        "::warning file=a.hcl,line=3::pro\\x1b[31m: 26 underwater \\u202e\n"
    )
