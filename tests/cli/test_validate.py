"""``infercost validate`` and the command line's shared behaviour (SPEC §7, §10)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from infercost.cli.context import Console
from infercost.cli.main import main
from tests.helpers import assert_plain_numbers, run_cli, validate_json

MISSPELT = """
    unit "ticket" {}

    workflow "answer" {
      step "draft" {
        uses         = "openai/gpt-4o"
        output_tokns = 350
      }
    }

    feature "chat" {
      unit     = unit.ticket
      workflow = workflow.answer
    }
    """


def test_valid_stack(write_stack) -> None:
    stack = write_stack({}, base=True)
    code, out, err = run_cli(["validate", str(stack)])
    assert (code, err) == (0, "")
    assert out == ("Success! The configuration is valid (1 features, 1 workflows, 1 steps, "
                   "2 price items).\n")  # fmt: skip


def test_stack_defaults_to_the_working_directory(write_stack, monkeypatch) -> None:
    stack = write_stack({}, base=True)
    monkeypatch.chdir(stack)
    assert run_cli(["validate"]).code == 0


def test_errors_are_terraform_style_on_stderr(write_stack) -> None:
    stack = write_stack({"main.hcl": MISSPELT}, base=True)
    code, out, err = run_cli(["validate", str(stack)])
    assert (code, out) == (1, "")
    assert err == (
        "Error: Unsupported argument\n"
        "\n"
        '  on stack/main.hcl line 6, in step "draft":\n'
        "  6:     output_tokns = 350\n"
        "\n"
        'An argument named "output_tokns" is not expected in step "draft". '
        'Did you mean "output_tokens"?\n'
        "\n"
    )


def test_json_document_structure(write_stack) -> None:
    stack = write_stack({"main.hcl": MISSPELT, "extra.hcl": 'widget "w" {}\n'}, base=True)
    result = run_cli(["validate", str(stack), "-o", "json"])
    assert (result.code, result.stderr) == (1, "")  # machine output: stdout only
    doc = json.loads(result.stdout)
    assert list(doc) == ["format_version", "valid", "error_count", "warning_count", "diagnostics"]
    assert doc["format_version"] == "1"
    assert (doc["valid"], doc["error_count"], doc["warning_count"]) == (False, 2, 0)
    for d in doc["diagnostics"]:
        assert list(d) == ["severity", "summary", "detail", "range"]
        assert d["severity"] == "error"
        assert list(d["range"]) == ["filename", "start", "end"]
        assert list(d["range"]["start"]) == ["line", "column"]
        assert list(d["range"]["end"]) == ["line", "column"]
    # Structural problems of all files are reported together, files in name order.
    assert [(d["range"]["filename"], d["summary"]) for d in doc["diagnostics"]] == [
        ("stack/extra.hcl", "Unsupported block type"),
        ("stack/main.hcl", "Unsupported argument"),
    ]


def test_json_document_golden(write_stack, assert_golden) -> None:
    stack = write_stack({"main.hcl": MISSPELT, "extra.hcl": 'widget "w" {}\n'}, base=True)
    result = run_cli(["validate", str(stack), "-o", "json"])
    assert result.code == 1
    assert_plain_numbers(result.stdout)
    assert_golden("validate_error.json", result.stdout)


def test_json_when_valid(write_stack) -> None:
    stack = write_stack({}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 0
    assert doc == {"format_version": "1", "valid": True, "error_count": 0, "warning_count": 0,
                   "diagnostics": []}  # fmt: skip


def test_json_to_a_file(write_stack) -> None:
    stack = write_stack({"main.hcl": MISSPELT}, base=True)
    Path("report").mkdir()
    code, out, err = run_cli(["validate", str(stack), "-o", "json=report/v.json"])
    assert (code, out, err) == (1, "", "")
    doc = json.loads(Path("report/v.json").read_text(encoding="utf-8"))
    assert doc["error_count"] == 1


def test_validate_checks_the_configured_snapshot(write_stack) -> None:
    stack = write_stack({"settings.hcl": 'infercost {\n  usage = "usage.csv"\n}\n',
                         "usage.csv": "feature,units\nchta,1\n"}, base=True)  # fmt: skip
    code, doc = validate_json([str(stack)])
    assert code == 1
    assert doc["diagnostics"][0]["summary"] == "Unknown feature in usage"
    assert doc["diagnostics"][0]["range"]["filename"] == "stack/usage.csv"


def test_missing_and_empty_stack(write_stack) -> None:
    code, out, err = run_cli(["validate", "nowhere"])
    assert (code, out) == (1, "")
    assert err == "Error: Stack not found\n\nThe directory nowhere does not exist.\n\n"
    empty = write_stack({"README.md": "no hcl here\n"})
    code, _, err = run_cli(["validate", str(empty)])
    assert code == 1 and err.startswith("Error: Empty stack\n")


def test_unreadable_stack_file(write_stack) -> None:
    stack = write_stack({"bad.hcl": b'unit "x" {}\n\xff\n'}, base=True)
    code, _, err = run_cli(["validate", str(stack)])
    assert code == 1
    assert err.startswith("Error: Unreadable file\n")
    assert "stack/bad.hcl is not UTF-8 text" in err


# -- the command line -----------------------------------------------------------------------


def test_no_arguments_prints_help(capsys) -> None:
    out, err = io_pair()
    code = main([], Console(out, err, no_color=True))
    captured = capsys.readouterr()
    assert code == 0
    assert "Usage: infercost" in captured.out + out.getvalue()
    assert "validate" in captured.out + out.getvalue()
    assert "Traceback" not in captured.err + err.getvalue()


def test_help_exits_zero(capsys) -> None:
    code = main(["validate", "--help"], Console(*io_pair(), no_color=True))
    assert code == 0
    assert "--output" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["validate", "--bogus"], ["--bogus"], ["no-such-command"], ["validate", "-o"],
     ["breakdown", "a", "b"]],
)  # fmt: skip
def test_bad_flag_exits_one_not_two(argv: list[str]) -> None:
    out, err = io_pair()
    code = main(argv, Console(out, err, no_color=True))
    assert code == 1
    assert "Traceback" not in err.getvalue()


def test_bad_flag_is_reported_as_a_usage_error() -> None:
    out, err = io_pair()
    code = main(["validate", "--bogus"], Console(out, err, no_color=True))
    assert code == 1
    assert "Unexpected internal error" not in err.getvalue()
    assert "--bogus" in err.getvalue()


def test_unknown_output_format(write_stack) -> None:
    stack = write_stack({}, base=True)
    code, out, err = run_cli(["validate", str(stack), "-o", "yaml"])
    assert (code, out) == (1, "")
    assert err.startswith("Error: Invalid output format\n")
    assert '"yaml" is not an output format of this command; choose from text, json.' in err


def test_undeclared_variable(write_stack) -> None:
    stack = write_stack({}, base=True)
    code, doc = validate_json([str(stack), "--var", "rate=1"])
    assert code == 1
    assert doc["diagnostics"][0]["summary"] == "Undeclared input variable"
    code, _, err = run_cli(["validate", str(stack), "--var", "novalue"])
    assert code == 1 and "Invalid --var option" in err


def io_pair() -> tuple[io.StringIO, io.StringIO]:
    return io.StringIO(), io.StringIO()
