"""Shared helpers for the test suite (fixtures that use them live in conftest.py)."""

from __future__ import annotations

import decimal
import io
import json
import re
import textwrap
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from infercost.cli.context import Console
from infercost.cli.main import main
from infercost.config.compile import compile_stack
from infercost.config.loader import parse_files
from infercost.errors import Diagnostic, InfercostError
from infercost.model import Stack

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

# The engine's arithmetic: 28 significant digits, half-even (SPEC §10).
CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


# A small valid stack that most CLI tests start from and override file by file.
BASE_STACK: dict[str, str] = {
    "prices.hcl": """
        price_sheet "openai" {
          region "eu" { multiplier = 1.10 }

          model "gpt-4o" {
            input_per_mtok        = 2.50
            cached_input_per_mtok = 1.25
            output_per_mtok       = 10.00
          }
        }

        price_sheet "pinecone" {
          meter "read_unit" {
            price = 16
            per   = 1000000
          }
        }
        """,
    "main.hcl": """
        unit "ticket" {}

        workflow "answer" {
          step "draft" {
            uses          = "openai/gpt-4o"
            calls         = between(2, 5)
            input_tokens  = 1800
            output_tokens = 350
          }
        }

        feature "chat" {
          unit             = unit.ticket
          workflow         = workflow.answer
          revenue_per_unit = 0.4
        }
        """,
}


class CliResult(NamedTuple):
    code: int
    stdout: str
    stderr: str


def run_cli(argv: list[str]) -> CliResult:
    """Run the CLI in-process, as a user would, with captured and uncoloured streams."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Console(out, err, no_color=True))
    result = CliResult(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.stderr, result.stderr
    assert "Unexpected internal error" not in result.stderr, result.stderr
    return result


def hcl(text: str) -> str:
    """Dedent a triple-quoted HCL text so that its first line is line 1."""
    return textwrap.dedent(text).lstrip("\n")


def write_files(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(hcl(content) if name.endswith(".hcl") else content, encoding="utf-8")
    return directory


def load(files: dict[str, str]) -> Stack:
    """Parse, check and compile file texts (dedented) into a Stack."""
    parsed = parse_files({name: hcl(text) for name, text in files.items()})
    return compile_stack(parsed)


def errors_of(files: dict[str, str]) -> list[Diagnostic]:
    """The diagnostics a stack raises (it must raise)."""
    try:
        load(files)
    except InfercostError as exc:
        assert exc.diagnostics, "an error without diagnostics"
        return exc.diagnostics
    raise AssertionError("the stack compiled, but an error was expected")


def where(d: Diagnostic) -> tuple[str, int, int]:
    assert d.range is not None, f"diagnostic {d.summary!r} has no location"
    return d.range.filename, d.range.start.line, d.range.start.column


def validate_json(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``infercost validate -o json``: exit code and the parsed document (stdout only)."""
    result = run_cli(["validate", *argv, "-o", "json"])
    assert result.stderr == "", result.stderr
    return result.code, json.loads(result.stdout)


def only_error(document: dict[str, Any]) -> dict[str, Any]:
    assert document["valid"] is False
    assert document["error_count"] == len(document["diagnostics"]) == 1, document
    return document["diagnostics"][0]


def loc(diagnostic: dict[str, Any]) -> tuple[str, int, int]:
    rng = diagnostic["range"]
    assert rng is not None, diagnostic
    return rng["filename"], rng["start"]["line"], rng["start"]["column"]


def dec(value: Fraction | int | str) -> Decimal:
    """A Fraction as the engine writes it: exact when it terminates, else 28 digits."""
    if isinstance(value, Fraction):
        return CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return Decimal(value)


def json_numbers(text: str) -> list[str]:
    """Every number token of a JSON text, as written (strings are skipped)."""
    tokens: list[str] = []

    def collect(raw: str) -> str:
        tokens.append(raw)
        return raw

    json.loads(text, parse_float=collect, parse_int=collect)
    return tokens


def assert_plain_numbers(text: str) -> None:
    """JSON numbers in plain notation: no exponent, no trailing zeros (SPEC §10)."""
    numbers = json_numbers(text)
    assert numbers, "no numbers in the document"
    for raw in numbers:
        assert "e" not in raw.lower(), raw
        if "." in raw:
            assert not raw.endswith("0"), raw
            assert not raw.endswith("."), raw
        assert not re.match(r"-?0\d", raw), raw
        assert raw != "-0", raw


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def code_spans(markdown: str) -> list[str]:
    """The contents of the inline code spans in ``markdown`` (CommonMark: a run of N
    backticks closes only at the next run of exactly N; one padding space is stripped)."""
    out = []
    for match in _CODE_SPAN.finditer(markdown):
        text = match.group(2)
        if text.startswith(" ") and text.endswith(" ") and text.strip():
            text = text[1:-1]
        out.append(text)
    return out


_FENCED = re.compile(r"^```[^\n]*\n.*?^```$", re.M | re.S)


def outside_code(markdown: str) -> str:
    """``markdown`` with every fenced code block and inline code span removed: what
    GitHub renders as Markdown (inside code, HTML, mentions, links and emphasis are shown
    as typed)."""
    return _CODE_SPAN.sub("", _FENCED.sub("", markdown))


def stack_with_records_block(tmp_path: Path, block: str) -> Path:
    """The support-assistant example in ``tmp_path/stack`` with ``block`` as its
    ``records.hcl`` (a mapping that skips, renames or defaults)."""
    stack = tmp_path / "stack"
    stack.mkdir()
    for f in (EXAMPLES / "support-assistant").glob("*.hcl"):
        (stack / f.name).write_text(f.read_text())
    (stack / "records.hcl").write_text(block)
    return stack


def rendered(markdown: str) -> str:
    """``markdown`` as HTML, by a real CommonMark parser with GFM tables: what a pull
    request comment shows, so a test can ask where each piece of text landed."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def html_outside_code(html: str) -> str:
    """The rendered HTML with every ``<code>`` element removed: the text GitHub would
    turn into links, mentions and images."""
    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a developer's shell is."""

    def isatty(self) -> bool:
        return True


def on_a_terminal(argv: list[str]) -> tuple[int, str, str]:
    """``main`` with stdout and stderr on a terminal: colour allowed, unless NO_COLOR."""
    out, err = Terminal(), Terminal()
    code = main(argv, Console(out, err, no_color=False))
    return code, out.getvalue(), err.getvalue()
